#include "msim/pfed/sa_service.hpp"

#include <unistd.h>
#include <chrono>

#include "msim/common/xml.hpp"
#include "msim/ipsec/sa_xml.hpp"

namespace msim::pfed {

namespace {

std::string message_of(const ipsec::Status& s) {
    return s.ok() ? std::string() : s.error().message;
}

}  // namespace

namespace {

// Who hears about SA lifetimes, and the once-a-second poll of the seconds lifetimes.
struct SaEvents {
    explicit SaEvents(boost::asio::io_context& io) : timer(io) {}
    std::vector<std::weak_ptr<ipc::Connection>> subscribers;
    boost::asio::steady_timer timer;

    void expired(const std::string& pic, const ipsec::SaKey& key, ipsec::ExpiryKind kind) {
        pugi::xml_document doc;
        auto e = doc.append_child("sa-expiry");
        xml::append_text(e, "pic", pic);
        ipsec::append_sa_key(e, key);
        xml::append_text(e, "kind", kind == ipsec::ExpiryKind::soft ? "soft" : "hard");
        std::erase_if(subscribers, [](const auto& w) { return w.expired(); });
        for (const auto& w : subscribers) {
            if (auto conn = w.lock(); conn && conn->is_open()) {
                conn->notify(doc.document_element());
            }
        }
    }
};

void poll_lifetimes(const std::shared_ptr<SaEvents>& events, SaHost& host) {
    events->timer.expires_after(std::chrono::seconds(1));
    events->timer.async_wait([weak = std::weak_ptr<SaEvents>(events),
                              &host](const boost::system::error_code& ec) {
        auto events = weak.lock();
        if (ec || !events) {
            return;
        }
        for (const auto& name : host.es_pics()) {
            if (dataplane::EsPic* pic = host.es_pic(name)) {
                auto& backend = pic->sa_backend();
                // Set each time: ES PIC models appear when their PIC first comes online.
                backend.set_expiry_listener([weak, name](const ipsec::SaKey& key, ipsec::ExpiryKind kind) {
                    if (auto live = weak.lock()) {
                        live->expired(name, key, kind);
                    }
                });
                backend.poll_lifetimes();
            }
        }
        poll_lifetimes(events, host);
    });
}

}  // namespace

void register_sa_rpcs(Daemon& daemon, SaHost& host) {
    auto events = std::make_shared<SaEvents>(daemon.io());
    daemon.keep(events);
    poll_lifetimes(events, host);
    daemon.register_session_rpc(
        "subscribe-sa-events",
        [raw = events.get()](ipc::Connection& conn, const pugi::xml_node&, ipc::Responder r) {
            raw->subscribers.push_back(conn.shared_from_this());
            r.reply_ok();
        });

    const std::string epoch =
        std::to_string(::getpid()) + "-" +
        std::to_string(std::chrono::system_clock::now().time_since_epoch() / std::chrono::microseconds(1));

    daemon.register_rpc("get-es-bindings", [&host, epoch](const pugi::xml_node&, ipc::Responder r) {
        pugi::xml_document doc;
        auto root = doc.append_child("es-bindings");
        xml::append_text(root, "epoch", epoch);
        for (const auto& b : host.es_bindings()) {
            auto el = root.append_child("binding");
            xml::append_text(el, "unit", b.unit);
            xml::append_text(el, "pic", b.pic);
            xml::append_text(el, "ipsec-sa", b.ipsec_sa);
            xml::append_text(el, "source", b.tunnel_source);
            xml::append_text(el, "destination", b.tunnel_destination);
            if (b.online)
                el.append_child("online");
        }
        for (const auto& name : host.es_pics()) {
            auto el = root.append_child("es-pic");
            xml::append_text(el, "name", name);
            if (host.es_pic_online(name))
                el.append_child("online");
        }
        r.reply(doc);
    });

    daemon.register_rpc("sa-changes", [&host](const pugi::xml_node& request, ipc::Responder r) {
        pugi::xml_document doc;
        auto results = doc.append_child("sa-change-results");
        size_t index = 0, done = 0;
        for (auto op : request.children()) {
            if (op.type() != pugi::node_element)
                continue;
            const std::string kind = op.name();
            std::string error;
            dataplane::EsPic* pic = host.es_pic(op.child_value("pic"));
            if (!pic) {
                error = std::string("no ES PIC ") + op.child_value("pic") + " online";
            } else if (kind == "add") {
                auto config = ipsec::parse_sa_config(op.child("sa"), error);
                if (config) {
                    auto& backend = pic->sa_backend();
                    (void)backend.del_sa(ipsec::key_of(*config));  // an add replaces
                    error = message_of(backend.add_sa(*config));
                }
            } else if (kind == "delete") {
                auto key = ipsec::parse_sa_key(op.child("sa-key"), error);
                if (key) {
                    error = message_of(pic->sa_backend().del_sa(*key));
                }
            } else {
                error = "unknown change <" + kind + ">";
            }
            if (error.empty()) {
                ++done;
            } else {
                auto f = results.append_child("failed");
                xml::append_text(f, "index", std::to_string(index));
                xml::append_text(f, "message", error);
            }
            ++index;
        }
        xml::append_text(results, "done", std::to_string(done));
        r.reply(doc);
    });

    daemon.register_rpc("get-sa-states", [&host](const pugi::xml_node&, ipc::Responder r) {
        pugi::xml_document doc;
        auto root = doc.append_child("sa-states");
        for (const auto& name : host.es_pics()) {
            dataplane::EsPic* pic = host.es_pic(name);
            if (!pic)
                continue;
            auto el = root.append_child("pic-sas");
            xml::append_text(el, "pic", name);
            // Packets no SA could be charged with, for the PIC's part of show ipsec security-associations.
            const auto& g = pic->crypto().global_counters();
            auto gc = el.append_child("pic-counters");
            xml::append_text(gc, "bad-spi", std::to_string(g.unknown_spi));
            xml::append_text(gc, "malformed", std::to_string(g.malformed));
            xml::append_text(gc, "no-outbound-sa", std::to_string(g.no_outbound_sa));
            // The ES PIC's own counters: outbound drops include packets that waited for an SA (dynamic
            // SAs) in vain; acquires are the sa-acquire notifications it caused.
            const auto& pc = pic->counters();
            xml::append_text(gc, "outbound-drops", std::to_string(pc.outbound_drops));
            xml::append_text(gc, "acquires", std::to_string(pc.acquires));
            xml::append_text(gc, "acquire-queued", std::to_string(pc.acquire_queued));
            xml::append_text(gc, "acquire-sent", std::to_string(pc.acquire_sent));
            xml::append_text(gc, "acquire-drops", std::to_string(pc.acquire_drops));
            auto& backend = pic->sa_backend();
            for (const auto& key : backend.list_sas()) {
                auto state = backend.query_sa(key);
                if (state.ok()) {
                    ipsec::append_sa_state(el, *state);
                }
            }
        }
        r.reply(doc);
    });

    daemon.register_rpc("sa-get-spi", [&host](const pugi::xml_node& request, ipc::Responder r) {
        dataplane::EsPic* pic = host.es_pic(request.child_value("pic"));
        const std::string_view proto = request.child_value("protocol");
        auto dst = ipsec::parse_ipv4(request.child_value("destination"));
        if (!pic || !dst || (proto != "esp" && proto != "ah" && proto != "bundle")) {
            r.error(!pic ? "no such ES PIC online" : "bad protocol or destination");
            return;
        }
        auto spi = pic->sa_backend().get_spi(proto == "esp"  ? ipsec::Protocol::esp
                                             : proto == "ah" ? ipsec::Protocol::ah
                                                             : ipsec::Protocol::bundle,
                                             *dst);
        if (!spi.ok()) {
            r.error(spi.error().message);
            return;
        }
        pugi::xml_document doc;
        xml::append_text(doc, "spi", std::to_string(*spi));
        r.reply(doc);
    });

    daemon.register_rpc("sa-query", [&host](const pugi::xml_node& request, ipc::Responder r) {
        std::string error;
        dataplane::EsPic* pic = host.es_pic(request.child_value("pic"));
        auto key = ipsec::parse_sa_key(request.child("sa-key"), error);
        if (!pic || !key) {
            r.error(!pic ? "no such ES PIC online" : error);
            return;
        }
        auto state = pic->sa_backend().query_sa(*key);
        if (!state.ok()) {
            r.error(state.error().message);
            return;
        }
        pugi::xml_document doc;
        ipsec::append_sa_state(doc, *state);
        r.reply(doc);
    });

    daemon.register_rpc("sa-update", [&host](const pugi::xml_node& request, ipc::Responder r) {
        std::string error;
        dataplane::EsPic* pic = host.es_pic(request.child_value("pic"));
        auto key = ipsec::parse_sa_key(request.child("sa-key"), error);
        auto src = ipsec::parse_ipv4(request.child_value("source"));
        auto dst = ipsec::parse_ipv4(request.child_value("destination"));
        if (!pic || !key || !src || !dst) {
            r.error(!pic ? "no such ES PIC online" : !key ? error : "bad source or destination");
            return;
        }
        ipsec::SaEndpoints endpoints{*src, *dst, std::nullopt};
        if (auto u = request.child("udp-encapsulation")) {
            endpoints.udp_encapsulation = ipsec::UdpEncapsulation{
                static_cast<uint16_t>(u.child("source-port").text().as_uint(4500)),
                static_cast<uint16_t>(u.child("destination-port").text().as_uint(4500))};
        }
        auto status = pic->sa_backend().update_sa(*key, endpoints);
        if (!status.ok()) {
            r.error(status.error().message);
            return;
        }
        r.reply_ok();
    });
}

}  // namespace msim::pfed
