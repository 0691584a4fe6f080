#!/usr/bin/env bash
# pkid downloads CRLs for validation: a real router in a network namespace of its own (unshare -n, only
# loopback, never the host's interfaces) with lighttpd serving the CA's CRL over HTTP and slapd over LDAP.
# `request security pki local-certificate verify` (pkid's validation with the CA profile's revocation
# settings) must find a good certificate good and a revoked one revoked through the certificate's CDP, the
# profile's `crl url` over HTTP (PEM) and over LDAP (DER, certificateRevocationList;binary); fail closed
# when no CRL can be downloaded, and fail open with `disable on-download-failure`. A `crl url … password`
# is sent: HTTP Basic authentication (lighttpd's mod_auth, the user from the URL) and an LDAP simple bind as
# the entry that holds the CRL (slapd lets only that entry read its CRL); without it both fail closed, and
# the password is never logged.
if [ -z "${MSIM_PKI_NETNS:-}" ]; then
    exec env MSIM_PKI_NETNS=1 unshare -n -- bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

ip link set lo up || { fail "cannot bring up loopback in the namespace"; finish; }
for tool in openssl lighttpd slapd ldapadd; do
    command -v "$tool" >/dev/null || { fail "$tool is not installed (scripts/bootstrap)"; finish; }
done

SRV=$MSIM_HOME/servers
mkdir -p "$SRV/www" "$SRV/ldap"
stop_servers() {
    local pidfile
    for pidfile in "$SRV/lighttpd.pid" "$SRV/slapd.pid"; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
    done
    sleep 0.2
    for pidfile in "$SRV/lighttpd.pid" "$SRV/slapd.pid"; do
        [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
    done
}
trap 'stop_servers; cleanup' EXIT

"$MSIM" start --router r1 >/dev/null 2>&1 || { fail "router did not start"; finish; }
cli() { "$MSIM" cli --router r1 "$@" 2>&1; }
R=$MSIM_HOME/r1
T=$R/var/tmp

out=$(cli -c 'configure; set security pki ca-profile lab ca-identity lab.example.net; commit'); rc=$?
expect_status "a CA profile commits" 0 "$rc"
for id in good bad; do
    out=$(cli -c "request security pki generate-key-pair certificate-id $id size 2048; request security pki generate-certificate-request certificate-id $id subject CN=$id.example.net domain-name $id.example.net filename $id.csr"); rc=$?
    expect_status "key pair and request for $id" 0 "$rc"
done

# An openssl CA issues both with a CDP on the namespace's loopback, revokes "bad", publishes its CRL.
(
    cd "$T" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=Lab CA/O=Example" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign
    printf 'crlDistributionPoints=URI:http://127.0.0.1:8080/cdp.crl\n' >ext.cnf
    openssl x509 -req -in good.csr -CA ca.crt -CAkey ca.key -set_serial 0x1001 -out good.crt -days 10 -extfile ext.cnf
    openssl x509 -req -in bad.csr -CA ca.crt -CAkey ca.key -set_serial 0x1002 -out bad.crt -days 10 -extfile ext.cnf
    printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\ncrlnumber=%s/crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n' "$T" "$T" >ca.cnf
    : >index.txt
    echo 01 >crlnumber
    openssl ca -config ca.cnf -keyfile ca.key -cert ca.crt -revoke bad.crt
    openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.crt -out ca.pem
    openssl crl -in ca.pem -outform DER -out ca.der
) >/dev/null 2>&1 || fail "openssl CA setup failed"
openssl crl -in "$T/ca.pem" -noout -text 2>/dev/null | grep -q "Serial Number: 1002" \
    && pass "the CA's CRL revokes serial 1002 (bad)" || fail "the CRL does not revoke bad"
cp "$T/ca.der" "$SRV/www/cdp.crl"
cp "$T/ca.pem" "$SRV/www/ca.pem"
mkdir -p "$SRV/www/protected"
cp "$T/ca.pem" "$SRV/www/protected/ca.pem"
printf 'fetcher:crl-pass-1\n' >"$SRV/users"

out=$(cli -c 'request security pki ca-certificate load ca-profile lab filename ca.crt; yes'); rc=$?
expect_status "the CA certificate loads" 0 "$rc"
for id in good bad; do
    out=$(cli -c "request security pki local-certificate load certificate-id $id filename $id.crt"); rc=$?
    expect_status "the local certificate $id loads" 0 "$rc"
done
[ ! -e "$R/var/db/certs/crl/lab.crl" ] && pass "no CRL is loaded by hand" || fail "a CRL is stored"

cat >"$SRV/lighttpd.conf" <<CONF
server.document-root = "$SRV/www"
server.bind = "127.0.0.1"
server.port = 8080
server.pid-file = "$SRV/lighttpd.pid"
server.errorlog = "$SRV/lighttpd.error"
mimetype.assign = ( ".crl" => "application/pkix-crl", ".pem" => "application/x-pem-file" )
server.modules += ( "mod_auth", "mod_authn_file" )
auth.backend = "plain"
auth.backend.plain.userfile = "$SRV/users"
auth.require = ( "/protected/" => ( "method" => "basic", "realm" => "crl", "require" => "valid-user" ) )
CONF
lighttpd -f "$SRV/lighttpd.conf" >/dev/null 2>&1 || fail "lighttpd did not start"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/8080" && pass "lighttpd serves on 127.0.0.1:8080" \
    || fail "lighttpd is not listening"

verify() { cli -c "request security pki local-certificate verify certificate-id $1"; }

# 1. No crl url: the certificates' CDP (HTTP, DER).
out=$(verify good); rc=$?
expect_status "CDP over HTTP: good verifies" 0 "$rc"
expect_contains "CDP over HTTP: good says so" "$out" "Local certificate good verification success"
out=$(verify bad); rc=$?
expect_status "CDP over HTTP: bad fails" 1 "$rc"
expect_contains "CDP over HTTP: bad is revoked" "$out" "revoked"

# 2. The profile's crl url (HTTP, PEM), with the CDP's file gone so only the URL can answer.
rm -f "$SRV/www/cdp.crl"
out=$(cli -c 'configure; set security pki ca-profile lab revocation-check crl url http://127.0.0.1:8080/ca.pem; commit'); rc=$?
expect_status "crl url over HTTP commits" 0 "$rc"
out=$(verify good); rc=$?
expect_status "crl url over HTTP: good verifies" 0 "$rc"
out=$(verify bad); rc=$?
expect_status "crl url over HTTP: bad fails" 1 "$rc"
expect_contains "crl url over HTTP: bad is revoked" "$out" "revoked"

# 2b. A crl url that needs a password (HTTP Basic): refused without it, used with it.
out=$(cli -c 'configure; delete security pki ca-profile lab revocation-check crl url; set security pki ca-profile lab revocation-check crl url http://fetcher@127.0.0.1:8080/protected/ca.pem; commit'); rc=$?
expect_status "a protected crl url commits" 0 "$rc"
out=$(verify good); rc=$?
expect_status "HTTP without the password: fails closed" 1 "$rc"
expect_contains "the download failed (401)" "$out" "CRL download failed"
out=$(cli -c 'configure; set security pki ca-profile lab revocation-check crl url http://fetcher@127.0.0.1:8080/protected/ca.pem password crl-pass-1; commit'); rc=$?
expect_status "crl url … password commits" 0 "$rc"
out=$(verify good); rc=$?
expect_status "HTTP Basic with the password: good verifies" 0 "$rc"
out=$(verify bad); rc=$?
expect_contains "HTTP Basic with the password: bad is revoked" "$out" "revoked"
out=$(cli -c 'show configuration security pki')
expect_not_contains "the password is shown as a \$9\$ secret" "$out" "crl-pass-1"

# 3. The profile's crl url over LDAP, with the HTTP server stopped so nothing else can answer.
kill "$(cat "$SRV/lighttpd.pid")" 2>/dev/null
wait_for 5 bash -c '! exec 3<>/dev/tcp/127.0.0.1/8080' || fail "lighttpd did not stop"
cat >"$SRV/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $SRV/slapd.pid
database mdb
suffix "dc=msim,dc=test"
rootdn "cn=admin,dc=msim,dc=test"
rootpw secret
directory $SRV/ldap
# cn=protected's CRL is for that entry itself (a simple bind with its password) and no one else
access to dn.base="cn=protected,dc=msim,dc=test" attrs=userPassword by anonymous auth by * none
access to dn.base="cn=protected,dc=msim,dc=test" attrs=certificateRevocationList by self read by * none
access to * by * read
CONF
slapd -f "$SRV/slapd.conf" -h ldap://127.0.0.1:3890/ >"$SRV/slapd.log" 2>&1 || fail "slapd did not start"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/3890" && pass "slapd serves on 127.0.0.1:3890" \
    || fail "slapd is not listening"
cat >"$SRV/crl.ldif" <<LDIF
dn: dc=msim,dc=test
objectClass: dcObject
objectClass: organization
o: msim
dc: msim

dn: cn=labca,dc=msim,dc=test
objectClass: cRLDistributionPoint
cn: labca
certificateRevocationList;binary:< file://$T/ca.der

dn: cn=protected,dc=msim,dc=test
objectClass: cRLDistributionPoint
objectClass: simpleSecurityObject
cn: protected
userPassword: crl-pass-2
certificateRevocationList;binary:< file://$T/ca.der
LDIF
ldapadd -x -H ldap://127.0.0.1:3890 -D cn=admin,dc=msim,dc=test -w secret -f "$SRV/crl.ldif" >"$SRV/ldapadd.log" 2>&1 \
    && pass "the CRL is published in slapd" || { fail "ldapadd failed"; cat "$SRV/ldapadd.log"; }
# (slapd answers certificateRevocationList with its ;binary option; the URL need not say it, and the
# CLI's -c would take a ';' for a command separator)
out=$(cli -c 'configure; delete security pki ca-profile lab revocation-check crl url; set security pki ca-profile lab revocation-check crl url "ldap://127.0.0.1:3890/cn=labca,dc=msim,dc=test?certificateRevocationList"; commit'); rc=$?
expect_status "crl url over LDAP commits" 0 "$rc"
out=$(verify good); rc=$?
expect_status "LDAP: good verifies" 0 "$rc"
expect_contains "LDAP: good says so" "$out" "verification success"
out=$(verify bad); rc=$?
expect_status "LDAP: bad fails" 1 "$rc"
expect_contains "LDAP: bad is revoked" "$out" "revoked"

# 3b. LDAP with a password: a simple bind as the entry the URL names.
out=$(cli -c 'configure; delete security pki ca-profile lab revocation-check crl url; set security pki ca-profile lab revocation-check crl url "ldap://127.0.0.1:3890/cn=protected,dc=msim,dc=test?certificateRevocationList"; commit'); rc=$?
expect_status "a protected LDAP crl url commits" 0 "$rc"
out=$(verify good); rc=$?
expect_status "LDAP without the password: fails closed (anonymous reads no CRL)" 1 "$rc"
expect_contains "the download failed" "$out" "CRL download failed"
out=$(cli -c 'configure; set security pki ca-profile lab revocation-check crl url "ldap://127.0.0.1:3890/cn=protected,dc=msim,dc=test?certificateRevocationList" password crl-pass-2; commit'); rc=$?
expect_status "crl url … password (LDAP) commits" 0 "$rc"
out=$(verify good); rc=$?
expect_status "LDAP bind with the password: good verifies" 0 "$rc"
out=$(verify bad); rc=$?
expect_contains "LDAP bind with the password: bad is revoked" "$out" "revoked"
logs=$(cat "$R"/var/log/* 2>/dev/null)
expect_not_contains "no log holds the LDAP password" "$logs" "crl-pass-2"
expect_not_contains "nor the HTTP one" "$logs" "crl-pass-1"

# 4. Nothing answers (HTTP URL and CDP both down): fail closed, then fail open when configured.
out=$(cli -c 'configure; delete security pki ca-profile lab revocation-check crl url; set security pki ca-profile lab revocation-check crl url http://127.0.0.1:8080/ca.pem; commit'); rc=$?
expect_status "a dead crl url commits" 0 "$rc"
start=$SECONDS
out=$(verify good); rc=$?
expect_status "download failure: good fails closed" 1 "$rc"
expect_contains "with the reason" "$out" "CRL download failed"
[ $((SECONDS - start)) -le 12 ] && pass "the failed download is bounded in time" || fail "the failed download took $((SECONDS - start)) s"
out=$(cli -c 'configure; set security pki ca-profile lab revocation-check crl disable on-download-failure; commit'); rc=$?
expect_status "disable on-download-failure commits" 0 "$rc"
out=$(verify good); rc=$?
expect_status "download failure with disable on-download-failure: good verifies (fail-open)" 0 "$rc"
out=$(cli -c 'show version'); rc=$?
expect_status "pkid and the router still answer" 0 "$rc"

stop_servers
finish
