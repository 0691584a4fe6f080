#: show cli history: a user's commands across sessions, in order, each with its time; those of another
#: session of the same user that is still open appear at once; each user has a history of their own;
#: a secret is kept in its $9$ form, never in clear.
#@ setup configure; set system login user op class operator; commit
#@ cli
root@default> show system uptime | count
Count: 5 lines

root@default> show cli history 2
{{TIME}} -- show system uptime | count
{{TIME}} -- show cli history 2

root@default> exit
#@ open other
#@ type other show system commit | count
#@ batch-status 1
#@ cli
root@default> show cli history 5
{{TIME}} -- show system uptime | count
{{TIME}} -- show cli history 2
{{TIME}} -- exit
{{TIME}} -- show system commit | count
{{TIME}} -- show cli history 5

root@default> show cli history | match commit
{{TIME}} -- commit
{{TIME}} -- show system commit | count
{{TIME}} -- show cli history | match commit

root@default> show cli history x
                               ^
invalid numeric value: 'x'
root@default> exit
#@ close other
#@ cli --user op
op@default> show cli history
{{TIME}} -- show cli history

op@default> exit
#@ cli
root@default> configure
Entering configuration mode

[edit]
root@default# set security ike policy 10.1.1.1 pre-shared-key ascii-text "s3cret psk"

[edit]
root@default# run show cli history 2
{{TIME}} -- set security ike policy 10.1.1.1 pre-shared-key ascii-text "$9${{ANY}}"
{{TIME}} -- run show cli history 2

[edit]
root@default# quit
The configuration has been changed but not committed
Exit with uncommitted changes? [yes,no] (yes) yes
Exiting configuration mode

root@default> exit
#@ absent var/tmp/.cli-history-root s3cret
