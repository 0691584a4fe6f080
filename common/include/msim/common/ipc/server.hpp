// Accepts IPC connections on a Unix socket path and keeps them alive until they close.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>

#include "msim/common/ipc/connection.hpp"

namespace msim::ipc {

class Server {
  public:
    // `make_handlers` is asked for the handlers of each accepted connection.
    Server(boost::asio::io_context& io, std::filesystem::path socket_path,
           std::function<Handlers()> make_handlers, Logger* log, ConnectionOptions options = {});
    ~Server();

    // Binds (replacing a stale socket file) and starts accepting. Throws std::system_error on failure.
    void listen();
    void stop();
    const std::set<std::shared_ptr<Connection>>& connections() const { return connections_; }

  private:
    void accept_next();

    boost::asio::io_context& io_;
    std::filesystem::path path_;
    std::function<Handlers()> make_handlers_;
    Logger* log_;
    ConnectionOptions options_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    std::set<std::shared_ptr<Connection>> connections_;
};

// Connects to a Unix socket; throws std::system_error with a readable message on failure.
Socket connect_socket(boost::asio::io_context& io, const std::filesystem::path& path);

// Unix socket paths are limited to 107 bytes; this explains which path is too long.
void check_socket_path(const std::filesystem::path& path);

}  // namespace msim::ipc
