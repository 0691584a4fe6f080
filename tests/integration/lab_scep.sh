#!/usr/bin/env bash
# labs/two-gateways-scep.yaml: both gateways enroll their local certificates by SCEP from the lab's CA
# (msim-ca, a lab node of kind ca, manual approval), and bring up an rsa-signatures IKE tunnel with them:
# host-a pings host-b through it. The instructor's side goes through `msim lab console lab-ca` (list,
# approve, revoke); `msim lab status` lists the CA. Then the CA revokes gateway-b's certificate: gateway-a's
# pkid downloads the CRL from the certificate's distribution point and refuses it, the tunnel does not come
# back, AUTHENTICATION-FAILED is logged. `lab down` stops the CA. Needs root.
source "$(dirname "$0")/lib.sh"

LAB="$(cd "$(dirname "$0")/../.." && pwd)/labs/two-gateways-scep.yaml"
lab_preflight host-a host-b
command -v openssl >/dev/null || { echo "FAIL - openssl is missing (scripts/bootstrap installs it)"; exit 1; }
IT_HOME="$MSIM_HOME"
lab_cleanup() {
    "$MSIM" lab down >/dev/null 2>&1
    cleanup
    rm -rf "$IT_HOME"
}
trap lab_cleanup EXIT INT TERM

cli() { "$MSIM" lab console "$1" -c "$2" 2>&1; }
ca() { "$MSIM" lab console lab-ca -c "$1" 2>&1; }

out=$("$MSIM" lab up "$LAB" 2>&1); rc=$?
expect_status "the SCEP lab comes up" 0 "$rc"
[ "$rc" -eq 0 ] || { echo "$out"; finish; }
expect_contains "lab up starts the CA" "$out" "Starting CA lab-ca (http://127.0.0.1:8480/scep)"
out=$("$MSIM" lab status 2>&1)
expect_contains "lab status lists the CA" "$out" "lab-ca"
expect_contains "running, with its URL" "$out" "http://127.0.0.1:8480/scep"

# enroll GATEWAY TUNNEL-ADDRESS: CA certificate, key pair, SCEP enrollment approved by the instructor.
enroll() {
    local gw=$1 addr=$2 id=""
    out=$(cli "$gw" 'request security pki ca-certificate enroll ca-profile lab-ca; yes')
    expect_contains "$gw: the lab CA's certificate is enrolled" "$out" "CA certificate for profile lab-ca loaded successfully"
    cli "$gw" 'request security pki generate-key-pair certificate-id gw size 2048' >/dev/null
    cli "$gw" "request security pki local-certificate enroll scep ca-profile lab-ca certificate-id gw challenge-password lab-secret subject \"CN=$gw,O=msim lab\" ip-address $addr" \
        >"$IT_HOME/enroll-$gw.out" 2>&1 &
    local pid=$!
    for _ in $(seq 1 150); do
        id=$(ca list | awk '$2 == "pending" {print $1; exit}')
        [ -n "$id" ] && break
        sleep 0.1
    done
    [ -n "$id" ] && pass "$gw: its request $id waits for the instructor" || fail "$gw: no pending request"
    out=$(ca "approve $id")
    expect_contains "$gw: msim lab console lab-ca -c 'approve $id'" "$out" "approved"
    wait "$pid"
    out=$(cat "$IT_HOME/enroll-$gw.out")
    expect_contains "$gw: the local certificate is enrolled" "$out" "Local certificate gw loaded successfully"
}
enroll gateway-a 10.5.5.5
enroll gateway-b 10.6.6.6
out=$(ca list)
expect_contains "the CA lists both certificates" "$out" "CN=gateway-b, O=msim lab"

ping_recovers 40 && pass "host-a reaches host-b through the rsa-signatures tunnel" || fail "no ping through the tunnel"
out=$(cli gateway-a 'show ike security-associations detail 10.6.6.6')
expect_contains "A: the IKE SA is Matured" "$out" "State: Matured"
expect_contains "A: authenticated by RSA signatures" "$out" "RSA-signatures"
grep -q "GET /ca.crl" "$IT_HOME/lab-ca/log" && pass "pkid checked revocation with the CA's CRL" \
    || fail "nobody downloaded the CRL"

# The CA revokes gateway-b's certificate: gateway-a refuses it from now on.
serial=$(openssl x509 -in "$IT_HOME/gateway-b/var/db/certs/local/gw.crt" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')
out=$(ca "revoke $serial")
expect_contains "msim lab console lab-ca -c 'revoke $serial'" "$out" "revoked"
for gw in gateway-a gateway-b; do
    cli "$gw" 'clear ike security-associations' >/dev/null
    cli "$gw" 'clear ipsec security-associations' >/dev/null
done
# a commit empties pkid's CRL cache (the next download would otherwise wait for the refresh interval)
cli gateway-a 'configure; set security pki ca-profile lab-ca revocation-check crl refresh-interval 1; commit' >/dev/null
ping_recovers 8 && fail "traffic passed with a revoked certificate" || pass "revoked certificate: no tunnel"
logged=""
for _ in $(seq 1 20); do
    logged=$(cli gateway-a 'show log messages')
    case "$logged" in *AUTHENTICATION-FAILED*) break ;; esac
    sleep 0.5
done
expect_contains "A logs AUTHENTICATION-FAILED" "$logged" "AUTHENTICATION-FAILED"
expect_contains "because the certificate is revoked" "$logged" "revoked"

ca_pid=$(cat "$IT_HOME/lab-ca/serve.pid" 2>/dev/null)
out=$("$MSIM" lab down 2>&1)
expect_contains "lab down" "$out" "is down"
[ -n "$ca_pid" ] && ! kill -0 "$ca_pid" 2>/dev/null && pass "lab down stopped the CA" || fail "the CA still runs"
finish
