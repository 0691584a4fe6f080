#include "test_support.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace test_support {

ly_ctx* context() {
    static ly_ctx* ctx = [] {
        ly_log_options(LY_LOSTORE);  // keep messages for the tests instead of printing them
        ly_ctx* c = nullptr;
        if (ly_ctx_new(MSIM_YANG_DIR, 0, &c) != LY_SUCCESS)
            throw std::runtime_error("cannot create libyang context");
        if (!ly_ctx_load_module(c, "msim-config", nullptr, nullptr))
            throw std::runtime_error("cannot load msim-config from " MSIM_YANG_DIR);
        return c;
    }();
    return ctx;
}

namespace {

Parsed parse(const std::string& xml, uint32_t parse_options, uint32_t validate_options) {
    ly_ctx* ctx = context();
    ly_err_clean(ctx, nullptr);
    lyd_node* tree = nullptr;
    Parsed p;
    p.ok =
        lyd_parse_data_mem(ctx, xml.c_str(), LYD_XML, parse_options, validate_options, &tree) == LY_SUCCESS;
    p.tree.reset(tree);
    for (const ly_err_item* e = ly_err_first(ctx); e; e = e->next) {
        p.errors += e->msg ? e->msg : "";
        p.errors += '\n';
    }
    ly_err_clean(ctx, nullptr);
    return p;
}

}  // namespace

Parsed parse_xml(const std::string& xml) {
    return parse(xml, LYD_PARSE_STRICT, LYD_VALIDATE_NO_STATE);
}

Parsed parse_xml_unvalidated(const std::string& xml) {
    return parse(xml, LYD_PARSE_STRICT | LYD_PARSE_ONLY, 0);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

Parsed parse_file(const std::string& path) {
    return parse_xml(read_file(path));
}

}  // namespace test_support
