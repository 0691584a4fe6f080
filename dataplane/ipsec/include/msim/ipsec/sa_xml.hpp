// The SA backend over IPC: SaConfig, SaKey and SaState as XML elements, so that ipsecd (and kmd through
// it) drives the ES PIC model in pfed through exactly the narrow SaBackend interface (strongSwan's
// kernel_ipsec shape): sa-get-spi, sa-add, sa-update, sa-query, sa-delete, sa-flush, sa-list.
// Keys travel as hexadecimal over the router's private Unix sockets; they are never logged.
#pragma once

#include <optional>
#include <pugixml.hpp>
#include <string>

#include "msim/ipsec/types.hpp"

namespace msim::ipsec {

// <sa> children: name, reqid, direction, protocol, spi, auxiliary-spi, mode, source, destination,
// cipher, cipher-key, integrity, integrity-key, replay-window, initial-sequence, lifetime, udp-encapsulation.
void append_sa_config(pugi::xml_node parent, const SaConfig& config, const char* element = "sa");
// Parses what append_sa_config wrote; the error says which field is wrong.
std::optional<SaConfig> parse_sa_config(const pugi::xml_node& sa, std::string& error);

void append_sa_key(pugi::xml_node parent, const SaKey& key, const char* element = "sa-key");
std::optional<SaKey> parse_sa_key(const pugi::xml_node& key, std::string& error);

// State of an installed SA (keys omitted: show commands never need them).
void append_sa_state(pugi::xml_node parent, const SaState& state, const char* element = "sa-state");
std::optional<SaState> parse_sa_state(const pugi::xml_node& state, std::string& error);

std::string to_hex(const std::vector<std::uint8_t>& bytes);
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

}  // namespace msim::ipsec
