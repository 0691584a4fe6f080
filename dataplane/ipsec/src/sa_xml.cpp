#include "msim/ipsec/sa_xml.hpp"

#include <charconv>
#include <limits>

#include "msim/common/hex.hpp"

namespace msim::ipsec {

namespace {

void add(pugi::xml_node parent, const char* name, std::string_view value) {
    parent.append_child(name).text().set(std::string(value).c_str());
}
void add(pugi::xml_node parent, const char* name, std::uint64_t value) {
    parent.append_child(name).text().set(static_cast<unsigned long long>(value));
}

template <typename T>
bool number(const pugi::xml_node& parent, const char* name, T& out, std::string& error,
            bool required = true) {
    const pugi::xml_node n = parent.child(name);
    if (!n) {
        if (required) {
            error = std::string("missing <") + name + ">";
        }
        return !required;
    }
    const std::string_view text = n.child_value();
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v > std::numeric_limits<T>::max()) {
        error = std::string("bad <") + name + ">: '" + std::string(text) + "'";
        return false;
    }
    out = static_cast<T>(v);
    return true;
}

std::optional<Direction> parse_direction(std::string_view s) {
    if (s == "inbound")
        return Direction::inbound;
    if (s == "outbound")
        return Direction::outbound;
    return std::nullopt;
}
std::optional<Protocol> parse_protocol(std::string_view s) {
    if (s == "esp")
        return Protocol::esp;
    if (s == "ah")
        return Protocol::ah;
    if (s == "bundle")
        return Protocol::bundle;
    return std::nullopt;
}

bool address(const pugi::xml_node& parent, const char* name, Ipv4Address& out, std::string& error) {
    auto a = parse_ipv4(parent.child_value(name));
    if (!a) {
        error = std::string("bad <") + name + ">: '" + parent.child_value(name) + "'";
        return false;
    }
    out = *a;
    return true;
}

}  // namespace

std::string to_hex(const std::vector<std::uint8_t>& bytes) {
    return msim::to_hex(bytes);
}

// Keys may carry the 0x of the configuration's `hexadecimal 0x…` form.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text) {
    if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) {
        text.remove_prefix(2);
    }
    return msim::from_hex(text);
}

void append_sa_config(pugi::xml_node parent, const SaConfig& c, const char* element) {
    auto sa = parent.append_child(element);
    add(sa, "name", c.name);
    if (c.reqid)
        add(sa, "reqid", c.reqid);
    add(sa, "direction", to_string(c.direction));
    add(sa, "protocol", to_string(c.protocol));
    add(sa, "spi", c.spi);
    if (c.auxiliary_spi)
        add(sa, "auxiliary-spi", c.auxiliary_spi);
    add(sa, "mode", to_string(c.mode));
    add(sa, "source", format_ipv4(c.source));
    add(sa, "destination", format_ipv4(c.destination));
    add(sa, "cipher", to_string(c.cipher));
    add(sa, "cipher-key", to_hex(c.cipher_key));
    add(sa, "integrity", to_string(c.integrity));
    add(sa, "integrity-key", to_hex(c.integrity_key));
    add(sa, "replay-window", c.replay_window);
    if (c.initial_sequence)
        add(sa, "initial-sequence", c.initial_sequence);
    auto lt = sa.append_child("lifetime");
    add(lt, "soft-seconds", c.lifetime.soft_seconds);
    add(lt, "hard-seconds", c.lifetime.hard_seconds);
    add(lt, "soft-kilobytes", c.lifetime.soft_kilobytes);
    add(lt, "hard-kilobytes", c.lifetime.hard_kilobytes);
    if (c.udp_encapsulation) {
        auto u = sa.append_child("udp-encapsulation");
        add(u, "source-port", c.udp_encapsulation->source_port);
        add(u, "destination-port", c.udp_encapsulation->destination_port);
    }
    add(sa, "outer-ttl", c.outer_ttl);
}

std::optional<SaConfig> parse_sa_config(const pugi::xml_node& sa, std::string& error) {
    SaConfig c;
    c.name = sa.child_value("name");
    auto dir = parse_direction(sa.child_value("direction"));
    auto proto = parse_protocol(sa.child_value("protocol"));
    const std::string_view mode = sa.child_value("mode");
    auto cipher = parse_cipher(sa.child_value("cipher"));
    auto integrity = parse_integrity(sa.child_value("integrity"));
    if (!dir) {
        error = "bad <direction>";
        return std::nullopt;
    }
    if (!proto) {
        error = "bad <protocol>";
        return std::nullopt;
    }
    if (mode != "tunnel" && mode != "transport") {
        error = "bad <mode>";
        return std::nullopt;
    }
    if (!cipher || !integrity) {
        error = !cipher ? "bad <cipher>" : "bad <integrity>";
        return std::nullopt;
    }
    auto ckey = from_hex(sa.child_value("cipher-key"));
    auto ikey = from_hex(sa.child_value("integrity-key"));
    if (!ckey || !ikey) {
        error = !ckey ? "bad <cipher-key>" : "bad <integrity-key>";
        return std::nullopt;
    }
    c.direction = *dir;
    c.protocol = *proto;
    c.mode = mode == "tunnel" ? Mode::tunnel : Mode::transport;
    c.cipher = *cipher;
    c.integrity = *integrity;
    c.cipher_key = std::move(*ckey);
    c.integrity_key = std::move(*ikey);
    if (!number(sa, "reqid", c.reqid, error, false) || !number(sa, "spi", c.spi, error) ||
        !number(sa, "auxiliary-spi", c.auxiliary_spi, error, false) ||
        !number(sa, "replay-window", c.replay_window, error, false) ||
        !number(sa, "initial-sequence", c.initial_sequence, error, false) ||
        !number(sa, "outer-ttl", c.outer_ttl, error, false) || !address(sa, "source", c.source, error) ||
        !address(sa, "destination", c.destination, error)) {
        return std::nullopt;
    }
    if (auto lt = sa.child("lifetime")) {
        if (!number(lt, "soft-seconds", c.lifetime.soft_seconds, error, false) ||
            !number(lt, "hard-seconds", c.lifetime.hard_seconds, error, false) ||
            !number(lt, "soft-kilobytes", c.lifetime.soft_kilobytes, error, false) ||
            !number(lt, "hard-kilobytes", c.lifetime.hard_kilobytes, error, false)) {
            return std::nullopt;
        }
    }
    if (auto u = sa.child("udp-encapsulation")) {
        UdpEncapsulation e;
        if (!number(u, "source-port", e.source_port, error) ||
            !number(u, "destination-port", e.destination_port, error)) {
            return std::nullopt;
        }
        c.udp_encapsulation = e;
    }
    return c;
}

void append_sa_key(pugi::xml_node parent, const SaKey& key, const char* element) {
    auto k = parent.append_child(element);
    add(k, "direction", to_string(key.direction));
    add(k, "protocol", to_string(key.protocol));
    add(k, "spi", key.spi);
    add(k, "destination", format_ipv4(key.destination));
}

std::optional<SaKey> parse_sa_key(const pugi::xml_node& k, std::string& error) {
    SaKey key;
    auto dir = parse_direction(k.child_value("direction"));
    auto proto = parse_protocol(k.child_value("protocol"));
    if (!dir || !proto) {
        error = !dir ? "bad <direction>" : "bad <protocol>";
        return std::nullopt;
    }
    key.direction = *dir;
    key.protocol = *proto;
    if (!number(k, "spi", key.spi, error) || !address(k, "destination", key.destination, error)) {
        return std::nullopt;
    }
    return key;
}

void append_sa_state(pugi::xml_node parent, const SaState& s, const char* element) {
    auto st = parent.append_child(element);
    SaConfig without_keys = s.config;
    without_keys.cipher_key.clear();
    without_keys.integrity_key.clear();
    append_sa_config(st, without_keys, "sa");
    auto c = st.append_child("counters");
    add(c, "packets-encrypted", s.counters.packets_encrypted);
    add(c, "bytes-encrypted", s.counters.bytes_encrypted);
    add(c, "packets-decrypted", s.counters.packets_decrypted);
    add(c, "bytes-decrypted", s.counters.bytes_decrypted);
    add(c, "authentication-failures", s.counters.auth_failures);
    add(c, "replay-drops", s.counters.replay_drops);
    add(c, "bad-padding", s.counters.bad_padding);
    add(c, "malformed", s.counters.malformed);
    add(c, "expired-drops", s.counters.expired_drops);
    add(c, "sequence-overflows", s.counters.sequence_overflows);
    add(st, "last-sequence", s.last_sequence);
    add(st, "lifetime-bytes", s.lifetime_bytes);
    add(st, "age-seconds",
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(s.age).count()));
    if (s.soft_expired)
        st.append_child("soft-expired");
    if (s.hard_expired)
        st.append_child("hard-expired");
}

std::optional<SaState> parse_sa_state(const pugi::xml_node& st, std::string& error) {
    SaState s;
    auto config = parse_sa_config(st.child("sa"), error);
    if (!config) {
        return std::nullopt;
    }
    s.config = std::move(*config);
    auto c = st.child("counters");
    std::uint64_t age = 0;
    if (!number(c, "packets-encrypted", s.counters.packets_encrypted, error) ||
        !number(c, "bytes-encrypted", s.counters.bytes_encrypted, error) ||
        !number(c, "packets-decrypted", s.counters.packets_decrypted, error) ||
        !number(c, "bytes-decrypted", s.counters.bytes_decrypted, error) ||
        !number(c, "authentication-failures", s.counters.auth_failures, error) ||
        !number(c, "replay-drops", s.counters.replay_drops, error) ||
        !number(c, "bad-padding", s.counters.bad_padding, error) ||
        !number(c, "malformed", s.counters.malformed, error) ||
        !number(c, "expired-drops", s.counters.expired_drops, error) ||
        !number(c, "sequence-overflows", s.counters.sequence_overflows, error) ||
        !number(st, "last-sequence", s.last_sequence, error) ||
        !number(st, "lifetime-bytes", s.lifetime_bytes, error) || !number(st, "age-seconds", age, error)) {
        return std::nullopt;
    }
    s.age = std::chrono::seconds(age);
    s.soft_expired = bool(st.child("soft-expired"));
    s.hard_expired = bool(st.child("hard-expired"));
    return s;
}

}  // namespace msim::ipsec
