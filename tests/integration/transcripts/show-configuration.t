#: show configuration [PATH] and every pipe: match, except, count, last, find, trim, no-more, save, display
#: set|xml|inheritance, compare [rollback N], chained; `?` after a pipe.
#@ setup configure; set system domain-name lab.example; set groups g1 system ntp server 10.0.0.1; set apply-groups g1; set system login user op class operator; commit; set system domain-name lab2.example; set system time-zone UTC; commit comment "second"
#@ batch-status 1
#@ cli
root@default> show configuration
## Last commit: {{DATE}} {{TIME}} {{TZ}} by root
version 9.3R2.8{{ANY}};
groups {
    g1 {
        system {
            ntp {
                server 10.0.0.1;
            }
        }
    }
}
apply-groups g1;
system {
    host-name default;
    domain-name lab2.example;
    time-zone UTC;
    login {
        user op {
            class operator;
        }
    }
}

root@default> show configuration system login
user op {
    class operator;
}

root@default> show configuration system domain-name
domain-name lab2.example;

root@default> show configuration system nosuch
                                        ^
syntax error.
root@default> show configuration security ike

root@default> show configuration system | match name
host-name default;
domain-name lab2.example;

root@default> show configuration system | except "^ "
host-name default;
domain-name lab2.example;
time-zone UTC;
login {
}

root@default> show configuration | count
Count: 22 lines

root@default> show configuration system | last 3
        class operator;
    }
}

root@default> show configuration system | find login
login {
    user op {
        class operator;
    }
}

root@default> show configuration | find nothing-here
Pattern not found

root@default> show configuration system | match name | trim 5
name default;
n-name lab2.example;

root@default> show configuration system | no-more
host-name default;
domain-name lab2.example;
time-zone UTC;
login {
    user op {
        class operator;
    }
}

root@default> show configuration system login | save login.txt
Wrote 3 lines of output to 'login.txt'

root@default> show configuration system | display set
set system host-name default
set system domain-name lab2.example
set system time-zone UTC
set system login user op class operator

root@default> show configuration system ntp | display inheritance
##
## '10.0.0.1' was inherited from group 'g1'
##
server 10.0.0.1;

root@default> show configuration system time-zone | display xml
<rpc-reply xmlns:junos="http://xml.juniper.net/junos/9.3R2/junos">
    <configuration>
        <system>
            <time-zone>UTC</time-zone>
        </system>
    </configuration>
    <cli>
        <banner></banner>
    </cli>
</rpc-reply>

root@default> show configuration | compare rollback 1
[edit system]
-  domain-name lab.example;
+  domain-name lab2.example;
+  time-zone UTC;

root@default> show configuration | compare rollback 55
                                                    ^
Value 55 is not within range (0..49)
root@default> show configuration | compare rollback 49
error: Rollback file 49 does not exist

root@default> show configuration | display set | match "domain|zone" | count
Count: 2 lines

root@default> show configuration | display set | except login | last 2
set system domain-name lab2.example
set system time-zone UTC

root@default> show configuration | ?
Possible completions:
  compare              Compare configuration changes with prior version
  count                Count occurrences
  display              Show additional kinds of information
  except               Show only text that does not match a pattern
  find                 Search for first occurrence of pattern
  hold                 Hold text without exiting the --More-- prompt
  last                 Display end of output only
  match                Show only text that matches a pattern
  no-more              Don't paginate output
  save                 Save output text to file
  trim                 Trim specified number of columns from start of line
root@default> show configuration | display ?
Possible completions:
  inheritance          Show inherited configuration data and source group
  set                  Show 'set' commands that create configuration
  xml                  Show output as XML tags
root@default> show configuration | display set
set groups g1 system ntp server 10.0.0.1
set apply-groups g1
set system host-name default
set system domain-name lab2.example
set system time-zone UTC
set system login user op class operator

root@default> exit
#@ check-file var/tmp/login.txt
user op {
    class operator;
}
#@ end
