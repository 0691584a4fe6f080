#include "msim/config/tree.hpp"

#include <algorithm>

namespace msim::config {

namespace {
constexpr size_t kIndexThreshold = 16;
const std::string kEmpty;
}  // namespace

Node::Node(const Node& other)
    : inactive(other.inactive),
      annotation(other.annotation),
      tag(other.tag),
      group(other.group),
      schema_(other.schema_),
      changed_(other.changed_),
      changed_below_(other.changed_below_),
      values_(other.values_) {
    children_.reserve(other.children_.size());
    for (const auto& c : other.children_) {
        auto copy = std::make_unique<Node>(*c);
        copy->parent_ = this;
        children_.push_back(std::move(copy));
    }
    if (other.index_) {
        index_ = std::make_unique<ChildIndex>();
        index_->reserve(children_.size());
        for (auto& c : children_)
            index_add(c.get());
    }
}

Node::Node(Node&& other) noexcept
    : inactive(other.inactive),
      annotation(std::move(other.annotation)),
      tag(other.tag),
      group(std::move(other.group)),
      schema_(other.schema_),
      changed_(other.changed_),
      changed_below_(other.changed_below_),
      values_(std::move(other.values_)),
      children_(std::move(other.children_)),
      index_(std::move(other.index_)) {
    for (auto& c : children_)
        c->parent_ = this;
}

Node& Node::operator=(Node&& other) noexcept {
    if (this == &other)
        return *this;
    inactive = other.inactive;
    annotation = std::move(other.annotation);
    tag = other.tag;
    group = std::move(other.group);
    schema_ = other.schema_;
    changed_ = other.changed_;
    changed_below_ = other.changed_below_;
    values_ = std::move(other.values_);
    children_ = std::move(other.children_);
    index_ = std::move(other.index_);
    for (auto& c : children_)
        c->parent_ = this;
    return *this;
}

Node& Node::operator=(const Node& other) {
    if (this == &other)
        return *this;
    Node copy(other);
    *this = std::move(copy);  // keeps parent_
    return *this;
}

const std::string& Node::keyword() const {
    return schema_ ? schema_->name : kEmpty;
}

size_t Node::ChildHash::operator()(const ChildKey& k) const noexcept {
    size_t h = std::hash<const void*>()(k.schema);
    if (k.schema->kind == NodeKind::list)
        for (const auto& v : *k.keys)
            h = h * 1000003u ^ std::hash<std::string>()(v);
    return h;
}

bool Node::ChildEq::same(const ChildKey& a, const ChildKey& b) noexcept {
    return a.schema == b.schema && (a.schema->kind != NodeKind::list || *a.keys == *b.keys);
}

void Node::index_add(Node* c) {
    if (index_)
        index_->insert(c);
}

void Node::index_remove(const Node* c) {
    if (index_)
        index_->erase(const_cast<Node*>(c));
}

Node* Node::find(const SchemaNode* s, const std::vector<std::string>& keys) const {
    if (index_) {
        auto it = index_->find(ChildKey{s, &keys});
        return it == index_->end() ? nullptr : *it;
    }
    for (const auto& c : children_) {
        if (c->schema_ != s)
            continue;
        if (s->kind != NodeKind::list || c->values_ == keys)
            return c.get();
    }
    return nullptr;
}

Node* Node::add(std::unique_ptr<Node> child) {
    child->parent_ = this;
    // Schema order between keywords; entries of one list keep insertion order. Scan from the back:
    // appending entries of the last list is the common case of a large load.
    const int order = child->schema_->order;
    size_t pos = children_.size();
    while (pos > 0 && children_[pos - 1]->schema_->order > order)
        --pos;
    Node* raw = child.get();
    raw->mark_subtree();
    touch();
    children_.insert(children_.begin() + static_cast<std::ptrdiff_t>(pos), std::move(child));
    if (!index_ && children_.size() > kIndexThreshold) {
        index_ = std::make_unique<ChildIndex>();
        for (auto& c : children_)
            index_add(c.get());
    } else {
        index_add(raw);
    }
    return raw;
}

Node* Node::insert_at(std::unique_ptr<Node> child, const Node* sibling, bool after) {
    auto it = std::find_if(children_.begin(), children_.end(), [&](auto& c) { return c.get() == sibling; });
    if (it == children_.end())
        return add(std::move(child));
    if (after)
        ++it;
    child->parent_ = this;
    Node* raw = child.get();
    raw->mark_subtree();
    touch();
    children_.insert(it, std::move(child));
    index_add(raw);
    return raw;
}

std::unique_ptr<Node> Node::remove(const Node* child) {
    auto it = std::find_if(children_.begin(), children_.end(), [&](auto& c) { return c.get() == child; });
    if (it == children_.end())
        return nullptr;
    index_remove(child);
    auto out = std::move(*it);
    children_.erase(it);
    out->parent_ = nullptr;
    touch();
    return out;
}

void Node::clear_children() {
    children_.clear();
    index_.reset();
    touch();
}

bool Node::move_to(const Node* child, const Node* sibling, bool after) {
    auto owned = remove(child);
    if (!owned)
        return false;
    insert_at(std::move(owned), sibling, after);
    return true;
}

void Node::rekey(Node* child, std::vector<std::string> keys) {
    index_remove(child);
    child->values_ = std::move(keys);
    index_add(child);
    child->touch();
    touch();
}

void Node::mark_ancestors() {
    // An ancestor already marked has all of its own ancestors marked too: stop there.
    for (Node* p = parent_; p && !p->changed_below_; p = p->parent_)
        p->changed_below_ = true;
}

void Node::touch() {
    changed_ = true;
    mark_ancestors();
}

void Node::mark_subtree() {
    changed_ = true;
    changed_below_ = !children_.empty();
    for (auto& c : children_)
        c->mark_subtree();
}

void Node::clear_marks() {
    changed_ = false;
    changed_below_ = false;
    for (auto& c : children_)
        if (c->changed_ || c->changed_below_)
            c->clear_marks();
}

std::vector<std::string> Node::path_words() const {
    std::vector<const Node*> chain;
    for (const Node* n = this; n && !n->is_root(); n = n->parent_)
        chain.push_back(n);
    std::vector<std::string> out;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const Node* n = *it;
        if (!n->schema_->hide_keyword)
            out.push_back(n->schema_->name);
        if (n->schema_->kind == NodeKind::list)
            out.insert(out.end(), n->values_.begin(), n->values_.end());
    }
    return out;
}

size_t Node::size() const {
    size_t n = 1;
    for (const auto& c : children_)
        n += c->size();
    return n;
}

}  // namespace msim::config
