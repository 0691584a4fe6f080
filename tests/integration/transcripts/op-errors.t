#: Operational mode: show version, unique abbreviations, and the parser's errors with the caret under the
#: word they concern (the prompt's width counts). After a parse error the prompt follows at once; after
#: a command's output comes a blank line (Junos).
#@ batch-status 1
#@ cli
root@default> show version
Hostname: default
Model: m10
JUNOS Management Daemon (mgd) [9.3R2.8{{ANY}}]
JUNOS Chassis Control Daemon (chassisd) [9.3R2.8{{ANY}}]
JUNOS Packet Forwarding Engine Daemon (pfed) [9.3R2.8{{ANY}}]
JUNOS Key Management Daemon (kmd) [9.3R2.8{{ANY}}]
JUNOS PKI Daemon (pkid) [9.3R2.8{{ANY}}]
JUNOS IPsec Security Association Manager (ipsecd) [9.3R2.8{{ANY}}]

root@default> set cli complete-on-space off
Disabling complete-on-space

root@default> sh ver | m Model
Model: m10

root@default> sh sys com | cou
Count: 2 lines

root@default> sh conf | di set
set system host-name default

root@default> shw version
              ^
unknown command.
root@default> show version c
                           ^
syntax error, expecting <command>.
root@default> show
                   ^
syntax error, expecting <command>.
root@default> show system
                          ^
syntax error, expecting <command>.
root@default> show s
                   ^
's' is ambiguous.
Possible completions:
  security             Show security information
  system               Show system information
root@default> show log
                       ^
missing argument.
root@default> show log messages extra
                                ^
syntax error, expecting <command>.
root@default> show system rollback x
                                   ^
invalid numeric value: 'x'
root@default> show system rollback 55
                                   ^
Value 55 is not within range (0..49)
root@default> show version | frob
                             ^
syntax error, expecting <command>.
root@default> show version | match
                                   ^
missing argument.
root@default> show version | last x
                                  ^
invalid numeric value: 'x'
root@default> show version | di
                                ^
syntax error, expecting <command>.
root@default> run show version
              ^
unknown command.
root@default> exit now
                   ^
syntax error, expecting <command>.
root@default> quit
