#!/usr/bin/env bash
# pki_scep interop suite: libmsim_pki's SCEP client (scep_enroll) enrolls against Debian's micromdm
# scepserver, a SCEP CA nobody on this team wrote, run on loopback inside a network namespace this script
# creates (unshare -n; the server binds every interface). Checks: the CA certificate arrives (GetCACert),
# a local certificate is issued for our request and `openssl verify` accepts it against that CA with the
# subject and subjectAltName we asked for; a wrong challenge password is rejected (FAILURE, badRequest).
# usage: run.sh SCEP_ENROLL_BINARY
set -uo pipefail
if [ -z "${MSIM_SCEP_NETNS:-}" ]; then
    exec env MSIM_SCEP_NETNS=1 unshare -n -- bash "$0" "$@"
fi
client=${1:?usage: run.sh SCEP_ENROLL_BINARY}
checks=0
failures=0
pass() { checks=$((checks + 1)); echo "ok - $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL - $*"; }
finish() {
    echo "$checks checks, $failures failed"
    [ "$failures" -eq 0 ]
    exit $?
}
dir=$(mktemp -d /tmp/msim-scep.XXXXXX)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT

for tool in scepserver openssl; do
    command -v "$tool" >/dev/null || { fail "$tool is not installed (scripts/bootstrap)"; finish; }
done
ip link set lo up || { fail "cannot bring up loopback in the namespace"; finish; }

(cd "$dir" && scepserver ca -init -depot depot -keySize 2048 -organization "msim lab" >ca-init.log 2>&1) \
    || { fail "scepserver ca -init failed"; cat "$dir/ca-init.log"; finish; }
scepserver -depot "$dir/depot" -port 8090 -challenge s3cret >"$dir/server.log" 2>&1 &
server_pid=$!
up=0
for _ in $(seq 1 50); do
    if (exec 3<>/dev/tcp/127.0.0.1/8090) 2>/dev/null; then up=1; break; fi
    sleep 0.1
done
[ $up -eq 1 ] && pass "scepserver listens on 127.0.0.1:8090" || { fail "scepserver did not start"; cat "$dir/server.log"; finish; }

url=http://127.0.0.1:8090/scep
mkdir -p "$dir/good" "$dir/bad"
out=$(timeout 60 "$client" "$url" s3cret "CN=r1.example.net,O=msim" r1.example.net "$dir/good" 2>&1); rc=$?
echo "$out" | sed 's/^/    | /'
[ $rc -eq 0 ] && pass "enrollment with the right challenge is issued" || fail "enrollment: exit $rc"
[[ "$out" == *"status: success"* ]] && pass "CertRep SUCCESS" || fail "no SUCCESS"
depot_ca=$(openssl x509 -in "$dir/depot/ca.pem" -noout -fingerprint -sha1 2>/dev/null | sed 's/.*=//' | tr 'A-F' 'a-f')
[ -n "$depot_ca" ] && [[ "$out" == *"$depot_ca"* ]] && pass "GetCACert delivered the server's CA certificate ($depot_ca)" \
    || fail "the CA certificate is not the depot's"
v=$(openssl verify -CAfile "$dir/depot/ca.pem" "$dir/good/cert.pem" 2>&1); rc=$?
[ $rc -eq 0 ] && pass "openssl verify accepts the issued certificate: $v" || fail "openssl verify: $v"
text=$(openssl x509 -in "$dir/good/cert.pem" -noout -text 2>&1)
[[ "$text" == *"CN = r1.example.net"* ]] && pass "the certificate has the requested subject" || fail "subject: $text"
[[ "$text" == *"DNS:r1.example.net"* ]] && pass "and the requested subjectAltName" || fail "no DNS:r1.example.net in the certificate"

out=$(timeout 60 "$client" "$url" wrong "CN=r2.example.net,O=msim" r2.example.net "$dir/bad" 2>&1); rc=$?
echo "$out" | sed 's/^/    | /'
[ $rc -eq 2 ] && pass "a wrong challenge password is rejected (exit 2)" || fail "wrong challenge: exit $rc"
[[ "$out" == *"failInfo: badRequest"* ]] && pass "with failInfo badRequest" || fail "no badRequest"
[ ! -e "$dir/bad/cert.pem" ] && pass "and no certificate" || fail "a certificate was written"

finish
