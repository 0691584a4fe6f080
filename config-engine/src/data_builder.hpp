// Building libyang data nodes from configuration statements (validate() builds a whole tree; the live
// data tree of mgd's commits builds the statements a change creates). Not part of the public API.
#pragma once

#include <libyang/libyang.h>

#include <string>
#include <vector>

#include "internal.hpp"
#include "msim/config/commit_error.hpp"
#include "msim/config/secret.hpp"
#include "msim/config/validate.hpp"

namespace msim::config::detail {

// An XPath literal: XPath cannot escape quotes, so the quote the value does not contain.
inline std::string predicate_quote(const std::string& v) {
    return v.find('\'') == std::string::npos ? "'" + v + "'" : "\"" + v + "\"";
}

// The list-key predicate of an entry ("[name='sa-1']").
inline std::string key_predicate(const SchemaNode& list, const std::vector<std::string>& keys) {
    std::string pred;
    for (size_t i = 0; i < list.keys.size() && i < keys.size(); ++i)
        pred += "[" + list.keys[i] + "=" + predicate_quote(keys[i]) + "]";
    return pred;
}

inline std::string libyang_message(ly_ctx* ctx) {
    const ly_err_item* e = ly_err_last(ctx);
    return e && e->msg ? e->msg : "invalid value";
}

// Secret leaves hold `$9$` text in the configuration and clear text in the data tree (the validators check
// key lengths and weak keys).
inline std::string clear_value(const Node& n, const std::string& v) {
    if (!n.schema()->secret)
        return v;
    auto plain = decode_secret(v);
    return plain ? *plain : v;
}

class Builder {
  public:
    explicit Builder(const Schema& s) : ctx_(s.context()) {}

    DataTree tree;                    // top-level siblings built without a parent
    std::vector<CommitError> errors;  // statements libyang refused (type errors)

    // Builds every child of `parent` (recursively) under `dparent` (null: top level, into `tree`).
    void build(const Node& parent, lyd_node* dparent) {
        for (const auto& c : parent.children()) {
            lyd_node* first = nullptr;
            if (!build_one(*c, dparent, &first))
                continue;
            if (first && c->schema()->is_entry_holder())
                build(*c, first);
        }
    }

    // Builds `c` itself (a leaf-list: one node per item) under `dparent`. `created` gets the (first) node
    // made. Returns false, with an error recorded, when libyang refuses it; a statement without a YANG node
    // (a synthetic apply-groups) is skipped.
    bool build_one(const Node& c, lyd_node* dparent, lyd_node** created,
                   std::vector<lyd_node*>* all = nullptr) {
        const SchemaNode* sn = c.schema();
        *created = nullptr;
        if (!sn->ys)
            return false;
        const lys_module* mod = sn->ys->module;
        LY_ERR rc = LY_SUCCESS;
        switch (sn->kind) {
            case NodeKind::container:
                rc = lyd_new_inner(dparent, mod, sn->name.c_str(), 0, created);
                break;
            case NodeKind::list:
                if (sn->keys.size() == 1 && c.values().size() == 1) {
                    // One key: no predicate to build and parse.
                    rc = lyd_new_list(dparent, mod, sn->name.c_str(), 0, created, c.values()[0].c_str());
                } else {
                    rc = lyd_new_list2(dparent, mod, sn->name.c_str(), key_predicate(*sn, c.values()).c_str(),
                                       0, created);
                }
                break;
            case NodeKind::leaf: {
                std::string v = c.values().empty() ? std::string() : clear_value(c, c.values().front());
                rc = lyd_new_term(dparent, mod, sn->name.c_str(), c.values().empty() ? nullptr : v.c_str(), 0,
                                  created);
                break;
            }
            case NodeKind::leaf_list:
                for (const auto& v : c.values()) {
                    lyd_node* item = nullptr;
                    std::string cv = clear_value(c, v);
                    rc = lyd_new_term(dparent, mod, sn->name.c_str(), cv.c_str(), 0, &item);
                    if (rc != LY_SUCCESS)
                        break;
                    if (!*created)
                        *created = item;
                    if (all)
                        all->push_back(item);
                    if (!dparent)
                        link_top(item);
                }
                break;
        }
        if (rc != LY_SUCCESS) {
            CommitError e;
            e.edit_path = c.parent() ? c.parent()->path_words() : std::vector<std::string>{};
            e.statement = detail::head_of(c);
            e.message = libyang_message(ctx_);
            errors.push_back(std::move(e));
            ly_err_clean(ctx_, nullptr);
            return false;
        }
        if (sn->kind != NodeKind::leaf_list) {
            if (all && *created)
                all->push_back(*created);
            if (*created && !dparent)
                link_top(*created);
        }
        return true;
    }

  private:
    void link_top(lyd_node* n) {
        if (!tree) {
            tree.reset(n);
            return;
        }
        lyd_node* first = tree.release();
        lyd_insert_sibling(first, n, &first);
        tree.reset(first);
    }

    ly_ctx* ctx_;
};

}  // namespace msim::config::detail
