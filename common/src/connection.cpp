#include "msim/common/ipc/connection.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <sstream>

#include "msim/common/log.hpp"
#include "msim/common/xml.hpp"

namespace msim::ipc {

// ---- Responder --------------------------------------------------------------------------------------

Responder::Responder(std::weak_ptr<Connection> conn, std::string message_id)
    : conn_(std::move(conn)), message_id_(std::move(message_id)), done_(std::make_shared<bool>(false)) {}

void Responder::send(pugi::xml_document& reply_doc) const {
    if (!done_ || *done_) {
        return;
    }
    *done_ = true;
    auto conn = conn_.lock();
    if (!conn) {
        return;
    }
    conn->clear_cancel_handler(message_id_);
    auto root = reply_doc.document_element();
    if (root.attribute("message-id")) {
        root.attribute("message-id").set_value(message_id_.c_str());
    } else {
        root.append_attribute("message-id").set_value(message_id_.c_str());
    }
    conn->send_xml(reply_doc);
}

void Responder::reply(const pugi::xml_node& body) const {
    pugi::xml_document doc;
    auto root = doc.append_child("rpc-reply");
    if (body) {
        root.append_copy(body);
    }
    send(doc);
}

void Responder::progress(const pugi::xml_node& body) const {
    if (done()) {
        return;
    }
    auto conn = conn_.lock();
    if (!conn) {
        return;
    }
    pugi::xml_document doc;
    auto root = doc.append_child("rpc-progress");
    root.append_attribute("message-id").set_value(message_id_.c_str());
    if (body) {
        root.append_copy(body);
    }
    conn->send_xml(doc);
}

void Responder::on_cancel(std::function<void()> handler) const {
    if (done()) {
        return;
    }
    if (auto conn = conn_.lock()) {
        conn->set_cancel_handler(message_id_, std::move(handler));
    }
}

void Responder::reply_ok() const {
    pugi::xml_document doc;
    doc.append_child("rpc-reply").append_child("ok");
    send(doc);
}

void Responder::error(std::string_view message, std::string_view path, std::string_view severity) const {
    pugi::xml_document doc;
    auto err = doc.append_child("rpc-reply").append_child("rpc-error");
    xml::append_text(err, "error-severity", severity);
    if (!path.empty()) {
        xml::append_text(err, "error-path", path);
    }
    xml::append_text(err, "error-message", message);
    send(doc);
}

// ---- Connection -------------------------------------------------------------------------------------

std::shared_ptr<Connection> Connection::create(Socket socket, Handlers handlers, Logger* log,
                                               ConnectionOptions options) {
    return std::shared_ptr<Connection>(
        new Connection(std::move(socket), std::move(handlers), log, std::move(options)));
}

Connection::Connection(Socket socket, Handlers handlers, Logger* log, ConnectionOptions options)
    : socket_(std::move(socket)), handlers_(std::move(handlers)), log_(log), options_(std::move(options)) {}

Connection::~Connection() {
    boost::system::error_code ignored;
    socket_.close(ignored);
}

void Connection::start() {
    open_ = true;
    read_header();
}

void Connection::read_header() {
    boost::asio::async_read(
        socket_, boost::asio::buffer(header_buf_),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
            if (!self->open_) {
                return;
            }
            if (ec) {
                if (ec == boost::asio::error::eof && n == 0) {
                    self->close("peer closed the connection");
                } else if (ec == boost::asio::error::eof) {
                    self->fail("truncated frame header (" + std::to_string(n) + " of 8 bytes)");
                } else {
                    self->close(ec.message());
                }
                return;
            }
            std::string error;
            auto header = decode_frame_header(self->header_buf_, self->options_.max_frame_payload, error);
            if (!header) {
                self->fail(error);
                return;
            }
            self->read_payload(*header);
        });
}

void Connection::read_payload(FrameHeader header) {
    payload_.resize(header.payload_length);
    boost::asio::async_read(
        socket_, boost::asio::buffer(payload_),
        [self = shared_from_this(), header](const boost::system::error_code& ec, size_t n) {
            if (!self->open_) {
                return;
            }
            if (ec) {
                self->fail("truncated frame (" + std::to_string(n) + " of " +
                           std::to_string(header.payload_length) + " payload bytes)");
                return;
            }
            self->dispatch(header.type);
            if (self->open_) {
                self->read_header();
            }
        });
}

void Connection::dispatch(FrameType type) {
    if (type == FrameType::packet) {
        auto meta = PacketMeta::decode(payload_);
        if (!meta) {
            fail("truncated packet frame (" + std::to_string(payload_.size()) + " bytes)");
            return;
        }
        if (handlers_.on_packet) {
            handlers_.on_packet(*this, *meta,
                                std::span<const uint8_t>(payload_).subspan(PacketMeta::wire_size));
        }
        return;
    }
    dispatch_rpc_frame();
}

void Connection::dispatch_rpc_frame() {
    auto doc = std::make_shared<pugi::xml_document>();
    auto parsed =
        doc->load_buffer(payload_.data(), payload_.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!parsed) {
        fail(std::string("malformed XML frame: ") + parsed.description() + " at offset " +
             std::to_string(parsed.offset));
        return;
    }
    auto root = doc->document_element();
    const std::string_view kind = root.name();
    if (kind == "rpc") {
        const char* id = root.attribute("message-id").value();
        auto request = root.first_child();
        while (request && request.type() != pugi::node_element) {
            request = request.next_sibling();
        }
        if (!*id || !request) {
            fail("malformed rpc frame: no message-id or no request element");
            return;
        }
        Responder responder(weak_from_this(), id);
        if (handlers_.on_rpc) {
            handlers_.on_rpc(*this, request, responder);
        } else {
            responder.error("no RPC handler on this connection");
        }
    } else if (kind == "rpc-reply") {
        const uint64_t id = root.attribute("message-id").as_ullong(0);
        auto it = pending_.find(id);
        if (it == pending_.end()) {
            return;  // a reply after its call timed out: nobody is waiting for it any more
        }
        Pending pending = std::move(it->second);
        pending_.erase(it);
        pending.timer->cancel();
        Reply reply;
        reply.status = Reply::Status::ok;
        reply.doc = doc;
        for (auto err : root.children("rpc-error")) {
            if (std::string_view(err.child_value("error-severity")) != "warning") {
                reply.status = Reply::Status::rpc_error;
                reply.error_message = err.child_value("error-message");
                break;
            }
        }
        pending.done(std::move(reply));
    } else if (kind == "rpc-progress") {
        const uint64_t id = root.attribute("message-id").as_ullong(0);
        auto it = pending_.find(id);
        if (it == pending_.end() || !it->second.progress) {
            return;  // progress of a call that timed out, or of a caller that does not stream
        }
        arm_timer(id, it->second);
        auto body = root.first_child();
        while (body && body.type() != pugi::node_element) {
            body = body.next_sibling();
        }
        auto progress = it->second.progress;  // the callback may start or end calls
        progress(body);
    } else if (kind == "cancel-rpc") {
        auto it = cancel_handlers_.find(root.attribute("message-id").value());
        if (it != cancel_handlers_.end()) {
            auto handler = std::move(it->second);
            cancel_handlers_.erase(it);
            handler();
        }
    } else if (kind == "notification") {
        if (handlers_.on_notification) {
            handlers_.on_notification(*this, root);
        }
    } else {
        fail("unexpected XML frame <" + std::string(kind) + ">");
    }
}

uint64_t Connection::call(const pugi::xml_node& request, Duration timeout, ReplyCallback done,
                          ProgressCallback progress) {
    if (!open_) {
        Reply r;
        r.status = Reply::Status::closed;
        r.error_message = "connection to " + options_.peer_name + " is closed";
        done(std::move(r));
        return 0;
    }
    const uint64_t id = next_id_++;
    pugi::xml_document doc;
    auto rpc = doc.append_child("rpc");
    rpc.append_attribute("message-id").set_value(static_cast<unsigned long long>(id));
    rpc.append_copy(request);

    Pending pending{std::move(done), std::make_unique<boost::asio::steady_timer>(socket_.get_executor()),
                    std::move(progress), timeout};
    auto& stored = pending_.emplace(id, std::move(pending)).first->second;
    arm_timer(id, stored);
    send_xml(doc);
    return id;
}

void Connection::arm_timer(uint64_t id, Pending& pending) {
    pending.timer->expires_after(pending.timeout);
    pending.timer->async_wait([weak = weak_from_this(), id](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self) {
            return;
        }
        auto it = self->pending_.find(id);
        if (it == self->pending_.end()) {
            return;
        }
        Pending expired = std::move(it->second);
        self->pending_.erase(it);
        Reply r;
        r.status = Reply::Status::timeout;
        r.error_message = self->options_.peer_name + " did not answer within " +
                          std::to_string(expired.timeout.count()) + " ms";
        expired.done(std::move(r));
    });
}

void Connection::cancel(uint64_t id) {
    if (!open_ || !pending_.count(id)) {
        return;
    }
    pugi::xml_document doc;
    doc.append_child("cancel-rpc")
        .append_attribute("message-id")
        .set_value(static_cast<unsigned long long>(id));
    send_xml(doc);
}

void Connection::set_cancel_handler(const std::string& message_id, std::function<void()> handler) {
    if (open_) {
        cancel_handlers_[message_id] = std::move(handler);
    }
}

uint64_t Connection::call(std::string_view rpc_name, Duration timeout, ReplyCallback done,
                          ProgressCallback progress) {
    pugi::xml_document doc;
    doc.append_child(std::string(rpc_name).c_str());
    return call(doc, timeout, std::move(done), std::move(progress));
}

void Connection::notify(const pugi::xml_node& body) {
    pugi::xml_document doc;
    doc.append_child("notification").append_copy(body);
    send_xml(doc);
}

void Connection::send_packet(const PacketMeta& meta, std::span<const uint8_t> bytes) {
    enqueue(encode_packet_frame(meta, bytes));
}

void Connection::send_xml(const pugi::xml_document& doc) {
    enqueue(encode_rpc_frame(xml::to_string(doc)));
}

void Connection::enqueue(std::vector<uint8_t> frame) {
    if (!open_) {
        return;
    }
    write_queue_.push_back(std::move(frame));
    if (!writing_) {
        write_next();
    }
}

void Connection::write_next() {
    writing_ = true;
    boost::asio::async_write(socket_, boost::asio::buffer(write_queue_.front()),
                             [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                                 if (!self->open_) {
                                     return;
                                 }
                                 if (ec) {
                                     self->close("write failed: " + ec.message());
                                     return;
                                 }
                                 self->write_queue_.pop_front();
                                 if (self->write_queue_.empty()) {
                                     self->writing_ = false;
                                 } else {
                                     self->write_next();
                                 }
                             });
}

void Connection::fail(const std::string& reason) {
    if (log_) {
        log_->log("IPC connection with " + options_.peer_name + " closed: " + reason);
    }
    close(reason);
}

void Connection::close(const std::string& reason) {
    if (closed_reported_) {
        return;
    }
    closed_reported_ = true;
    open_ = false;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    socket_.close(ignored);
    write_queue_.clear();
    // Callbacks may start new calls or drop the last reference to us: keep ourselves alive and work on a
    // moved-out copy of the pending table.
    auto keep = shared_from_this();
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, p] : pending) {
        p.timer->cancel();
        Reply r;
        r.status = Reply::Status::closed;
        r.error_message = options_.peer_name + " closed the connection during the call: " + reason;
        p.done(std::move(r));
    }
    // Work done for a caller that is gone stops (a monitor traffic whose CLI died).
    auto cancels = std::move(cancel_handlers_);
    cancel_handlers_.clear();
    for (auto& [id, handler] : cancels) {
        handler();
    }
    if (handlers_.on_close) {
        handlers_.on_close(*this, reason);
    }
}

}  // namespace msim::ipc
