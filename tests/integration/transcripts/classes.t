#: Login classes, enforced by mgd: an operator runs operational commands (request and clear included) but
#: has no configuration mode; read-only may only look. What a class may not run does not exist for it:
#: `unknown command.` (or a syntax error past the words it has), and `?` does not list it.
#@ setup configure; set system login user op class operator; set system login user ro class read-only; commit
#@ batch-status 1
#@ cli --user op
op@default> ?
Possible completions:
  clear                Clear information in the system
  exit                 Exit the management session
  file                 Perform file operations
  help                 Provide help information
  monitor              Show real-time debugging information
  ping                 Ping remote target
  quit                 Exit the management session
  request              Make system-level requests
  set                  Set CLI properties, date/time, craft interface message
  show                 Show system information
  traceroute           Trace route to remote host
op@default> configure
            ^
unknown command.
op@default> configure private
            ^
unknown command.
op@default> edit
            ^
unknown command.
op@default> show system users | match USER
USER     TTY      FROM                              LOGIN@  IDLE WHAT

op@default> request system logout user nobody
error: user 'nobody' is not logged in

op@default> exit
#@ batch-status 1
#@ cli --user ro
ro@default> ?
Possible completions:
  exit                 Exit the management session
  help                 Provide help information
  quit                 Exit the management session
  set                  Set CLI properties, date/time, craft interface message
  show                 Show system information
ro@default> show configuration system login | display set
set system login user op class operator
set system login user ro class read-only

ro@default> request system logout user op
            ^
unknown command.
ro@default> file list
            ^
unknown command.
ro@default> clear arp
            ^
unknown command.
ro@default> configure
            ^
unknown command.
ro@default> set cli screen-length 30
Screen length set to 30

ro@default> show log nosuch
error: could not resolve file: nosuch

ro@default> exit
