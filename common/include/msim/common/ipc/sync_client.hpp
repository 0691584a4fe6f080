// A blocking RPC client for short-lived tools (the CLI, the msim launcher): it owns its io_context and runs
// it only while a call is outstanding.
#pragma once

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <filesystem>
#include <functional>
#include <memory>

#include "msim/common/ipc/connection.hpp"

namespace msim::ipc {

class SyncClient {
  public:
    // Throws std::system_error when the socket does not accept the connection.
    explicit SyncClient(const std::filesystem::path& socket_path, std::string peer_name = "peer");
    ~SyncClient();

    Reply call(const pugi::xml_node& request, Duration timeout = default_call_timeout);
    Reply call(const pugi::xml_document& request, Duration timeout = default_call_timeout) {
        return call(request.document_element(), timeout);
    }
    Reply call(std::string_view rpc_name, Duration timeout = default_call_timeout);

    // A streaming call (ping, monitor traffic): each <rpc-progress> body goes to `progress` as it arrives;
    // `idle_timeout` bounds the silence between messages. While it runs, `interrupted` (set by the
    // caller's SIGINT handler) is polled every 50 ms; once it is true the call is cancelled on the peer,
    // which then replies (with the final statistics) as usual.
    Reply call_streaming(const pugi::xml_node& request, Duration idle_timeout,
                         const Connection::ProgressCallback& progress,
                         const volatile std::sig_atomic_t* interrupted = nullptr);

    // Notifications that arrive while a call runs (or during poll()) go here.
    void on_notification(std::function<void(const pugi::xml_node&)> handler) { notify_ = std::move(handler); }
    // Packet frames that arrive while a call runs (or during poll()) go here.
    void on_packet(std::function<void(const PacketMeta&, std::span<const uint8_t>)> handler) {
        packet_ = std::move(handler);
    }
    // Queues a packet frame and writes it (and anything else pending) before returning.
    void send_packet(const PacketMeta& meta, std::span<const uint8_t> bytes);
    // Handles whatever has arrived without blocking.
    void poll();
    bool is_open() const { return conn_ && conn_->is_open(); }

  private:
    boost::asio::io_context io_;
    std::shared_ptr<Connection> conn_;
    std::function<void(const pugi::xml_node&)> notify_;
    std::function<void(const PacketMeta&, std::span<const uint8_t>)> packet_;
};

}  // namespace msim::ipc
