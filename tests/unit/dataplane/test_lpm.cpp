#include <doctest/doctest.h>

#include <random>

#include "helpers.hpp"
#include "msim/dataplane/prefix_trie.hpp"

using namespace msim::dataplane;
using namespace msim::dataplane::test;

TEST_CASE("longest prefix match: /0, /32 and nesting") {
    PrefixTrie<int> t;
    CHECK(t.lookup(ip("1.2.3.4")) == nullptr);
    t.insert(pfx("0.0.0.0/0"), 0);
    t.insert(pfx("10.0.0.0/8"), 8);
    t.insert(pfx("10.1.0.0/16"), 16);
    t.insert(pfx("10.1.1.0/24"), 24);
    t.insert(pfx("10.1.1.7/32"), 32);
    CHECK(*t.lookup(ip("192.0.2.1")) == 0);
    CHECK(*t.lookup(ip("10.200.0.1")) == 8);
    CHECK(*t.lookup(ip("10.1.2.3")) == 16);
    CHECK(*t.lookup(ip("10.1.1.8")) == 24);
    CHECK(*t.lookup(ip("10.1.1.7")) == 32);
    CHECK(t.lookup_prefix(ip("10.1.1.8"))->first == pfx("10.1.1.0/24"));
    CHECK(t.size() == 5);

    CHECK_FALSE(t.insert(pfx("10.1.1.99/24"), 240));  // host bits ignored: replaces
    CHECK(*t.lookup(ip("10.1.1.8")) == 240);
    CHECK(t.erase(pfx("10.1.1.0/24")));
    CHECK(*t.lookup(ip("10.1.1.8")) == 16);
    CHECK_FALSE(t.erase(pfx("10.1.1.0/24")));
    CHECK(t.erase(pfx("0.0.0.0/0")));
    CHECK(t.lookup(ip("192.0.2.1")) == nullptr);
    CHECK(*t.lookup(ip("10.1.1.7")) == 32);
    CHECK(*t.find(pfx("10.0.0.0/8")) == 8);

    std::vector<std::string> order;
    t.for_each([&](Ipv4Prefix p, int) { order.push_back(p.to_string()); });
    CHECK(order == std::vector<std::string>{"10.0.0.0/8", "10.1.0.0/16", "10.1.1.7/32"});

    PrefixTrie<int> host;
    host.insert(pfx("255.255.255.255/32"), 1);
    CHECK(*host.lookup(ip("255.255.255.255")) == 1);
    CHECK(host.lookup(ip("255.255.255.254")) == nullptr);
}

TEST_CASE("longest prefix match agrees with brute force over 20k random routes") {
    std::mt19937 rng(12345);
    PrefixTrie<uint32_t> t;
    std::vector<std::pair<Ipv4Prefix, uint32_t>> routes;
    for (uint32_t i = 0; i < 20000; ++i) {
        const uint8_t len = static_cast<uint8_t>(8 + rng() % 25);
        Ipv4Prefix p = Ipv4Prefix{Ipv4Address(static_cast<uint32_t>(rng()) & 0x0fffffffu), len}.network();
        if (t.insert(p, i)) {
            routes.emplace_back(p, i);
        } else {
            for (auto& r : routes) {
                if (r.first == p) {
                    r.second = i;
                }
            }
        }
    }
    // Remove every tenth route to exercise erase.
    std::vector<std::pair<Ipv4Prefix, uint32_t>> kept;
    for (size_t i = 0; i < routes.size(); ++i) {
        if (i % 10 == 0) {
            CHECK(t.erase(routes[i].first));
        } else {
            kept.push_back(routes[i]);
        }
    }
    CHECK(t.size() == kept.size());
    for (int probe = 0; probe < 3000; ++probe) {
        const Ipv4Address a(static_cast<uint32_t>(rng()) & 0x0fffffffu);
        const std::pair<Ipv4Prefix, uint32_t>* best = nullptr;
        for (const auto& r : kept) {
            if (r.first.contains(a) && (best == nullptr || r.first.length > best->first.length)) {
                best = &r;
            }
        }
        const uint32_t* got = t.lookup(a);
        if (best == nullptr) {
            CHECK(got == nullptr);
        } else {
            REQUIRE(got != nullptr);
            CHECK(*got == best->second);
        }
    }
}
