#include "msim/common/ipc/server.hpp"

#include <sys/un.h>

#include <system_error>

#include "msim/common/log.hpp"

namespace msim::ipc {

void check_socket_path(const std::filesystem::path& path) {
    if (path.native().size() >= sizeof(sockaddr_un{}.sun_path)) {
        throw std::system_error(std::make_error_code(std::errc::filename_too_long),
                                "socket path too long for a Unix socket (" +
                                    std::to_string(path.native().size()) + " bytes): " + path.string() +
                                    "; use a shorter MSIM_HOME");
    }
}

Server::Server(boost::asio::io_context& io, std::filesystem::path socket_path,
               std::function<Handlers()> make_handlers, Logger* log, ConnectionOptions options)
    : io_(io),
      path_(std::move(socket_path)),
      make_handlers_(std::move(make_handlers)),
      log_(log),
      options_(std::move(options)),
      acceptor_(io) {}

Server::~Server() {
    stop();
}

void Server::listen() {
    check_socket_path(path_);
    std::error_code ec;
    std::filesystem::remove(path_, ec);  // a stale socket left by a killed predecessor
    boost::asio::local::stream_protocol::endpoint ep(path_.string());
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    accept_next();
}

void Server::stop() {
    boost::system::error_code ignored;
    if (acceptor_.is_open()) {
        acceptor_.close(ignored);
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    auto conns = connections_;
    for (auto& c : conns) {
        c->close("server stopping");
    }
    connections_.clear();
}

void Server::accept_next() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, Socket socket) {
        if (ec) {
            if (ec != boost::asio::error::operation_aborted && log_) {
                log_->log("IPC accept failed: " + ec.message());
            }
            if (acceptor_.is_open() && ec != boost::asio::error::operation_aborted) {
                accept_next();
            }
            return;
        }
        Handlers handlers = make_handlers_();
        auto user_close = handlers.on_close;
        // Forget the connection when it closes, then tell the owner.
        handlers.on_close = [this, user_close](Connection& c, const std::string& reason) {
            if (user_close) {
                user_close(c, reason);
            }
            for (auto it = connections_.begin(); it != connections_.end(); ++it) {
                if (it->get() == &c) {
                    connections_.erase(it);
                    break;
                }
            }
        };
        auto conn = Connection::create(std::move(socket), std::move(handlers), log_, options_);
        connections_.insert(conn);
        conn->start();
        accept_next();
    });
}

Socket connect_socket(boost::asio::io_context& io, const std::filesystem::path& path) {
    check_socket_path(path);
    Socket socket(io);
    boost::system::error_code ec;
    socket.connect(boost::asio::local::stream_protocol::endpoint(path.string()), ec);
    if (ec) {
        throw std::system_error(ec.value(), std::generic_category(), "cannot connect to " + path.string());
    }
    return socket;
}

}  // namespace msim::ipc
