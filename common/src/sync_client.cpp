#include "msim/common/ipc/sync_client.hpp"

#include "msim/common/ipc/server.hpp"

namespace msim::ipc {

SyncClient::SyncClient(const std::filesystem::path& socket_path, std::string peer_name) {
    Handlers handlers;
    handlers.on_notification = [this](Connection&, const pugi::xml_node& n) {
        if (notify_) {
            notify_(n);
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

Reply SyncClient::call(std::string_view rpc_name, Duration timeout) {
    pugi::xml_document doc;
    doc.append_child(std::string(rpc_name).c_str());
    return call(doc, timeout);
}

void SyncClient::poll() {
    io_.restart();
    io_.poll();
}

}  // namespace msim::ipc
