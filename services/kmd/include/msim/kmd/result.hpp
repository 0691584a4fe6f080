// Errors as values for the whole kmd library: every fallible call returns Result<T>.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace msim::kmd {

using Bytes = std::vector<std::uint8_t>;

enum class ErrorCode {
    Truncated,             // a length points past the end of the data
    Malformed,             // a field holds an impossible value
    TooLarge,              // message or payload count above the configured bounds
    UnsupportedVersion,    // ISAKMP major version other than 1
    UnsupportedExchange,   // exchange type we do not speak
    UnexpectedMessage,     // valid message, wrong state (or wrong cookies / message id)
    NoProposalChosen,      // no acceptable proposal
    InvalidIdInformation,  // identity missing or not acceptable
    AuthenticationFailed,  // HASH/SIG mismatch, or undecryptable message after keys were derived
    PayloadMissing,        // a required payload is absent
    CryptoFailure,         // OpenSSL refused an operation
    PeerNotified,          // the peer sent an error notification
    RetransmitsExhausted,  // no answer after the last retransmission
};

const char* to_string(ErrorCode code);

struct Error {
    ErrorCode code;
    std::string message;
};

template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() {
        if (!ok())
            throw std::logic_error("kmd::Result::value() on an error: " + error().message);
        return std::get<0>(v_);
    }
    const T& value() const {
        if (!ok())
            throw std::logic_error("kmd::Result::value() on an error: " + error().message);
        return std::get<0>(v_);
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }

    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

struct Ok {};

inline Error make_error(ErrorCode code, std::string message) {
    return Error{code, std::move(message)};
}

}  // namespace msim::kmd
