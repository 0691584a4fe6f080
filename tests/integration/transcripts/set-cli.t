#: set cli screen-width|screen-length|timestamp|complete-on-space (the replies automation clients wait
#: for), show cli, and the timestamp line before each command's output once it is set.
#@ batch-status 1
#@ cli
root@default> set cli screen-width 511
Screen width set to 511

root@default> set cli screen-length 0
Screen length set to 0

root@default> set cli complete-on-space off
Disabling complete-on-space

root@default> show cli
CLI complete-on-space set to off
CLI idle-timeout disabled
CLI restart-on-upgrade set to on
CLI screen-length set to 0
CLI screen-width set to 511
CLI terminal is '{{re:dumb|network}}'
CLI is operating in enhanced mode
CLI timestamp disabled
CLI working directory is '/var/tmp'

root@default> set cli screen-width 20
                                   ^
Value 20 is not within range (40..1024)
root@default> set cli screen-length many
                                    ^
invalid numeric value: 'many'
root@default> set cli screen-length
                                    ^
missing argument.
root@default> set cli complete-on-space maybe
                                        ^
syntax error, expecting <command>.
root@default> set cli timestamp
{{re:[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}}}
CLI timestamp set to: %b %d %T

root@default> show version | match Model
{{re:[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}}}
Model: m10

root@default> set cli timestamp format '%m-%d-%T'
'{{re:\d{2}-\d{2}-\d{2}:\d{2}:\d{2}}}'
CLI timestamp set to: '%m-%d-%T'

root@default> set cli timestamp disable
'{{re:\d{2}-\d{2}-\d{2}:\d{2}:\d{2}}}'
CLI timestamp disabled

root@default> show cli | match timestamp
CLI timestamp disabled

root@default> set cli complete-on-space on
Enabling complete-on-space

root@default> exit
