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
# key and an IKE proposal mismatch fail cleanly on both sides. tshark decodes every ISAKMP message of a
# capture without a malformed packet. Needs root (namespaces, TAP).
source "$(dirname "$0")/../../integration/lib.sh"

WORK=$(mktemp -d /tmp/msim-sw-it.XXXXXX)
if [ "$(id -u)" -ne 0 ]; then
    echo "FAIL - network namespaces need root"
    exit 1
fi
for tool in /usr/lib/ipsec/charon swanctl tshark; do
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

# swanctl.conf for one case: IKE proposal, ESP proposal, aggressive yes/no, secret, start action.
write_swanctl() {
    cat >"$WORK/swanctl.conf" <<EOF2
connections {
  gw {
    version = 1
    aggressive = $3
    local_addrs = 10.0.0.2
    remote_addrs = 10.0.0.1
    proposals = $1
    local {
      auth = psk
      id = 10.0.0.2
    }
    remote {
      auth = psk
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
    id-2 = 10.0.0.2
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
    cli_a "configure
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
