#include "msim/config/load.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

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
// `+` statements merged; a context line (`     term t1 { ... }`) places the `+` entries that follow it
// right after that entry (ordered-by-user lists); `!` lines are ignored.
void load_patch(const Schema& schema, Node& work, std::string_view text, const LoadOptions& options) {
    struct Segment {
        std::string anchor;  // context statement the entries follow ("term t1"), or empty
        std::string plus;
    };
    struct Block {
        std::vector<std::string> path;
        std::string minus;
        std::vector<Segment> segments;
        uint32_t first_line = 0;
        uint32_t lines = 0;
    };
    std::vector<Block> blocks;
    size_t pos = 0;
    uint32_t line_no = 0;
    auto fail = [&](const std::string& msg, std::string_view line) {
        ConfigError e(msg);
        e.file = options.file_name;
        e.line = line_no;
        e.column = 1;
        e.token = std::string(line.substr(0, 40));
        throw e;
    };
    // Every text of a block keeps one line per patch line, so parse errors point at the patch line.
    auto add_line = [](Block& b, std::string* target, const std::string& body) {
        b.minus += target == &b.minus ? body : "\n";
        for (auto& sg : b.segments)
            sg.plus += target == &sg.plus ? body : "\n";
        ++b.lines;
    };
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos)
            nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty()) {
            if (!blocks.empty())
                add_line(blocks.back(), nullptr, "\n");
            continue;
        }
        if (line.front() == '[') {
            if (line.size() < 6 || line.substr(0, 5) != "[edit" || line.back() != ']')
                fail("syntax error", line);
            Block b;
            for (auto& w : split_command(line.substr(5, line.size() - 6)))
                b.path.push_back(w.text);
            b.path.insert(b.path.begin(), options.edit_path.begin(), options.edit_path.end());
            b.first_line = line_no;
            b.segments.emplace_back();
            blocks.push_back(std::move(b));
            continue;
        }
        if (blocks.empty())
            fail("syntax error, expecting [edit ...]", line);
        auto& b = blocks.back();
        const char sign = line.front();
        const std::string body = std::string(line.substr(1)) + '\n';
        if (sign == '+') {
            add_line(b, &b.segments.back().plus, body);
        } else if (sign == '-') {
            add_line(b, &b.minus, body);
        } else if (sign == ' ' && line.size() > 8 && line.substr(line.size() - 7) == "{ ... }") {
            add_line(b, nullptr, "\n");
            Segment sg;
            sg.anchor = std::string(line.substr(1, line.size() - 8));
            sg.plus.assign(b.lines, '\n');
            b.segments.push_back(std::move(sg));
        } else if (sign == ' ' || sign == '!') {
            add_line(b, nullptr, "\n");
        } else {
            fail("syntax error", line);
        }
    }
    for (const auto& b : blocks) {
        ParseOptions po;
        po.file_name = options.file_name;
        po.edit_path = b.path;
        const std::string pad(b.first_line, '\n');
        Node minus = parse_text(schema, pad + b.minus, po);
        const Node* mat = find_path(schema, minus, b.path);
        Node* target = const_cast<Node*>(find_path(schema, work, b.path));
        if (mat && target) {
            for (const auto& c : mat->children()) {
                Node* t = detail::counterpart(*target, *c);
                if (!t)
                    continue;
                if (c->schema()->kind == NodeKind::leaf_list) {
                    auto& vals = t->mutable_values();
                    for (const auto& v : c->values())
                        vals.erase(std::remove(vals.begin(), vals.end(), v), vals.end());
                    if (!vals.empty())
                        continue;
                }
                target->remove(t);
            }
        }
        for (const auto& sg : b.segments) {
            Node plus = parse_text(schema, pad + sg.plus, po);
            detail::merge_into(work, plus, false);
            if (sg.anchor.empty())
                continue;
            Node anchor_tree = parse_text(schema, sg.anchor + " { }", po);
            const Node* at_anchor = find_path(schema, anchor_tree, b.path);
            const Node* at_plus = find_path(schema, plus, b.path);
            target = const_cast<Node*>(find_path(schema, work, b.path));
            if (!at_anchor || at_anchor->children().empty() || !at_plus || !target)
                continue;
            const Node* anchor = detail::counterpart(*target, *at_anchor->children().front());
            for (const auto& c : at_plus->children()) {
                Node* t = detail::counterpart(*target, *c);
                if (!t || !anchor || t->schema() != anchor->schema())
                    continue;
                target->move_to(t, anchor, true);
                anchor = t;
            }
        }
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

std::string read_config_file(const std::string& path) {
    const ConfigError cannot("error: Could not open configuration file: " + path);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw cannot;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw cannot;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad()) {
        throw cannot;
    }
    return buf.str();
}

}  // namespace msim::config
