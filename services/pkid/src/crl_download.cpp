#include "msim/pki/crl_download.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace msim::pki {

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
    std::string data;
    std::size_t max_bytes = 0;
    bool too_big = false;
};

extern "C" std::size_t write_body(char* ptr, std::size_t size, std::size_t nmemb, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const std::size_t n = size * nmemb;
    if (sink->data.size() + n > sink->max_bytes) {
        sink->too_big = true;
        return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    sink->data.append(ptr, n);
    return n;
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

std::string base64_decode(std::string_view text) {
    std::string clean;
    for (char c : text)
        if (!std::isspace(static_cast<unsigned char>(c)))
            clean.push_back(c);
    if (clean.empty() || clean.size() % 4 != 0)
        throw PkiError(ErrorCode::malformed_input, "LDAP attribute value is not base64");
    std::string out(clean.size() / 4 * 3, '\0');
    const int n =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
    if (n < 0)
        throw PkiError(ErrorCode::malformed_input, "LDAP attribute value is not base64");
    std::size_t len = static_cast<std::size_t>(n);
    // EVP_DecodeBlock counts the padding as zero bytes
    if (clean.ends_with("=="))
        len -= 2;
    else if (clean.ends_with("="))
        len -= 1;
    out.resize(len);
    return out;
}

// Length of the DER SEQUENCE at the start of `v` (header included), or v.size() when it cannot be told.
std::size_t der_length(std::string_view v) {
    if (v.size() < 2 || static_cast<unsigned char>(v[0]) != 0x30)
        return v.size();
    const auto first = static_cast<unsigned char>(v[1]);
    if (first < 0x80)
        return std::min(v.size(), std::size_t{2} + first);
    const std::size_t n = first & 0x7f;
    if (n == 0 || n > 4 || v.size() < 2 + n)
        return v.size();
    std::size_t len = 0;
    for (std::size_t i = 0; i < n; ++i)
        len = (len << 8) | static_cast<unsigned char>(v[2 + i]);
    return std::min(v.size(), 2 + n + len);
}

ByteView view(const std::string& s) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

extern "C" int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* cancel = static_cast<const std::atomic<bool>*>(user);
    return cancel != nullptr && cancel->load() ? 1 : 0;  // non-zero aborts the transfer
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

HttpAnswer transfer(const std::string& url, const std::string* post_body,
                    const std::string& post_content_type, const DownloadLimits& limits,
                    const std::string* password);

}  // namespace

std::string credential_user(const std::string& url) {
    // scheme://[user[:pass]@]host[:port]/path[?query]
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos)
        return {};
    const std::size_t authority = scheme_end + 3;
    const std::size_t path = url.find('/', authority);
    const std::string_view auth(url.data() + authority,
                                (path == std::string::npos ? url.size() : path) - authority);
    const auto at = auth.rfind('@');
    if (at != std::string_view::npos) {
        const auto user = auth.substr(0, at);
        return percent_decode(user.substr(0, user.find(':')));
    }
    if (!starts_with_icase(url, "ldap") || path == std::string::npos)
        return {};
    // The DN the LDAP URL names: ldap://host/cn=CA,dc=example?attribute
    std::string_view dn(url.data() + path + 1, url.size() - path - 1);
    dn = dn.substr(0, dn.find('?'));
    return percent_decode(dn);
}

std::string download(const std::string& url, const DownloadLimits& limits) {
    return transfer(url, nullptr, {}, limits, nullptr).body;
}

std::string download(const std::string& url, const DownloadLimits& limits, const std::string& password) {
    return transfer(url, nullptr, {}, limits, &password).body;
}

HttpAnswer http_exchange(const std::string& url, const std::string* post_body,
                         const std::string& post_content_type, const DownloadLimits& limits) {
    return transfer(url, post_body, post_content_type, limits, nullptr);
}

namespace {

HttpAnswer transfer(const std::string& url, const std::string* post_body,
                    const std::string& post_content_type, const DownloadLimits& limits,
                    const std::string* password) {
    const bool allowed = starts_with_icase(url, "http://") || starts_with_icase(url, "https://") ||
                         starts_with_icase(url, "ldap://") || starts_with_icase(url, "ldaps://");
    if (!allowed)
        throw PkiError(ErrorCode::invalid_argument,
                       "URL " + url + " is not http://, https://, ldap:// or ldaps://");
    global_init();
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl)
        throw PkiError(ErrorCode::io_error, "cannot start a download");
    Sink sink;
    sink.max_bytes = limits.max_bytes;
    char error[CURL_ERROR_SIZE] = {};
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,ldap,ldaps");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(limits.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limits.timeout.count()));
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "msim-pkid");
    if (limits.cancel != nullptr) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(limits.cancel));
    }
    std::string user;
    if (password != nullptr) {
        // LDAP: libcurl binds (simple bind) with the user name as DN; HTTP: Basic authentication.
        user = credential_user(url);
        curl_easy_setopt(h, CURLOPT_USERNAME, user.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, password->c_str());
        if (starts_with_icase(url, "http"))
            curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    }
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, &curl_slist_free_all);
    if (post_body != nullptr) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post_body->data());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
        const std::string header = "Content-Type: " + post_content_type;
        headers.reset(curl_slist_append(nullptr, header.c_str()));
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    }
    const CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        throw PkiError(ErrorCode::io_error, "transfer of " + url + " cancelled");
    if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
        throw PkiError(ErrorCode::io_error,
                       "download of " + url + " exceeds " + std::to_string(limits.max_bytes) + " bytes");
    if (rc != CURLE_OK)
        throw PkiError(ErrorCode::io_error,
                       "download of " + url +
                           " failed: " + (error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc)));
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if ((starts_with_icase(url, "http")) && status >= 400)
        throw PkiError(ErrorCode::io_error,
                       "download of " + url + " failed: HTTP status " + std::to_string(status));
    HttpAnswer answer;
    char* type = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr)
        answer.content_type = type;
    answer.body = std::move(sink.data);
    return answer;
}

}  // namespace

Crl crl_from_ldap_output(const std::string& output) {
    // libcurl (lib/ldap.c): "DN: <dn>\n", then per value "\t<attribute>:: <base64>\n" for binary values
    // (older versions: "\t<attribute>;binary: <base64>\n") or "\t<attribute>: <value>\n" for text.
    static constexpr std::string_view attr = "certificateRevocationList";
    std::size_t pos = 0;
    while ((pos = output.find('\t', pos)) != std::string::npos) {
        ++pos;
        std::string_view rest(output.data() + pos, output.size() - pos);
        if (!starts_with_icase(rest, attr)) {
            continue;
        }
        const std::size_t colon = rest.find(':');
        if (colon == std::string_view::npos)
            break;
        const std::string_view name = rest.substr(0, colon);
        if (name.size() != attr.size() && !starts_with_icase(name.substr(attr.size()), ";"))
            continue;  // some other attribute sharing the prefix
        // "name:: base64" (libcurl >= 7.57, LDIF style), "name;binary: base64" (older), "name: raw"
        const bool double_colon = rest.size() > colon + 1 && rest[colon + 1] == ':';
        std::string_view value = rest.substr(colon + (double_colon ? 2 : 1));
        if (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
        const bool binary =
            double_colon || (name.size() >= 7 && starts_with_icase(name.substr(name.size() - 7), ";binary"));
        if (binary) {
            value = value.substr(0, value.find('\n'));
            const std::string der = base64_decode(value);
            return Crl::from_bytes(view(der));
        }
        // raw bytes: the DER's own length says where the value ends (it may contain newlines itself)
        std::string raw(value.substr(0, der_length(value)));
        return Crl::from_bytes(view(raw));
    }
    throw PkiError(ErrorCode::malformed_input, "the LDAP entry has no certificateRevocationList attribute");
}

std::optional<Crl> CurlCrlFetcher::fetch(const std::string& url) {
    auto pw = passwords_.find(url);
    const std::string body =
        pw == passwords_.end() ? download(url, limits_) : download(url, limits_, pw->second);
    if (starts_with_icase(url, "ldap"))
        return crl_from_ldap_output(body);
    return Crl::from_bytes(view(body));
}

}  // namespace msim::pki
