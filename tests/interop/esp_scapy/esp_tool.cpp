// esp_tool: drives libmsim_ipsec_crypto from the command line so independent implementations (scapy,
// tshark) can check it. One SA is described by options; IPv4 packets are read as hex, one per line, from
// stdin, and each result is printed on one line: the output packet in hex, or "DROP <reason>",
// "IKE <offset>", "KEEPALIVE", "NOT-IPSEC".
//
//   esp_tool protect|unprotect --protocol esp|ah|bundle --spi N [--aux-spi N] --mode tunnel|transport
//            --src A.B.C.D --dst A.B.C.D [--cipher NAME --cipher-key HEX] [--integrity NAME
//            --integrity-key HEX] [--window N] [--udp SPORT:DPORT]
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "msim/ipsec/engine.hpp"

using namespace msim::ipsec;

namespace {

[[noreturn]] void fail(const std::string& message) {
    std::cerr << "esp_tool: " << message << "\n";
    std::exit(2);
}

std::vector<std::uint8_t> from_hex(const std::string& text) {
    std::string digits;
    for (char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c))) {
            digits += c;
        }
    }
    if (digits.rfind("0x", 0) == 0) {
        digits.erase(0, 2);
    }
    if (digits.size() % 2 != 0) {
        fail("odd number of hex digits");
    }
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i < digits.size(); i += 2) {
        char* end = nullptr;
        std::string pair = digits.substr(i, 2);
        long v = std::strtol(pair.c_str(), &end, 16);
        if (end != pair.c_str() + 2) {
            fail("bad hex: " + pair);
        }
        bytes.push_back(static_cast<std::uint8_t>(v));
    }
    return bytes;
}

std::string to_hex(const std::uint8_t* p, std::size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    s.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

std::uint32_t number(const std::string& text) {
    char* end = nullptr;
    unsigned long v = std::strtoul(text.c_str(), &end, 0);
    if (end == text.c_str() || *end != '\0' || v > 0xffffffffUL) {
        fail("bad number: " + text);
    }
    return static_cast<std::uint32_t>(v);
}

Ipv4Address address(const std::string& text) {
    auto a = parse_ipv4(text);
    if (!a) {
        fail("bad address: " + text);
    }
    return *a;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fail("usage: esp_tool protect|unprotect OPTIONS < hex-packets");
    }
    std::string command = argv[1];
    if (command != "protect" && command != "unprotect") {
        fail("unknown command " + command);
    }
    SaConfig sa;
    sa.name = "sa";
    sa.direction = command == "protect" ? Direction::outbound : Direction::inbound;
    for (int i = 2; i < argc; i += 2) {
        std::string option = argv[i];
        if (i + 1 >= argc) {
            fail(option + " needs a value");
        }
        std::string value = argv[i + 1];
        if (option == "--protocol") {
            sa.protocol = value == "esp" ? Protocol::esp : value == "ah" ? Protocol::ah : Protocol::bundle;
            if (value != "esp" && value != "ah" && value != "bundle") {
                fail("bad protocol " + value);
            }
        } else if (option == "--spi") {
            sa.spi = number(value);
        } else if (option == "--aux-spi") {
            sa.auxiliary_spi = number(value);
        } else if (option == "--mode") {
            if (value != "tunnel" && value != "transport") {
                fail("bad mode " + value);
            }
            sa.mode = value == "tunnel" ? Mode::tunnel : Mode::transport;
        } else if (option == "--src") {
            sa.source = address(value);
        } else if (option == "--dst") {
            sa.destination = address(value);
        } else if (option == "--cipher") {
            auto c = parse_cipher(value);
            if (!c) {
                fail("bad cipher " + value);
            }
            sa.cipher = *c;
        } else if (option == "--cipher-key") {
            sa.cipher_key = from_hex(value);
        } else if (option == "--integrity") {
            auto a = parse_integrity(value);
            if (!a) {
                fail("bad integrity algorithm " + value);
            }
            sa.integrity = *a;
        } else if (option == "--integrity-key") {
            sa.integrity_key = from_hex(value);
        } else if (option == "--window") {
            sa.replay_window = number(value);
        } else if (option == "--udp") {
            auto colon = value.find(':');
            if (colon == std::string::npos) {
                fail("--udp wants SPORT:DPORT");
            }
            sa.udp_encapsulation =
                UdpEncapsulation{static_cast<std::uint16_t>(number(value.substr(0, colon))),
                                 static_cast<std::uint16_t>(number(value.substr(colon + 1)))};
        } else {
            fail("unknown option " + option);
        }
    }
    IpsecEngine engine;
    if (Status s = engine.add_sa(sa); !s) {
        fail("SA refused: " + s.error().message);
    }
    Packet packet;
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) {
            continue;
        }
        packet.assign(from_hex(line));
        if (command == "protect") {
            OutboundResult r = engine.protect("sa", packet);
            if (r.ok()) {
                std::cout << to_hex(packet.data(), packet.size()) << "\n";
            } else {
                std::cout << "DROP " << to_string(r.drop) << "\n";
            }
        } else {
            InboundResult r = engine.unprotect(packet);
            switch (r.kind) {
                case InboundKind::delivered:
                    std::cout << to_hex(packet.data(), packet.size()) << "\n";
                    break;
                case InboundKind::ike:
                    std::cout << "IKE " << r.ike_offset << "\n";
                    break;
                case InboundKind::nat_keepalive:
                    std::cout << "KEEPALIVE\n";
                    break;
                case InboundKind::not_ipsec:
                    std::cout << "NOT-IPSEC\n";
                    break;
                case InboundKind::dropped:
                    std::cout << "DROP " << to_string(r.drop) << "\n";
                    break;
            }
        }
    }
    return 0;
}
