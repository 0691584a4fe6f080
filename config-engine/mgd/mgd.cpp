#include "mgd.hpp"

#include <memory>

#include "msim/common/xml.hpp"

namespace msim::mgd {

using namespace std::chrono_literals;

namespace {

// Operational RPCs answered by another daemon. New show commands add one line here (and a renderer in the
// shell); everything else about routing is generic.
const std::map<std::string, std::string, std::less<>>& rpc_owners() {
    static const std::map<std::string, std::string, std::less<>> owners = {
        {"get-product-model", "chassisd"},
        {"get-chassis-inventory", "chassisd"},
    };
    return owners;
}

// How long mgd waits for a daemon's part of `show version` before saying it is not responding.
constexpr auto package_timeout = 2000ms;

}  // namespace

Mgd::Mgd(Daemon& daemon) : daemon_(daemon) {
    daemon_.register_rpc("get-software-information",
                         [this](const pugi::xml_node&, ipc::Responder r) { get_software_information(r); });
    // A CLI opens its session first: mgd checks the user and tells the CLI what to show in the prompt.
    daemon_.register_rpc("open-cli-session", [this](const pugi::xml_node& request, ipc::Responder r) {
        pugi::xml_document doc;
        auto session = doc.append_child("cli-session");
        xml::append_text(session, "user", request.child_value("user"));
        xml::append_text(session, "host-name", host_name());
        r.reply(doc);
    });
    for (const auto& [rpc, owner] : rpc_owners()) {
        daemon_.register_rpc(rpc, [this, owner = owner](const pugi::xml_node& request, ipc::Responder r) {
            forward(request, owner, r);
        });
    }
}

std::string Mgd::owner_of_rpc(std::string_view rpc_name) {
    auto it = rpc_owners().find(rpc_name);
    return it == rpc_owners().end() ? std::string() : it->second;
}

std::string Mgd::host_name() const {
    return daemon_.paths().router;
}

void Mgd::forward(const pugi::xml_node& request, const std::string& owner, ipc::Responder responder) {
    daemon_.call_peer(owner, request, 10000ms, [responder, owner](ipc::Reply reply) {
        if (reply.status == ipc::Reply::Status::ok || reply.status == ipc::Reply::Status::rpc_error) {
            // Relay the owner's reply as it is (its data or its errors).
            pugi::xml_document doc;
            doc.append_copy(reply.root());
            responder.send(doc);
            return;
        }
        responder.error("the " + owner + " subsystem is not responding to management requests");
    });
}

// show version: one <package-information> per daemon, each answered by that daemon itself, gathered in
// parallel. A daemon that is down or does not answer in time is reported as such; the reply never hangs.
void Mgd::get_software_information(ipc::Responder responder) {
    struct Gather {
        ipc::Responder responder;
        std::string host;
        std::string model;
        std::map<std::string, std::string> comments;  // daemon -> comment line
        int outstanding = 0;
        void finish() {
            pugi::xml_document doc;
            auto info = doc.append_child("software-information");
            xml::append_text(info, "host-name", host);
            if (!model.empty()) {
                xml::append_text(info, "product-model", model);
                xml::append_text(info, "product-name", model);
            }
            xml::append_text(info, "junos-version", release_string());
            for (auto name : router_daemons) {
                auto pkg = info.append_child("package-information");
                xml::append_text(pkg, "name", name);
                xml::append_text(pkg, "comment", comments[std::string(name)]);
            }
            responder.reply(doc);
        }
    };
    auto gather = std::make_shared<Gather>();
    gather->responder = responder;
    gather->host = host_name();
    auto done_one = [gather] {
        if (--gather->outstanding == 0) {
            gather->finish();
        }
    };
    gather->outstanding = static_cast<int>(router_daemons.size()) + 1;
    for (auto name : router_daemons) {
        const std::string daemon(name);
        if (daemon == daemon_.name()) {
            gather->comments[daemon] =
                std::string(daemon_description(daemon)) + " (" + daemon + ") [" + release_string() + "]";
            done_one();
            continue;
        }
        daemon_.call_peer(
            daemon, "get-package-information", package_timeout, [gather, daemon, done_one](ipc::Reply reply) {
                if (reply.ok()) {
                    gather->comments[daemon] =
                        reply.root().child("package-information").child_value("comment");
                } else {
                    gather->comments[daemon] =
                        std::string(daemon_description(daemon)) + " (" + daemon + ") [not responding]";
                }
                done_one();
            });
    }
    daemon_.call_peer("chassisd", "get-product-model", package_timeout, [gather, done_one](ipc::Reply reply) {
        if (reply.ok()) {
            gather->model = reply.root().child("product-model").child_value();
        }
        done_one();
    });
}

}  // namespace msim::mgd
