#include "msim/config/text_format.hpp"

#include <boost/spirit/home/x3.hpp>
#include <optional>

#include "internal.hpp"

namespace msim::config {

namespace x3 = boost::spirit::x3;
using detail::Statement;
using detail::Word;

std::string ConfigError::render() const {
    std::string out;
    if (!file.empty()) {
        out += file + ":" + std::to_string(line) + ":(" + std::to_string(column) + ") " + message;
        if (!token.empty())
            out += ": " + token;
        out += '\n';
        out += "  [edit";
        for (const auto& w : edit_path)
            out += " " + w;
        out += "]\n";
        if (!statement.empty())
            out += "    '" + statement + "'\n";
        out += "      " + message + "\n";
        return out;
    }
    return message + "\n";
}

namespace detail {

ConfigError error_at(const Word& w, std::string message) {
    ConfigError e(std::move(message));
    e.line = w.line;
    e.column = w.col;
    e.token = w.text;
    e.offset = w.offset;
    return e;
}

namespace {

constexpr size_t kMaxInput = 64u << 20;
constexpr size_t kMaxDepth = 64;

// Token grammar (Boost.Spirit X3). Structure (braces, nesting) is handled by the loop below so that
// depth and error positions stay under our control.
const auto quoted_char = (x3::lit('\\') >> x3::char_) | (x3::char_ - '"' - '\\');
const auto quoted = x3::rule<struct quoted_tag, std::string>{"quoted"} = x3::lit('"') >> *quoted_char >>
                                                                         x3::lit('"');
// Control bytes are matched by range: the classification parsers assert on bytes above 0x7f.
const auto bare_char =
    x3::char_ - x3::char_(" \t\r\n{};[]\"") - x3::char_('\x00', '\x1f') - x3::char_('\x7f');
const auto bare = x3::rule<struct bare_tag, std::string>{"bare"} = +bare_char;
const auto annotation = x3::rule<struct annotation_tag, std::string>{
    "annotation"} = x3::lit("/*") >> x3::no_skip[*(x3::char_ - x3::lit("*/"))] >> x3::lit("*/");
const auto line_comment = x3::lit('#') >> *(x3::char_ - x3::eol);

class Tokenizer {
  public:
    Tokenizer(std::string_view text, const std::string& file) : text_(text), file_(file) {}

    std::vector<Statement> run() {
        std::vector<Statement> top;
        std::vector<std::vector<Statement>*> stack{&top};
        Statement pending;
        bool in_list = false;
        const char* it = text_.data();
        const char* end = it + text_.size();
        while (true) {
            skip_space(it, end);
            if (it == end)
                break;
            const char c = *it;
            Word w;
            w.line = line_;
            w.col = static_cast<uint32_t>(it - line_start_) + 1;
            if (c == '#') {
                const char* b = it;
                x3::parse(it, end, line_comment);
                (void)b;
                continue;
            }
            if (c == '/' && it + 1 < end && it[1] == '*') {
                const char* b = it;
                std::string a;
                if (!x3::parse(it, end, annotation, a))
                    fail(w, "syntax error", "/*", "unterminated comment");
                count_lines(b, it);
                if (!pending.words.empty())
                    fail(w, "syntax error", "/*");
                pending.annotation = trim(a);
                continue;
            }
            if (c == '{' || c == '}' || c == ';' || c == '[' || c == ']') {
                ++it;
                w.text = std::string(1, c);
                if (c == '[') {
                    if (in_list || pending.words.empty())
                        fail(w, "syntax error", "[");
                    in_list = true;
                } else if (c == ']') {
                    if (!in_list)
                        fail(w, "syntax error", "]");
                    in_list = false;
                } else if (in_list) {
                    fail(w, "syntax error", w.text);
                } else if (c == ';') {
                    if (pending.words.empty()) {
                        if (pending.inactive || pending.tag != LoadTag::none || !pending.annotation.empty())
                            fail(w, "syntax error", ";");
                        continue;  // a stray ';' is harmless
                    }
                    stack.back()->push_back(std::move(pending));
                    pending = Statement{};
                } else if (c == '{') {
                    if (pending.words.empty())
                        fail(w, "syntax error", "{");
                    if (stack.size() >= kMaxDepth)
                        fail(w, "syntax error", "{", "statement nesting too deep");
                    pending.block = true;
                    auto& list = *stack.back();
                    list.push_back(std::move(pending));
                    pending = Statement{};
                    stack.push_back(&list.back().children);
                } else {  // '}'
                    if (!pending.words.empty())
                        fail(pending.words.back(), "syntax error", pending.words.back().text);
                    if (stack.size() == 1)
                        fail(w, "syntax error", "}");
                    stack.pop_back();
                }
                continue;
            }
            if (c == '"') {
                const char* b = it;
                std::string s;
                if (!x3::parse(it, end, quoted, s))
                    fail(w, "syntax error", "\"", "unterminated string");
                count_lines(b, it);
                w.text = std::move(s);
                w.quoted = true;
                pending.words.push_back(std::move(w));
                continue;
            }
            std::string s;
            if (!x3::parse(it, end, bare, s)) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
                fail(w, "syntax error", buf, "invalid character");
            }
            if (pending.words.empty() && !in_list) {
                if (s == "inactive:") {
                    pending.inactive = true;
                    continue;
                }
                if (s == "replace:" || s == "delete:") {
                    pending.tag = s[0] == 'r' ? LoadTag::replace : LoadTag::remove;
                    continue;
                }
            }
            w.text = std::move(s);
            pending.words.push_back(std::move(w));
        }
        Word eof;
        eof.line = line_;
        eof.col = static_cast<uint32_t>(end - line_start_) + 1;
        if (in_list || !pending.words.empty())
            fail(eof, "syntax error", pending.words.empty() ? "" : pending.words.back().text, "missing ';'");
        if (stack.size() > 1)
            fail(eof, "syntax error", "", "missing '}'");
        return top;
    }

  private:
    static std::string trim(const std::string& s) {
        size_t b = s.find_first_not_of(" \t\r\n");
        if (b == std::string::npos)
            return {};
        size_t e = s.find_last_not_of(" \t\r\n");
        return s.substr(b, e - b + 1);
    }

    void skip_space(const char*& it, const char* end) {
        while (it != end && (*it == ' ' || *it == '\t' || *it == '\r' || *it == '\n')) {
            if (*it == '\n') {
                ++line_;
                line_start_ = it + 1;
            }
            ++it;
        }
    }

    void count_lines(const char* b, const char* e) {
        for (const char* p = b; p != e; ++p)
            if (*p == '\n') {
                ++line_;
                line_start_ = p + 1;
            }
    }

    [[noreturn]] void fail(const Word& w, const std::string& msg, const std::string& token,
                           const std::string& detail = {}) {
        ConfigError e(detail.empty() ? msg : msg + ", " + detail);
        e.file = file_;
        e.line = w.line;
        e.column = w.col;
        e.token = token;
        throw e;
    }

    std::string_view text_;
    const std::string& file_;
    uint32_t line_ = 1;
    const char* line_start_ = text_.data();
};

}  // namespace

std::vector<Statement> parse_statements(std::string_view text, const std::string& file) {
    if (text.size() > kMaxInput) {
        ConfigError e("syntax error, input too large");
        e.file = file;
        e.line = 1;
        e.column = 1;
        throw e;
    }
    return Tokenizer(text, file).run();
}

}  // namespace detail

namespace {

std::string statement_text(const Statement& s) {
    std::string out;
    for (const auto& w : s.words) {
        if (!out.empty())
            out += ' ';
        out += w.quoted ? quote_value(w.text) : w.text;
    }
    out += s.block ? " {" : ";";
    return out;
}

struct Mapper {
    const Schema& schema;
    const std::string& file;
    bool keep_tags;
    detail::WalkMode mode = detail::WalkMode::text;
    std::vector<std::string> path;

    void map_list(const std::vector<Statement>& list, Node& parent) {
        for (const auto& s : list) {
            // `version 9.3R2.8;` at the top of a saved file is metadata, not configuration.
            if (parent.is_root() && !s.block && s.words.size() == 2 && s.words[0].text == "version" &&
                !s.words[0].quoted)
                continue;
            map_one(s, parent);
        }
    }

    // A statement may carry several options of one level after a value, as Junos prints and accepts
    // (`file kmd size 1m files 3;`, `route P next-hop A preference 5;`): after a leaf, the next words
    // continue at the leaf's level, or failing that at an enclosing one within the statement (as `set`
    // does). Every word is resolved before the tree changes.
    void map_one(const Statement& s, Node& parent) {
        const SchemaNode& scope = parent.is_root() ? schema.root() : *parent.schema();
        std::vector<std::vector<detail::Step>> statements;  // each a path from `parent`
        try {
            std::vector<detail::Step> prefix;  // the levels the next option may continue in
            size_t pos = 0;
            while (pos < s.words.size()) {
                size_t consumed = 0;
                std::vector<detail::Step> steps = detail::walk_at_nearest_level(
                    schema, scope, prefix, s.words, pos, mode, &consumed, statements.empty());
                std::vector<detail::Step> full = prefix;
                full.insert(full.end(), steps.begin(), steps.end());
                const SchemaNode* last = full.back().schema;
                if (consumed < s.words.size() && last->is_entry_holder())
                    throw detail::error_at(s.words[consumed], "syntax error");
                // A leaf without its value, or a leaf-list naming nothing (`proposals [ ];`), is
                // refused rather than kept empty; only `delete:` may name a statement bare.
                if (!s.block && s.tag != LoadTag::remove &&
                    ((last->kind == NodeKind::leaf && !last->is_empty_leaf()) ||
                     last->kind == NodeKind::leaf_list) &&
                    full.back().values.empty())
                    throw detail::error_at(s.words.back(), "missing argument");
                statements.push_back(full);
                full.pop_back();  // the leaf's own level is where the next option starts looking
                prefix = std::move(full);
                pos = consumed;
            }
            if (statements.empty())
                throw detail::error_at(s.words.front(), "syntax error");
            if (s.block && !statements.back().back().schema->is_entry_holder())
                throw detail::error_at(s.words.back(), "syntax error");
        } catch (ConfigError& e) {
            e.file = file;
            e.edit_path = path;
            e.statement = statement_text(s);
            if (e.message == "syntax error." || e.message == "missing argument.")
                e.message.pop_back();
            throw;
        }
        Node* node = nullptr;
        for (size_t k = 0; k < statements.size(); ++k) {
            const auto& steps = statements[k];
            // The statement's own flags attach to its first node (`inactive: key ascii-text "x";`).
            Node* first = detail::materialize(parent, {steps.front()});
            if (k == 0) {
                if (s.inactive)
                    first->inactive = true;
                if (!s.annotation.empty())
                    first->annotation = s.annotation;
                if (keep_tags && s.tag != LoadTag::none)
                    first->tag = s.tag;
            }
            node = steps.size() > 1 ? detail::materialize(*first, {steps.begin() + 1, steps.end()}) : first;
        }
        if (s.block) {
            const auto& steps = statements.back();
            const size_t mark = path.size();
            for (const auto& st : steps) {
                if (!st.schema->hide_keyword)
                    path.push_back(st.schema->name);
                if (st.schema->kind == NodeKind::list)
                    path.insert(path.end(), st.values.begin(), st.values.end());
            }
            map_list(s.children, *node);
            path.resize(mark);
        }
    }
};

}  // namespace

Node parse_text(const Schema& schema, std::string_view text, const ParseOptions& options) {
    auto statements = detail::parse_statements(text, options.file_name);
    Node root;
    Node* at = &root;
    if (!options.edit_path.empty()) {
        std::vector<Word> words;
        for (const auto& p : options.edit_path)
            words.push_back(Word{p, false, 0, 0, 0, 0});
        size_t consumed = 0;
        auto steps = detail::walk(schema, schema.root(), words, 0, detail::WalkMode::path, &consumed);
        if (consumed != words.size() || !steps.back().schema->is_entry_holder())
            throw ConfigError("invalid edit path for relative load");
        at = detail::materialize(root, steps);
    }
    Mapper m{schema, options.file_name, options.keep_tags,
             options.trusted ? detail::WalkMode::trusted : detail::WalkMode::text, options.edit_path};
    m.map_list(statements, *at);
    return root;
}

// ---------------------------------------------------------------------------------------------
// Printer

std::string quote_value(std::string_view v) {
    bool need = v.empty();
    for (char c : v) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '{' || c == '}' || c == ';' || c == '[' ||
            c == ']' || c == '"' || c == '#' || c == '\'' || c == '(' || c == ')' || c == '\\' || c == '&' ||
            c == '|' || c == '!') {
            need = true;
            break;
        }
    }
    if (!need && v.size() >= 2 && v[0] == '/' && v[1] == '*')
        need = true;
    if (!need)
        return std::string(v);
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

namespace detail {

bool prints_flat(const Node& n) {
    return n.schema() && n.schema()->flatten && n.children().size() == 1 && !n.children().front()->inactive &&
           n.children().front()->annotation.empty();
}

std::string head_of(const Node& n) {
    const SchemaNode* s = n.schema();
    std::string out;
    switch (s->kind) {
        case NodeKind::container:
            out = s->name;
            break;
        case NodeKind::list:
            if (!s->hide_keyword)
                out = s->name;
            for (const auto& v : n.values()) {
                if (!out.empty())
                    out += ' ';
                out += quote_value(v);
            }
            break;
        case NodeKind::leaf:
            out = s->name;
            if (!n.values().empty()) {
                out += ' ';
                out += s->secret ? "\"" + n.values().front() + "\"" : quote_value(n.values().front());
            }
            break;
        case NodeKind::leaf_list:
            out = s->name;
            if (n.values().size() == 1) {
                out += ' ' + quote_value(n.values().front());
            } else {
                out += " [";
                for (const auto& v : n.values())
                    out += ' ' + quote_value(v);
                out += " ]";
            }
            break;
    }
    return out;
}

namespace {

// Head of `n` and what follows it: a flattened single child on the same line, `;`, or a block.
void print_tail(const Node& n, int indent, std::string& out, std::string_view prefix, bool inheritance) {
    out += head_of(n);
    if (prints_flat(n)) {
        out += ' ';
        print_tail(*n.children().front(), indent, out, prefix, inheritance);
        return;
    }
    if (!n.schema()->is_entry_holder() || n.children().empty()) {
        out += ';';
        if (n.schema()->secret)
            out += " ## SECRET-DATA";
        out += '\n';
        return;
    }
    out += " {\n";
    for (const auto& c : n.children())
        print_node(*c, indent + 4, out, prefix, inheritance);
    out += prefix;
    out.append(static_cast<size_t>(indent), ' ');
    out += "}\n";
}

}  // namespace

void print_node(const Node& n, int indent, std::string& out, std::string_view prefix, bool inheritance) {
    if (inheritance && !n.group.empty()) {
        const std::string pad(static_cast<size_t>(indent), ' ');
        const std::string name =
            n.schema()->kind == NodeKind::list && !n.values().empty() ? n.values().front() : n.keyword();
        out += prefix;
        out += pad + "##\n";
        out += prefix;
        out += pad + "## '" + name + "' was inherited from group '" + n.group + "'\n";
        out += prefix;
        out += pad + "##\n";
    }
    if (!n.annotation.empty()) {
        out += prefix;
        out.append(static_cast<size_t>(indent), ' ');
        out += "/* " + n.annotation + " */\n";
    }
    out += prefix;
    out.append(static_cast<size_t>(indent), ' ');
    if (n.inactive)
        out += "inactive: ";
    print_tail(n, indent, out, prefix, inheritance);
}

std::string edit_banner(const std::vector<std::string>& words) {
    std::string out = "[edit";
    for (const auto& w : words)
        out += ' ' + quote_value(w);
    out += ']';
    return out;
}

}  // namespace detail

std::string print_text(const Node& node, const PrintOptions& options) {
    std::string out;
    if (options.header) {
        if (!options.last_changed.empty())
            out += "## Last changed: " + options.last_changed + "\n";
        out += "version " + options.version + ";\n";
    }
    out.reserve(out.size() + node.children().size() * 32);
    for (const auto& c : node.children())
        detail::print_node(*c, 0, out, {}, options.inheritance);
    return out;
}

std::string print_in_context(const Node& node) {
    std::vector<const Node*> chain;
    for (const Node* p = node.parent(); p && !p->is_root(); p = p->parent())
        chain.push_back(p);
    std::string out;
    int indent = 0;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        out.append(static_cast<size_t>(indent), ' ');
        out += detail::head_of(**it) + " {\n";
        indent += 4;
    }
    if (!node.is_root())
        detail::print_node(node, indent, out);
    for (size_t i = 0; i < chain.size(); ++i) {
        indent -= 4;
        out.append(static_cast<size_t>(indent), ' ');
        out += "}\n";
    }
    return out;
}

std::string print_statement(const Node& node, const PrintOptions& options) {
    std::string out;
    if (!node.is_root())
        detail::print_node(node, 0, out, {}, options.inheritance);
    return out;
}

}  // namespace msim::config
