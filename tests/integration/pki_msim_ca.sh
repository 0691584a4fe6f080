#!/usr/bin/env bash
# A real router against msim-ca, both in a network namespace of their own (unshare -n, loopback only):
#  - the PKI-family request commands: CA certificate by SCEP, a local certificate left PENDING by the
#    manual-approval CA until `msim-ca approve` (the CLI keeps polling and shows progress), a wrong challenge
#    password refused, Ctrl-C (SIGINT to the CLI) cancelling an enrollment at once;
#  - revocation: `msim-ca revoke`, then pkid downloads the CRL from the certificate's CDP and refuses it;
#  - the router's clock: `set date` (and its refusal of a malformed date), `show system uptime`, a
#    certificate not valid yet that loads after the clock moved, an expired one refused;
#  - automatic re-enrollment: configured, shown, fired by moving the clock past the trigger, PENDING until
#    approved, the new certificate and key pair in place, logged.
if [ -z "${MSIM_PKI_NETNS:-}" ]; then
    exec env MSIM_PKI_NETNS=1 unshare -n -- bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

ip link set lo up || { fail "cannot bring up loopback in the namespace"; finish; }
command -v openssl >/dev/null || { fail "openssl is not installed (scripts/bootstrap)"; finish; }
CA=$(dirname "$MSIM")/msim-ca
[ -x "$CA" ] || { fail "msim-ca is not built beside msim ($CA)"; finish; }
D=$MSIM_HOME/lab-ca
trap '"$CA" stop --dir "$D" >/dev/null 2>&1; cleanup' EXIT
"$CA" init --dir "$D" --subject "CN=msim lab CA,O=msim" --challenge-password s3cret --approval manual \
    --validity-days 30 --crl-url http://127.0.0.1:8480/ca.crl >/dev/null || { fail "msim-ca init"; finish; }
out=$("$CA" start --dir "$D" 2>&1) && pass "msim-ca: $out" || { fail "msim-ca start: $out"; finish; }
pending_id() { "$CA" list --dir "$D" | awk '$2 == "pending" {print $1; exit}'; }
wait_pending() {
    local id=""
    for _ in $(seq 1 150); do id=$(pending_id); [ -n "$id" ] && break; sleep 0.1; done
    echo "$id"
}

"$MSIM" start --router r1 >/dev/null 2>&1 || { fail "router did not start"; finish; }
cli() { "$MSIM" cli --router r1 "$@" 2>&1; }
R=$MSIM_HOME/r1
C=$R/var/db/certs

out=$(cli -c 'configure; set security pki ca-profile lab ca-identity lab; set security pki ca-profile lab enrollment url http://127.0.0.1:8480/scep; set security pki ca-profile lab enrollment retry-interval 1; commit'); rc=$?
expect_status "a CA profile with msim-ca's URL commits" 0 "$rc"
out=$(cli -c 'request security pki ca-certificate enroll ca-profile lab; yes'); rc=$?
expect_contains "the CA certificate is enrolled by SCEP" "$out" "CA certificate for profile lab loaded successfully"
cmp -s <(openssl x509 -in "$C/ca/lab.crt" -outform DER) <(openssl x509 -in "$D/ca.crt" -outform DER) \
    && pass "it is msim-ca's" || fail "the stored CA certificate is not msim-ca's"
cli -c 'request security pki generate-key-pair certificate-id r1 size 2048; request security pki generate-key-pair certificate-id r2 size 2048; request security pki generate-key-pair certificate-id r3 size 2048' >/dev/null
enroll() { # enroll ID PASSWORD
    cli -c "request security pki local-certificate enroll scep ca-profile lab certificate-id $1 challenge-password $2 subject \"CN=$1.example.net,O=msim\" domain-name $1.example.net ip-address 10.0.0.1"
}

# PENDING, the CLI polling, then the instructor approves.
enroll r1 s3cret >"$MSIM_HOME/enroll-r1.out" 2>&1 &
enroll_pid=$!
id=$(wait_pending)
[ -n "$id" ] && pass "msim-ca holds the router's request $id PENDING" || fail "no pending request at msim-ca"
sleep 2.5
kill -0 "$enroll_pid" 2>/dev/null && pass "the CLI waits while the CA says PENDING" || fail "the enrollment ended before approval"
out=$("$CA" approve --dir "$D" "$id" 2>&1)
expect_contains "msim-ca approve $id" "$out" "approved"
wait "$enroll_pid"; rc=$?
out=$(cat "$MSIM_HOME/enroll-r1.out")
expect_status "the enrollment then succeeds" 0 "$rc"
expect_contains "with progress while it waited" "$out" "The CA has not issued the certificate yet; retrying in 1 seconds"
expect_contains "and the result" "$out" "Local certificate r1 loaded successfully"
v=$(openssl verify -CAfile "$D/ca.crt" "$C/local/r1.crt" 2>&1); rc=$?
expect_status "openssl verify accepts r1's certificate ($v)" 0 "$rc"
serial1=$(openssl x509 -in "$C/local/r1.crt" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')

# A wrong challenge password: FAILURE at once, no PENDING.
out=$(enroll r2 wrong); rc=$?
expect_status "a wrong challenge password fails" 1 "$rc"
expect_contains "with the CA's failInfo" "$out" "rejected by the CA (failInfo badRequest); check the challenge password"
[ ! -e "$C/local/r2.crt" ] && pass "and stores nothing" || fail "r2 has a certificate"

# Ctrl-C while PENDING: the CLI's SIGINT reaches pkid's enrollment thread through mgd.
start=$SECONDS
# (retry 0 would poll for ever: the watchdog ends the CLI should the cancel fail)
enroll r3 s3cret >"$MSIM_HOME/enroll-r3.out" 2>&1 &
enroll_pid=$!
( sleep 40; kill -9 $(pgrep -f -- "^cli --state $MSIM_HOME/r1 .*certificate-id r3") 2>/dev/null ) &
watchdog=$!
id=$(wait_pending)
sleep 1.5
cli_pid=$(pgrep -f -- "^cli --state $MSIM_HOME/r1 .*certificate-id r3" | head -n 1)
[ -n "$cli_pid" ] && pass "the enrolling CLI is process $cli_pid" || fail "no CLI process found"
[ -n "$cli_pid" ] && kill -INT "$cli_pid"
wait "$enroll_pid"; rc=$?
kill "$watchdog" 2>/dev/null
out=$(cat "$MSIM_HOME/enroll-r3.out")
expect_status "Ctrl-C ends the enrollment with an error" 1 "$rc"
expect_contains "that says so" "$out" "cancelled"
[ $((SECONDS - start)) -lt 15 ] && pass "at once ($((SECONDS - start)) s in all)" || fail "cancel took $((SECONDS - start)) s"
[ ! -e "$C/local/r3.crt" ] && pass "nothing stored for r3" || fail "r3 has a certificate"
out=$(cli -c 'request security pki generate-key-pair certificate-id after-cancel'); rc=$?
expect_status "pkid takes new requests after the cancel" 0 "$rc"
"$CA" reject --dir "$D" "$id" >/dev/null 2>&1

# Revocation: the CRL comes from the certificate's CDP (msim-ca over HTTP).
out=$(cli -c 'request security pki local-certificate verify certificate-id r1'); rc=$?
expect_status "r1 verifies with msim-ca's CRL" 0 "$rc"
out=$("$CA" revoke --dir "$D" "$serial1" --reason keyCompromise 2>&1)
expect_contains "msim-ca revokes r1's certificate" "$out" "revoked"
# the CRL cache forgets what it held at a commit
cli -c 'configure; set security pki ca-profile lab revocation-check crl refresh-interval 1; commit' >/dev/null
out=$(cli -c 'request security pki local-certificate verify certificate-id r1'); rc=$?
expect_status "pkid downloads the new CRL and refuses r1" 1 "$rc"
expect_contains "as revoked" "$out" "revoked"
grep -q "GET /ca.crl: the CRL (1 revoked)" "$D/log" && pass "msim-ca served the CRL to pkid" || fail "no CRL request in msim-ca's log"

# ---- The router's clock
out=$(cli -c 'set date 2031-01-01'); rc=$?
expect_status "a malformed date is refused" 1 "$rc"
expect_contains "in date(1)'s words" "$out" "date: illegal time format"
(
    cd "$R/var/tmp" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 400 -subj "/CN=Other CA/O=msim" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign
    printf '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nserial=serial\ndefault_md=sha256\npolicy=p\nnew_certs_dir=.\nunique_subject=no\n[p]\ncommonName=supplied\n' >ca.cnf
    : >index.txt
    echo 2001 >serial
) >/dev/null 2>&1
cli -c 'request security pki generate-key-pair certificate-id future size 2048; request security pki generate-certificate-request certificate-id future subject CN=future domain-name future.example.net filename future.csr' >/dev/null
from=$(date -u -d '+10 days' +%y%m%d%H%M%SZ); to=$(date -u -d '+40 days' +%y%m%d%H%M%SZ)
(cd "$R/var/tmp" && openssl ca -batch -config ca.cnf -keyfile other.key -cert other.crt -in future.csr \
    -startdate "$from" -enddate "$to" -out future.crt) >/dev/null 2>&1 || fail "openssl ca could not issue future.crt"
out=$(cli -c 'request security pki local-certificate load certificate-id future filename future.crt'); rc=$?
expect_status "a certificate valid from in 10 days is refused today" 1 "$rc"
expect_contains "as not yet valid" "$out" "not yet valid"
when=$(date -d '+11 days' +%Y%m%d%H%M.%S)
out=$(cli -c "set date $when"); rc=$?
expect_status "set date $when" 0 "$rc"
expect_contains "answers with the new date" "$out" "$(date -d '+11 days' '+%b')"
expect_contains "in date(1)'s layout" "$out" "$(date -d '+11 days' '+%Y')"
out=$(cli -c 'show system uptime')
expect_contains "show system uptime shows the router's time" "$out" "Current time: $(date -d '+11 days' '+%Y-%m-%d %H:%M')"
out=$(cli -c 'request security pki local-certificate load certificate-id future filename future.crt'); rc=$?
expect_status "after set date it loads" 0 "$rc"
expect_contains "successfully" "$out" "loaded successfully"
grep -q "mgd\[[0-9]*\]: date set to" "$R/var/log/messages" && pass "set date is logged" || fail "no log of set date"
out=$(cli -c "set date $(date -d '+50 days' +%Y%m%d%H%M.%S); request security pki local-certificate load certificate-id future filename future.crt"); rc=$?
expect_status "50 days on, the certificate is refused" 1 "$rc"
expect_contains "as expired" "$out" "Certificate has expired"
cli -c "set date $(date +%Y%m%d%H%M.%S)" >/dev/null

# ---- Automatic re-enrollment (r2 gets a certificate first; r1's was revoked)
cli -c 'clear security pki local-certificate certificate-id r1' >/dev/null
enroll r2 s3cret >"$MSIM_HOME/enroll-r2.out" 2>&1 &
enroll_pid=$!
id=$(wait_pending)
"$CA" approve --dir "$D" "$id" >/dev/null 2>&1
wait "$enroll_pid" || fail "r2 enrollment: $(cat "$MSIM_HOME/enroll-r2.out")"
old_serial=$(openssl x509 -in "$C/local/r2.crt" -noout -serial)
old_key=$(openssl pkey -in "$C/keys/r2.key" -pubout)
out=$(cli -c 'configure; set security pki auto-re-enrollment certificate-id nosuch ca-profile lab challenge-password s3cret re-enroll-trigger-time-percentage 20; commit'); rc=$?
expect_status "auto-re-enrollment of a certificate that does not exist is refused" 1 "$rc"
expect_contains "with the reason" "$out" "no local certificate nosuch is loaded"
out=$(cli -c 'configure; set security pki auto-re-enrollment certificate-id r2 ca-profile lab challenge-password s3cret re-enroll-trigger-time-percentage 20 re-generate-keypair; commit'); rc=$?
expect_status "auto-re-enrollment of r2 commits" 0 "$rc"
out=$(cli -c 'show configuration security pki auto-re-enrollment')
expect_not_contains "the challenge password is not shown in clear" "$out" "s3cret"
out=$(cli -c 'show security pki local-certificate certificate-id r2 detail')
expect_contains "show … detail: auto-re-enrollment enabled" "$out" "  Auto-re-enrollment:
    Status: Enabled
    Next trigger time: $(date -u -d '+24 days' '+%m-%d-%Y')"
sleep 2
grep -q "re-enrollment of local certificate r2 started" "$R/var/log/messages" \
    && fail "re-enrollment started before its time" || pass "nothing happens before the trigger time"
cli -c "set date $(date -d '+25 days' +%Y%m%d%H%M.%S)" >/dev/null
wait_for 10 grep -q "automatic re-enrollment of local certificate r2 started" "$R/var/log/messages" \
    && pass "moving the clock past 80% of the lifetime starts the re-enrollment" || fail "no re-enrollment"
id=$(wait_pending)
[ -n "$id" ] && pass "msim-ca holds the re-enrollment PENDING (request $id)" || fail "no pending re-enrollment"
wait_for 5 grep -q "r2: the CA has not issued the certificate yet" "$R/var/log/messages" \
    && pass "pkid logs that it polls" || fail "no PENDING in the log"
"$CA" approve --dir "$D" "$id" >/dev/null 2>&1
wait_for 15 grep -q "automatic re-enrollment of local certificate r2 succeeded" "$R/var/log/messages" \
    && pass "the re-enrollment succeeds once approved" || fail "no success logged"
[ "$(openssl x509 -in "$C/local/r2.crt" -noout -serial)" != "$old_serial" ] \
    && pass "r2 has a new certificate" || fail "r2's certificate is the old one"
[ "$(openssl pkey -in "$C/keys/r2.key" -pubout)" != "$old_key" ] && pass "and a new key pair (re-generate-keypair)" \
    || fail "r2's key pair is the old one"
[ "$(openssl x509 -in "$C/local/r2.crt" -noout -pubkey)" = "$(openssl pkey -in "$C/keys/r2.key" -pubout)" ] \
    && pass "which belong together" || fail "r2's certificate and key do not match"
text=$(openssl x509 -in "$C/local/r2.crt" -noout -text)
expect_contains "the new certificate keeps the subject" "$text" "CN = r2.example.net"
expect_contains "and the subjectAltName" "$text" "DNS:r2.example.net"
out=$(cli -c 'show security pki local-certificate certificate-id r2 detail')
expect_contains "show shows the new serial" "$out" "Serial number: $(openssl x509 -in "$C/local/r2.crt" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')"
cli -c "set date $(date +%Y%m%d%H%M.%S)" >/dev/null
out=$(cli -c 'show version'); rc=$?
expect_status "the router still answers" 0 "$rc"
finish
