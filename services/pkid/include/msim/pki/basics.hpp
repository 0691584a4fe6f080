// Shared vocabulary of libmsim_pki: the clock type every validity check takes, the byte type of loaders, and
// the one exception type the library throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace msim::pki {

// Time points come from the router's simulated clock; the library never reads the system clock itself.
using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

using ByteView = std::span<const std::uint8_t>;

enum class ErrorCode {
    invalid_argument,     // a parameter the operator typed is wrong (bad DN, unsupported key size, ...)
    malformed_input,      // bytes that are not the expected DER/PEM object
    not_found,            // no such key pair, certificate, CA profile, CRL
    already_exists,       // refusing to overwrite an existing object
    key_mismatch,         // certificate public key differs from the key pair
    expired,              // certificate or CRL past its notAfter / nextUpdate
    not_yet_valid,        // certificate or CRL before its notBefore / thisUpdate
    verification_failed,  // a signature (CRL, request) does not verify
    io_error,             // the certificate store's files
    crypto_error,         // OpenSSL failed where it should not (key generation, signing)
};

// Every failure of the library is a PkiError carrying a Junos-style message fit to show the operator.
class PkiError : public std::runtime_error {
  public:
    PkiError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

  private:
    ErrorCode code_;
};

// Formats bytes the way Junos prints fingerprints: lowercase hex pairs separated by colons.
std::string colon_hex(ByteView bytes);

// "MM-DD-YYYY HH:MM UTC", the layout of `show security pki ... detail`.
std::string junos_time(TimePoint time);

}  // namespace msim::pki
