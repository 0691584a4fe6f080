#: Configuration mode: entering and leaving, the [edit …] banner after a blank line, moving around, the
#: editing commands' messages, commit and rollback, `?` and its banner, caret errors, load terminal,
#: run CMD, and the exit question.
#@ batch-status 1
#@ cli
root@default> configure
Entering configuration mode

[edit]
root@default# set system domain-name lab.example

[edit]
root@default# edit system

[edit system]
root@default# set time-zone UTC

[edit system]
root@default# show
host-name default;
domain-name lab.example;
time-zone UTC;

[edit system]
root@default# up

[edit]
root@default# up
warning: Already at top of hierarchy

[edit]
root@default# edit system login

[edit system login]
root@default# top

[edit]
root@default# show | compare
[edit system]
+  domain-name lab.example;
+  time-zone UTC;

[edit]
root@default# commit check
configuration check succeeds

[edit]
root@default# commit comment "domain and zone"
commit complete

[edit]
root@default# delete system name-server 10.9.9.9
warning: statement not found

[edit]
root@default# deactivate system time-zone

[edit]
root@default# deactivate system time-zone
warning: statement already inactive

[edit]
root@default# show system time-zone
inactive: time-zone UTC;

[edit]
root@default# rollback 0
load complete

[edit]
root@default# rollback 60
                       ^
Value 60 is not within range (0..49)

[edit]
root@default# rollback ?
Possible completions:
  <[Enter]>            Execute this command
  0                    {{DATE}} {{TIME}} {{TZ}} by root via cli
  1                    {{DATE}} {{TIME}} {{TZ}} by root via other
  |                    Pipe through a command
[edit]
root@default# set system ?
Possible completions:
+ apply-groups         Groups from which to inherit configuration data
  domain-name          Domain name for this router
  host-name            Hostname for this router
> login                Names, login classes, and passwords for users
> name-server          DNS name servers
> ntp                  Network Time Protocol services
> root-authentication  Authentication information for the root login
> services             System services
  time-zone            Time zone name or POSIX-compliant time zone string
[edit]
root@default# set system host-name ?
Possible completions:
  <host-name>          Hostname for this router
[edit]
root@default# set system host-name lab-router

[edit]
root@default# frob
              ^
unknown command.

[edit]
root@default# s
              ^
's' is ambiguous.
Possible completions:
  save                 Save configuration to ASCII file
  set                  Set a parameter
  show                 Show a parameter
  status               Show users currently editing configuration
[edit]
root@default# set system nosuch
                         ^
syntax error.

[edit]
root@default# set system
                         ^
missing argument.

[edit]
root@default# edit nosuch
                   ^
syntax error.

[edit]
root@default# load merge terminal
[Type ^D at a new line to end input]
system {
    ntp {
        server 10.1.1.1;
    }
}
^D
load complete

[edit]
root@default# show system ntp
server 10.1.1.1;

[edit]
root@default# run show system commit
0   {{DATE}} {{TIME}} {{TZ}} by root via cli
    domain and zone
1   {{DATE}} {{TIME}} {{TZ}} by root via other
    initial configuration

[edit]
root@default# run show version | count
Count: 8 lines

[edit]
root@default# run show nosuch
                       ^
syntax error, expecting <command>.

[edit]
root@default# status
Users currently editing the configuration:
  root terminal {{TTY}} (pid {{PID}}) on since {{DATE}} {{TIME}} {{TZ}}
      [edit]

[edit]
root@default# exit
The configuration has been changed but not committed
Exit with uncommitted changes? [yes,no] (yes) yes
Exiting configuration mode

root@default> exit
#: The uncommitted changes stay in the shared candidate for the next session. The prompt follows the
#: committed host-name.
#@ cli
root@default> configure
Entering configuration mode
The configuration has been changed but not committed

[edit]
root@default# show | compare
[edit system]
-  host-name default;
+  host-name lab-router;
+  ntp {
+      server 10.1.1.1;
+  }

[edit]
root@default# quit
The configuration has been changed but not committed
Exit with uncommitted changes? [yes,no] (yes) no

[edit]
root@default# commit confirmed 5
commit confirmed will be automatically rolled back in 5 minutes unless confirmed
commit complete

# commit confirmed will be rolled back in 5 minutes
[edit]
root@lab-router# show system host-name
host-name lab-router;

# commit confirmed will be rolled back in 5 minutes
[edit]
root@lab-router# commit
commit complete

[edit]
root@lab-router# delete system ntp

[edit]
root@lab-router# commit and-quit
commit complete
Exiting configuration mode

root@lab-router> configure
Entering configuration mode

[edit]
root@lab-router# exit configuration-mode
Exiting configuration mode

root@lab-router> exit
