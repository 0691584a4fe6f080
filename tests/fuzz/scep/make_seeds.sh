#!/usr/bin/env bash
# Records the seeds of fuzz_scep (run as root; once, by hand, when the message formats change): msim-ca with
# the fixture CA (fixture/ca.*) behind a small recording proxy, inside a network namespace of its own;
# strongSwan's `pki --scep` with the fixture client key (fixture/client.key), so the CertReps can be opened
# by the fuzzer, and libmsim_pki's client (scep_enroll). Every PKIOperation request and answer is saved as a
# seed: PKCSReq and CertPoll (pkiMessages for msim-ca's parser), CertReps SUCCESS, PENDING and FAILURE (for
# the client's reader).
# usage: make_seeds.sh MSIM_CA_BINARY SCEP_ENROLL_BINARY
set -euo pipefail
if [ -z "${SEEDS_NETNS:-}" ]; then
    exec env SEEDS_NETNS=1 unshare -n -- bash "$0" "$@"
fi
ca=$1 client=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap '"$ca" stop --dir "$work/ca" >/dev/null 2>&1; kill $proxy 2>/dev/null; rm -rf "$work"' EXIT
ip link set lo up
mkdir -p "$work/ca/requests" "$work/ca/issued" "$work/rec"
cp "$here/fixture/ca.key" "$here/fixture/ca.crt" "$work/ca/"
sed 's/^approval .*/approval auto/' "$here/fixture/ca.conf" >"$work/ca/ca.conf"
echo 1 >"$work/ca/serial"
"$ca" start --dir "$work/ca" --listen 127.0.0.1:8480 >/dev/null
/usr/bin/python3 - "$work/rec" <<'PY' &
import http.server, sys, urllib.request, itertools
out = sys.argv[1]
count = itertools.count()
class Proxy(http.server.BaseHTTPRequestHandler):
    def forward(self, body):
        req = urllib.request.Request("http://127.0.0.1:8480" + self.path, data=body, method=self.command)
        with urllib.request.urlopen(req) as r:
            data, ctype = r.read(), r.headers.get("Content-Type", "")
        if "PKIOperation" in self.path and body:
            n = next(count)
            open(f"{out}/{n:02d}-request.der", "wb").write(body)
            open(f"{out}/{n:02d}-certrep.der", "wb").write(data)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.forward(None)
    def do_POST(self):
        self.forward(self.rfile.read(int(self.headers["Content-Length"])))
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", 8490), Proxy).serve_forever()
PY
proxy=$!
sleep 1
url=http://127.0.0.1:8490/scep
cd "$work"
pki --scepca --url "$url" --caout ca.der >/dev/null 2>&1
pki --scep --url "$url" --in "$here/fixture/client.key" --dn "CN=seed, O=msim" --san seed.example.net \
    --password fuzz --cacert-enc ca.der --cacert-sig ca.der --interval 1 --maxpolltime 5 >/dev/null 2>&1 || true
pki --scep --url "$url" --in "$here/fixture/client.key" --dn "CN=seed, O=msim" --san seed.example.net \
    --password wrong --cacert-enc ca.der --cacert-sig ca.der --interval 1 --maxpolltime 5 >/dev/null 2>&1 || true
sed -i 's/^approval .*/approval manual/' "$work/ca/ca.conf"
pki --scep --url "$url" --in "$here/fixture/client.key" --dn "CN=pending, O=msim" --san p.example.net \
    --password fuzz --cacert-enc ca.der --cacert-sig ca.der --interval 1 --maxpolltime 2 >/dev/null 2>&1 || true
mkdir -p ours
"$client" "$url" fuzz "CN=ours,O=msim" ours.example.net ours >/dev/null 2>&1 || true
for f in rec/*; do cp "$f" "$here/seeds/recorded-$(basename "$f")"; done
echo "seeds: $(ls rec | wc -l) files"
