#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "msim/shell/pipes.hpp"

using namespace msim::shell;

namespace {

const std::string text = "system {\n    host-name r1;\n    domain-name lab;\n}\n";

std::string piped(const std::string& line, const std::string& input = text) {
    PipedCommand p;
    if (auto err = split_pipes(line, p))
        return "ERROR " + err->message + " @" + std::to_string(err->offset);
    return apply_text_pipes(input, p.pipes);
}

std::vector<std::string> first_names(const std::vector<std::pair<std::string, std::string>>& items) {
    std::vector<std::string> out;
    for (const auto& [name, help] : items)
        out.push_back(name);
    return out;
}

}  // namespace

TEST_CASE("text pipes, abbreviated and chained") {
    CHECK(piped("show | match name") == "    host-name r1;\n    domain-name lab;\n");
    CHECK(piped("show | m host") == "    host-name r1;\n");
    CHECK(piped("show | except name") == "system {\n}\n");
    CHECK(piped("show | count") == "Count: 4 lines\n");
    CHECK(piped("show | match name | count") == "Count: 2 lines\n");
    CHECK(piped("show | last 2") == "    domain-name lab;\n}\n");
    CHECK(piped("show | find domain") == "    domain-name lab;\n}\n");
    CHECK(piped("show | find nothing") == "Pattern not found\n");
    CHECK(piped("show | trim 4") == "em {\nhost-name r1;\ndomain-name lab;\n\n");
    CHECK(piped("show | match \"r1|lab\"") == "    host-name r1;\n    domain-name lab;\n");
}

TEST_CASE("pipe errors carry the caret column") {
    CHECK(piped("show | frob") == "ERROR syntax error, expecting <command>. @7");
    CHECK(piped("show | match") == "ERROR missing argument. @13");
    CHECK(piped("show | last x") == "ERROR invalid numeric value: 'x' @12");
    CHECK(piped("show | last 3 4") == "ERROR syntax error, expecting <command>. @14");
    CHECK(piped("show | compare rollback 55") == "ERROR Value 55 is not within range (0..49) @24");
    CHECK(piped("show | c") == "ERROR 'c' is ambiguous. @7");
}

TEST_CASE("display and compare go to mgd") {
    PipedCommand p;
    REQUIRE_FALSE(split_pipes("show configuration | di set | no-more", p));
    CHECK(p.command == "show configuration ");
    CHECK(p.display == "set");
    CHECK(p.no_more);
    PipedCommand c;
    REQUIRE_FALSE(split_pipes("show | compare rollback 3", c));
    CHECK(c.compare == std::optional<std::string>("3"));
}

TEST_CASE("save writes the lines and says how many") {
    const auto file = std::filesystem::temp_directory_path() / "msim-shell-pipes-test.txt";
    PipedCommand p;
    REQUIRE_FALSE(split_pipes("show | match name | save out.txt", p));
    p.pipes.back().target = file.string();
    CHECK(apply_text_pipes(text, p.pipes) == "Wrote 2 lines of output to 'out.txt'\n");
    std::ifstream in(file);
    std::stringstream content;
    content << in.rdbuf();
    CHECK(content.str() == "    host-name r1;\n    domain-name lab;\n");
    std::filesystem::remove(file);
}

TEST_CASE("? inside a pipe lists what that pipe takes") {
    CHECK(first_names(pipe_completions({}, "co")) == std::vector<std::string>{"compare", "count"});
    CHECK(first_names(pipe_completions({"display"}, "")) ==
          std::vector<std::string>{"inheritance", "set", "xml"});
    CHECK(first_names(pipe_completions({"match"}, "")) == std::vector<std::string>{"<pattern>"});
    CHECK(first_names(pipe_completions({"match", "x"}, "")) == std::vector<std::string>{"<[Enter]>", "|"});
    CHECK(first_names(pipe_completions({"compare", "rollback"}, "")) == std::vector<std::string>{"<number>"});
    CHECK(pipe_completions({"frob"}, "").empty());
}
