#: show system commit|rollback|users|uptime, show log FILE (the router's var/log), file list|show (var/tmp
#: by default, absolute names from the router's root, nothing outside it).
#@ setup configure; set system domain-name one.example; commit comment "first domain"; set system domain-name two.example; commit
#@ file var/log/demo.log
Dec  5 10:18:44  default kmd[1416]: KMD_PM_SA_ESTABLISHED: Local gateway: 10.0.1.50
Dec  5 10:19:02  default kmd[1416]: IKE negotiation successfully completed
#@ end
#@ file var/tmp/notes.txt
line one
line two
#@ end
#@ batch-status 1
#@ cli
root@default> show system commit
0   {{DATE}} {{TIME}} {{TZ}} by root via cli
1   {{DATE}} {{TIME}} {{TZ}} by root via cli
    first domain
2   {{DATE}} {{TIME}} {{TZ}} by root via other
    initial configuration

root@default> show system rollback 1
## Last changed: {{DATE}} {{TIME}} {{TZ}}
version 9.3R2.8;
system {
    host-name default;
    domain-name one.example;
}

root@default> show system rollback 1 compare 0
[edit system]
-  domain-name two.example;
+  domain-name one.example;

root@default> show system rollback 7
error: Rollback file 7 does not exist

root@default> show system rollback 1 compare 50
                                             ^
Value 50 is not within range (0..49)
root@default> show system users
{{CLOCK}}  up {{ANY}}, 1 user, load averages: {{LOAD}}, {{LOAD}}, {{LOAD}}
USER     TTY      FROM                              LOGIN@  IDLE WHAT
root     {{re:\S+ +}}-                                {{CLOCK}}     - -cli (cli)

root@default> show system uptime
Current time: {{DATE}} {{TIME}} {{TZ}}
System booted: {{DATE}} {{TIME}} {{TZ}} ({{AGE}} ago)
Protocols started: {{DATE}} {{TIME}} {{TZ}} ({{AGE}} ago)
Last configured: {{DATE}} {{TIME}} {{TZ}} ({{AGE}} ago) by root
{{CLOCK}}  up {{ANY}}, 1 user, load averages: {{LOAD}}, {{LOAD}}, {{LOAD}}

root@default> show log demo.log
Dec  5 10:18:44  default kmd[1416]: KMD_PM_SA_ESTABLISHED: Local gateway: 10.0.1.50
Dec  5 10:19:02  default kmd[1416]: IKE negotiation successfully completed

root@default> show log demo.log | match IKE
Dec  5 10:19:02  default kmd[1416]: IKE negotiation successfully completed

root@default> show log nosuch
error: could not resolve file: nosuch

root@default> show log ../../../../etc/passwd
error: could not resolve file: ../../../../etc/passwd

root@default> file list

/var/tmp/:
notes.txt

root@default> file list /var/log/demo.log
/var/log/demo.log

root@default> file list /var/nosuch
error: /var/nosuch: No such file or directory

root@default> file show notes.txt
line one
line two

root@default> file show /var/tmp/notes.txt | count
Count: 2 lines

root@default> file show nothing.txt
error: could not resolve file: nothing.txt

root@default> file show
                        ^
missing argument.
root@default> exit
