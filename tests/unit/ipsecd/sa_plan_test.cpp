// Manual SAs of the configuration and their binding to es- units: the seed's Gateway A.
#include <doctest/doctest.h>

#include "msim/config/text_format.hpp"
#include "msim/ipsecd/sa_plan.hpp"

using namespace msim;
using namespace msim::ipsecd;

namespace {

std::shared_ptr<const config::Schema> schema() {
    static auto s = config::Schema::load(MSIM_YANG_DIR);
    return s;
}

const char* const seed_gateway_a = R"(
security {
    ipsec {
        security-association manual-sa1 {
            manual {
                direction bidirectional {
                    protocol esp;
                    spi 2312;
                    authentication {
                        algorithm hmac-md5-96;
                        key ascii-text 1234123412341234;
                    }
                    encryption {
                        algorithm 3des-cbc;
                        key ascii-text 123456789009876543211234;
                    }
                }
            }
        }
        security-association sa-ah {
            manual {
                direction inbound {
                    protocol ah;
                    spi 300;
                    authentication {
                        algorithm hmac-sha1-96;
                        key hexadecimal 00112233445566778899aabbccddeeff00112233;
                    }
                }
            }
        }
    }
})";

}  // namespace

TEST_CASE("manual SAs: directions, protocols, algorithms and keys decoded from the configuration") {
    auto tree = config::parse_text(*schema(), seed_gateway_a);
    auto sas = manual_sas(tree);
    REQUIRE(sas.size() == 2);
    const ManualSa& sa = sas.at("manual-sa1");
    CHECK(sa.mode == ipsec::Mode::tunnel);
    REQUIRE(sa.directions.size() == 1);
    const auto& d = sa.directions[0];
    CHECK(d.direction == "bidirectional");
    CHECK(d.protocol == ipsec::Protocol::esp);
    CHECK(d.spi == 2312);
    CHECK(d.integrity == ipsec::Integrity::hmac_md5_96);
    CHECK(std::string(d.integrity_key.begin(), d.integrity_key.end()) == "1234123412341234");
    CHECK(d.cipher == ipsec::Cipher::des3_cbc);
    CHECK(std::string(d.cipher_key.begin(), d.cipher_key.end()) == "123456789009876543211234");
    const auto& ah = sas.at("sa-ah").directions.at(0);
    CHECK(ah.protocol == ipsec::Protocol::ah);
    CHECK(ah.integrity_key.size() == 20);
    CHECK(ah.integrity_key[1] == 0x11);
    CHECK(ah.cipher == ipsec::Cipher::null);
}

TEST_CASE("planning: a bidirectional SA bound to an es- unit is an inbound and an outbound SA") {
    auto sas = manual_sas(config::parse_text(*schema(), seed_gateway_a));
    EsBinding b{"es-0/1/0.0",
                "es-0/1/0",
                "manual-sa1",
                *ipsec::parse_ipv4("10.5.5.5"),
                *ipsec::parse_ipv4("10.6.6.6"),
                true};
    auto plan = plan_manual_sas(sas, {b});
    REQUIRE(plan.size() == 2);
    const auto& in = plan[0].config.direction == ipsec::Direction::inbound ? plan[0].config : plan[1].config;
    const auto& out =
        plan[0].config.direction == ipsec::Direction::outbound ? plan[0].config : plan[1].config;
    CHECK(plan[0].pic == "es-0/1/0");
    CHECK(in.destination == *ipsec::parse_ipv4("10.5.5.5"));  // inbound SAs are found by our address
    CHECK(in.source == *ipsec::parse_ipv4("10.6.6.6"));
    CHECK(out.destination == *ipsec::parse_ipv4("10.6.6.6"));
    CHECK(out.spi == 2312);
    CHECK(in.spi == 2312);
    CHECK(out.name == "manual-sa1");
    CHECK(out.replay_window == 0);
    // Unbound SAs and SAs of an offline PIC are not installed.
    CHECK(plan_manual_sas(sas, {}).empty());
    b.online = false;
    CHECK(plan_manual_sas(sas, {b}).empty());
    // An inbound-only direction installs only the inbound SA.
    EsBinding ah{"es-0/1/0.1", "es-0/1/0", "sa-ah", 1, 2, true};
    auto ah_plan = plan_manual_sas(sas, {ah});
    REQUIRE(ah_plan.size() == 1);
    CHECK(ah_plan[0].config.direction == ipsec::Direction::inbound);
}

TEST_CASE("planning: a transport-mode SA no es- unit names protects the router's own traffic") {
    auto sas = manual_sas(config::parse_text(*schema(), R"(security {
    ipsec {
        security-association host-sa {
            mode transport;
            manual {
                direction bidirectional {
                    protocol esp;
                    spi 3000;
                    authentication {
                        algorithm hmac-sha1-96;
                        key ascii-text "12345678901234567890";
                    }
                    encryption {
                        algorithm 3des-cbc;
                        key ascii-text "123456789012345678901234";
                    }
                }
            }
        }
        security-association tunnel-sa {
            manual {
                direction bidirectional {
                    protocol ah;
                    spi 3001;
                    authentication {
                        algorithm hmac-md5-96;
                        key ascii-text "1234567890123456";
                    }
                }
            }
        }
    }
}
)"));
    // No ES PIC online: nothing to carry it.
    CHECK(plan_manual_sas(sas, {}, {}).empty());
    // On the first online ES PIC by name, without endpoints; the tunnel-mode SA stays unbound.
    auto plan = plan_manual_sas(sas, {}, {"es-1/2/0", "es-0/1/0"});
    REQUIRE(plan.size() == 2);
    for (const auto& p : plan) {
        CHECK(p.pic == "es-0/1/0");
        CHECK(p.config.name == "host-sa");
        CHECK(p.config.mode == ipsec::Mode::transport);
        CHECK(p.config.source == 0);
        CHECK(p.config.destination == 0);
    }
    // An es- unit that names it wins: its PIC and endpoints.
    EsBinding b{"es-1/2/0.0", "es-1/2/0", "host-sa", 1, 2, true};
    plan = plan_manual_sas(sas, {b}, {"es-0/1/0", "es-1/2/0"});
    REQUIRE(plan.size() == 2);
    CHECK(plan[0].pic == "es-1/2/0");
    CHECK((plan[0].config.source | plan[0].config.destination) != 0);
}
