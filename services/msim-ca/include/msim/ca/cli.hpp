// The msim-ca command line (main.cpp only calls run_cli):
//   msim-ca init    --dir DIR [--subject DN] [--challenge-password PW] [--approval auto|manual]
//                   [--validity-days N] [--crl-hours N] [--crl-url URL] [--key-size N] [--force]
//   msim-ca serve   --dir DIR [--listen ADDR:PORT]   the SCEP and CRL server, in the foreground
//   msim-ca start   --dir DIR [--listen ADDR:PORT]   the same in the background (DIR/serve.pid, serve.log)
//   msim-ca stop    --dir DIR
//   msim-ca status  --dir DIR                        running or not, the URLs, the settings
//   msim-ca list    --dir DIR                        requests and issued certificates
//   msim-ca approve --dir DIR ID                     issue a pending request (the next CertPoll gets it)
//   msim-ca reject  --dir DIR ID [--reason TEXT]     refuse it (the next CertPoll gets FAILURE)
//   msim-ca revoke  --dir DIR SERIAL [--reason R]    revoke an issued certificate; the CRL is re-signed
//   msim-ca crl     --dir DIR                        sign a new CRL now and print it
// --dir may be left out when $MSIM_CA_DIR names the directory. The listen address defaults to
// 127.0.0.1:8480 (loopback only).
#pragma once

#include <iosfwd>

namespace msim::ca {

// Returns the process exit status: 0 success, 1 failure, 2 usage error, 3 `status` of a stopped CA.
int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace msim::ca
