// NIST PKITS sections 4.1–4.7 through msim::pki::validate_certificate. Each row of the TSV (trust anchor
// first, end entity last, CRLs) is run with the anchor as the only locally stored CA, every CRL loaded,
// revocation checking on (fail-closed) and the default path-length 15, at a simulated time inside the data's
// validity (certificates are valid 2010–2030).
//
// Arguments: one or more TSV paths (the first that exists is used: ../shared/data, then the committed copy)
// and the PKITS_data directory of Debian's python3-cryptography-vectors.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "msim/pki/validation.hpp"

using namespace msim::pki;
namespace fs = std::filesystem;

namespace {

struct Inputs {
    fs::path tsv;
    fs::path data;
};

Inputs& inputs() {
    static Inputs value;  // set once by main before any test runs
    return value;
}

struct Row {
    std::string id, name, expected;
    std::vector<std::string> certs, crls;
};

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, sep)) {
        if (!item.empty()) {
            out.push_back(item);
        }
    }
    return out;
}

std::vector<Row> read_rows(const fs::path& tsv) {
    std::ifstream in(tsv);
    std::vector<Row> rows;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        auto fields = split(line, '\t');
        REQUIRE_MESSAGE(fields.size() >= 4, "malformed TSV line: " << line);
        rows.push_back({fields[0], fields[1], fields[2], split(fields[3], ','),
                        fields.size() > 4 ? split(fields[4], ',') : std::vector<std::string>{}});
    }
    return rows;
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Rows whose PKITS verdict this library does not reach, each with the reason. Nothing else may differ.
const std::map<std::string, std::string>& known_exceptions() {
    static const std::map<std::string, std::string> exceptions{
        {"4.1.5",
         "DSA parameter inheritance (RFC 5280 §6.1.4): the EE key omits p/q/g and takes them from its "
         "issuer. "
         "OpenSSL 3 cannot use a DSA key without parameters, so the valid path is rejected "
         "(openssl verify agrees, see reference/pki.md)."},
    };
    return exceptions;
}

// The reasons an invalid path of each section may be refused for, so a row cannot "pass" by failing for an
// unrelated reason (a missing file, a CRL problem in a signature test).
bool plausible_reason(const std::string& id, ValidationStatus status) {
    using S = ValidationStatus;
    std::string section = id.substr(0, 3);
    if (section == "4.1") {
        return status == S::bad_signature;
    }
    if (section == "4.2") {
        return status == S::expired || status == S::not_yet_valid;
    }
    if (section == "4.3") {
        return status == S::issuer_not_found;
    }
    if (section == "4.4") {
        return status == S::revoked || status == S::crl_unavailable || status == S::crl_invalid;
    }
    if (section == "4.5") {
        return status == S::revoked || status == S::not_a_ca || status == S::crl_invalid;
    }
    if (section == "4.6") {
        return status == S::not_a_ca || status == S::path_too_long;
    }
    if (section == "4.7") {
        return status == S::not_a_ca || status == S::key_usage;
    }
    return false;
}

}  // namespace

TEST_CASE("NIST PKITS 4.1-4.7") {
    REQUIRE_MESSAGE(fs::exists(inputs().tsv), "PKITS TSV not found");
    REQUIRE_MESSAGE(fs::is_directory(inputs().data / "certs"),
                    "PKITS data not found at " << inputs().data << " (install python3-cryptography-vectors)");
    auto rows = read_rows(inputs().tsv);
    REQUIRE(rows.size() == 76);
    // 2020-01-01T00:00:00Z, inside the 2010–2030 validity of the PKITS certificates.
    const TimePoint now = Clock::from_time_t(1577836800);
    int agreed = 0;
    int excepted = 0;
    for (const auto& row : rows) {
        CAPTURE(row.id);
        CAPTURE(row.name);
        REQUIRE(row.certs.size() >= 2);
        auto load_cert = [&](const std::string& name) {
            return Certificate::from_bytes(read_file(inputs().data / "certs" / (name + ".crt")));
        };
        ValidationRequest request{
            load_cert(row.certs.back()), {}, {{"pkits", load_cert(row.certs.front()), {}}}, {}, 15, {}};
        for (std::size_t i = 1; i + 1 < row.certs.size(); ++i) {
            request.peer_chain.push_back(load_cert(row.certs[i]));
        }
        for (const auto& crl : row.crls) {
            request.crls.push_back(Crl::from_bytes(read_file(inputs().data / "crls" / (crl + ".crl"))));
        }
        ValidationResult result = validate_certificate(request, now);
        bool valid = result.ok();
        bool expected_valid = row.expected == "valid";
        auto exception = known_exceptions().find(row.id);
        if (exception != known_exceptions().end()) {
            MESSAGE(row.id << " " << row.name << ": documented exception: " << exception->second);
            CHECK_MESSAGE(valid != expected_valid, "exception no longer needed: " << row.id);
            ++excepted;
            continue;
        }
        CHECK_MESSAGE(valid == expected_valid, row.id << " " << row.name << " expected " << row.expected
                                                      << ", got " << to_string(result.status) << ": "
                                                      << result.reason);
        if (!expected_valid && !valid) {
            CHECK_MESSAGE(plausible_reason(row.id, result.status),
                          row.id << " refused for an unexpected reason: " << to_string(result.status));
        }
        if (valid == expected_valid) {
            ++agreed;
        }
    }
    MESSAGE("PKITS 4.1-4.7: " << agreed << " agree, " << excepted << " documented exception(s), of "
                              << rows.size());
    CHECK(agreed + excepted == static_cast<int>(rows.size()));
}

int main(int argc, char** argv) {
    std::vector<char*> doctest_args{argv[0]};
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.rfind("-", 0) == 0) {
            doctest_args.push_back(argv[i]);
        } else if (fs::is_directory(arg)) {
            inputs().data = arg;
        } else if (inputs().tsv.empty() && fs::exists(arg)) {
            inputs().tsv = arg;
        }
    }
    doctest::Context context(static_cast<int>(doctest_args.size()), doctest_args.data());
    return context.run();
}
