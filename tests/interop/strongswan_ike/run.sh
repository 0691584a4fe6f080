#!/usr/bin/env bash
# IKEv1 interop with strongSwan (Debian's charon, kernel-libipsec, driven by swanctl) — an IKE
# implementation nobody on this team wrote — as a real host behind a TAP wire of an msim router:
#
#   host-a ---- fe-0/0/1 [gateway-a] fe-0/0/0 ===== IKE + ESP-in-UDP ===== eth0 [sw: charon]
#   10.1.1.10   10.1.1.1            10.0.0.1/30                           10.0.0.2/30, lo 10.2.2.10
#
# gateway-a protects 10.1.1.0/24 <-> 10.2.2.0/24 with the dynamic SA sa-dyn (es-0/1/0.0, tunnel 10.0.0.1 ->
# 10.0.0.2); charon protects the same pair of subnets. Cases, each with traffic both ways through the
# tunnel: main mode PSK 3des/sha1/group2 + PFS with msim responding and msim initiating (the first packet
# host-a sends triggers the negotiation), aggressive mode, des/md5/group1 without PFS; a wrong pre-shared
# key and an IKE proposal mismatch fail cleanly on both sides; msim's proposal order decides among several
# (strongSwan's rw-multi-ciphers); aggressive mode with an FQDN identity (rw-psk-fqdn, rw-psk-aggressive);
# rsa-signatures with certificates from an `openssl` CA (a pkid key pair and CSR on the router) in main mode
# both ways and aggressive mode (net2net-cert, rw-cert, rw-cert-aggressive), and a certificate from a CA
# msim does not trust fails cleanly; an IKE SA in use is renegotiated before it expires, traffic never
# stopping. tshark decodes every ISAKMP message of a capture without a malformed
# packet. The strongSwan scenarios covered, and those that do not apply, are listed in
# tests/interop/strongswan_ike/README.md. Needs root (namespaces, TAP).
source "$(dirname "$0")/../../integration/lib.sh"

WORK=$(mktemp -d /tmp/msim-sw-it.XXXXXX)
if [ "$(id -u)" -ne 0 ]; then
    echo "FAIL - network namespaces need root"
    exit 1
fi
for tool in /usr/lib/ipsec/charon swanctl tshark openssl; do
    command -v "$tool" >/dev/null || { echo "FAIL - $tool is missing (scripts/bootstrap installs strongSwan and tshark)"; exit 1; }
done
for ns in host-a sw; do
    if [ -e "/var/run/netns/$ns" ]; then
        echo "FAIL - network namespace $ns already exists (another lab is up on this machine); not touching it"
        exit 1
    fi
done
capture_pid=""
sw_cleanup() {
    [ -n "$capture_pid" ] && kill -INT "$capture_pid" 2>/dev/null
    local pids
    pids=$(ip netns pids sw 2>/dev/null)
    [ -n "$pids" ] && kill $pids 2>/dev/null
    sleep 0.3
    pids=$(ip netns pids sw 2>/dev/null)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
    "$MSIM" lab down >/dev/null 2>&1
    rm -rf "$WORK"
    cleanup
}
trap sw_cleanup EXIT

cli_a() { "$MSIM" lab console gateway-a -c "$1" 2>&1; }
vici="unix://$WORK/charon.vici"
sw() { ip netns exec sw "$@"; }
swanctl_() { swanctl "$@" --uri "$vici" 2>&1; }

# ---------------------------------------------------------------- the lab
cat >"$WORK/lab.yaml" <<'YAML'
name: strongswan-interop
topology:
  nodes:
    gateway-a:
      kind: router
      chassis: m10
      pics: { 0/0: 4x-fe, 0/1: es, 1/0: as, 1/1: 1x-ge }
      startup-config: |
        system {
            host-name gateway-a;
        }
        interfaces {
            fe-0/0/0 {
                unit 0 {
                    family inet {
                        address 10.0.0.1/30;
                    }
                }
            }
            fe-0/0/1 {
                unit 0 {
                    family inet {
                        filter {
                            input ipsec-encrypt-policy-filter;
                        }
                        address 10.1.1.1/24;
                    }
                }
            }
            es-0/1/0 {
                unit 0 {
                    tunnel {
                        source 10.0.0.1;
                        destination 10.0.0.2;
                    }
                    family inet {
                        filter {
                            input ipsec-decrypt-policy-filter;
                        }
                        ipsec-sa sa-dyn;
                        address 10.1.1.8/32 {
                            destination 10.1.1.9;
                        }
                    }
                }
            }
        }
        security {
            ike {
                proposal ike-3des-sha1-g2 {
                    authentication-method pre-shared-keys;
                    dh-group group2;
                    authentication-algorithm sha1;
                    encryption-algorithm 3des-cbc;
                }
                proposal ike-des-md5-g1 {
                    authentication-method pre-shared-keys;
                    dh-group group1;
                    authentication-algorithm md5;
                    encryption-algorithm des-cbc;
                }
                policy 10.0.0.2 {
                    mode main;
                    proposals ike-3des-sha1-g2;
                    pre-shared-key ascii-text interop-secret;
                }
            }
            ipsec {
                proposal esp-3des-sha1 {
                    protocol esp;
                    authentication-algorithm hmac-sha1-96;
                    encryption-algorithm 3des-cbc;
                }
                proposal esp-des-md5 {
                    protocol esp;
                    authentication-algorithm hmac-md5-96;
                    encryption-algorithm des-cbc;
                }
                policy ipsec-policy {
                    perfect-forward-secrecy {
                        keys group2;
                    }
                    proposals esp-3des-sha1;
                }
                security-association sa-dyn {
                    dynamic {
                        replay-window-size 64;
                        ipsec-policy ipsec-policy;
                    }
                }
            }
        }
        firewall {
            filter ipsec-encrypt-policy-filter {
                term term1 {
                    from {
                        source-address {
                            10.1.1.0/24;
                        }
                        destination-address {
                            10.2.2.0/24;
                        }
                    }
                    then ipsec-sa sa-dyn;
                }
                term default {
                    then accept;
                }
            }
            filter ipsec-decrypt-policy-filter {
                term term1 {
                    from {
                        source-address {
                            10.2.2.0/24;
                        }
                        destination-address {
                            10.1.1.0/24;
                        }
                    }
                    then accept;
                }
            }
        }
    host-a:
      kind: host
      address: 10.1.1.10/24
      gateway: 10.1.1.1
    sw:
      kind: host
      address: 10.0.0.2/30
      gateway: 10.0.0.1
  links:
    - endpoints: ["gateway-a:fe-0/0/1", "host-a:eth0"]
    - endpoints: ["gateway-a:fe-0/0/0", "sw:eth0"]
YAML

out=$("$MSIM" lab up "$WORK/lab.yaml" 2>&1); rc=$?
expect_status "the strongSwan lab comes up" 0 "$rc"
[ "$rc" -eq 0 ] || { echo "$out"; finish; }
sw ip addr add 10.2.2.10/32 dev lo

# ---------------------------------------------------------------- charon in the sw namespace
cat >"$WORK/strongswan.conf" <<EOF2
charon {
  load_modular = no
  load = random nonce openssl gmp md5 sha1 sha2 hmac aes pem pkcs1 pkcs8 x509 pubkey revocation constraints kernel-libipsec kernel-netlink socket-default vici updown
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  retransmit_tries = 3
  retransmit_timeout = 2
  plugins {
    vici {
      socket = $vici
    }
  }
  filelog {
    charon-log {
      path = $WORK/charon.log
      default = 1
      ike = 2
      flush_line = yes
    }
  }
}
EOF2
sw sh -c "mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$WORK/strongswan.conf exec /usr/lib/ipsec/charon" \
    >"$WORK/charon.out" 2>&1 &
wait_for 10 test -S "$WORK/charon.vici" && pass "charon runs in the sw namespace" || fail "charon did not start"

# swanctl.conf for one case: IKE proposal, ESP proposal, aggressive yes/no, secret, and optionally charon's
# identity (default its address) or, with SW_AUTH=pubkey, certificate authentication with x509/$SW_CERT.
write_swanctl() {
    local sw_id=${5:-10.0.0.2} local_auth remote_auth
    if [ "${SW_AUTH:-psk}" = pubkey ]; then
        local_auth="auth = pubkey
      certs = ${SW_CERT:-sw.crt}"
        remote_auth="auth = pubkey"
    else
        local_auth="auth = psk"
        remote_auth="auth = psk"
    fi
    cat >"$WORK/swanctl.conf" <<EOF2
connections {
  gw {
    version = 1
    aggressive = $3
    local_addrs = 10.0.0.2
    remote_addrs = 10.0.0.1
    proposals = $1
    local {
      $local_auth
      id = $sw_id
    }
    remote {
      $remote_auth
      id = 10.0.0.1
    }
    children {
      net {
        local_ts = 10.2.2.0/24
        remote_ts = 10.1.1.0/24
        esp_proposals = $2
        mode = tunnel
      }
    }
  }
}
secrets {
  ike-gw {
    id-1 = 10.0.0.1
    id-2 = $sw_id
    secret = "$4"
  }
}
EOF2
    swanctl_ --load-all --clear --file "$WORK/swanctl.conf" >"$WORK/swanctl-load.log"
}
# reset: no SA on either side, before the next case.
reset_sas() {
    swanctl_ --terminate --ike gw --timeout 5 >/dev/null
    cli_a 'clear ike security-associations' >/dev/null
    cli_a 'clear ipsec security-associations' >/dev/null
    sleep 1
}
# Traffic both ways through the tunnel: host-a -> 10.2.2.10 (sw's protected address) and back.
ping_through() {
    local deadline=$((SECONDS + ${1:-20}))
    while [ $SECONDS -lt $deadline ]; do
        ip netns exec host-a ping -c 1 -W 1 10.2.2.10 >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}
ping_from_sw() { sw ping -c 2 -W 1 -I 10.2.2.10 10.1.1.10 >/dev/null 2>&1; }
# configure gateway-a: IKE proposal, mode, IPsec proposal, PFS group or "none", pre-shared key.
configure_a() {
    local pfs
    if [ "$4" = none ]; then
        pfs="delete security ipsec policy ipsec-policy perfect-forward-secrecy"
    else
        pfs="set security ipsec policy ipsec-policy perfect-forward-secrecy keys $4"
    fi
    # (set on a leaf-list adds to it, as in Junos: the lists are replaced, not extended)
    cli_a "configure
delete security ike policy 10.0.0.2 proposals
delete security ipsec policy ipsec-policy proposals
set security ike policy 10.0.0.2 proposals [ $1 ]
set security ike policy 10.0.0.2 mode $2
set security ipsec policy ipsec-policy proposals [ $3 ]
$pfs
set security ike policy 10.0.0.2 pre-shared-key ascii-text $5
commit and-quit"
}

"$MSIM" lab capture gateway-a:fe-0/0/0 "$WORK/ike.pcap" >"$WORK/capture.log" 2>&1 &
capture_pid=$!
sleep 1

# ---------------------------------------------------------------- 1. main mode, msim responds
write_swanctl 3des-sha1-modp1024 3des-sha1-modp1024 no interop-secret
out=$(swanctl_ --initiate --child net --timeout 30); rc=$?
expect_status "main mode 3des/sha1/group2 + PFS, msim responding: charon's child SA is up" 0 "$rc"
expect_contains "charon: IKE SA established" "$out" "IKE_SA gw[1] established"
ping_through 10 && pass "host-a reaches charon's 10.2.2.10 through the tunnel" || fail "no traffic host-a -> sw"
ping_from_sw && pass "charon's side reaches host-a through the tunnel" || fail "no traffic sw -> host-a"
out=$(cli_a 'show ike security-associations')
expect_contains "msim: the IKE SA with 10.0.0.2 is matured" "$out" "Matured"
out=$(cli_a 'show ipsec security-associations detail sa-dyn')
expect_contains "msim: sa-dyn is up" "$out" "Security association: sa-dyn, Interface family: Up"
sw_sas=$(swanctl_ --list-sas)
expect_contains "charon: ESP in UDP (NAT-T, kernel-libipsec)" "$sw_sas" "TUNNEL-in-UDP"

# ---------------------------------------------------------------- 2. main mode, msim initiates
reset_sas
ping_through 30 && pass "msim initiating on host-a's first packet: traffic flows" || fail "msim did not bring the tunnel up"
ping_from_sw && pass "and back from charon's side" || fail "no traffic sw -> host-a (msim initiated)"
expect_contains "charon lists the child SA msim negotiated" "$(swanctl_ --list-sas)" "INSTALLED"

# ---------------------------------------------------------------- 3. aggressive mode
reset_sas
out=$(configure_a ike-3des-sha1-g2 aggressive esp-3des-sha1 group2 interop-secret)
expect_contains "gateway-a: aggressive mode committed" "$out" "commit complete"
write_swanctl 3des-sha1-modp1024 3des-sha1-modp1024 yes interop-secret
out=$(swanctl_ --initiate --child net --timeout 30); rc=$?
expect_status "aggressive mode, msim responding: child SA up" 0 "$rc"
ping_through 10 && pass "traffic through the aggressive-mode tunnel" || fail "no traffic (aggressive mode)"
reset_sas
ping_through 30 && pass "aggressive mode, msim initiating: traffic flows" || fail "msim did not initiate aggressive mode"

# ---------------------------------------------------------------- 4. des/md5/group1, no PFS
reset_sas
out=$(configure_a ike-des-md5-g1 main esp-des-md5 none interop-secret)
expect_contains "gateway-a: des/md5/group1 committed" "$out" "commit complete"
write_swanctl des-md5-modp768 des-md5 no interop-secret
out=$(swanctl_ --initiate --child net --timeout 30); rc=$?
expect_status "main mode des/md5/group1, no PFS, msim responding: child SA up" 0 "$rc"
ping_through 10 && pass "traffic through the des/md5 tunnel" || fail "no traffic (des/md5)"
reset_sas
ping_through 30 && pass "des/md5/group1, msim initiating: traffic flows" || fail "msim did not initiate des/md5"

# ---------------------------------------------------------------- 5. wrong pre-shared key
reset_sas
out=$(configure_a ike-3des-sha1-g2 main esp-3des-sha1 group2 interop-secret)
write_swanctl 3des-sha1-modp1024 3des-sha1-modp1024 no not-the-secret
out=$(swanctl_ --initiate --child net --timeout 20); rc=$?
[ "$rc" -ne 0 ] && pass "wrong PSK: charon's initiation fails" || fail "wrong PSK: charon says it succeeded"
expect_not_contains "wrong PSK: no IKE SA on msim" "$(cli_a 'show ike security-associations')" "Matured"
expect_contains "wrong PSK: kmd logged the authentication failure" "$(cli_a 'show log messages')" "AUTHENTICATION"
ip netns exec host-a ping -c 1 -W 1 10.2.2.10 >/dev/null 2>&1 && fail "wrong PSK: traffic passed" || pass "wrong PSK: no traffic"

# ---------------------------------------------------------------- 6. IKE proposal mismatch
reset_sas
write_swanctl aes128-sha256-modp2048 3des-sha1-modp1024 no interop-secret
out=$(swanctl_ --initiate --child net --timeout 20); rc=$?
[ "$rc" -ne 0 ] && pass "proposal mismatch: charon's initiation fails" || fail "proposal mismatch: charon says it succeeded"
grep -q "NO_PROPOSAL_CHOSEN" "$WORK/charon.log" && pass "charon received NO-PROPOSAL-CHOSEN" ||
    fail "charon's log has no NO_PROPOSAL_CHOSEN"
expect_not_contains "mismatch: no IKE SA on msim" "$(cli_a 'show ike security-associations')" "Matured"

# ---------------------------------------------------------------- 7. several proposals (rw-multi-ciphers)
# msim's policy lists des/md5/group1 first, charon offers 3des/sha1/group2 first: the responder's order
# decides (Junos), and `show ike security-associations detail` names what was negotiated.
reset_sas
out=$(configure_a "ike-des-md5-g1 ike-3des-sha1-g2" main esp-3des-sha1 group2 interop-secret)
expect_contains "gateway-a: two IKE proposals committed" "$out" "commit complete"
write_swanctl 3des-sha1-modp1024,des-md5-modp768 3des-sha1-modp1024 no interop-secret
out=$(swanctl_ --initiate --child net --timeout 30); rc=$?
expect_status "two proposals, msim responding: child SA up" 0 "$rc"
ping_through 10 && pass "traffic through the tunnel of the chosen proposal" || fail "no traffic (several proposals)"
out=$(cli_a 'show ike security-associations detail 10.0.0.2')
expect_contains "msim chose its first proposal (des-cbc)" "$out" "Encryption            : des-cbc"
expect_contains "and md5" "$out" "Authentication        : md5"
expect_contains "charon agrees: DES" "$(swanctl_ --list-sas)" "DES_CBC"

# ---------------------------------------------------------------- 8. aggressive mode, FQDN identity
# charon identifies itself as sw.msim.lab; msim's policy requires exactly that identity (rw-psk-fqdn,
# rw-psk-aggressive). Another identity is refused.
reset_sas
out=$(configure_a ike-3des-sha1-g2 aggressive esp-3des-sha1 group2 interop-secret)
out=$(cli_a 'configure
set security ike policy 10.0.0.2 identity sw.msim.lab
commit and-quit')
expect_contains "gateway-a: identity sw.msim.lab committed" "$out" "commit complete"
write_swanctl 3des-sha1-modp1024 3des-sha1-modp1024 yes interop-secret sw.msim.lab
out=$(swanctl_ --initiate --child net --timeout 30); rc=$?
expect_status "aggressive mode with an FQDN identity, msim responding: child SA up" 0 "$rc"
ping_through 10 && pass "traffic through the FQDN-identified tunnel" || fail "no traffic (FQDN identity)"
reset_sas
write_swanctl 3des-sha1-modp1024 3des-sha1-modp1024 yes interop-secret other.msim.lab
out=$(swanctl_ --initiate --child net --timeout 20); rc=$?
[ "$rc" -ne 0 ] && pass "an identity the policy does not name is refused" || fail "identity other.msim.lab accepted"
logged=$(cli_a 'show log messages')
expect_contains "kmd logged INVALID-ID-INFORMATION" "$logged" "INVALID-ID-INFORMATION"
out=$(cli_a 'configure
delete security ike policy 10.0.0.2 identity
commit and-quit')

# ---------------------------------------------------------------- 9. rsa-signatures (certificates)
# An openssl CA issues charon's certificate (SAN IP 10.0.0.2) and signs the CSR of a key pair pkid made on
# gateway-a (SAN IP 10.0.0.1); both sides load the CA. Another CA, which msim does not trust, issues a
# second certificate for charon. msim's policy offers pre-shared keys first and rsa-signatures second:
# charon (pubkey) takes rsa-signatures, which `show ike security-associations detail` must name.
make_ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/$1.key" -out "$WORK/$1.crt" -days 30 \
        -subj "/O=msim lab/CN=$1" >/dev/null 2>&1
}
mkdir -p "$WORK/x509" "$WORK/x509ca" "$WORK/private"
make_ca lab-ca && make_ca other-ca || fail "openssl could not make the CAs"
cp "$WORK/lab-ca.crt" "$WORK/x509ca/lab-ca.crt"
openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/private/sw.key" -subj "/O=msim lab/CN=sw" \
    -addext "subjectAltName=IP:10.0.0.2" -out "$WORK/sw.csr" >/dev/null 2>&1
for ca in lab-ca other-ca; do
    openssl x509 -req -in "$WORK/sw.csr" -CA "$WORK/$ca.crt" -CAkey "$WORK/$ca.key" -CAcreateserial \
        -out "$WORK/x509/sw-$ca.crt" -days 10 -copy_extensions copy >/dev/null 2>&1 ||
        fail "openssl could not issue charon's certificate from $ca"
done
gw_tmp="$MSIM_HOME/gateway-a/var/tmp"
cli_a 'request security pki generate-key-pair certificate-id gw size 2048' >/dev/null
out=$(cli_a 'request security pki generate-certificate-request certificate-id gw subject "CN=gateway-a,O=msim lab" ip-address 10.0.0.1 filename gw.csr')
[ -f "$gw_tmp/gw.csr" ] && pass "pkid wrote gateway-a's certificate request" || fail "no certificate request: $out"
openssl x509 -req -in "$gw_tmp/gw.csr" -CA "$WORK/lab-ca.crt" -CAkey "$WORK/lab-ca.key" -CAcreateserial \
    -out "$gw_tmp/gw.crt" -days 10 -copy_extensions copy >/dev/null 2>&1 || fail "openssl x509 -req failed"
cp "$WORK/lab-ca.crt" "$gw_tmp/ca.crt"
out=$(cli_a 'configure
set security pki ca-profile lab-ca ca-identity lab-ca
set security pki ca-profile lab-ca revocation-check disable
commit and-quit')
expect_contains "gateway-a: the CA profile commits" "$out" "commit complete"
expect_contains "gateway-a: the CA certificate loads" "$(cli_a 'request security pki ca-certificate load ca-profile lab-ca filename ca.crt; yes')" "loaded successfully"
expect_contains "gateway-a: its certificate loads" "$(cli_a 'request security pki local-certificate load certificate-id gw filename gw.crt')" "loaded successfully"
reset_sas
out=$(cli_a 'configure
set security ike proposal ike-rsa authentication-method rsa-signatures
set security ike proposal ike-rsa dh-group group2
set security ike proposal ike-rsa authentication-algorithm sha1
set security ike proposal ike-rsa encryption-algorithm 3des-cbc
set security ike policy 10.0.0.2 mode main
delete security ike policy 10.0.0.2 proposals
set security ike policy 10.0.0.2 proposals [ ike-3des-sha1-g2 ike-rsa ]
set security ike policy 10.0.0.2 local-certificate gw
commit and-quit')
expect_contains "gateway-a: rsa-signatures policy committed" "$out" "commit complete"

SW_AUTH=pubkey SW_CERT=sw-lab-ca.crt write_swanctl 3des-sha1-modp1024 3des-sha1-modp1024 no unused
out=$(swanctl_ --initiate --child net --timeout 30); rc=$?
expect_status "rsa-signatures main mode, msim responding: charon's child SA is up" 0 "$rc"
ping_through 10 && pass "host-a reaches charon through the certificate tunnel" || fail "no traffic (certificates, msim responding)"
ping_from_sw && pass "and charon's side reaches host-a" || fail "no traffic sw -> host-a (certificates)"
out=$(cli_a 'show ike security-associations detail 10.0.0.2')
expect_contains "msim: authenticated by RSA signatures (the negotiated method, not the first proposal's)" "$out" "Authentication method: RSA-signatures"
grep -q "received cert request for" "$WORK/charon.log" && pass "charon received msim's CERTREQ naming its CA" ||
    fail "charon's log shows no certificate request from msim"
# As responder charon takes the authentication method of the first transform offered (strongSwan's
# sa_payload get_auth_method): msim initiates with its rsa-signatures proposal alone.
reset_sas
out=$(cli_a 'configure
delete security ike policy 10.0.0.2 proposals
set security ike policy 10.0.0.2 proposals ike-rsa
commit and-quit')
ping_through 30 && pass "rsa-signatures, msim initiating: traffic flows (charon sent its certificate when asked)" ||
    fail "msim did not bring the certificate tunnel up"
ping_from_sw && pass "and back from charon's side (msim initiated)" || fail "no traffic sw -> host-a (certificates, msim initiated)"
expect_contains "msim initiated: RSA-signatures" "$(cli_a 'show ike security-associations detail 10.0.0.2')" "Authentication method: RSA-signatures"

# Aggressive mode with certificates (rw-cert-aggressive).
reset_sas
out=$(cli_a 'configure
set security ike policy 10.0.0.2 mode aggressive
commit and-quit')
SW_AUTH=pubkey SW_CERT=sw-lab-ca.crt write_swanctl 3des-sha1-modp1024 3des-sha1-modp1024 yes unused
out=$(swanctl_ --initiate --child net --timeout 30); rc=$?
expect_status "rsa-signatures aggressive mode, msim responding: child SA up" 0 "$rc"
ping_through 10 && pass "traffic through the aggressive-mode certificate tunnel" || fail "no traffic (certificates, aggressive)"
reset_sas
ping_through 30 && pass "rsa-signatures aggressive mode, msim initiating: traffic flows" || fail "msim did not initiate aggressive mode with certificates"

# A certificate from a CA msim does not trust: authentication fails on msim, cleanly.
reset_sas
out=$(cli_a 'configure
set security ike policy 10.0.0.2 mode main
commit and-quit')
kmd_pid=$(daemon_pid gateway-a kmd)
# (charon holds only this certificate now: with both, it would answer msim's CERTREQ for lab-ca with the other.)
rm -f "$WORK/x509/sw-lab-ca.crt"
SW_AUTH=pubkey SW_CERT=sw-other-ca.crt write_swanctl 3des-sha1-modp1024 3des-sha1-modp1024 no unused
out=$(swanctl_ --initiate --child net --timeout 20); rc=$?
[ "$rc" -ne 0 ] && pass "untrusted CA: charon's initiation fails" || fail "untrusted CA: charon says it succeeded"
logged=""
for _ in $(seq 1 20); do
    logged=$(cli_a 'show log messages')
    case "$logged" in *"AUTHENTICATION-FAILED"*"is not valid"*) break ;; esac
    sleep 0.5
done
expect_contains "msim logs AUTHENTICATION-FAILED for the untrusted certificate" "$logged" "is not valid"
expect_not_contains "untrusted CA: no IKE SA on msim" "$(cli_a 'show ike security-associations')" "Matured"
ip netns exec host-a ping -c 1 -W 1 10.2.2.10 >/dev/null 2>&1 && fail "untrusted CA: traffic passed" || pass "untrusted CA: no traffic"
[ -n "$kmd_pid" ] && [ "$(daemon_pid gateway-a kmd)" = "$kmd_pid" ] && pass "kmd did not restart" || fail "kmd restarted"

# ---------------------------------------------------------------- 10. IKE SA renegotiated before it expires
# msim initiates with an IKE lifetime of 180 s: at 85 % it negotiates a new IKE SA (no INITIAL-CONTACT),
# charon adopts the child SA into it, msim deletes the old one, and traffic never stops.
reset_sas
rm -f "$WORK/x509/sw-other-ca.crt"
out=$(configure_a ike-3des-sha1-g2 main esp-3des-sha1 group2 interop-secret)
out=$(cli_a 'configure
set security ike proposal ike-3des-sha1-g2 lifetime-seconds 180
commit and-quit')
expect_contains "gateway-a: IKE lifetime 180 s committed" "$out" "commit complete"
write_swanctl 3des-sha1-modp1024 3des-sha1-modp1024 no interop-secret
ping_through 30 && pass "msim initiated the tunnel" || fail "no tunnel for the IKE rekey case"
first=$(cli_a 'show ike security-associations' | awk '$1 == "10.0.0.2" && $2 == "Matured" { print $3 }')
rekeyed=""
for _ in $(seq 1 100); do  # 153 s after establishment at most, checked every 2 s
    sleep 2
    now=$(cli_a 'show ike security-associations' | awk '$1 == "10.0.0.2" && $2 == "Matured" { print $3 }')
    if [ -n "$now" ] && [ "$now" != "$first" ] && [ "$(echo "$now" | wc -l)" -eq 1 ]; then
        rekeyed=$now
        break
    fi
    ip netns exec host-a ping -c 1 -W 1 10.2.2.10 >/dev/null 2>&1 || fail "traffic stopped while the IKE SA aged"
done
[ -n "$rekeyed" ] && pass "a new IKE SA replaced $first before it expired ($rekeyed)" || fail "the IKE SA was not renegotiated"
expect_contains "kmd logged the rekey" "$(cli_a 'show log messages')" "IKE SA with 10.0.0.2 rekeyed"
ping_through 5 && pass "traffic flows after the IKE rekey" || fail "no traffic after the IKE rekey"
ping_from_sw && pass "and back from charon's side" || fail "no traffic sw -> host-a after the IKE rekey"
sw_sas=$(swanctl_ --list-sas)
expect_contains "charon kept the child SA (adopted by the new IKE SA)" "$sw_sas" "INSTALLED"

# ---------------------------------------------------------------- the capture
kill -INT "$capture_pid"
wait "$capture_pid"
capture_pid=""
types=" $(tshark -r "$WORK/ike.pcap" -Y isakmp -T fields -e isakmp.exchangetype 2>/dev/null | sort -un | tr '\n' ' ')"
[[ "$types" == *" 2 "* ]] && pass "the capture holds main mode exchanges" || fail "no main mode in the capture: '$types'"
[[ "$types" == *" 4 "* ]] && pass "and aggressive mode" || fail "no aggressive mode in the capture: '$types'"
[[ "$types" == *" 32 "* ]] && pass "and quick mode" || fail "no quick mode in the capture: '$types'"
malformed=$(tshark -r "$WORK/ike.pcap" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | wc -l)
[ "$malformed" -eq 0 ] && pass "tshark: no malformed packet in the capture" || fail "tshark found $malformed malformed packets"

if [ "$failures" -ne 0 ]; then
    echo "--- charon log (tail)"
    tail -n 60 "$WORK/charon.log"
fi
out=$("$MSIM" lab down 2>&1)
expect_contains "lab down" "$out" "is down"
finish
