#: `?` anywhere on the line: `Possible completions:` in Junos columns (help at column 23), `<[Enter]>`
#: when the command may run as it is, placeholders with their help, `|`; statement paths and configured
#: names from the schema through mgd; `No valid completions` after a word that fits nothing. In batch
#: mode a line ending in `?` prints the same listing. `help reference|topic STATEMENT` prints what the
#: schema says of a statement.
#@ setup configure; set system login user op class operator; commit
#@ batch-status 1
#@ cli
root@default> show system ?
Possible completions:
  commit               Show pending commit and commit history
  rollback             Show rolled back configuration
  uptime               Show time since the system rebooted and protocols started
  users                Show user activity information
root@default> show sys?
Possible completions:
  system               Show system information
root@default> show system users ?
Possible completions:
  <[Enter]>            Execute this command
  |                    Pipe through a command
root@default> show system users | count
Count: 3 lines

root@default> show configuration ?
Possible completions:
  <[Enter]>            Execute this command
+ apply-groups         Groups from which to inherit configuration data
> firewall             Define a firewall configuration
> groups               Configuration groups
> interfaces           Interface configuration
> routing-options      Protocol-independent routing option configuration
> security             Security configuration
> services             Service PIC applications settings
> system               System parameters
  |                    Pipe through a command
root@default> show configuration system login user ?
Possible completions:
  <[Enter]>            Execute this command
  <name>               Username
  op
  |                    Pipe through a command
root@default> show log ?
Possible completions:
  <filename>           Name of log file
root@default> show cli history ?
Possible completions:
  <[Enter]>            Execute this command
  <count>              Maximum number of commands to display
  |                    Pipe through a command
root@default> show configuration | match ?
Possible completions:
  <pattern>            Pattern to match against
root@default> show configuration | last ?
Possible completions:
  <lines>              Number of lines to display
root@default> show configuration | compare ?
Possible completions:
  <[Enter]>            Execute this command
  rollback             Index of rollback configuration
  |                    Pipe through a command
root@default> show frob ?
No valid completions
root@default> configure ?
Possible completions:
  <[Enter]>            Execute this command
  exclusive            Obtain exclusive lock (other users cannot make changes)
  private              Work in private database
  |                    Pipe through a command
root@default> help reference sys host-name
host-name
    Hostname for this router
    Hierarchy level: [edit system]

root@default> help reference system nosuch
                                    ^
syntax error.
root@default> configure
Entering configuration mode

[edit]
root@default# ?
Possible completions:
  activate             Remove the inactive tag from a statement
  annotate             Annotate the statement with a comment
  commit               Commit current set of changes
  copy                 Copy a statement
  deactivate           Add the inactive tag to a statement
  delete               Delete a data element
  edit                 Edit a sub-element
  exit                 Exit from this level
  help                 Provide help information
  insert               Insert a new ordered data element
  load                 Load configuration from ASCII file
  quit                 Quit from this level
  rename               Rename a statement
  rollback             Roll back to previous committed configuration
  run                  Run an operational-mode command
  save                 Save configuration to ASCII file
  set                  Set a parameter
  show                 Show a parameter
  status               Show users currently editing configuration
  top                  Exit to top level of configuration
  up                   Exit one level of configuration
  wildcard             Wildcard operations
[edit]
root@default# commit ?
Possible completions:
  <[Enter]>            Execute this command
  and-quit             Quit configuration mode if commit succeeds
  check                Check correctness of syntax; do not apply changes
  comment              Message to write to commit log
  confirmed            Automatically rollback if not confirmed
[edit]
root@default# show system login ?
Possible completions:
  <[Enter]>            Execute this command
+ apply-groups         Groups from which to inherit configuration data
> user                 Username
  |                    Pipe through a command
[edit]
root@default# run show system ?
Possible completions:
  commit               Show pending commit and commit history
  rollback             Show rolled back configuration
  uptime               Show time since the system rebooted and protocols started
  users                Show user activity information
[edit]
root@default# run show system commit | count
Count: 3 lines

[edit]
root@default# help topic security ike
ike
    IKE configuration
    Hierarchy level: [edit security]

[edit]
root@default# set frob ?
No valid completions
[edit]
root@default# exit
Exiting configuration mode

root@default> exit
