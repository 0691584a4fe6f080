#include "msim/common/daemon.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>

#include "msim/common/version.hpp"
#include "msim/common/xml.hpp"

namespace msim {

std::string release_string() {
    return std::string(junos_release) + "-msim" + std::string(msim_version);
}

std::string_view daemon_description(std::string_view daemon) {
    if (daemon == "mgd")
        return "JUNOS Management Daemon";
    if (daemon == "chassisd")
        return "JUNOS Chassis Control Daemon";
    if (daemon == "pfed")
        return "JUNOS Packet Forwarding Engine Daemon";
    if (daemon == "kmd")
        return "JUNOS Key Management Daemon";
    if (daemon == "pkid")
        return "JUNOS PKI Daemon";
    if (daemon == "ipsecd")
        return "JUNOS IPsec Security Association Manager";
    if (daemon == "init")
        return "JUNOS Process Supervisor";
    return "JUNOS Daemon";
}

Daemon::Daemon(std::string name, RouterPaths paths)
    : name_(std::move(name)),
      paths_(std::move(paths)),
      clock_(paths_.clock_offset_file()),
      log_(paths_.messages_log(), paths_.router, name_),
      signals_(io_, SIGTERM, SIGINT) {
    log_.set_time_source([this] { return clock_.now(); });
    register_rpc("ping", [this](const pugi::xml_node&, ipc::Responder r) {
        pugi::xml_document doc;
        auto pong = doc.append_child("pong");
        xml::append_text(pong, "daemon", name_);
        xml::append_text(pong, "pid", std::to_string(::getpid()));
        r.reply(doc);
    });
    register_rpc("get-package-information", [this](const pugi::xml_node&, ipc::Responder r) {
        pugi::xml_document doc;
        auto pkg = doc.append_child("package-information");
        xml::append_text(pkg, "name", name_);
        xml::append_text(
            pkg, "comment",
            std::string(daemon_description(name_)) + " (" + name_ + ") [" + release_string() + "]");
        r.reply(doc);
    });
    register_rpc("validate-configuration", [this](const pugi::xml_node& request, ipc::Responder r) {
        if (validate_hook_) {
            validate_hook_(request.child("configuration-changes"), r);
        } else {
            r.reply_ok();
        }
    });
    register_rpc("apply-configuration", [this](const pugi::xml_node& request, ipc::Responder r) {
        if (apply_hook_) {
            apply_hook_(request.child("configuration-changes"), r);
        } else {
            r.reply_ok();
        }
    });
}

Daemon::~Daemon() {
    // Components first (their timers and connections live on io_), then the rest in reverse order.
    components_.clear();
}

void Daemon::register_session_rpc(const std::string& rpc_name, SessionRpcHandler handler) {
    session_handlers_[rpc_name] = std::move(handler);
}

void Daemon::register_rpc(const std::string& rpc_name, RpcHandler handler) {
    handlers_[rpc_name] = std::move(handler);
}

void Daemon::dispatch(const pugi::xml_node& request, ipc::Responder responder, ipc::Connection* conn) {
    if (conn && request_gate_) {
        if (auto refusal = request_gate_(*conn, request)) {
            responder.error(*refusal);
            return;
        }
    }
    if (conn) {
        if (auto s = session_handlers_.find(std::string_view(request.name())); s != session_handlers_.end()) {
            try {
                s->second(*conn, request, responder);
            } catch (const std::exception& e) {
                log_.log(std::string("RPC <") + request.name() + "> failed: " + e.what());
                responder.error(std::string("internal error in ") + name_ + ": " + e.what());
            }
            return;
        }
    }
    auto it = handlers_.find(std::string_view(request.name()));
    if (it == handlers_.end()) {
        responder.error(std::string("syntax error: ") + name_ + " does not know the RPC <" + request.name() +
                        ">");
        return;
    }
    try {
        it->second(request, responder);
    } catch (const std::exception& e) {
        // A handler bug must cost one RPC, not the daemon.
        log_.log(std::string("RPC <") + request.name() + "> failed: " + e.what());
        responder.error(std::string("internal error in ") + name_ + ": " + e.what());
    }
}

ipc::Handlers Daemon::make_handlers() {
    ipc::Handlers h;
    h.on_rpc = [this](ipc::Connection& c, const pugi::xml_node& request, ipc::Responder r) {
        dispatch(request, r, &c);
    };
    h.on_notification = [this](ipc::Connection& c, const pugi::xml_node& n) {
        if (notification_handler_) {
            notification_handler_(c, n);
        }
    };
    h.on_packet = [this](ipc::Connection& c, const ipc::PacketMeta& meta, std::span<const uint8_t> bytes) {
        if (packet_handler_) {
            packet_handler_(c, meta, bytes);
        }
    };
    return h;
}

std::shared_ptr<ipc::Connection> Daemon::peer_connection(const std::string& daemon, std::string& error) {
    if (stopping_) {
        error = name_ + " is stopping";
        return nullptr;
    }
    auto it = peers_.find(daemon);
    if (it != peers_.end() && it->second->is_open()) {
        return it->second;
    }
    try {
        auto handlers = make_handlers();
        handlers.on_close = [this, daemon](ipc::Connection& c, const std::string&) {
            auto found = peers_.find(daemon);
            if (found != peers_.end() && found->second.get() == &c) {
                // Drop our reference later: the connection is still inside its own callback.
                auto keep = found->second;
                peers_.erase(found);
                boost::asio::post(io_, [keep] {});
            }
        };
        ipc::ConnectionOptions options;
        options.peer_name = daemon;
        auto conn = ipc::Connection::create(ipc::connect_socket(io_, paths_.socket(daemon)),
                                            std::move(handlers), &log_, options);
        conn->start();
        peers_[daemon] = conn;
        return conn;
    } catch (const std::exception& e) {
        error = daemon + " is not running (" + e.what() + ")";
        return nullptr;
    }
}

void Daemon::call_peer(const std::string& daemon, const pugi::xml_node& request, ipc::Duration timeout,
                       ipc::Connection::ReplyCallback done) {
    std::string error;
    auto conn = peer_connection(daemon, error);
    if (!conn) {
        boost::asio::post(io_, [done = std::move(done), error] {
            ipc::Reply r;
            r.status = ipc::Reply::Status::closed;
            r.error_message = error;
            done(std::move(r));
        });
        return;
    }
    conn->call(request, timeout, std::move(done));
}

void Daemon::call_peer(const std::string& daemon, std::string_view rpc_name, ipc::Duration timeout,
                       ipc::Connection::ReplyCallback done) {
    pugi::xml_document doc;
    doc.append_child(std::string(rpc_name).c_str());
    call_peer(daemon, doc.document_element(), timeout, std::move(done));
}

bool Daemon::send_packet_to_peer(const std::string& daemon, const ipc::PacketMeta& meta,
                                 std::span<const uint8_t> bytes, std::string& error) {
    auto conn = peer_connection(daemon, error);
    if (!conn) {
        return false;
    }
    conn->send_packet(meta, bytes);
    return true;
}

std::function<void()> Daemon::call_peer_streaming(const std::string& daemon, const pugi::xml_node& request,
                                                  ipc::Duration idle_timeout,
                                                  ipc::Connection::ReplyCallback done,
                                                  ipc::Connection::ProgressCallback progress) {
    std::string error;
    auto conn = peer_connection(daemon, error);
    if (!conn) {
        boost::asio::post(io_, [done = std::move(done), error] {
            ipc::Reply r;
            r.status = ipc::Reply::Status::closed;
            r.error_message = error;
            done(std::move(r));
        });
        return [] {};
    }
    const uint64_t id = conn->call(request, idle_timeout, std::move(done), std::move(progress));
    return [weak = std::weak_ptr<ipc::Connection>(conn), id] {
        if (auto c = weak.lock()) {
            c->cancel(id);
        }
    };
}

int Daemon::run() {
    std::signal(SIGPIPE, SIG_IGN);
    try {
        server_ = std::make_unique<ipc::Server>(
            io_, paths_.socket(name_),
            [this] {
                auto h = make_handlers();
                h.on_close = [this](ipc::Connection& c, const std::string&) {
                    if (closed_handler_) {
                        closed_handler_(c);
                    }
                };
                return h;
            },
            &log_);
        server_->listen();
    } catch (const std::exception& e) {
        log_.error(std::string("cannot listen: ") + e.what());
        return 1;
    }
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
        if (!ec) {
            stop();
        }
    });
    log_.log("started");
    io_.run();
    return 0;
}

void Daemon::stop() {
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    if (server_) {
        server_->stop();
    }
    // Closing a connection completes its pending calls, whose callbacks may touch peers_ (a closed peer is
    // forgotten; a component may call again): close from a moved-out copy, and refuse new peers meanwhile.
    stopping_ = true;
    auto peers = std::move(peers_);
    peers_.clear();
    for (auto& [name, conn] : peers) {
        conn->close("daemon stopping");
    }
    io_.stop();
}

int daemon_main(int argc, char** argv, const std::string& name, const std::function<void(Daemon&)>& setup) {
    std::string state;
    std::string router = "default";
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--state" && i + 1 < argc) {
            state = argv[++i];
        } else if (arg == "--router" && i + 1 < argc) {
            router = argv[++i];
        } else {
            std::fprintf(stderr, "%s: unknown argument '%s'\nusage: %s --state DIR [--router NAME]\n",
                         name.c_str(), argv[i], name.c_str());
            return 2;
        }
    }
    if (state.empty()) {
        std::fprintf(stderr, "usage: %s --state DIR [--router NAME]\n", name.c_str());
        return 2;
    }
    RouterPaths paths{router, state};
    try {
        paths.create_layout();
        Daemon daemon(name, paths);
        setup(daemon);
        return daemon.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), e.what());
        return 1;
    }
}

}  // namespace msim
