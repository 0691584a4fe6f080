// OwnedConfiguration: what a daemon keeps of its part of the committed configuration, moved forward by the
// per-statement changes mgd sends with a commit.
#include <doctest/doctest.h>

#include "msim/config/owned_configuration.hpp"
#include "msim/config/text_format.hpp"

using namespace msim::config;

namespace {

std::shared_ptr<const Schema> project_schema() {
    static auto s = Schema::load(MSIM_YANG_DIR);
    return s;
}

void add_change(pugi::xml_node list, const char* op, const char* path, const char* text) {
    auto ch = list.append_child("change");
    ch.append_attribute("operation").set_value(op);
    ch.append_child("path").text().set(path);
    ch.append_child("configuration").text().set(text);
}

}  // namespace

TEST_CASE("owned configuration: load, then create, modify and delete statements") {
    OwnedConfiguration owned(project_schema());
    owned.load(R"(interfaces {
    fe-0/0/1 {
        unit 0 {
            family inet {
                address 10.1.1.1/24;
            }
        }
    }
}
routing-options {
    static {
        route 10.2.2.0/24 next-hop 10.5.5.6;
    }
})");
    pugi::xml_document doc;
    auto list = doc.append_child("validate-configuration").append_child("configuration-changes");
    add_change(
        list, "create", "interfaces fe-0/0/2",
        "interfaces {\n    fe-0/0/2 {\n        unit 0 {\n            family inet {\n                address "
        "10.5.5.5/30;\n            }\n        }\n    }\n}\n");
    add_change(
        list, "modify", "interfaces fe-0/0/1",
        "interfaces {\n    fe-0/0/1 {\n        description LAN;\n        unit 0 {\n            family inet "
        "{\n                address 10.1.1.2/24;\n            }\n        }\n    }\n}\n");
    add_change(list, "delete", "routing-options static route 10.2.2.0/24",
               "routing-options {\n    static {\n        route 10.2.2.0/24 next-hop 10.5.5.6;\n    }\n}\n");
    const Node after = owned.with_changes(doc.document_element());
    const std::string text = print_text(after);
    CHECK(text.find("fe-0/0/2") != std::string::npos);
    CHECK(text.find("10.1.1.2/24") != std::string::npos);
    CHECK(text.find("10.1.1.1/24") == std::string::npos);
    CHECK(text.find("description LAN;") != std::string::npos);
    CHECK(text.find("routing-options") == std::string::npos);  // emptied containers go
    // with_changes does not change the current tree; replace does.
    CHECK(print_text(owned.tree()).find("fe-0/0/2") == std::string::npos);
    owned.replace(after);
    CHECK(print_text(owned.tree()) == text);
}

TEST_CASE("owned configuration: a change that does not parse is an error, not a half-applied tree") {
    OwnedConfiguration owned(project_schema());
    owned.load("");
    pugi::xml_document doc;
    auto list = doc.append_child("configuration-changes");
    add_change(list, "create", "interfaces fe-0/0/1", "interfaces { fe-0/0/1 { bogus-statement; } }");
    CHECK_THROWS(owned.with_changes(doc.document_element()));
    CHECK(owned.tree().children().empty());
}

TEST_CASE("owned configuration: a change may name a leaf outside any list entry") {
    OwnedConfiguration owned(project_schema());
    owned.load("");
    pugi::xml_document doc;
    auto list = doc.append_child("configuration-changes");
    add_change(list, "create", "security certificates path-length",
               "security {\n    certificates {\n        path-length 10;\n    }\n}\n");
    add_change(list, "create", "security certificates enrollment-retry",
               "security {\n    certificates {\n        enrollment-retry 2;\n    }\n}\n");
    Node after = owned.with_changes(doc.document_element());
    CHECK(print_text(after).find("path-length 10;") != std::string::npos);
    CHECK(print_text(after).find("enrollment-retry 2;") != std::string::npos);
    owned.replace(after);

    pugi::xml_document doc2;
    auto list2 = doc2.append_child("configuration-changes");
    add_change(list2, "modify", "security certificates path-length",
               "security {\n    certificates {\n        path-length 4;\n    }\n}\n");
    add_change(list2, "delete", "security certificates enrollment-retry",
               "security {\n    certificates {\n        enrollment-retry 2;\n    }\n}\n");
    const std::string text = print_text(owned.with_changes(doc2.document_element()));
    CHECK(text.find("path-length 4;") != std::string::npos);
    CHECK(text.find("path-length 10;") == std::string::npos);
    CHECK(text.find("enrollment-retry") == std::string::npos);
}
