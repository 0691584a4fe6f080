#!/usr/bin/env bash
# IKE with rsa-signatures between two msim routers: labs/two-gateways-ike.yaml, then on each gateway a key
# pair made by pkid, a certificate request signed by an `openssl` CA (subjectAltName = the gateway's tunnel
# address, its IKE identity), the local certificate and the CA certificate loaded through the CLI; the IKE
# proposal switched to rsa-signatures with the policy naming the local certificate. host-a reaches host-b
# through the tunnel, `show ike security-associations detail` says RSA-signatures. Then gateway-b trusts a
# different CA: no SA, AUTHENTICATION-FAILED logged, kmd still running. Needs root.
source "$(dirname "$0")/lib.sh"

LAB="$(cd "$(dirname "$0")/../.." && pwd)/labs/two-gateways-ike.yaml"
WORK=$(mktemp -d /tmp/msim-ike-cert.XXXXXX)
lab_preflight host-a host-b
command -v openssl >/dev/null || { echo "FAIL - openssl is missing (scripts/bootstrap installs it)"; exit 1; }
IT_HOME="$MSIM_HOME"
lab_cleanup() {
    "$MSIM" lab down >/dev/null 2>&1
    rm -rf "$WORK"
    cleanup
    rm -rf "$IT_HOME"
}
trap lab_cleanup EXIT INT TERM

cli() { "$MSIM" lab console "$1" -c "$2" 2>&1; }

# Two CAs: the lab's, and another that gateway-b is made to trust in the second half.
make_ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/$1.key" -out "$WORK/$1.crt" -days 30 \
        -subj "/O=msim lab/CN=$1" >/dev/null 2>&1
}
make_ca lab-ca && make_ca other-ca || { fail "openssl could not make the CAs"; finish; }

out=$("$MSIM" lab up "$LAB" 2>&1); rc=$?
expect_status "the IKE lab comes up" 0 "$rc"
[ "$rc" -eq 0 ] || { echo "$out"; finish; }

# enroll GATEWAY TUNNEL-ADDRESS CA: key pair, CSR, signed by CA, loaded with the CA certificate.
enroll() {
    local gw=$1 addr=$2 ca=$3 tmp="$MSIM_HOME/$1/var/tmp"
    cli "$gw" 'request security pki generate-key-pair certificate-id gw size 2048' >/dev/null
    out=$(cli "$gw" "request security pki generate-certificate-request certificate-id gw subject \"CN=$gw,O=msim lab\" ip-address $addr filename gw.csr")
    [ -f "$tmp/gw.csr" ] || { fail "$gw: no certificate request: $out"; return 1; }
    openssl x509 -req -in "$tmp/gw.csr" -CA "$WORK/$ca.crt" -CAkey "$WORK/$ca.key" -CAcreateserial \
        -out "$tmp/gw.crt" -days 10 -copy_extensions copy >/dev/null 2>&1 || { fail "$gw: openssl x509 -req failed"; return 1; }
    cp "$WORK/$ca.crt" "$tmp/ca.crt"
    out=$(cli "$gw" 'configure; set security pki ca-profile lab-ca ca-identity lab-ca; set security pki ca-profile lab-ca revocation-check disable; commit')
    expect_contains "$gw: the CA profile commits" "$out" "commit complete"
    out=$(cli "$gw" 'request security pki ca-certificate load ca-profile lab-ca filename ca.crt; yes')
    expect_contains "$gw: the CA certificate loads" "$out" "loaded successfully"
    out=$(cli "$gw" 'request security pki local-certificate load certificate-id gw filename gw.crt')
    expect_contains "$gw: the local certificate loads" "$out" "loaded successfully"
}
# use_signatures GATEWAY PEER: rsa-signatures in the IKE proposal, the policy names the local certificate.
use_signatures() {
    out=$(cli "$1" "configure; set security ike proposal ike-proposal authentication-method rsa-signatures; delete security ike policy $2 pre-shared-key; set security ike policy $2 local-certificate gw; commit")
    expect_contains "$1: rsa-signatures commit" "$out" "commit complete"
}

enroll gateway-a 10.5.5.5 lab-ca
enroll gateway-b 10.6.6.6 lab-ca
use_signatures gateway-a 10.6.6.6
use_signatures gateway-b 10.5.5.5
out=$(cli gateway-a 'configure; delete security ike policy 10.6.6.6 local-certificate; commit')
expect_contains "a signature policy without local-certificate is refused" "$out" "local-certificate must be configured: proposal ike-proposal uses authentication-method rsa-signatures"

ping_recovers 40 && pass "host-a reaches host-b through the rsa-signatures tunnel" || fail "no ping through the rsa-signatures tunnel"
out=$(cli gateway-a 'show ike security-associations detail 10.6.6.6')
expect_contains "A: the IKE SA is Matured" "$out" "State: Matured"
expect_contains "A: authenticated by RSA signatures" "$out" "RSA-signatures"
out=$(cli gateway-b 'show ike security-associations')
expect_contains "B: the IKE SA with A is Matured" "$out" "10.5.5.5        Matured"
out=$(cli gateway-a 'show ipsec security-associations')
expect_contains "A: sa-dyn is up" "$out" "Security association: sa-dyn, Interface family: Up"

# gateway-b now trusts only other-ca: gateway-a's certificate does not validate there.
kmd_b=$(daemon_pid gateway-b kmd)
cli gateway-a 'clear ike security-associations' >/dev/null
cli gateway-a 'clear ipsec security-associations' >/dev/null
cli gateway-b 'clear ike security-associations' >/dev/null
cli gateway-b 'clear ipsec security-associations' >/dev/null
cp "$WORK/other-ca.crt" "$MSIM_HOME/gateway-b/var/tmp/other.crt"
cli gateway-b 'clear security pki ca-certificate ca-profile lab-ca' >/dev/null
out=$(cli gateway-b 'request security pki ca-certificate load ca-profile lab-ca filename other.crt; yes')
expect_contains "B: another CA certificate loads" "$out" "loaded successfully"
ping_recovers 8 && fail "traffic passed although B does not trust A's CA" || pass "untrusted CA: no traffic"
logged=""
for _ in $(seq 1 20); do
    logged=$(cli gateway-b 'show log messages')
    case "$logged" in *AUTHENTICATION-FAILED*) break ;; esac
    sleep 0.5
done
expect_contains "B logs AUTHENTICATION-FAILED" "$logged" "AUTHENTICATION-FAILED"
[ -n "$kmd_b" ] && [ "$(daemon_pid gateway-b kmd)" = "$kmd_b" ] && pass "B's kmd did not crash" || fail "B's kmd restarted"

out=$("$MSIM" lab down 2>&1)
expect_contains "lab down" "$out" "is down"
finish
