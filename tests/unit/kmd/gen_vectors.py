#!/usr/bin/python3
"""Independent reference values for test_crypto.cpp (RFC 2409 key derivation), computed with Python's
hmac/hashlib and the `cryptography` package rather than OpenSSL's C API through our code.
Run with Debian's /usr/bin/python3; paste the output into test_crypto.cpp when inputs change."""
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

def prf(h, key, data):
    return hmac.new(key, data, h).digest()

def hx(b):
    return b.hex()

# Fixed inputs (the same bytes are built in test_crypto.cpp).
psk = b"junos-secret"
ni = bytes(range(0x10, 0x30))          # 32 bytes
nr = bytes(range(0x40, 0x60))
gxy = bytes((i * 7 + 3) & 0xff for i in range(128))
gxi = bytes((i * 5 + 1) & 0xff for i in range(128))
gxr = bytes((i * 11 + 9) & 0xff for i in range(128))
cky_i = bytes.fromhex("0102030405060708")
cky_r = bytes.fromhex("a1a2a3a4a5a6a7a8")

for name, h in (("sha1", hashlib.sha1), ("md5", hashlib.md5)):
    skeyid = prf(h, psk, ni + nr)
    d = prf(h, skeyid, gxy + cky_i + cky_r + b"\x00")
    a = prf(h, skeyid, d + gxy + cky_i + cky_r + b"\x01")
    e = prf(h, skeyid, a + gxy + cky_i + cky_r + b"\x02")
    # Appendix B expansion to 24 bytes (3DES).
    k1 = prf(h, e, b"\x00")
    k2 = prf(h, e, k1)
    enc24 = (k1 + k2)[:24]
    iv = h(gxi + gxr).digest()[:8]
    iv2 = h(bytes.fromhex("1122334455667788") + bytes.fromhex("deadbeef")).digest()[:8]
    skeyid_sig = prf(h, ni + nr, gxy)
    spi = bytes.fromhex("c0ffee01")
    seed = b"\x03" + spi + ni + nr
    km = b""; k = b""
    while len(km) < 44:
        k = prf(h, d, k + seed); km += k
    seed_pfs = gxy + b"\x03" + spi + ni + nr
    kmp = b""; k = b""
    while len(kmp) < 44:
        k = prf(h, d, k + seed_pfs); kmp += k
    print(f"{name} skeyid {hx(skeyid)}")
    print(f"{name} skeyid_d {hx(d)}")
    print(f"{name} skeyid_a {hx(a)}")
    print(f"{name} skeyid_e {hx(e)}")
    print(f"{name} enc24 {hx(enc24)}")
    print(f"{name} iv1 {hx(iv)}")
    print(f"{name} iv2 {hx(iv2)}")
    print(f"{name} skeyid_sig {hx(skeyid_sig)}")
    print(f"{name} keymat44 {hx(km[:44])}")
    print(f"{name} keymat44_pfs {hx(kmp[:44])}")

key = bytes(range(24))
ivb = bytes(range(8))
pt = b"ISAKMP payloads!" * 2
c = Cipher(TripleDES(key), modes.CBC(ivb)).encryptor()
print("3des", hx(c.update(pt) + c.finalize()))
# Single DES-CBC equals 3DES-CBC with K1 = K2 = K3.
key8 = bytes.fromhex("0123456789abcdef")
c = Cipher(TripleDES(key8 * 3), modes.CBC(ivb)).encryptor()
print("des", hx(c.update(pt) + c.finalize()))
