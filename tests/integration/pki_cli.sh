#!/usr/bin/env bash
# pkid through `msim cli` on a real router: key pair, certificate request checked by openssl, signed by an
# openssl CA and loaded back; the CA certificate loaded with its fingerprint and a yes/no confirmation; a
# CRL from `openssl ca -gencrl`; show outputs and `| display xml`; wrong files and a certificate for another
# key refused with clear errors; commit-time checks of security certificates; private keys 0600 and never
# printed; a pkid restart keeps everything; the M-series `request security key-pair`.
source "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || { fail "openssl is not installed"; finish; }
"$MSIM" start --router r1 >/dev/null 2>&1 || { fail "router did not start"; finish; }
cli() { "$MSIM" cli --router r1 "$@" 2>&1; }
R=$MSIM_HOME/r1
T=$R/var/tmp
ALL=$MSIM_HOME/all-output # everything the CLI printed, checked for private keys at the end
run() {
    local o rc
    o=$(cli "$@")
    rc=$?
    printf '%s\n' "$o" >>"$ALL"
    printf '%s' "$o"
    return $rc
}

out=$(run -c 'configure; set security pki ca-profile lab ca-identity lab.example.net; commit'); rc=$?
expect_status "a CA profile commits" 0 "$rc"

# Key pair and certificate request.
out=$(run -c 'request security pki generate-key-pair certificate-id r1 size 2048'); rc=$?
expect_status "generate-key-pair succeeds" 0 "$rc"
expect_contains "generate-key-pair says so" "$out" "Generated key pair r1, key size 2048 bits"
mode=$(stat -c %a "$R/var/db/certs/keys/r1.key" 2>/dev/null)
expect_status "the private key is mode 0600" 600 "$mode"
out=$(run -c 'request security pki generate-key-pair certificate-id r1'); rc=$?
expect_status "a second key pair with the same id fails" 1 "$rc"

out=$(run -c 'request security pki generate-certificate-request certificate-id r1 subject "CN=r1.example.net,OU=IT,O=Example,L=Delhi,ST=DL,C=IN" domain-name r1.example.net ip-address 10.1.1.1 email r1@example.net filename r1.csr'); rc=$?
expect_status "generate-certificate-request succeeds" 0 "$rc"
expect_contains "the PEM request is printed" "$out" "-----BEGIN CERTIFICATE REQUEST-----"
[ -f "$T/r1.csr" ] && pass "the request is written to var/tmp/r1.csr" || fail "no var/tmp/r1.csr"
verify=$(openssl req -in "$T/r1.csr" -verify -noout 2>&1)
expect_contains "openssl req -verify: the request's signature is good" "$verify" "verify OK"
text=$(openssl req -in "$T/r1.csr" -noout -text 2>&1)
expect_contains "the request carries the subject" "$text" "CN = r1.example.net, OU = IT, O = Example, L = Delhi, ST = DL, C = IN"
expect_contains "and the subjectAltNames" "$text" "DNS:r1.example.net, IP Address:10.1.1.1, email:r1@example.net"
sha1=$(openssl req -in "$T/r1.csr" -outform DER | openssl dgst -sha1 -r | cut -c1-40 | sed 's/../&:/g; s/:$//')
expect_contains "the SHA-1 fingerprint is that of the DER request" "$out" "$sha1 (sha1)"
out=$(run -c 'request security pki generate-certificate-request certificate-id r1 subject CN=x domain-name x.net filename /../../etc/r1.csr'); rc=$?
expect_status "a file name outside the router fails" 1 "$rc"
expect_contains "with a clear error" "$out" "could not resolve file"

# An openssl CA signs the request.
(
    cd "$T" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=Lab CA/O=Example" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign
    openssl x509 -req -in r1.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out r1.crt -days 10 -copy_extensions copy
    openssl req -newkey rsa:1024 -nodes -keyout other.key -out other.csr -subj "/CN=other"
    openssl x509 -req -in other.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out other.crt -days 10
    printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\ncrlnumber=%s/crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n' "$T" "$T" >ca.cnf
    : >index.txt
    echo 01 >crlnumber
    openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.crt -out ca.crl
    openssl crl -in ca.crl -outform DER -out ca-crl.der
    echo "not a certificate" >junk.crt
) >/dev/null 2>&1 || fail "openssl CA setup failed"

# The CA certificate: fingerprint, then the question; "no" loads nothing, "yes" loads it.
ca_sha1=$(openssl x509 -in "$T/ca.crt" -noout -fingerprint -sha1 | sed 's/.*=//' | tr 'A-F' 'a-f')
out=$(printf 'request security pki ca-certificate load ca-profile lab filename ca.crt\nno\n' | run); rc=$?
expect_contains "the CA fingerprint is shown" "$out" "  $ca_sha1 (sha1)"
expect_contains "the operator is asked" "$out" "Do you want to load this CA certificate ? [yes,no] (no) no"
expect_not_contains "answering no loads nothing" "$out" "loaded successfully"
[ ! -e "$R/var/db/certs/ca/lab.crt" ] && pass "no CA certificate stored after no" || fail "CA stored after no"
out=$(run -c 'request security pki ca-certificate load ca-profile lab filename ca.crt; yes'); rc=$?
expect_status "the CA load with yes succeeds" 0 "$rc"
expect_contains "the CA certificate is loaded" "$out" "CA certificate for profile lab loaded successfully"
out=$(run -c 'request security pki ca-certificate load ca-profile nosuch filename ca.crt; yes'); rc=$?
expect_contains "an unconfigured CA profile is refused" "$out" "CA profile nosuch is not configured"

# The local certificate: a certificate for another key, junk and missing files are refused.
out=$(run -c 'request security pki local-certificate load certificate-id r1 filename other.crt'); rc=$?
expect_status "a certificate for another key fails" 1 "$rc"
expect_contains "and says why" "$out" "does not match the key pair of certificate-id r1"
out=$(run -c 'request security pki local-certificate load certificate-id r1 filename junk.crt'); rc=$?
expect_status "a file that is no certificate fails" 1 "$rc"
out=$(run -c 'request security pki local-certificate load certificate-id r1 filename nothere.crt'); rc=$?
expect_contains "a missing file is named" "$out" "file nothere.crt does not exist"
out=$(run -c 'request security pki local-certificate load certificate-id r1 filename r1.crt'); rc=$?
expect_status "the CA-signed certificate loads" 0 "$rc"
expect_contains "and says so" "$out" "Local certificate loaded successfully"
out=$(run -c 'request security pki local-certificate verify certificate-id r1'); rc=$?
expect_status "without a CRL verification fails (revocation check is on by default)" 1 "$rc"
expect_contains "and says why" "$out" "no CRL available for revocation check"

# The CRL.
out=$(run -c 'request security pki crl load ca-profile lab filename ca-crl.der'); rc=$?
expect_status "the openssl CRL loads (DER)" 0 "$rc"
expect_contains "and says so" "$out" "CRL for CA profile lab loaded successfully"
out=$(run -c 'request security pki crl load ca-profile lab filename r1.crt'); rc=$?
expect_status "a certificate is not a CRL" 1 "$rc"
out=$(run -c 'request security pki local-certificate verify certificate-id r1')
expect_contains "with the CRL the certificate verifies against the loaded CA" "$out" "Local certificate r1 verification success"

# Show outputs.
r1_sha1=$(openssl x509 -in "$T/r1.crt" -noout -fingerprint -sha1 | sed 's/.*=//' | tr 'A-F' 'a-f')
out=$(run -c 'show security pki local-certificate')
expect_contains "show local-certificate (brief)" "$out" "  Issued to: r1.example.net, Issued by: CN = Lab CA, O = Example"
out=$(run -c 'show security pki local-certificate certificate-id r1 detail')
expect_contains "detail: subject string" "$out" "    CN=r1.example.net, OU=IT, O=Example, L=Delhi, ST=DL, C=IN"
expect_contains "detail: alternate subject" "$out" "  Alternate subject: \"r1@example.net\", \"r1.example.net\", 10.1.1.1"
expect_contains "detail: fingerprint as openssl computes it" "$out" "    $r1_sha1 (sha1)"
out=$(run -c 'show security pki ca-certificate ca-profile lab detail')
expect_contains "show ca-certificate" "$out" "  Use for key: CRL signing, Certificate signing"
out=$(run -c 'show security pki crl detail')
expect_contains "show crl" "$out" "CRL issuer: CN = Lab CA, O = Example"
out=$(run -c 'show security pki certificate-request certificate-id r1')
expect_contains "show certificate-request" "$out" "  Public key verification status: Passed"
out=$(run -c 'show security pki local-certificate | display xml')
expect_contains "| display xml uses the Junos elements" "$out" "<pkid-x509-certificate-information>"
expect_contains "| display xml: public-key-length" "$out" "<public-key-length>2048</public-key-length>"

# Commit-time checks: a load-key-file that does not exist fails the commit and changes nothing.
out=$(run -c 'configure; set security certificates local ssl load-key-file missing.pem; commit'); rc=$?
expect_status "a missing load-key-file fails the commit" 1 "$rc"
expect_contains "the error names the file" "$out" "load-key-file missing.pem: file missing.pem does not exist"
expect_contains "check-out failed" "$out" "error: configuration check-out failed"
cat "$T/r1.crt" "$R/var/db/certs/keys/r1.key" >"$T/ssl.pem"
out=$(run -c 'configure; set security certificates local ssl load-key-file ssl.pem; commit'); rc=$?
expect_status "an existing matching load-key-file commits" 0 "$rc"

# The M-series key pair file.
out=$(run -c 'request security key-pair batt'); rc=$?
expect_contains "request security key-pair" "$out" "Generated key pair, key size 1024, file batt Algorithm RSA"
mode=$(stat -c %a "$R/var/etc/ikecert/batt" 2>/dev/null)
expect_status "the key pair file is mode 0600" 600 "$mode"
out=$(run -c 'request security certificate enroll filename l subject c=uk,o=london'); rc=$?
expect_status "M-series enrollment without a certification-authority is refused" 1 "$rc"
expect_contains "naming what is missing" "$out" "missing argument: certification-authority"

# A pkid restart keeps everything.
old=$(daemon_pid r1 pkid)
kill -9 "$old"
new=""
for _ in $(seq 100); do # init restarts it after 0.2 s; bounded to 10 s
    new=$(daemon_pid r1 pkid)
    [ -n "$new" ] && [ "$new" != "$old" ] && break
    sleep 0.1
done
[ -n "$new" ] && [ "$new" != "$old" ] && pass "init restarted pkid" || fail "pkid was not restarted"
wait_for 10 "$MSIM" cli --router r1 -c 'show security pki ca-certificate' || true
out=$(run -c 'show security pki local-certificate; show security pki ca-certificate; show security pki crl; show security pki certificate-request')
expect_contains "after a restart: local certificate" "$out" "Certificate identifier: r1"
expect_contains "after a restart: CA certificate" "$out" "Certificate identifier: lab"
expect_contains "after a restart: CRL" "$out" "CA profile: lab"
out=$(run -c 'request security pki local-certificate verify certificate-id r1')
expect_contains "after a restart: the certificate still verifies" "$out" "verification success"

# Private keys never appear in any output.
all_output=$(cat "$ALL")
expect_contains "the output log holds what the CLI printed" "$all_output" "Generated key pair r1"
expect_not_contains "no private key in any CLI output" "$all_output" "PRIVATE KEY"
key_line=$(sed -n 2p "$R/var/db/certs/keys/r1.key")
expect_not_contains "not even a line of it" "$all_output" "$key_line"

finish
