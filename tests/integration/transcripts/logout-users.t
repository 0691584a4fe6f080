#: show system users lists every open CLI session; request system logout ends other sessions by user
#: (the latest one, or all of them), by process id or by terminal; a non-super-user may end only their own.
#@ setup configure; set system login user op class operator; set system login user bob class super-user; commit
#@ open op1 --user op
#@ open op2 --user op
#@ open bob --user bob
#@ batch-status 1
#@ cli
root@default> show system users
{{CLOCK}}  up {{ANY}}, 4 users, load averages: {{LOAD}}, {{LOAD}}, {{LOAD}}
USER     TTY      FROM                              LOGIN@  IDLE WHAT
op       ${op1.tty}    -                                {{CLOCK}}     - -cli (cli)
op       ${op2.tty}    -                                {{CLOCK}}     - -cli (cli)
bob      ${bob.tty}    -                                {{CLOCK}}     - -cli (cli)
root     {{re:\S+ +}}-                                {{CLOCK}}     - -cli (cli)

root@default> request system logout user op

root@default> show system users | match op
op       ${op1.tty}    -                                {{CLOCK}}     - -cli (cli)

root@default> request system logout pid ${bob.pid}

root@default> request system logout terminal ${op1.tty}

root@default> show system users | except USER
{{CLOCK}}  up {{ANY}}, 1 user, load averages: {{LOAD}}, {{LOAD}}, {{LOAD}}
root     {{re:\S+ +}}-                                {{CLOCK}}     - -cli (cli)

root@default> request system logout user nobody
error: user 'nobody' is not logged in

root@default> request system logout pid 1x
                                        ^
invalid numeric value: '1x'
root@default> request system logout user
                                         ^
missing argument.
root@default> request system logout ?
Possible completions:
  pid                  Process ID of the CLI session
  terminal             Terminal name of the session
  user                 User whose session to end
root@default> exit
#@ ended op2
#@ ended bob
#@ ended op1
#@ open root2
#@ batch-status 1
#@ cli --user op
op@default> request system logout user root
error: permission denied: only a super-user may end another user's session

op@default> exit
