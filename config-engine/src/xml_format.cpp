#include <string>
#include <vector>

#include "msim/config/text_format.hpp"

namespace msim::config {

namespace {

void append_escaped(std::string& out, const std::string& text) {
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            default:
                out += c;
        }
    }
}

void pad(std::string& out, int indent) {
    out.append(static_cast<size_t>(indent), ' ');
}

// The opening tag of a statement: the schema's name, Junos' inactive attribute.
void open_tag(std::string& out, const Node& n, bool self_closing) {
    out += '<';
    out += n.schema()->name;
    if (n.inactive) {
        out += " inactive=\"inactive\"";
    }
    out += self_closing ? "/>\n" : ">\n";
}

void print_element(const Node& n, int indent, std::string& out);

// Everything inside a list entry or container: list keys first (as Junos puts them), then the children.
void print_inside(const Node& n, int indent, std::string& out) {
    const SchemaNode& s = *n.schema();
    if (s.kind == NodeKind::list) {
        for (size_t i = 0; i < s.keys.size() && i < n.values().size(); ++i) {
            pad(out, indent);
            out += '<' + s.keys[i] + '>';
            append_escaped(out, n.values()[i]);
            out += "</" + s.keys[i] + ">\n";
        }
    }
    for (const auto& c : n.children()) {
        print_element(*c, indent, out);
    }
}

void print_element(const Node& n, int indent, std::string& out) {
    const SchemaNode& s = *n.schema();
    if (!n.annotation.empty()) {
        pad(out, indent);
        out += "<junos:comment>/* ";
        append_escaped(out, n.annotation);
        out += " */</junos:comment>\n";
    }
    switch (s.kind) {
        case NodeKind::leaf_list:
            for (const auto& item : n.values()) {
                pad(out, indent);
                out += '<' + s.name + (n.inactive ? " inactive=\"inactive\">" : ">");
                append_escaped(out, item);
                out += "</" + s.name + ">\n";
            }
            return;
        case NodeKind::leaf:
            pad(out, indent);
            if (n.values().empty() || s.is_empty_leaf()) {
                open_tag(out, n, true);
                return;
            }
            out += '<' + s.name + (n.inactive ? " inactive=\"inactive\">" : ">");
            append_escaped(out, n.values().front());
            out += "</" + s.name + (s.secret ? "> <!-- SECRET-DATA -->\n" : ">\n");
            return;
        default:
            break;
    }
    pad(out, indent);
    if (n.children().empty() && s.kind != NodeKind::list) {
        open_tag(out, n, true);  // a presence container
        return;
    }
    open_tag(out, n, false);
    print_inside(n, indent + 4, out);
    pad(out, indent);
    out += "</" + s.name + ">\n";
}

}  // namespace

std::string print_xml(const Node& node, int indent) {
    // The statement's ancestors (without their other children) frame it, as `show configuration A B |
    // display xml` shows the path from <configuration> down.
    std::vector<const Node*> chain;
    for (const Node* p = &node; p != nullptr && !p->is_root(); p = p->parent()) {
        chain.insert(chain.begin(), p);
    }
    std::string out;
    pad(out, indent);
    out += "<configuration>\n";
    int depth = indent + 4;
    if (chain.empty()) {
        for (const auto& c : node.children()) {
            print_element(*c, depth, out);
        }
    } else {
        for (size_t i = 0; i + 1 < chain.size(); ++i) {
            const Node& a = *chain[i];
            pad(out, depth);
            out += '<' + a.schema()->name + ">\n";
            if (a.schema()->kind == NodeKind::list) {
                for (size_t k = 0; k < a.schema()->keys.size() && k < a.values().size(); ++k) {
                    pad(out, depth + 4);
                    out += '<' + a.schema()->keys[k] + '>';
                    append_escaped(out, a.values()[k]);
                    out += "</" + a.schema()->keys[k] + ">\n";
                }
            }
            depth += 4;
        }
        print_element(node, depth, out);
        for (size_t i = chain.size() - 1; i-- > 0;) {
            depth -= 4;
            pad(out, depth);
            out += "</" + chain[i]->schema()->name + ">\n";
        }
    }
    pad(out, indent);
    out += "</configuration>\n";
    return out;
}

}  // namespace msim::config
