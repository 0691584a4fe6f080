#!/usr/bin/env bash
# msim-ca interop suite: two SCEP clients nobody on this team wrote and ours against msim-ca, run on
# loopback inside a network namespace this script creates (unshare -n).
#  - strongSwan's `pki --scepca` fetches the CA certificate; `pki --scep` enrolls (SUCCESS), is refused
#    with a wrong challenge password (FAILURE badRequest), waits while a manual-approval CA answers PENDING
#    and gets the certificate once `msim-ca approve` runs, and gets FAILURE after `msim-ca reject`.
#  - libmsim_pki's client (scep_enroll, pkid's code) enrolls, is refused with a wrong password, and is issued
#    after PENDING and approval.
#  - `msim-ca revoke`: the CRL served over HTTP carries the serial, its signature checks with the CA
#    certificate, and `openssl verify -crl_check` refuses the revoked certificate (error 23).
# usage: run.sh MSIM_CA_BINARY SCEP_ENROLL_BINARY
set -uo pipefail
if [ -z "${MSIM_CA_NETNS:-}" ]; then
    exec env MSIM_CA_NETNS=1 unshare -n -- bash "$0" "$@"
fi
ca=${1:?usage: run.sh MSIM_CA_BINARY SCEP_ENROLL_BINARY}
client=${2:?usage: run.sh MSIM_CA_BINARY SCEP_ENROLL_BINARY}
checks=0
failures=0
pass() { checks=$((checks + 1)); echo "ok - $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL - $*"; }
finish() {
    echo "$checks checks, $failures failed"
    [ "$failures" -eq 0 ]
    exit $?
}
dir=$(mktemp -d /tmp/msim-ca-interop.XXXXXX)
bg_pids=()
cleanup() {
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
    "$ca" stop --dir "$dir/auto" >/dev/null 2>&1
    "$ca" stop --dir "$dir/manual" >/dev/null 2>&1
    rm -rf "$dir"
}
trap cleanup EXIT
for tool in pki openssl curl; do
    command -v "$tool" >/dev/null || { fail "$tool is not installed (scripts/bootstrap)"; finish; }
done
ip link set lo up || { fail "cannot bring up loopback in the namespace"; finish; }
# strongSwan's pki prints TPM plugin noise on stderr; drop it from what we show
sw() { grep -v -i -e tpm -e 'plugin' || true; }

"$ca" init --dir "$dir/auto" --subject "CN=msim interop CA,O=msim" --challenge-password s3cret \
    --crl-url http://127.0.0.1:8480/ca.crl --validity-days 30 >/dev/null || { fail "msim-ca init"; finish; }
out=$("$ca" start --dir "$dir/auto" --listen 127.0.0.1:8480 2>&1); rc=$?
[ $rc -eq 0 ] && pass "msim-ca serves on 127.0.0.1:8480: $out" || { fail "msim-ca start: $out"; finish; }
"$ca" init --dir "$dir/manual" --subject "CN=msim manual CA,O=msim" --challenge-password s3cret \
    --approval manual >/dev/null || { fail "msim-ca init (manual)"; finish; }
"$ca" start --dir "$dir/manual" --listen 127.0.0.1:8481 >/dev/null 2>&1 || { fail "msim-ca start (manual)"; finish; }
url=http://127.0.0.1:8480/scep
murl=http://127.0.0.1:8481/scep

# ---- strongSwan pki --scepca / --scep
cd "$dir"
out=$(timeout 30 pki --scepca --url "$url" --caout sw-ca.der 2>&1 | sw); rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] && [ -s sw-ca.der ] && pass "pki --scepca fetched the CA certificate" || fail "pki --scepca: $out"
cmp -s sw-ca.der <(openssl x509 -in "$dir/auto/ca.crt" -outform DER) \
    && pass "it is msim-ca's CA certificate" || fail "pki --scepca got another certificate"
pki --gen --type rsa --size 2048 >sw.key 2>/dev/null
out=$(timeout 60 pki --scep --url "$url" --in sw.key --dn "CN=sw.example.net, O=msim" --san sw.example.net \
    --password s3cret --cacert-enc sw-ca.der --cacert-sig sw-ca.der --interval 1 --maxpolltime 20 \
    2>sw.err >sw.der); rc=$?
[ $rc -eq 0 ] && [ -s sw.der ] && pass "pki --scep is issued a certificate" || { fail "pki --scep: exit $rc"; sw <sw.err; }
v=$(openssl verify -CAfile "$dir/auto/ca.crt" <(openssl x509 -inform DER -in sw.der) 2>&1); rc=$?
[ $rc -eq 0 ] && pass "openssl verify accepts it" || fail "openssl verify: $v"
text=$(openssl x509 -inform DER -in sw.der -noout -text 2>&1)
[[ "$text" == *"CN = sw.example.net"* && "$text" == *"DNS:sw.example.net"* ]] \
    && pass "with the subject and subjectAltName strongSwan asked for" || fail "subject/SAN: $text"
[[ "$text" == *"URI:http://127.0.0.1:8480/ca.crl"* ]] && pass "and msim-ca's CRL distribution point" \
    || fail "no CDP in the certificate"
pki --gen --type rsa --size 2048 >sw2.key 2>/dev/null
timeout 60 pki --scep --url "$url" --in sw2.key --dn "CN=sw2.example.net, O=msim" --san sw2.example.net \
    --password wrong --cacert-enc sw-ca.der --cacert-sig sw-ca.der --interval 1 --maxpolltime 10 \
    >sw2.der 2>sw2.err; rc=$?
[ $rc -ne 0 ] && pass "pki --scep with a wrong challenge password fails (exit $rc)" || fail "a wrong password was accepted"
grep -q "failInfo:.*badRequest" sw2.err && pass "strongSwan reports failInfo badRequest" \
    || { fail "no badRequest from strongSwan"; sw <sw2.err; }

# PENDING until the instructor approves: strongSwan polls every second meanwhile.
out=$(timeout 30 pki --scepca --url "$murl" --caout sw-mca.der 2>&1); rc=$?
pki --gen --type rsa --size 2048 >sw3.key 2>/dev/null
timeout 60 pki --scep --url "$murl" --in sw3.key --dn "CN=pending.example.net, O=msim" \
    --san pending.example.net --password s3cret --cacert-enc sw-mca.der --cacert-sig sw-mca.der \
    --interval 1 --maxpolltime 40 >sw3.der 2>sw3.err &
sw_pid=$!
bg_pids+=("$sw_pid")
pending=""
for _ in $(seq 1 100); do
    pending=$("$ca" list --dir "$dir/manual" | awk '$2 == "pending" {print $1; exit}')
    [ -n "$pending" ] && break
    sleep 0.1
done
[ -n "$pending" ] && pass "the manual CA holds request $pending pending" || fail "no pending request at the CA"
sleep 2.5
kill -0 "$sw_pid" 2>/dev/null && pass "strongSwan keeps polling while the request is PENDING" \
    || fail "strongSwan stopped before approval"
grep -q "pending" sw3.err && pass "strongSwan says the request is pending" || { fail "no pending in strongSwan's output"; sw <sw3.err; }
polls=$(grep -c "CertPoll" "$dir/manual/log")
[ "$polls" -ge 2 ] && pass "msim-ca answered $polls CertPolls with PENDING" || fail "CertPolls seen: $polls"
out=$("$ca" approve --dir "$dir/manual" "$pending" 2>&1)
[[ "$out" == *"approved"* ]] && pass "msim-ca approve $pending: $out" || fail "approve: $out"
wait "$sw_pid"; rc=$?
[ $rc -eq 0 ] && [ -s sw3.der ] && pass "PENDING, then issued: strongSwan got its certificate" \
    || { fail "strongSwan after approval: exit $rc"; sw <sw3.err; }
v=$(openssl verify -CAfile "$dir/manual/ca.crt" <(openssl x509 -inform DER -in sw3.der) 2>&1); rc=$?
[ $rc -eq 0 ] && pass "openssl verify accepts the approved certificate" || fail "openssl verify: $v"
# rejected
pki --gen --type rsa --size 2048 >sw4.key 2>/dev/null
timeout 60 pki --scep --url "$murl" --in sw4.key --dn "CN=reject.example.net, O=msim" --san reject.example.net \
    --password s3cret --cacert-enc sw-mca.der --cacert-sig sw-mca.der --interval 1 --maxpolltime 40 \
    >sw4.der 2>sw4.err &
sw_pid=$!
bg_pids+=("$sw_pid")
pending=""
for _ in $(seq 1 100); do
    pending=$("$ca" list --dir "$dir/manual" | awk '$2 == "pending" {print $1; exit}')
    [ -n "$pending" ] && break
    sleep 0.1
done
"$ca" reject --dir "$dir/manual" "$pending" >/dev/null 2>&1
wait "$sw_pid"; rc=$?
[ $rc -ne 0 ] && grep -q "badRequest" sw4.err && pass "msim-ca reject: strongSwan's poll gets FAILURE badRequest" \
    || { fail "after reject: exit $rc"; sw <sw4.err; }

# ---- our client (pkid's SCEP code)
mkdir -p ours bad pend
out=$(timeout 60 "$client" "$url" s3cret "CN=r1.example.net,O=msim" r1.example.net ours 2>&1); rc=$?
[ $rc -eq 0 ] && pass "our client is issued a certificate" || { fail "our client: exit $rc"; echo "$out"; }
v=$(openssl verify -CAfile "$dir/auto/ca.crt" ours/cert.pem 2>&1); rc=$?
[ $rc -eq 0 ] && pass "openssl verify accepts it" || fail "openssl verify: $v"
out=$(timeout 60 "$client" "$url" wrong "CN=r2.example.net,O=msim" r2.example.net bad 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$out" == *"failInfo: badRequest"* ]] && pass "our client: wrong password, FAILURE badRequest" \
    || { fail "our client with a wrong password: exit $rc"; echo "$out"; }
( for _ in $(seq 1 100); do
      id=$("$ca" list --dir "$dir/manual" | awk '$2 == "pending" {print $1; exit}')
      [ -n "$id" ] && { sleep 1.5; "$ca" approve --dir "$dir/manual" "$id" >/dev/null; exit 0; }
      sleep 0.1
  done ) &
bg_pids+=("$!")
out=$(timeout 60 "$client" "$murl" s3cret "CN=r3.example.net,O=msim" r3.example.net pend 2>&1); rc=$?
[ $rc -eq 0 ] && [[ "$out" == *"pending, polling"* ]] && pass "our client: PENDING, polled, then issued" \
    || { fail "our client against the manual CA: exit $rc"; echo "$out"; }

# ---- revocation and the CRL over HTTP
serial=$(openssl x509 -inform DER -in sw.der -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')
out=$("$ca" revoke --dir "$dir/auto" "$serial" --reason keyCompromise 2>&1)
[[ "$out" == *"revoked"* ]] && pass "msim-ca revoke $serial" || fail "revoke: $out"
curl -sf -o crl.der http://127.0.0.1:8480/ca.crl && pass "the CRL is served at /ca.crl" || fail "no CRL over HTTP"
v=$(openssl crl -inform DER -in crl.der -CAfile "$dir/auto/ca.crt" -noout 2>&1)
[[ "$v" == *"verify OK"* ]] && pass "its signature checks with the CA certificate" || fail "CRL signature: $v"
text=$(openssl crl -inform DER -in crl.der -noout -text)
[[ "$text" == *"Serial Number: $(echo "$serial" | tr 'a-f' 'A-F')"* && "$text" == *"Key Compromise"* ]] \
    && pass "it lists the revoked serial with its reason" || fail "CRL text: $text"
openssl crl -inform DER -in crl.der -out crl.pem
v=$(openssl verify -crl_check -CRLfile crl.pem -CAfile "$dir/auto/ca.crt" <(openssl x509 -inform DER -in sw.der) 2>&1); rc=$?
[ $rc -ne 0 ] && [[ "$v" == *"error 23"* ]] && pass "openssl verify -crl_check: certificate revoked" || fail "verify: $v"
v=$(openssl verify -crl_check -CRLfile crl.pem -CAfile "$dir/auto/ca.crt" ours/cert.pem 2>&1); rc=$?
[ $rc -eq 0 ] && pass "the other certificate still verifies against the CRL" || fail "verify: $v"
finish
