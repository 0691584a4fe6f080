#include "ossl.hpp"

#include <climits>
#include <cstdio>
#include <ctime>

namespace msim::pki {

std::string colon_hex(ByteView bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 3);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i != 0) {
            out.push_back(':');
        }
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 0x0f]);
    }
    return out;
}

namespace {
std::string format_junos(const std::tm& tm) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%02d-%02d-%04d %02d:%02d UTC", tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
    return buf;
}
}  // namespace

std::string junos_time(TimePoint time) {
    std::time_t t = Clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return format_junos(tm);
}

}  // namespace msim::pki

namespace msim::pki::detail {

std::string take_openssl_errors() {
    std::string out;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        if (!out.empty()) {
            out += "; ";
        }
        out += buf;
    }
    return out;
}

void throw_crypto(const std::string& what) {
    std::string detail = take_openssl_errors();
    throw PkiError(ErrorCode::crypto_error, detail.empty() ? what : what + " (" + detail + ")");
}

BioPtr memory_bio(ByteView bytes, const char* what) {
    if (bytes.size() > max_input_size || bytes.size() > static_cast<std::size_t>(INT_MAX)) {
        throw PkiError(ErrorCode::malformed_input, std::string(what) + " is too large");
    }
    BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    if (!bio) {
        throw_crypto("cannot allocate memory buffer");
    }
    return bio;
}

BioPtr output_bio() {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) {
        throw_crypto("cannot allocate memory buffer");
    }
    return bio;
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || data == nullptr) {
        return {};
    }
    return std::string(data, static_cast<std::size_t>(len));
}

bool looks_like_pem(ByteView bytes) {
    static constexpr std::string_view marker = "-----BEGIN ";
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return text.find(marker) != std::string_view::npos;
}

TimePoint to_time_point(const ASN1_TIME* time) {
    std::tm tm{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
        throw PkiError(ErrorCode::malformed_input, "invalid time field");
    }
    using Seconds = std::chrono::seconds;
    const auto max_seconds = std::chrono::duration_cast<Seconds>(TimePoint::max().time_since_epoch()).count();
    const auto min_seconds = std::chrono::duration_cast<Seconds>(TimePoint::min().time_since_epoch()).count();
    const long long seconds = static_cast<long long>(timegm(&tm));
    if (seconds >= max_seconds) {
        return TimePoint::max();
    }
    if (seconds <= min_seconds) {
        return TimePoint::min();
    }
    return TimePoint(std::chrono::duration_cast<Clock::duration>(Seconds(seconds)));
}

std::string junos_time_of(const ASN1_TIME* time) {
    std::tm tm{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
        return "invalid";
    }
    return format_junos(tm);
}

std::time_t to_time_t(TimePoint time) {
    return Clock::to_time_t(time);
}

std::vector<std::uint8_t> digest(const EVP_MD* md, ByteView bytes) {
    std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, md, nullptr) != 1) {
        throw_crypto("digest failed");
    }
    out.resize(len);
    return out;
}

}  // namespace msim::pki::detail
