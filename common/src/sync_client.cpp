#include "msim/common/ipc/sync_client.hpp"

#include "msim/common/ipc/server.hpp"

#include <boost/asio/steady_timer.hpp>
#include <optional>

namespace msim::ipc {

SyncClient::SyncClient(const std::filesystem::path& socket_path, std::string peer_name) {
    Handlers handlers;
    handlers.on_notification = [this](Connection&, const pugi::xml_node& n) {
        if (notify_) {
            notify_(n);
        }
    };
    handlers.on_packet = [this](Connection&, const PacketMeta& meta, std::span<const uint8_t> bytes) {
        if (packet_) {
            packet_(meta, bytes);
        }
    };
    ConnectionOptions options;
    options.peer_name = std::move(peer_name);
    conn_ = Connection::create(connect_socket(io_, socket_path), std::move(handlers), nullptr, options);
    conn_->start();
}

SyncClient::~SyncClient() {
    if (conn_) {
        conn_->close("client done");
    }
}

Reply SyncClient::call(const pugi::xml_node& request, Duration timeout) {
    std::optional<Reply> result;
    conn_->call(request, timeout, [&result](Reply r) { result = std::move(r); });
    io_.restart();
    while (!result) {
        if (io_.run_one() == 0) {
            break;  // nothing left to run: the connection is gone
        }
    }
    if (!result) {
        Reply r;
        r.status = Reply::Status::closed;
        r.error_message = conn_->peer_name() + " closed the connection";
        return r;
    }
    return std::move(*result);
}

Reply SyncClient::call_streaming(const pugi::xml_node& request, Duration idle_timeout,
                                 const Connection::ProgressCallback& progress,
                                 const volatile std::sig_atomic_t* interrupted) {
    std::optional<Reply> result;
    const uint64_t id = conn_->call(
        request, idle_timeout, [&result](Reply r) { result = std::move(r); },
        [&progress](const pugi::xml_node& body) {
            if (progress) {
                progress(body);
            }
        });
    io_.restart();
    bool cancelled = false;
    boost::asio::steady_timer poll_timer(io_);
    std::function<void()> watch = [&] {
        poll_timer.expires_after(std::chrono::milliseconds(50));
        poll_timer.async_wait([&](const boost::system::error_code& ec) {
            if (ec || result) {
                return;
            }
            if (interrupted && *interrupted && !cancelled) {
                cancelled = true;
                conn_->cancel(id);
            }
            watch();
        });
    };
    watch();
    while (!result) {
        if (io_.run_one() == 0) {
            break;
        }
    }
    poll_timer.cancel();
    io_.poll();  // lets the cancelled timer's handler run before the locals it refers to go
    if (!result) {
        Reply r;
        r.status = Reply::Status::closed;
        r.error_message = conn_->peer_name() + " closed the connection";
        return r;
    }
    return std::move(*result);
}

Reply SyncClient::call(std::string_view rpc_name, Duration timeout) {
    pugi::xml_document doc;
    doc.append_child(std::string(rpc_name).c_str());
    return call(doc, timeout);
}

void SyncClient::send_packet(const PacketMeta& meta, std::span<const uint8_t> bytes) {
    conn_->send_packet(meta, bytes);
    io_.restart();
    io_.poll();  // the write completes at once on a Unix socket with room in its buffer
}

void SyncClient::poll() {
    io_.restart();
    io_.poll();
}

}  // namespace msim::ipc
