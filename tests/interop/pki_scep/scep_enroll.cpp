// Drives libmsim_pki's SCEP client against a real SCEP server (the pki_scep interop suite runs micromdm's
// scepserver in a network namespace): GetCACaps, GetCACert, a fresh RSA key, a PKCS#10 request with the
// challenge password, PKCSReq, and GetCertInitial polling while the answer is PENDING.
// usage: scep_enroll URL CHALLENGE SUBJECT DOMAIN OUTDIR
// Writes OUTDIR/ca.pem (every certificate GetCACert sent) and OUTDIR/cert.pem; prints the caps and the
// outcome. Exit status: 0 issued, 2 rejected (FAILURE), 3 still pending, 1 any other error.
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "msim/pki/key_pair.hpp"
#include "msim/pki/request.hpp"
#include "msim/pki/scep.hpp"

using namespace msim::pki;

int main(int argc, char** argv) {
    if (argc != 6) {
        std::cerr << "usage: scep_enroll URL CHALLENGE SUBJECT DOMAIN OUTDIR\n";
        return 1;
    }
    const std::string url = argv[1], challenge = argv[2], subject = argv[3], domain = argv[4], out = argv[5];
    try {
        ScepEnrollment e;
        e.url = url;
        e.capabilities = scep_get_ca_caps(url);
        std::cout << "capabilities:";
        for (const auto& c : e.capabilities)
            std::cout << " " << c;
        std::cout << "\n";
        e.ca_certificates = scep_get_ca_cert(url, "msim");
        std::ofstream ca(out + "/ca.pem");
        for (const auto& c : e.ca_certificates) {
            ca << c.to_pem();
            std::cout << "CA certificate: " << c.subject_string() << " sha1 " << c.sha1_fingerprint() << "\n";
        }
        ca.close();
        KeyPair key = KeyPair::generate({KeyAlgorithm::rsa, 2048});
        RequestParams params;
        params.subject = subject;
        params.alternative_names.domain_names.push_back(domain);
        params.challenge_password = challenge;
        CertificateRequest request = create_certificate_request(key, params);
        ScepResult r = scep_pkcs_req(e, key, request);
        for (int polls = 0; r.status == ScepStatus::pending && polls < 5; ++polls) {
            std::cout << "pending, polling\n";
            std::this_thread::sleep_for(std::chrono::seconds(1));
            r = scep_get_cert_initial(e, key, request, r.transaction_id);
        }
        std::cout << "status: " << to_string(r.status) << "\n";
        if (r.status == ScepStatus::failure) {
            std::cout << "failInfo: " << r.fail_info << "\n";
            return 2;
        }
        if (r.status == ScepStatus::pending)
            return 3;
        std::ofstream(out + "/cert.pem") << r.certificate->to_pem();
        std::cout << "certificate: " << r.certificate->subject_string() << "\n";
        return 0;
    } catch (const std::exception& ex) {
        std::cout << "error: " << ex.what() << "\n";
        return 1;
    }
}
