// The skeleton every msim daemon runs on: one io_context, an IPC server on var/run/<name>.sock, a table
// of RPC handlers, connections to peer daemons, syslog-style logging and clean shutdown on SIGTERM.
//
// A daemon's logic lives in its component library; its main.cpp only builds a Daemon, lets the library
// register handlers, and calls run(). Built-in RPCs every daemon answers:
//   <ping/>                     -> <pong><daemon>NAME</daemon><pid>N</pid></pong> (readiness, liveness)
//   <get-package-information/>  -> <package-information><name>NAME</name><comment>…</comment>
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "msim/common/ipc/connection.hpp"
#include "msim/common/ipc/server.hpp"
#include "msim/common/log.hpp"
#include "msim/common/paths.hpp"
#include "msim/common/router_clock.hpp"

namespace msim {

// The release string msim reports, in Junos form (the simulated Junos era, then msim's own version).
std::string release_string();

// What each daemon is, for show version and status listings.
std::string_view daemon_description(std::string_view daemon);

class Daemon {
  public:
    using RpcHandler = std::function<void(const pugi::xml_node& request, ipc::Responder)>;
    using NotificationHandler = std::function<void(ipc::Connection&, const pugi::xml_node&)>;
    // For RPCs whose meaning depends on who asks (mgd's CLI sessions): the handler also gets the connection.
    using SessionRpcHandler =
        std::function<void(ipc::Connection&, const pugi::xml_node& request, ipc::Responder)>;
    // Runs before every RPC that arrives on a connection (mgd: who may run what); a message refuses the RPC
    // with that message.
    using RequestGate = std::function<std::optional<std::string>(ipc::Connection&, const pugi::xml_node&)>;
    // What the owning daemon of a configuration subtree does with a commit's changes (see config_hooks).
    using ConfigHook = std::function<void(const pugi::xml_node& changes, ipc::Responder)>;
    // Packet frames (pfed <-> kmd IKE datagrams): raw bytes with a PacketMeta header, never XML.
    using PacketHandler =
        std::function<void(ipc::Connection&, const ipc::PacketMeta&, std::span<const uint8_t> bytes)>;

    Daemon(std::string name, RouterPaths paths);
    ~Daemon();

    const std::string& name() const { return name_; }
    const RouterPaths& paths() const { return paths_; }
    boost::asio::io_context& io() { return io_; }
    Logger& log() { return log_; }
    // The router's wall clock (`set date` moves it); the daemon's log lines carry its time.
    const RouterClock& clock() const { return clock_; }

    void register_rpc(const std::string& rpc_name, RpcHandler handler);
    void register_session_rpc(const std::string& rpc_name, SessionRpcHandler handler);
    void on_notification(NotificationHandler handler) { notification_handler_ = std::move(handler); }
    void on_request(RequestGate gate) { request_gate_ = std::move(gate); }
    // Packet frames arriving on any connection (accepted or to a peer); without a handler they are dropped.
    void on_packet(PacketHandler handler) { packet_handler_ = std::move(handler); }
    // Runs when a connection accepted by this daemon closes (a CLI leaving, a peer dying).
    void on_connection_closed(std::function<void(ipc::Connection&)> handler) {
        closed_handler_ = std::move(handler);
    }

    // The two phases of a commit, for daemons that own configuration (FRR northbound style):
    // <validate-configuration> must be pure and reply ok or rpc-errors naming the statement;
    // <apply-configuration> must not fail for reasons validate could have caught. Both carry
    // <configuration-changes> with one <change operation="create|modify|delete"> per changed statement.
    // Without hooks a daemon accepts every change.
    void on_validate_configuration(ConfigHook hook) { validate_hook_ = std::move(hook); }
    void on_apply_configuration(ConfigHook hook) { apply_hook_ = std::move(hook); }

    // Calls an RPC on another daemon of this router, connecting first if needed. If the peer is not
    // running, `done` runs (asynchronously) with Reply::Status::closed.
    void call_peer(const std::string& daemon, const pugi::xml_node& request, ipc::Duration timeout,
                   ipc::Connection::ReplyCallback done);
    void call_peer(const std::string& daemon, std::string_view rpc_name, ipc::Duration timeout,
                   ipc::Connection::ReplyCallback done);
    // Sends a packet frame to another daemon of this router, connecting first if needed. Returns false
    // (with `error` set) when the peer is not running; a packet frame has no reply.
    bool send_packet_to_peer(const std::string& daemon, const ipc::PacketMeta& meta,
                             std::span<const uint8_t> bytes, std::string& error);
    // A streaming call to a peer (see Responder::progress); returns a function that cancels it.
    std::function<void()> call_peer_streaming(const std::string& daemon, const pugi::xml_node& request,
                                              ipc::Duration idle_timeout, ipc::Connection::ReplyCallback done,
                                              ipc::Connection::ProgressCallback progress);

    // Keeps a component object (the daemon's logic) alive as long as the Daemon, and destroys it first:
    // components own timers and sockets on io(), which must go before the io_context does.
    void keep(std::shared_ptr<void> component) { components_.push_back(std::move(component)); }

    // Listens, handles signals, and runs until stop() or SIGTERM/SIGINT. Returns the exit code.
    int run();
    void stop();

    // Dispatches an RPC to the registered handler (also used by tests to drive a daemon in-process).
    void dispatch(const pugi::xml_node& request, ipc::Responder responder, ipc::Connection* conn = nullptr);

  private:
    ipc::Handlers make_handlers();
    std::shared_ptr<ipc::Connection> peer_connection(const std::string& daemon, std::string& error);

    std::string name_;
    RouterPaths paths_;
    boost::asio::io_context io_;
    RouterClock clock_;
    Logger log_;
    std::map<std::string, RpcHandler, std::less<>> handlers_;
    std::map<std::string, SessionRpcHandler, std::less<>> session_handlers_;
    std::function<void(ipc::Connection&)> closed_handler_;
    ConfigHook validate_hook_;
    ConfigHook apply_hook_;
    NotificationHandler notification_handler_;
    RequestGate request_gate_;
    PacketHandler packet_handler_;
    std::unique_ptr<ipc::Server> server_;
    std::map<std::string, std::shared_ptr<ipc::Connection>> peers_;
    bool stopping_ = false;
    boost::asio::signal_set signals_;
    std::vector<std::shared_ptr<void>> components_;  // declared last: destroyed first
};

// Parses the daemon command line (--state DIR --router NAME), builds the Daemon, lets `setup` register the
// component's handlers, and runs it. Use it as the whole body of a daemon's main().
int daemon_main(int argc, char** argv, const std::string& name, const std::function<void(Daemon&)>& setup);

}  // namespace msim
