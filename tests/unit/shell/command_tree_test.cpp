#include <doctest/doctest.h>

#include "msim/shell/cli.hpp"
#include "msim/shell/command_tree.hpp"

using namespace msim::shell;

namespace {

std::vector<std::string> names(const std::vector<Completion>& items) {
    std::vector<std::string> out;
    for (const auto& c : items)
        out.push_back(c.name);
    return out;
}

}  // namespace

TEST_CASE("unique prefixes match; errors name the word they concern") {
    const auto tree = make_operational_tree();
    auto m = tree.match({"sh", "ver"});
    REQUIRE(m.command);
    CHECK(m.command->rpc == "get-software-information");
    CHECK(m.expanded == std::vector<std::string>{"show", "version"});

    m = tree.match({"shw"});
    REQUIRE(m.error);
    CHECK(m.error->kind == MatchError::Kind::unknown_command);
    CHECK(m.error->word_index == 0);

    m = tree.match({"show", "s"});
    REQUIRE(m.error);
    CHECK(m.error->kind == MatchError::Kind::ambiguous);
    CHECK(m.error->word_index == 1);
    CHECK(names(m.error->completions) == std::vector<std::string>{"security", "system"});

    m = tree.match({"show"});
    REQUIRE(m.error);
    CHECK(m.error->kind == MatchError::Kind::incomplete);
    CHECK(m.error->word_index == 1);

    m = tree.match({"show", "log"});
    REQUIRE(m.error);
    CHECK(m.error->kind == MatchError::Kind::missing_argument);

    m = tree.match({"show", "log", "messages"});
    REQUIRE(m.command);
    CHECK(m.args == std::vector<std::string>{"messages"});
}

TEST_CASE("commands a class may not run do not exist for it") {
    const auto tree = make_operational_tree();
    const CommandTree::Visible read_only = [](const OpCommand& c) { return c.words[0] == "show"; };
    auto m = tree.match({"request", "system", "logout", "user", "x"}, read_only);
    REQUIRE(m.error);
    CHECK(m.error->kind == MatchError::Kind::unknown_command);
    CHECK(names(tree.completions({}, "", read_only)) == std::vector<std::string>{"show"});
    const CommandTree::Visible no_configure = [](const OpCommand& c) { return c.local != "configure"; };
    CHECK(tree.match({"con"}).command);
    auto hidden = tree.match({"con"}, no_configure);
    REQUIRE(hidden.error);
    CHECK(hidden.error->kind == MatchError::Kind::unknown_command);
}

TEST_CASE("? listings: <[Enter]> when the command runs as it is, placeholders with their help, |") {
    const auto tree = make_operational_tree();
    auto items = tree.completions({"show", "cli", "history"}, "");
    CHECK(names(items) == std::vector<std::string>{"<[Enter]>", "<count>", "|"});
    CHECK(items[1].help == "Maximum number of commands to display");
    CHECK(names(tree.completions({"show", "system"}, "u")) == std::vector<std::string>{"uptime", "users"});
    CHECK(names(tree.completions({"show", "log", "messages"}, "")) ==
          std::vector<std::string>{"<[Enter]>", "|"});
}

TEST_CASE("Possible completions: help at column 23, long names get two spaces") {
    const std::string text = format_completions(
        {{"version", "Show version", ' '}, {"multicast-snooping-options", "Snooping", '>'}, {"op", "", ' '}});
    CHECK(text ==
          "Possible completions:\n"
          "  version              Show version\n"
          "> multicast-snooping-options  Snooping\n"
          "  op\n");
}

TEST_CASE("batch command lists split at ; outside quotes") {
    CHECK(split_command_list("show version; show system uptime") ==
          std::vector<std::string>{"show version", "show system uptime"});
    CHECK(split_command_list("set a \"x; y\"; show") == std::vector<std::string>{"set a \"x; y\"", "show"});
    CHECK(split_command_list("a;b\nc", false) == std::vector<std::string>{"a;b", "c"});
}
