#!/usr/bin/env bash
# SCEP enrollment through `msim cli` on a real router, against Debian's micromdm scepserver as the CA, both
# in a network namespace of their own (unshare -n, loopback only): `request security pki ca-certificate
# enroll` (fingerprint + yes/no), `request security pki local-certificate enroll scep` with the challenge
# password (the issued certificate is stored, shown, and `openssl verify` accepts it against the CA), a
# wrong challenge password refused with a clear error, and pkid answering other requests meanwhile. Then
# the M-series forms (seed 002): `request security certificate enroll` for the CA certificate and for a
# local certificate from a `request security key-pair` file, results in var/etc/ikecert, outcome in the kmd
# log.
if [ -z "${MSIM_PKI_NETNS:-}" ]; then
    exec env MSIM_PKI_NETNS=1 unshare -n -- bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

ip link set lo up || { fail "cannot bring up loopback in the namespace"; finish; }
for tool in openssl scepserver; do
    command -v "$tool" >/dev/null || { fail "$tool is not installed (scripts/bootstrap)"; finish; }
done
SRV=$MSIM_HOME/scep
mkdir -p "$SRV"
server_pid=
open_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -n "$open_pid" ] && kill "$open_pid" 2>/dev/null; cleanup' EXIT
(cd "$SRV" && scepserver ca -init -depot depot -keySize 2048 -organization "msim lab" >ca-init.log 2>&1) \
    || { fail "scepserver ca -init failed"; finish; }
scepserver -depot "$SRV/depot" -port 8090 -challenge s3cret >"$SRV/server.log" 2>&1 &
server_pid=$!
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/8090" && pass "scepserver listens on 127.0.0.1:8090" \
    || { fail "scepserver did not start"; finish; }

"$MSIM" start --router r1 >/dev/null 2>&1 || { fail "router did not start"; finish; }
cli() { "$MSIM" cli --router r1 "$@" 2>&1; }
R=$MSIM_HOME/r1

out=$(cli -c 'configure; set security pki ca-profile scep ca-identity msim; set security pki ca-profile scep enrollment url http://127.0.0.1:8090/scep; commit'); rc=$?
expect_status "a CA profile with an enrollment url commits" 0 "$rc"

ca_sha1=$(openssl x509 -in "$SRV/depot/ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//' | tr 'A-F' 'a-f')
out=$(cli -c 'request security pki ca-certificate enroll ca-profile scep; no'); rc=$?
expect_contains "ca-certificate enroll shows the CA's fingerprint" "$out" "  $ca_sha1 (sha1)"
[ ! -e "$R/var/db/certs/ca/scep.crt" ] && pass "answering no stores nothing" || fail "CA stored after no"
out=$(cli -c 'request security pki ca-certificate enroll ca-profile scep; yes'); rc=$?
expect_status "ca-certificate enroll with yes succeeds" 0 "$rc"
expect_contains "and says so" "$out" "CA certificate for profile scep loaded successfully"
cmp -s <(openssl x509 -in "$R/var/db/certs/ca/scep.crt" -outform DER) <(openssl x509 -in "$SRV/depot/ca.pem" -outform DER) \
    && pass "the stored CA certificate is the scepserver's" || fail "the stored CA certificate differs"

out=$(cli -c 'request security pki generate-key-pair certificate-id r1 size 2048'); rc=$?
expect_status "key pair" 0 "$rc"
start=$SECONDS
out=$(cli -c 'request security pki local-certificate enroll scep ca-profile scep certificate-id r1 challenge-password s3cret subject "CN=r1.example.net,O=msim" domain-name r1.example.net'); rc=$?
expect_status "local-certificate enroll succeeds" 0 "$rc"
expect_contains "the result is shown" "$out" "Local certificate r1 loaded successfully"
echo "    (enrollment took $((SECONDS - start)) s)"
v=$(openssl verify -CAfile "$SRV/depot/ca.pem" "$R/var/db/certs/local/r1.crt" 2>&1); rc=$?
expect_status "openssl verify accepts the enrolled certificate ($v)" 0 "$rc"
text=$(openssl x509 -in "$R/var/db/certs/local/r1.crt" -noout -text 2>&1)
expect_contains "with the requested subject" "$text" "CN = r1.example.net"
expect_contains "and subjectAltName" "$text" "DNS:r1.example.net"
out=$(cli -c 'show security pki local-certificate certificate-id r1'); rc=$?
expect_contains "show lists it" "$out" "Certificate identifier: r1"
out=$(cli -c 'request security pki local-certificate verify certificate-id r1'); rc=$?
expect_contains "pkid's verify fails closed: scepserver publishes no CRL" "$out" "no CRL available"
out=$(cli -c 'configure; set security pki ca-profile scep revocation-check disable; commit; run request security pki local-certificate verify certificate-id r1'); rc=$?
expect_contains "without revocation checks pkid verifies it against the enrolled CA" "$out" "verification success"

out=$(cli -c 'request security pki generate-key-pair certificate-id r2 size 2048'); rc=$?
out=$(cli -c 'request security pki local-certificate enroll scep ca-profile scep certificate-id r2 challenge-password wrong subject "CN=r2.example.net,O=msim" domain-name r2.example.net'); rc=$?
expect_status "a wrong challenge password fails" 1 "$rc"
expect_contains "with a clear error" "$out" "rejected by the CA (failInfo badRequest); check the challenge password"
[ ! -e "$R/var/db/certs/local/r2.crt" ] && pass "and no certificate is stored" || fail "r2 stored"
out=$(cli -c 'request security pki local-certificate enroll scep ca-profile scep certificate-id nokey challenge-password s3cret subject CN=x domain-name x.net'); rc=$?
expect_status "enrolling without a key pair fails" 1 "$rc"

# ---- The M-series forms (seed 002): `request security certificate enroll`, results in var/etc/ikecert,
# progress and outcome in the kmd log. They send no challenge password: a second scepserver on the same
# depot without -challenge plays that CA.
scepserver -depot "$SRV/depot" -port 8091 >"$SRV/server-open.log" 2>&1 &
open_pid=$!
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/8091" || { fail "the second scepserver did not start"; finish; }
IKECERT=$R/var/etc/ikecert
out=$(cli -c 'request security certificate enroll filename ca_lab ca-file lab ca-name msim url http://127.0.0.1:8091/scep'); rc=$?
expect_status "M-series CA enroll starts" 0 "$rc"
expect_contains "it echoes the parameters" "$out" "URL: http://127.0.0.1:8091/scep CA name: msim CA file: lab Encoding: binary"
expect_contains "and points to the kmd log" "$out" "the key management process (kmd) log file at /var/log/kmd."
wait_for 15 test -s "$IKECERT/ca_lab" && pass "the CA certificate lands in var/etc/ikecert/ca_lab" || fail "no var/etc/ikecert/ca_lab"
cmp -s "$IKECERT/ca_lab" <(openssl x509 -in "$SRV/depot/ca.pem" -outform DER) \
    && pass "binary encoding: the scepserver's CA certificate in DER" || fail "ca_lab is not the CA's DER certificate"
wait_for 5 grep -q "received CA certificate" "$R/var/log/kmd"
expect_contains "show log kmd reports the CA certificate" "$(cli -c 'show log kmd')" "CA certificate enrollment: received CA certificate"
out=$(cli -c 'request security key-pair host-1 size 2048'); rc=$?
expect_status "request security key-pair host-1" 0 "$rc"
out=$(cli -c 'configure; set security certificates enrollment-retry 2; set security certificates certification-authority lab ca-name msim; set security certificates certification-authority lab file ca_lab; set security certificates certification-authority lab enrollment-url http://127.0.0.1:8091/scep; commit'); rc=$?
expect_status "a certification-authority naming the enrolled CA file commits" 0 "$rc"
out=$(cli -c 'request security certificate enroll filename host.crt subject c=us,o=msim,cn=host alternative-subject 10.50.1.4 certification-authority lab key-file host-1 domain-name host.example.net encoding pem'); rc=$?
expect_status "M-series local enroll starts" 0 "$rc"
expect_contains "it echoes the key pair" "$out" "local pub/private key pair: host-1"
expect_contains "and the subject" "$out" "subject: c=us,o=msim,cn=host domain name: host.example.net"
expect_contains "and the alternative subject" "$out" "alternative subject: 10.50.1.4"
# Wait for the outcome line, not the progress lines ("Sending the certificate request ...") before it.
wait_for 30 grep -Eq "Local certificate enrollment (succeeded|failed|rejected|still pending)" "$R/var/log/kmd"
log=$(cli -c 'show log kmd')
expect_contains "the kmd log says the enrollment succeeded" "$log" "Local certificate enrollment succeeded"
v=$(openssl verify -CAfile "$SRV/depot/ca.pem" "$IKECERT/host.crt" 2>&1); rc=$?
expect_status "encoding pem: openssl verify accepts var/etc/ikecert/host.crt ($v)" 0 "$rc"
text=$(openssl x509 -in "$IKECERT/host.crt" -noout -text 2>&1)
expect_contains "it carries the alternative subject" "$text" "IP Address:10.50.1.4"
expect_contains "and the domain name" "$text" "DNS:host.example.net"
[ "$(openssl x509 -in "$IKECERT/host.crt" -noout -pubkey)" = "$(openssl pkey -in "$IKECERT/host-1" -pubout)" ] \
    && pass "the certificate is for the key pair in host-1" || fail "the certificate's key is not host-1's"
out=$(cli -c 'request security certificate enroll filename x.crt subject c=us,o=x certification-authority lab key-file nokey'); rc=$?
expect_status "a missing key file is refused at once" 1 "$rc"
expect_contains "with the reason" "$out" "key file nokey does not exist"
out=$(cli -c 'request security certificate enroll filename x.crt subject c=us,o=x certification-authority nope key-file host-1'); rc=$?
expect_contains "an unknown certification-authority is refused" "$out" "certification-authority nope is not configured"
out=$(cli -c 'request security certificate enroll filename y ca-name msim url http://127.0.0.1:8091/scep'); rc=$?
expect_status "the CA form without ca-file is refused" 1 "$rc"

out=$(cli -c 'show version'); rc=$?
expect_status "the router still answers" 0 "$rc"
finish
