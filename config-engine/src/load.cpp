#include "msim/config/load.hpp"

#include <algorithm>

#include "internal.hpp"
#include "msim/config/text_format.hpp"

namespace msim::config {

namespace {

void clear_tags(Node& n) {
    n.tag = LoadTag::none;
    for (const auto& c : n.children())
        clear_tags(*c);
}

CommandResult load_set(const Schema& schema, Node& work, std::string_view text, const LoadOptions& options) {
    CommandResult r;
    size_t line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        size_t b = line.find_first_not_of(" \t");
        if (b == std::string_view::npos || line[b] == '#')
            continue;
        for (char c : line)
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
                ConfigError e("syntax error, invalid character");
                e.file = options.file_name;
                e.line = static_cast<uint32_t>(line_no);
                e.column = 1;
                throw e;
            }
        try {
            auto res = run_command(schema, work, options.edit_path, line);
            r.warnings.insert(r.warnings.end(), res.warnings.begin(), res.warnings.end());
        } catch (ConfigError& e) {
            e.file = options.file_name;
            e.line = static_cast<uint32_t>(line_no);
            e.column = static_cast<uint32_t>(e.offset + 1);
            e.statement = std::string(line.substr(b));
            e.edit_path = options.edit_path;
            throw;
        }
        if (nl == text.size())
            break;
    }
    return r;
}

// Applies the `show | compare` format back: per [edit ...] banner, `-` statements are removed, then
// `+` statements merged; context lines (no sign) and `!` lines are ignored.
void load_patch(const Schema& schema, Node& work, std::string_view text, const LoadOptions& options) {
    struct Block {
        std::vector<std::string> path;
        std::string plus, minus;
        uint32_t first_line = 0;
    };
    std::vector<Block> blocks;
    size_t pos = 0;
    uint32_t line_no = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty())
            continue;
        if (line.front() == '[') {
            if (line.size() < 6 || line.substr(0, 5) != "[edit" || line.back() != ']') {
                ConfigError e("syntax error");
                e.file = options.file_name;
                e.line = line_no;
                e.column = 1;
                e.token = std::string(line);
                throw e;
            }
            Block b;
            for (auto& w : split_command(line.substr(5, line.size() - 6)))
                b.path.push_back(w.text);
            b.path.insert(b.path.begin(), options.edit_path.begin(), options.edit_path.end());
            b.first_line = line_no;
            blocks.push_back(std::move(b));
            continue;
        }
        if (blocks.empty()) {
            ConfigError e("syntax error, expecting [edit ...]");
            e.file = options.file_name;
            e.line = line_no;
            e.column = 1;
            throw e;
        }
        // Keep the line count aligned so parse errors point at the patch line.
        const char sign = line.front();
        std::string body = std::string(line.substr(1)) + '\n';
        auto& b = blocks.back();
        if (sign == '+') {
            b.plus += body;
            b.minus += '\n';
        } else if (sign == '-') {
            b.minus += body;
            b.plus += '\n';
        } else {
            b.plus += '\n';
            b.minus += '\n';
        }
    }
    for (const auto& b : blocks) {
        ParseOptions po;
        po.file_name = options.file_name;
        po.edit_path = b.path;
        std::string pad(b.first_line, '\n');
        Node minus = parse_text(schema, pad + b.minus, po);
        Node plus = parse_text(schema, pad + b.plus, po);
        const Node* mat = find_path(schema, minus, b.path);
        Node* target = const_cast<Node*>(find_path(schema, work, b.path));
        if (mat && target) {
            for (const auto& c : mat->children()) {
                Node* t = detail::counterpart(*target, *c);
                if (!t)
                    continue;
                if (c->schema()->kind == NodeKind::leaf_list) {
                    auto& vals = t->values();
                    for (const auto& v : c->values())
                        vals.erase(std::remove(vals.begin(), vals.end(), v), vals.end());
                    if (!vals.empty())
                        continue;
                }
                target->remove(t);
            }
        }
        detail::merge_into(work, plus, false);
    }
}

}  // namespace

CommandResult load_config(const Schema& schema, Node& root, LoadMode mode, std::string_view text,
                          const LoadOptions& options) {
    CommandResult r;
    ParseOptions po;
    po.file_name = options.file_name;
    po.edit_path = options.edit_path;
    switch (mode) {
        case LoadMode::override:
        case LoadMode::update: {
            if (!options.edit_path.empty())
                throw ConfigError("error: override is only valid at the top level");
            Node parsed = parse_text(schema, text, po);
            clear_tags(parsed);
            root = std::move(parsed);
            return r;
        }
        case LoadMode::merge:
        case LoadMode::replace: {
            Node parsed = parse_text(schema, text, po);
            Node work(root);
            detail::merge_into(work, parsed, mode == LoadMode::replace);
            root = std::move(work);
            return r;
        }
        case LoadMode::set: {
            Node work(root);
            r = load_set(schema, work, text, options);
            root = std::move(work);
            return r;
        }
        case LoadMode::patch: {
            Node work(root);
            load_patch(schema, work, text, options);
            root = std::move(work);
            return r;
        }
    }
    return r;
}

}  // namespace msim::config
