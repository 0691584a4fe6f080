#!/usr/bin/env bash
# chassisd through the CLI: the default M10's inventory, PIC and FPC requests with their effects on
# show chassis fpc pic-status and var/log/messages, an FPC restart that comes back by itself, alarms, and
# a hardware.conf that does not fit its chassis refused with the file and line.
source "$(dirname "$0")/lib.sh"

out=$("$MSIM" start 2>&1); rc=$?
expect_status "start succeeds" 0 "$rc"
messages="$MSIM_HOME/default/var/log/messages"
cli() { "$MSIM" cli -c "$1" 2>&1; }

out=$(cli 'show chassis hardware')
expect_contains "hardware: header" "$out" "Item             Version  Part number  Serial number     Description"
expect_contains "hardware: M10 chassis" "$out" "M10"
expect_contains "hardware: FPC 0" "$out" "FPC 0                                                    E-FPC"
expect_contains "hardware: 4x FE in 0/0" "$out" "  PIC 0          REV 04   750-002992"
expect_contains "hardware: 4x FE description" "$out" "4x F/E, 100 BASE-TX"
expect_contains "hardware: ES PIC in 0/1" "$out" "ES PIC"
expect_contains "hardware: AS PIC in 1/0" "$out" "A/S SP-1"
expect_contains "hardware: 1x GE in 1/1" "$out" "1x G/E, 1000 BASE-SX"
expect_contains "hardware: Routing Engine" "$out" "Routing Engine   REV 06   740-003239"
again=$(cli 'show chassis hardware')
[ "$out" = "$again" ] && pass "hardware: same serial numbers every time" || fail "hardware output changed between runs"
expect_contains "hardware detail: RE disks" "$(cli 'show chassis hardware detail')" "Compact Flash"
expect_contains "hardware | display xml" "$(cli 'show chassis hardware | display xml')" "<chassis-sub-module>"
expect_contains "show version still gets the model" "$(cli 'show version')" "Model: m10"
expect_contains "no alarms" "$(cli 'show chassis alarms')" "No alarms currently active"

out=$(cli 'request chassis pic fpc-slot 0 pic-slot 1 offline'); rc=$?
expect_status "PIC offline succeeds" 0 "$rc"
expect_contains "PIC offline message" "$out" 'fpc 0 pic 1 offline initiated, use "show chassis fpc pic-status" to verify'
out=$(cli 'show chassis fpc pic-status')
expect_contains "pic-status shows 0/1 offline" "$out" "  PIC 1  Offline      ES PIC"
expect_contains "pic-status shows 0/0 online" "$out" "  PIC 0  Online       4x F/E, 100 BASE-TX"
expect_contains "messages: PIC offline" "$(cat "$messages")" "CHASSISD_FRU_OFFLINE_NOTICE: Taking FPC 0 PIC 1 offline: Offlined by cli command"
expect_contains "show chassis pic: offline" "$(cli 'show chassis pic fpc-slot 0 pic-slot 1')" "State                            Offline"

out=$(cli 'request chassis pic fpc-slot 0 pic-slot 1 online')
expect_contains "PIC online message" "$out" 'fpc 0 pic 1 online initiated'
expect_contains "pic-status shows 0/1 online again" "$(cli 'show chassis fpc pic-status')" "  PIC 1  Online       ES PIC"
expect_contains "messages: PIC online" "$(cat "$messages")" "Taking FPC 0 PIC 1 online: Onlined by cli command"

out=$(cli 'request chassis pic fpc-slot 0 pic-slot 3 offline'); rc=$?
expect_status "an empty PIC slot fails" 1 "$rc"
expect_contains "and says so" "$out" "error: FPC 0 PIC 3 not present"
out=$(cli 'request chassis pic fpc-slot 0 pic-slot 9 offline'); rc=$?
expect_status "an out-of-range PIC slot fails" 1 "$rc"
expect_contains "with the range" "$out" "Value 9 is not within range (0..3)"
out=$(cli 'request chassis fpc slot 5 offline'); rc=$?
expect_status "an FPC slot the M10 lacks fails" 1 "$rc"
expect_contains "with the model's range" "$out" "error: FPC slot 5 does not exist (valid slots 0..1)"
out=$(cli 'show chassis pic fpc-slot 0'); rc=$?
expect_status "show chassis pic without pic-slot fails" 1 "$rc"
expect_contains "missing pic-slot" "$out" "missing mandatory argument: pic-slot."

out=$(cli 'request chassis fpc slot 1 restart')
expect_contains "FPC restart message" "$out" 'Restart initiated, use "show chassis fpc" to verify'
out=$(cli 'show chassis fpc pic-status')
expect_contains "restarting FPC is offline" "$out" "Slot 1   Offline      E-FPC"
expect_contains "its PICs are present" "$out" "  PIC 0  Present      A/S SP-1"
if wait_for 10 bash -c "'$MSIM' cli -c 'show chassis fpc pic-status' | grep -q 'Slot 1   Online'"; then
    pass "FPC 1 back online after the restart"
else
    fail "FPC 1 did not come back online"
fi
expect_contains "its PICs online again" "$(cli 'show chassis fpc pic-status')" "  PIC 1  Online       1x G/E, 1000 BASE-SX"
log=$(cat "$messages")
expect_contains "messages: restart offline" "$log" "Taking FPC 1 offline: Restarted by cli command"
expect_contains "messages: restart online" "$log" "Taking FPC 1 online: Restarted by cli command"

out=$(cli 'request chassis fpc slot 0 offline')
expect_contains "FPC offline message" "$out" 'Offline initiated, use "show chassis fpc" to verify'
out=$(cli 'show chassis fpc')
expect_contains "show chassis fpc header" "$out" "Slot State            (C)  Total  Interrupt      DRAM (MB) Heap     Buffer"
expect_contains "show chassis fpc: slot 0 offline" "$out" "  0  Offline"
expect_contains "an operator's FPC offline raises no alarm" "$(cli 'show chassis alarms')" "No alarms currently active"

# chassisd killed: init restarts it and the operator's offline FPC stays offline.
old=$(daemon_pid default chassisd)
kill -9 "$old"
if wait_for 10 bash -c "'$MSIM' cli -c 'show chassis fpc' 2>/dev/null | grep -q '  0  Offline'"; then
    pass "a restarted chassisd keeps FPC 0 offline"
else
    fail "FPC 0 state lost across a chassisd restart"
fi
expect_contains "FPC 0 online again" "$(cli 'request chassis fpc slot 0 online')" "Online initiated"
"$MSIM" stop >/dev/null 2>&1

# An M5 with a missing power supply: one alarm, and the M5 has a single FPC.
mkdir -p "$MSIM_HOME/small"
printf 'chassis m5\npic 0/0 4x-fe\npic 0/2 1x-oc3\npower-supply B absent\n' > "$MSIM_HOME/small/hardware.conf"
out=$("$MSIM" start --router small 2>&1); rc=$?
expect_status "an M5 starts" 0 "$rc"
out=$("$MSIM" cli --router small -c 'show chassis hardware' 2>&1)
expect_contains "M5 inventory" "$out" "M5 Midplane"
expect_contains "M5 OC-3 PIC" "$out" "1x OC-3 SONET, SMIR"
expect_not_contains "no FPC 1 on an M5" "$out" "FPC 1"
out=$("$MSIM" cli --router small -c 'show chassis alarms' 2>&1)
expect_contains "alarm count" "$out" "1 alarms currently active"
expect_contains "power supply alarm" "$out" "Minor  Power Supply B Absent"
"$MSIM" stop --router small >/dev/null 2>&1

# An M5 with a PIC in FPC 1: the router does not start, and says which line is wrong.
mkdir -p "$MSIM_HOME/bad"
printf 'chassis m5\npic 0/0 4x-fe\npic 1/0 es\n' > "$MSIM_HOME/bad/hardware.conf"
out=$("$MSIM" start --router bad 2>&1); rc=$?
expect_status "a bad hardware.conf stops the start" 1 "$rc"
expect_contains "names chassisd" "$out" "chassisd"
expect_contains "names the file and line" "$out" "hardware.conf:3: PIC 1/0: FPC slot 1 does not exist on an M5 (FPC slots 0..0)"
expect_contains "messages has it too" "$(cat "$MSIM_HOME/bad/var/log/messages")" "CHASSISD_CONFIG_INIT_ERROR"
"$MSIM" stop --router bad >/dev/null 2>&1

finish
