// One IPC connection between two msim processes: RPC calls in both directions, notifications and packet
// frames, over a Unix stream socket driven by Boost.Asio.
//
// Either end may call the other: a Connection is both client and server. Calls carry a message id and a
// per-call timeout; a reply arriving after its timeout is dropped. When the peer goes away (or sends a
// frame that is oversized, truncated or not well-formed XML), the connection closes, every pending call
// completes with Reply::Status::closed, and on_close runs once. Nothing else in the process is affected.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <pugixml.hpp>
#include <span>
#include <string>
#include <vector>

#include "msim/common/ipc/frame.hpp"

namespace msim {
class Logger;
}

namespace msim::ipc {

using Socket = boost::asio::local::stream_protocol::socket;
using Duration = std::chrono::milliseconds;

inline constexpr Duration default_call_timeout{5000};

// The outcome of a call. `doc` holds the <rpc-reply> element when status is ok or rpc_error.
struct Reply {
    enum class Status { ok, rpc_error, timeout, closed };
    Status status = Status::closed;
    std::shared_ptr<pugi::xml_document> doc;
    std::string error_message;  // for rpc_error: the first <error-message>; otherwise a description

    bool ok() const { return status == Status::ok; }
    // The <rpc-reply> element (empty node unless ok or rpc_error).
    pugi::xml_node root() const { return doc ? doc->child("rpc-reply") : pugi::xml_node(); }
};

class Connection;

// Answers one incoming RPC, now or later (a handler may keep it and reply after other calls complete).
// Copyable; the first reply wins, later ones are ignored. If the connection is gone, replies are dropped.
class Responder {
  public:
    Responder() = default;
    Responder(std::weak_ptr<Connection> conn, std::string message_id);

    // Sends <rpc-reply> with a copy of `body`'s children (or with `body` itself when it is an element).
    void reply(const pugi::xml_node& body) const;
    void reply(const pugi::xml_document& body) const { reply(body.document_element()); }
    void reply_ok() const;  // <rpc-reply><ok/></rpc-reply>
    void error(std::string_view message, std::string_view path = {},
               std::string_view severity = "error") const;
    // Sends a complete <rpc-reply> document built by the caller (its root must be <rpc-reply>).
    void send(pugi::xml_document& reply_doc) const;

    // Streaming RPCs (ping, traceroute, monitor traffic): any number of <rpc-progress message-id="N">
    // frames carrying `body` before the one reply. Each one restarts the caller's timeout, so for a
    // streaming call the timeout bounds the silence between messages, not the whole call.
    void progress(const pugi::xml_node& body) const;
    // Runs `handler` once if the caller cancels the call (<cancel-rpc message-id="N"/>, Ctrl-C in the
    // CLI) or the connection closes before the reply. The handler should make the work end and reply
    // (a cancelled ping still replies with its statistics).
    void on_cancel(std::function<void()> handler) const;
    bool done() const { return !done_ || *done_; }

  private:
    std::weak_ptr<Connection> conn_;
    std::string message_id_;
    std::shared_ptr<bool> done_;
};

struct Handlers {
    // `request` is the element inside <rpc> (e.g. <get-software-information>).
    std::function<void(Connection&, const pugi::xml_node& request, Responder)> on_rpc;
    std::function<void(Connection&, const pugi::xml_node& notification)> on_notification;
    std::function<void(Connection&, const PacketMeta&, std::span<const uint8_t>)> on_packet;
    std::function<void(Connection&, const std::string& reason)> on_close;
};

struct ConnectionOptions {
    size_t max_frame_payload = default_max_frame_payload;
    std::string peer_name = "peer";  // for log lines
};

class Connection : public std::enable_shared_from_this<Connection> {
  public:
    using ReplyCallback = std::function<void(Reply)>;
    using ProgressCallback = std::function<void(const pugi::xml_node& body)>;

    static std::shared_ptr<Connection> create(Socket socket, Handlers handlers, Logger* log,
                                              ConnectionOptions options = {});
    ~Connection();

    // Starts reading. Call once, after create().
    void start();

    // Sends <rpc message-id="N"> wrapping a copy of `request` (an element such as <get-chassis-inventory/>).
    // Returns the call's message id (for cancel). With `progress`, <rpc-progress> frames of the call go
    // there and each restarts the timeout.
    uint64_t call(const pugi::xml_node& request, Duration timeout, ReplyCallback done,
                  ProgressCallback progress = {});
    uint64_t call(const pugi::xml_document& request, Duration timeout, ReplyCallback done,
                  ProgressCallback progress = {}) {
        return call(request.document_element(), timeout, std::move(done), std::move(progress));
    }
    // Asks the peer to cancel call `id` (it still replies; the reply completes the call as usual).
    void cancel(uint64_t id);
    // Convenience: an empty request element named `rpc_name`.
    uint64_t call(std::string_view rpc_name, Duration timeout, ReplyCallback done,
                  ProgressCallback progress = {});

    // Sends <notification> wrapping a copy of `body`.
    void notify(const pugi::xml_node& body);
    void send_packet(const PacketMeta& meta, std::span<const uint8_t> bytes);

    void close(const std::string& reason);
    bool is_open() const { return open_; }
    const std::string& peer_name() const { return options_.peer_name; }
    void set_peer_name(std::string name) { options_.peer_name = std::move(name); }
    size_t pending_calls() const { return pending_.size(); }

    // Used by Responder.
    void send_xml(const pugi::xml_document& doc);
    void set_cancel_handler(const std::string& message_id, std::function<void()> handler);
    void clear_cancel_handler(const std::string& message_id) { cancel_handlers_.erase(message_id); }

  private:
    Connection(Socket socket, Handlers handlers, Logger* log, ConnectionOptions options);
    void read_header();
    void read_payload(FrameHeader header);
    void dispatch(FrameType type);
    void dispatch_rpc_frame();
    void enqueue(std::vector<uint8_t> frame);
    void write_next();
    void fail(const std::string& reason);

    struct Pending {
        ReplyCallback done;
        std::unique_ptr<boost::asio::steady_timer> timer;
        ProgressCallback progress;
        Duration timeout{};
    };
    void arm_timer(uint64_t id, Pending& pending);

    Socket socket_;
    Handlers handlers_;
    Logger* log_;
    ConnectionOptions options_;
    bool open_ = false;
    bool closed_reported_ = false;
    uint64_t next_id_ = 1;
    std::map<uint64_t, Pending> pending_;
    std::map<std::string, std::function<void()>> cancel_handlers_;  // incoming calls, by message id
    std::array<uint8_t, frame_header_size> header_buf_{};
    std::vector<uint8_t> payload_;
    std::deque<std::vector<uint8_t>> write_queue_;
    bool writing_ = false;
};

}  // namespace msim::ipc
