#include "msim/config/schema.hpp"

#include <libyang/libyang.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace msim::config {

namespace {

bool has_ext(const lysc_node* n, const char* name, std::string* argument = nullptr) {
    LY_ARRAY_COUNT_TYPE i;
    LY_ARRAY_FOR(n->exts, i) {
        const lysc_ext_instance& e = n->exts[i];
        if (e.def && std::strcmp(e.def->name, name) == 0 && e.def->module &&
            std::strcmp(e.def->module->name, "msim-extensions") == 0) {
            if (argument && e.argument)
                *argument = e.argument;
            return true;
        }
    }
    return false;
}

// Every argument of the msim extension `name` on `n` (a node may carry it several times).
std::vector<std::string> ext_arguments(const lysc_node* n, const char* name) {
    std::vector<std::string> out;
    LY_ARRAY_COUNT_TYPE i;
    LY_ARRAY_FOR(n->exts, i) {
        const lysc_ext_instance& e = n->exts[i];
        if (e.def && std::strcmp(e.def->name, name) == 0 && e.def->module &&
            std::strcmp(e.def->module->name, "msim-extensions") == 0 && e.argument) {
            out.emplace_back(e.argument);
        }
    }
    return out;
}

bool needs_libyang(const lysc_type* t) {
    while (t && t->basetype == LY_TYPE_LEAFREF)
        t = reinterpret_cast<const lysc_type_leafref*>(t)->realtype;
    if (!t)
        return false;
    if (t->basetype == LY_TYPE_STRING) {
        const auto* st = reinterpret_cast<const lysc_type_str*>(t);
        return st->patterns || st->length;
    }
    switch (t->basetype) {
        case LY_TYPE_UNION:
        case LY_TYPE_DEC64:
        case LY_TYPE_BINARY:
        case LY_TYPE_BITS:
        case LY_TYPE_IDENT:
            return true;
        default:
            return false;
    }
}

ValueType type_of(const lysc_node* leaf, const lysc_type* t) {
    ValueType v;
    if (needs_libyang(t))
        v.libyang_leaf = leaf;
    while (t && t->basetype == LY_TYPE_LEAFREF)
        t = reinterpret_cast<const lysc_type_leafref*>(t)->realtype;
    if (!t)
        return v;
    switch (t->basetype) {
        case LY_TYPE_UINT8:
        case LY_TYPE_UINT16:
        case LY_TYPE_UINT32:
        case LY_TYPE_UINT64:
        case LY_TYPE_INT8:
        case LY_TYPE_INT16:
        case LY_TYPE_INT32:
        case LY_TYPE_INT64: {
            v.base = ValueType::Base::integer;
            v.is_signed = t->basetype >= LY_TYPE_INT8;
            const auto* num = reinterpret_cast<const lysc_type_num*>(t);
            if (num->range) {
                LY_ARRAY_COUNT_TYPE i;
                LY_ARRAY_FOR(num->range->parts, i) {
                    const auto& p = num->range->parts[i];
                    if (!v.range_text.empty())
                        v.range_text += " | ";
                    if (v.is_signed) {
                        v.signed_ranges.emplace_back(p.min_64, p.max_64);
                        v.range_text += std::to_string(p.min_64) + ".." + std::to_string(p.max_64);
                    } else {
                        v.unsigned_ranges.emplace_back(p.min_u64, p.max_u64);
                        v.range_text += std::to_string(p.min_u64) + ".." + std::to_string(p.max_u64);
                    }
                }
            } else {
                // No explicit range: the built-in bounds of the type.
                static constexpr struct {
                    LY_DATA_TYPE t;
                    int64_t smin, smax;
                    uint64_t umax;
                } bounds[] = {{LY_TYPE_UINT8, 0, 0, 255},
                              {LY_TYPE_UINT16, 0, 0, 65535},
                              {LY_TYPE_UINT32, 0, 0, 4294967295ULL},
                              {LY_TYPE_UINT64, 0, 0, UINT64_MAX},
                              {LY_TYPE_INT8, -128, 127, 0},
                              {LY_TYPE_INT16, -32768, 32767, 0},
                              {LY_TYPE_INT32, INT32_MIN, INT32_MAX, 0},
                              {LY_TYPE_INT64, INT64_MIN, INT64_MAX, 0}};
                for (const auto& b : bounds) {
                    if (b.t != t->basetype)
                        continue;
                    if (v.is_signed) {
                        v.signed_ranges.emplace_back(b.smin, b.smax);
                        v.range_text = std::to_string(b.smin) + ".." + std::to_string(b.smax);
                    } else {
                        v.unsigned_ranges.emplace_back(0, b.umax);
                        v.range_text = "0.." + std::to_string(b.umax);
                    }
                }
            }
            break;
        }
        case LY_TYPE_EMPTY:
            v.base = ValueType::Base::empty;
            break;
        case LY_TYPE_BOOL:
            v.base = ValueType::Base::boolean;
            break;
        case LY_TYPE_ENUM: {
            v.base = ValueType::Base::enumeration;
            const auto* en = reinterpret_cast<const lysc_type_enum*>(t);
            LY_ARRAY_COUNT_TYPE i;
            LY_ARRAY_FOR(en->enums, i) {
                v.enums.emplace_back(en->enums[i].name);
            }
            break;
        }
        case LY_TYPE_STRING:
            v.base = ValueType::Base::string;
            break;
        default:
            v.base = ValueType::Base::other;
            break;
    }
    return v;
}

}  // namespace

class SchemaBuilder {
  public:
    explicit SchemaBuilder(Schema& s) : s_(s) {}

    void add_children(SchemaNode& parent, const lysc_node* first, const lysc_node* choice,
                      const lysc_node* cas) {
        for (const lysc_node* c = first; c; c = c->next) {
            if (!(c->flags & LYS_CONFIG_W))
                continue;
            if (c->nodetype == LYS_CHOICE) {
                add_children(parent, lysc_node_child(c), c, nullptr);
                continue;
            }
            if (c->nodetype == LYS_CASE) {
                add_children(parent, lysc_node_child(c), choice, c);
                continue;
            }
            if (c->nodetype == LYS_LEAF && (c->flags & LYS_KEY))
                continue;
            if (!(c->nodetype & (LYS_CONTAINER | LYS_LIST | LYS_LEAF | LYS_LEAFLIST)))
                continue;
            auto n = std::make_unique<SchemaNode>();
            n->name = c->name;
            n->ys = c;
            n->parent = &parent;
            n->choice = choice;
            // A short-hand case (a leaf directly in a choice) is its own case.
            n->choice_case =
                cas ? static_cast<const void*>(cas) : (choice ? static_cast<const void*>(c) : nullptr);
            if (c->dsc)
                n->description = c->dsc;
            n->mandatory = (c->flags & LYS_MAND_TRUE) != 0;
            has_ext(c, "owner", &n->owner);
            n->readers = ext_arguments(c, "reader");
            n->ordered_by_user = (c->flags & LYS_ORDBY_USER) != 0;
            switch (c->nodetype) {
                case LYS_CONTAINER:
                    n->kind = NodeKind::container;
                    n->presence = (c->flags & LYS_PRESENCE) != 0;
                    n->flatten = has_ext(c, "flatten");
                    add_children(*n, lysc_node_child(c), nullptr, nullptr);
                    break;
                case LYS_LIST: {
                    n->kind = NodeKind::list;
                    n->hide_keyword = has_ext(c, "hide-keyword");
                    n->flatten = has_ext(c, "flatten");
                    for (const lysc_node* k = lysc_node_child(c); k; k = k->next) {
                        if (k->nodetype == LYS_LEAF && (k->flags & LYS_KEY)) {
                            n->keys.emplace_back(k->name);
                            n->key_types.push_back(
                                type_of(k, reinterpret_cast<const lysc_node_leaf*>(k)->type));
                        }
                    }
                    add_children(*n, lysc_node_child(c), nullptr, nullptr);
                    break;
                }
                case LYS_LEAF: {
                    n->kind = NodeKind::leaf;
                    const auto* l = reinterpret_cast<const lysc_node_leaf*>(c);
                    n->type = type_of(c, l->type);
                    n->secret = has_ext(c, "secret");
                    if (l->dflt) {
                        const char* d = lyd_value_get_canonical(s_.ctx_, l->dflt);
                        if (d)
                            n->default_value = d;
                    }
                    break;
                }
                default: {
                    n->kind = NodeKind::leaf_list;
                    n->type = type_of(c, reinterpret_cast<const lysc_node_leaflist*>(c)->type);
                    n->secret = has_ext(c, "secret");
                    break;
                }
            }
            n->order = static_cast<int>(parent.children.size());
            parent.children.push_back(std::move(n));
        }
    }

    void index(SchemaNode& n) {
        for (auto& c : n.children) {
            if (c->hide_keyword) {
                // Entries of a hide-keyword list are typed by key alone; the keyword is not a word.
                if (!n.hidden_list)
                    n.hidden_list = c.get();
            } else {
                n.by_name.emplace(c->name, c.get());
                n.sorted.push_back(c.get());
            }
            index(*c);
        }
        std::sort(n.sorted.begin(), n.sorted.end(),
                  [](const SchemaNode* a, const SchemaNode* b) { return a->name < b->name; });
    }

  private:
    Schema& s_;
};

std::shared_ptr<const Schema> Schema::load(const std::string& yang_dir, const std::string& top_module) {
    std::shared_ptr<Schema> s(new Schema());
    // Keep every message for translation into commit errors; never print to stderr.
    ly_log_options(LY_LOSTORE);
    if (ly_ctx_new(yang_dir.c_str(), LY_CTX_DISABLE_SEARCHDIR_CWD, &s->ctx_) != LY_SUCCESS)
        throw SchemaError("cannot create libyang context for " + yang_dir);
    const lys_module* mod = ly_ctx_load_module(s->ctx_, top_module.c_str(), nullptr, nullptr);
    if (!mod || !mod->compiled) {
        const char* msg = ly_errmsg(s->ctx_);
        throw SchemaError("cannot load YANG module " + top_module + " from " + yang_dir + ": " +
                          (msg ? msg : "unknown error"));
    }
    ly_err_clean(s->ctx_, nullptr);
    s->root_ = std::make_unique<SchemaNode>();
    s->root_->kind = NodeKind::container;
    SchemaBuilder b(*s);
    b.add_children(*s->root_, mod->compiled->data, nullptr, nullptr);
    b.index(*s->root_);

    s->apply_groups_ = std::make_unique<SchemaNode>();
    s->apply_groups_->name = "apply-groups";
    s->apply_groups_->kind = NodeKind::leaf_list;
    s->apply_groups_->ordered_by_user = true;
    s->apply_groups_->order = -1;
    s->apply_groups_->description = "Groups from which to inherit configuration data";

    // `groups { NAME { <any top-level statement> } }`: a container of hidden-keyword entries whose
    // children are looked up at the root. The schema may model the container and its list (so that
    // the `apply-groups` leafref resolves); otherwise it is synthesised here.
    if (auto it = s->root_->by_name.find("groups");
        it != s->root_->by_name.end() && it->second->kind == NodeKind::container && it->second->hidden_list) {
        auto* g = const_cast<SchemaNode*>(it->second);
        const_cast<SchemaNode*>(g->hidden_list)->scope_alias = s->root_.get();
        s->groups_node_ = g;
    } else {
        s->groups_ = std::make_unique<SchemaNode>();
        s->groups_->name = "groups";
        s->groups_->kind = NodeKind::container;
        s->groups_->order = -2;
        s->groups_->parent = s->root_.get();
        s->groups_->description = "Configuration groups";
        auto entry = std::make_unique<SchemaNode>();
        entry->name = "group";
        entry->kind = NodeKind::list;
        entry->hide_keyword = true;
        entry->keys = {"name"};
        entry->key_types.emplace_back();
        entry->parent = s->groups_.get();
        entry->description = "Group name";
        entry->scope_alias = s->root_.get();
        s->groups_->hidden_list = entry.get();
        s->groups_->children.push_back(std::move(entry));
        s->groups_node_ = s->groups_.get();
    }
    return s;
}

Schema::~Schema() {
    root_.reset();
    if (ctx_)
        ly_ctx_destroy(ctx_);
}

KeywordMatch Schema::find_child(const SchemaNode& parent_in, std::string_view word, bool allow_prefix) const {
    KeywordMatch m;
    const SchemaNode& parent = parent_in.scope_alias ? *parent_in.scope_alias : parent_in;
    if (parent.kind != NodeKind::container && parent.kind != NodeKind::list)
        return m;
    const bool at_root = &parent == root_.get();
    // A group holds top-level statements, but not groups of its own.
    const bool in_group = parent_in.scope_alias != nullptr;
    if (auto it = parent.by_name.find(std::string(word)); it != parent.by_name.end()) {
        if (!(in_group && it->second == groups_node_))
            m.node = it->second;
        return m;
    }
    if (word == "apply-groups") {
        m.node = apply_groups_.get();
        return m;
    }
    if (at_root && &parent_in == root_.get() && word == "groups") {
        m.node = groups_node_;
        return m;
    }
    if (!allow_prefix || word.empty())
        return m;
    auto lo = std::lower_bound(parent.sorted.begin(), parent.sorted.end(), word,
                               [](const SchemaNode* a, std::string_view w) { return a->name < w; });
    for (auto it = lo; it != parent.sorted.end() && (*it)->name.compare(0, word.size(), word) == 0; ++it)
        if (!(in_group && *it == groups_node_))
            m.candidates.push_back(*it);
    if (std::string_view("apply-groups").substr(0, word.size()) == word)
        m.candidates.push_back(apply_groups_.get());
    if (at_root && &parent_in == root_.get() && std::string_view("groups").substr(0, word.size()) == word)
        if (groups_)
            m.candidates.push_back(groups_.get());
    if (m.candidates.size() == 1) {
        m.node = m.candidates.front();
        m.candidates.clear();
    } else {
        std::sort(m.candidates.begin(), m.candidates.end(),
                  [](const SchemaNode* a, const SchemaNode* b) { return a->name < b->name; });
    }
    return m;
}

std::string Schema::owner_of(const std::vector<std::string>& path) const {
    return owner_and_readers(path).first;
}

std::pair<std::string, std::vector<std::string>> Schema::owner_and_readers(
    const std::vector<std::string>& path) const {
    std::string owner = "mgd";
    std::vector<std::string> readers;
    const SchemaNode* cur = root_.get();
    for (size_t i = 0; i < path.size();) {
        auto m = find_child(*cur, path[i]);
        const SchemaNode* next = m.node;
        if (!next && cur->hidden_list) {
            next = cur->hidden_list;
            i += next->keys.size();
        } else if (next) {
            ++i;
            if (next->kind == NodeKind::list)
                i += next->keys.size();
        } else {
            break;
        }
        if (!next->owner.empty())
            owner = next->owner;
        for (const auto& r : next->readers) {
            if (std::find(readers.begin(), readers.end(), r) == readers.end())
                readers.push_back(r);
        }
        if (!next->is_entry_holder())
            break;
        cur = next;
    }
    std::erase(readers, owner);
    return {owner, readers};
}

std::string check_value(const ValueType& type, std::string& value, bool with_libyang) {
    switch (type.base) {
        case ValueType::Base::integer: {
            const char* b = value.data();
            const char* e = b + value.size();
            if (type.is_signed) {
                int64_t x = 0;
                auto r = std::from_chars(b, e, x);
                if (r.ec != std::errc() || r.ptr != e)
                    return "invalid numeric value: '" + value + "'";
                if (type.signed_ranges.empty())
                    return {};
                for (auto [lo, hi] : type.signed_ranges)
                    if (x >= lo && x <= hi)
                        return {};
            } else {
                uint64_t x = 0;
                auto r = std::from_chars(b, e, x);
                if (r.ec == std::errc::result_out_of_range)
                    return "Value " + value + " is not within range (" + type.range_text + ")";
                if (r.ec != std::errc() || r.ptr != e)
                    return "invalid numeric value: '" + value + "'";
                if (type.unsigned_ranges.empty())
                    return {};
                for (auto [lo, hi] : type.unsigned_ranges)
                    if (x >= lo && x <= hi)
                        return {};
            }
            return "Value " + value + " is not within range (" + type.range_text + ")";
        }
        case ValueType::Base::enumeration: {
            const std::string* found = nullptr;
            int matches = 0;
            for (const auto& e : type.enums) {
                if (e == value)
                    return {};
                if (e.compare(0, value.size(), value) == 0) {
                    found = &e;
                    ++matches;
                }
            }
            if (matches == 1 && !value.empty()) {
                value = *found;
                return {};
            }
            if (matches > 1 && !value.empty())
                return "'" + value + "' is ambiguous.";
            return "invalid value: '" + value + "'";
        }
        case ValueType::Base::boolean:
            if (value == "true" || value == "false")
                return {};
            return "invalid value: '" + value + "'";
        default:
            break;
    }
    if (type.libyang_leaf && with_libyang) {
        ly_ctx* ctx = type.libyang_leaf->module->ctx;
        LY_ERR rc =
            lyd_value_validate(ctx, type.libyang_leaf, value.data(), value.size(), nullptr, nullptr, nullptr);
        if (rc != LY_SUCCESS && rc != LY_EINCOMPLETE) {
            ly_err_clean(ctx, nullptr);
            return "invalid value: '" + value + "'";
        }
    }
    return {};
}

}  // namespace msim::config
