// pfed's top-level object: chassis state, configuration, wires, show/clear RPCs and captures around one
// ForwardingEngine. Everything runs on the daemon's single asio thread.
#include "msim/pfed/pfed.hpp"

#include <boost/asio/post.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "msim/common/ipc/server.hpp"
#include "msim/common/xml.hpp"
#include "msim/config/error.hpp"
#include "msim/config/text_format.hpp"
#include "msim/dataplane/pcap_writer.hpp"
#include "msim/dataplane/rpc_xml.hpp"

namespace msim::pfed {

namespace dp = msim::dataplane;
using namespace std::chrono_literals;

namespace {

constexpr auto tick_interval = 100ms;
constexpr auto chassis_retry = 2s;
constexpr auto config_retry = 1s;

// Interfaces of two routers of one host must not share MACs on a wire: the router name picks byte 3 of the
// Juniper-OUI base (the engine puts the interface index in bytes 4-5).
// Drops worth an operator's attention (bad ESP, unknown SPIs) go to var/log/messages once per kind.
dp::EngineOptions engine_options(Daemon& daemon) {
    dp::EngineOptions o;
    o.base_mac.bytes[3] = static_cast<uint8_t>(std::hash<std::string>{}(daemon.paths().router) & 0xff);
    o.log = [&daemon](const std::string& message) { daemon.log().log("PFE_IPSEC: " + message); };
    return o;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        out += (out.empty() ? "" : " ") + w;
    }
    return out;
}

// Physical interfaces matching a name given to `show interfaces NAME`: exact, a unit ("fe-0/0/1.0", only
// that unit kept), or a prefix ("fe-0/0", "fe-0/0/*").
std::vector<dp::PhysicalInterfaceInfo> select_interfaces(std::vector<dp::PhysicalInterfaceInfo> all,
                                                         std::string name) {
    if (name.empty()) {
        return all;
    }
    std::vector<dp::PhysicalInterfaceInfo> out;
    if (!name.empty() && name.back() == '*') {
        name.pop_back();
    }
    if (auto unit = dp::UnitName::parse(name); unit && name.find('.') != std::string::npos) {
        for (auto& p : all) {
            if (p.name == unit->interface) {
                std::erase_if(p.units, [&](const dp::LogicalInterfaceInfo& u) { return u.name != name; });
                if (!p.units.empty()) {
                    out.push_back(std::move(p));
                }
            }
        }
        return out;
    }
    for (auto& p : all) {
        if (p.name == name) {
            return {std::move(p)};
        }
    }
    for (auto& p : all) {
        if (p.name.rfind(name, 0) == 0) {
            out.push_back(std::move(p));
        }
    }
    return out;
}

}  // namespace

// One running capture (start-capture): its file, its tap and its once-a-second progress timer.
struct Pfed::Capture {
    std::unique_ptr<dp::PcapWriter> writer;
    uint64_t tap = 0;
    boost::asio::steady_timer timer;
    ipc::Responder responder;
    bool finished = false;
    explicit Capture(boost::asio::io_context& io) : timer(io) {}
};

// Progress once a second: it also keeps the caller's idle timeout from firing on a quiet wire.
void Pfed::capture_progress(const std::shared_ptr<Capture>& capture) {
    capture->timer.expires_after(1s);
    capture->timer.async_wait([capture](const boost::system::error_code& ec) {
        if (ec || capture->finished) {
            return;
        }
        pugi::xml_document doc;
        xml::append_text(doc.append_child("capture-status"), "packets",
                         std::to_string(capture->writer->frames_written()));
        capture->responder.progress(doc.document_element());
        capture_progress(capture);
    });
}

Pfed::Pfed(Daemon& daemon, std::shared_ptr<const config::Schema> schema)
    : daemon_(daemon),
      owned_(std::move(schema)),
      engine_(engine_options(daemon)),
      ike_(daemon, engine_),
      tick_timer_(daemon.io()),
      chassis_timer_(daemon.io()),
      config_timer_(daemon.io()) {
    engine_.set_frame_sink([this](const std::string& interface, std::span<const uint8_t> frame) {
        auto it = wires_.find(interface);
        if (it != wires_.end()) {
            it->second->send(frame);
        }  // an interface connected to nothing: the frame is lost, as on an unplugged port
    });
    engine_.set_icmp_handler([this](const dp::IcmpEvent& event) {
        // A listener may add or remove listeners (itself, when a ping ends) while it runs: call a snapshot,
        // whose shared_ptrs keep each callable alive until its call returns.
        std::vector<std::pair<uint64_t, std::shared_ptr<dp::ForwardingEngine::IcmpHandler>>> snapshot(
            icmp_listeners_.begin(), icmp_listeners_.end());
        for (const auto& [id, listener] : snapshot) {
            if (icmp_listeners_.count(id) != 0) {
                (*listener)(event);
            }
        }
    });
    (void)engine_.add_interface("lo0");  // the loopback exists whatever hardware is installed
    register_rpcs();
    ike_.register_rpcs();
    daemon_.on_packet(
        [this](ipc::Connection& conn, const ipc::PacketMeta& meta, std::span<const uint8_t> bytes) {
            if (meta.channel == static_cast<uint16_t>(ipc::PacketChannel::ike)) {
                ike_.packet(conn, meta, bytes);  // kmd's IKE datagrams to send
            }
        });
    daemon_.on_connection_closed([this, alive = std::weak_ptr<int>(alive_)](ipc::Connection& conn) {
        if (!alive.expired()) {
            ike_.connection_closed(conn);  // a kmd that goes away stops being an IKE subscriber
        }
    });
    daemon_.on_validate_configuration(
        [this](const pugi::xml_node& changes, ipc::Responder r) { validate(changes, r); });
    daemon_.on_apply_configuration(
        [this](const pugi::xml_node& changes, ipc::Responder r) { apply(changes, r); });
}

Pfed::~Pfed() {
    for (auto& [name, pic] : es_pics_) {
        engine_.detach_service_pic(name);
    }
    if (chassis_) {
        chassis_->close("pfed stopping");
    }
}

void Pfed::start() {
    open_wires();
    subscribe_chassis();
    load_configuration();
    tick();
}

// ---------------------------------------------------------------- PfedContext

uint64_t Pfed::add_packet_tap(dp::ForwardingEngine::PacketTap tap) {
    const uint64_t id = next_listener_++;
    taps_[id] = std::make_shared<dp::ForwardingEngine::PacketTap>(std::move(tap));
    if (!tap_installed_) {
        // Only while someone listens: the tap costs a call per frame.
        tap_installed_ = true;
        engine_.set_packet_tap(
            [this](const std::string& interface, dp::TapDirection dir, std::span<const uint8_t> frame) {
                // As for ICMP listeners: a tap may remove itself (monitor traffic count N reached).
                std::vector<std::pair<uint64_t, std::shared_ptr<dp::ForwardingEngine::PacketTap>>> snapshot(
                    taps_.begin(), taps_.end());
                for (const auto& [tap_id, listener] : snapshot) {
                    if (taps_.count(tap_id) != 0) {
                        (*listener)(interface, dir, frame);
                    }
                }
            });
    }
    return id;
}

void Pfed::remove_packet_tap(uint64_t id) {
    taps_.erase(id);
    if (taps_.empty()) {
        // Not now: this may run inside the engine's tap, which must not be destroyed while it runs.
        boost::asio::post(daemon_.io(), [this, alive = std::weak_ptr<int>(alive_)] {
            if (!alive.expired() && taps_.empty() && tap_installed_) {
                engine_.set_packet_tap(nullptr);
                tap_installed_ = false;
            }
        });
    }
}

uint64_t Pfed::add_icmp_listener(dp::ForwardingEngine::IcmpHandler handler) {
    const uint64_t id = next_listener_++;
    icmp_listeners_[id] = std::make_shared<dp::ForwardingEngine::IcmpHandler>(std::move(handler));
    return id;
}

void Pfed::remove_icmp_listener(uint64_t id) {
    icmp_listeners_.erase(id);
}

std::optional<dp::InterfaceKind> Pfed::interface_kind(std::string_view interface) const {
    auto unit = dp::UnitName::parse(interface);
    const std::string physical = unit ? unit->interface : std::string(interface);
    if (!engine_.interface_index(physical)) {
        return std::nullopt;
    }
    auto name = dp::InterfaceName::parse(physical);
    return name ? std::optional(name->kind) : std::nullopt;
}

dp::EsPic* Pfed::es_pic(const std::string& interface) {
    auto it = es_pics_.find(interface);
    return it == es_pics_.end() ? nullptr : it->second.get();
}

// ---------------------------------------------------------------- timers

void Pfed::tick() {
    engine_.tick();
    tick_timer_.expires_after(tick_interval);
    tick_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
        if (!ec && !alive.expired()) {
            tick();
        }
    });
}

// ---------------------------------------------------------------- chassis

void Pfed::subscribe_chassis() {
    auto again = [this] {
        chassis_timer_.expires_after(chassis_retry);
        chassis_timer_.async_wait(
            [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
                if (!ec && !alive.expired()) {
                    subscribe_chassis();
                }
            });
    };
    if (subscribed_ || subscribing_) {
        again();
        return;
    }
    if (!chassis_ || !chassis_->is_open()) {
        try {
            ipc::Handlers h;
            h.on_notification = [this](ipc::Connection&, const pugi::xml_node& n) {
                if (auto change = n.child("pic-state-change")) {
                    pic_state(change.child("pic"));
                }
            };
            h.on_close = [this, alive = std::weak_ptr<int>(alive_)](ipc::Connection&, const std::string&) {
                if (!alive.expired()) {
                    // chassisd went away; the interfaces stay as they were until it tells us otherwise.
                    subscribed_ = false;
                }
            };
            ipc::ConnectionOptions options;
            options.peer_name = "chassisd";
            chassis_ =
                ipc::Connection::create(ipc::connect_socket(daemon_.io(), daemon_.paths().socket("chassisd")),
                                        std::move(h), &daemon_.log(), options);
            chassis_->start();
        } catch (const std::exception&) {
            chassis_.reset();  // not up yet
            again();
            return;
        }
    }
    subscribing_ = true;
    chassis_->call(
        "subscribe-pic-state", ipc::default_call_timeout,
        [this, alive = std::weak_ptr<int>(alive_),
         conn = std::weak_ptr<ipc::Connection>(chassis_)](ipc::Reply reply) {
            if (alive.expired()) {
                return;
            }
            subscribing_ = false;
            if (reply.ok()) {
                subscribed_ = true;
                chassis_error_logged_ = false;
                chassis_states(reply.root().child("pic-states"));
                return;
            }
            if (!chassis_error_logged_) {
                daemon_.log().log("cannot subscribe to chassisd PIC state: " +
                                  (reply.error_message.empty() ? "no answer" : reply.error_message));
                chassis_error_logged_ = true;
            }
            if (auto c = conn.lock()) {
                c->close("subscription failed");
            }
        });
    again();
}

void Pfed::chassis_states(const pugi::xml_node& pic_states) {
    // The full state: PICs not listed any more are gone (chassisd restarted with other hardware).
    std::set<std::string> listed;
    for (auto pic : pic_states.children("pic")) {
        listed.insert(std::string(pic.child_value("fpc-slot")) + "/" + pic.child_value("pic-slot"));
        pic_state(pic);
    }
    for (auto it = pic_interfaces_.begin(); it != pic_interfaces_.end();) {
        if (listed.count(it->first) == 0) {
            for (const auto& name : it->second) {
                interface_offline(name, it->first);
            }
            it = pic_interfaces_.erase(it);
        } else {
            ++it;
        }
    }
}

void Pfed::pic_state(const pugi::xml_node& pic) {
    const std::string slot = std::string(pic.child_value("fpc-slot")) + "/" + pic.child_value("pic-slot");
    const bool online = std::string_view(pic.child_value("state")) == "online";
    std::set<std::string> wanted;
    if (online) {
        for (auto i : pic.children("interface")) {
            wanted.insert(i.child_value());
        }
    }
    auto& have = pic_interfaces_[slot];
    for (auto it = have.begin(); it != have.end();) {
        if (wanted.count(*it) == 0) {
            interface_offline(*it, slot);
            it = have.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& name : wanted) {
        if (have.count(name) == 0 && dp::InterfaceName::parse(name)) {
            interface_online(name, slot);
            have.insert(name);
        }
    }
}

void Pfed::interface_online(const std::string& name, const std::string& pic) {
    if (auto s = engine_.add_interface(name); !s.ok()) {
        daemon_.log().log("cannot create interface " + name + ": " + s.error);
        return;
    }
    apply_interface_settings(mapped_, name, engine_);
    if (wires_.count(name) != 0) {
        (void)engine_.set_link_up(name, true);
    }
    auto kind = dp::InterfaceName::parse(name)->kind;
    if (kind == dp::InterfaceKind::kEncryptionServices) {
        auto& pic_model = es_pics_[name];
        if (!pic_model) {
            pic_model = std::make_unique<dp::EsPic>(name);
            // Packets steered into an SA this PIC lacks ask kmd for it (sa-acquire) and wait for it.
            pic_model->set_acquire_listener([this](const dp::EsPic::Acquire& a) { return ike_.acquire(a); });
        }
        (void)engine_.attach_service_pic(name, pic_model.get());
    }
    daemon_.log().log("PIC " + pic + " online: interface " + name + " created" +
                      (wires_.count(name) != 0 ? ", link up" : ""));
}

void Pfed::interface_offline(const std::string& name, const std::string& pic) {
    engine_.detach_service_pic(name);
    if (auto it = es_pics_.find(name); it != es_pics_.end()) {
        it->second->drop_acquire_queues();  // packets waiting for an SA cannot leave an offline PIC
    }
    if (engine_.remove_interface(name).ok()) {
        daemon_.log().log("PIC " + pic + " offline: interface " + name + " deleted");
    }
}

// ---------------------------------------------------------------- configuration

void Pfed::load_configuration() {
    pugi::xml_document doc;
    xml::append_text(doc.append_child("get-owned-configuration"), "daemon", "pfed");
    daemon_.call_peer(
        "mgd", doc.document_element(), ipc::default_call_timeout,
        [this, alive = std::weak_ptr<int>(alive_)](ipc::Reply reply) {
            if (alive.expired()) {
                return;
            }
            if (reply.ok()) {
                const std::string text =
                    reply.root().child("configuration-text").child_value("configuration-output");
                try {
                    config::ParseOptions options;
                    options.file_name = "owned configuration";
                    options.keep_tags = false;
                    take_configuration(config::parse_text(owned_.schema(), text, options));
                    configuration_loaded_ = true;
                    return;
                } catch (const config::ConfigError& e) {
                    // mgd printed it from a tree it validated: this is a bug, not a user error.
                    daemon_.log().log(std::string("cannot read the configuration from mgd: ") + e.what());
                }
            }
            // mgd not up yet (init starts it first, but it may be restarting): try again.
            config_timer_.expires_after(config_retry);
            config_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
                if (!ec && !alive.expired()) {
                    load_configuration();
                }
            });
        });
}

void Pfed::take_configuration(config::Node tree) {
    owned_.replace(std::move(tree));
    take_mapped(map_configuration(owned_.tree()));
}

void Pfed::take_mapped(PfedConfig next) {
    std::vector<std::string> failures;
    apply_difference(mapped_, next, engine_, &failures);
    for (const auto& f : failures) {
        daemon_.log().log("configuration: " + f);
    }
    mapped_ = std::move(next);
}

void Pfed::validate(const pugi::xml_node& changes, ipc::Responder r) {
    std::vector<ConfigDiagnostic> problems;
    try {
        auto staged = owned_.stage(changes);  // undone when it goes: validate only looks
        problems = validate_configuration(map_configuration(owned_.tree()));
    } catch (const config::ConfigError& e) {
        problems.push_back({{}, {}, e.what()});
    }
    if (problems.empty()) {
        r.reply_ok();
        return;
    }
    // One <rpc-error> per problem in one reply; mgd prints each as [edit …] / 'statement' / message.
    pugi::xml_document doc;
    auto reply = doc.append_child("rpc-reply");
    for (const auto& p : problems) {
        auto err = reply.append_child("rpc-error");
        xml::append_text(err, "error-severity", "error");
        if (!p.path.empty()) {
            xml::append_text(err, "error-path", "[edit " + join(p.path) + "]");
        }
        if (!p.statement.empty()) {
            xml::append_text(err.append_child("error-info"), "bad-element", p.statement);
        }
        xml::append_text(err, "error-message", p.message);
    }
    r.send(doc);
}

void Pfed::apply(const pugi::xml_node& changes, ipc::Responder r) {
    try {
        auto staged = owned_.stage(changes);
        PfedConfig next = map_configuration(owned_.tree());
        staged.keep();
        take_mapped(std::move(next));
    } catch (const config::ConfigError& e) {
        r.error(e.what());
        return;
    }
    r.reply_ok();
}

// ---------------------------------------------------------------- wires

void Pfed::open_wires() {
    const auto path = daemon_.paths().root / "wires.conf";
    std::ifstream in(path);
    if (!in) {
        return;  // no file: every interface is connected to nothing
    }
    std::stringstream text;
    text << in.rdbuf();
    const WiresFile file = parse_wires(text.str(), path.string());
    for (const auto& e : file.errors) {
        daemon_.log().log(e);
    }
    for (const auto& spec : file.wires) {
        std::string error;
        auto wire = open_wire(
            daemon_.io(), spec,
            [this, name = spec.interface](std::span<const uint8_t> frame) {
                // Frames for an interface whose PIC is offline are lost: the interface does not exist.
                if (engine_.interface_index(name)) {
                    engine_.receive(name, frame);
                }
            },
            error);
        if (!wire) {
            daemon_.log().log(path.string() + ":" + std::to_string(spec.line) + ": " + spec.interface + ": " +
                              error);
            continue;
        }
        daemon_.log().log("interface " + spec.interface + " wired to " + wire->describe());
        if (engine_.interface_index(spec.interface)) {
            (void)engine_.set_link_up(spec.interface, true);
        }
        wires_[spec.interface] = std::move(wire);
    }
}

// ---------------------------------------------------------------- RPCs

void Pfed::register_rpcs() {
    daemon_.register_rpc("get-interface-information", [this](const pugi::xml_node& req, ipc::Responder r) {
        const std::string name = req.child_value("interface-name");
        auto selected = select_interfaces(engine_.interfaces(), name);
        if (!name.empty() && selected.empty()) {
            r.error("device " + name + " not found");
            return;
        }
        dp::rpc::InterfaceDetail detail = dp::rpc::InterfaceDetail::kDetail;
        const char* style = "normal";  // `show interfaces NAME` without a level: Junos' "normal" style
        if (req.child("terse")) {
            detail = dp::rpc::InterfaceDetail::kTerse;
            style = nullptr;
        } else if (req.child("extensive")) {
            detail = dp::rpc::InterfaceDetail::kExtensive;
            style = nullptr;
        } else if (req.child("detail")) {
            style = nullptr;
        }
        pugi::xml_document doc;
        auto root = dp::rpc::append_interface_information(doc, selected, detail);
        if (style) {
            root.attribute("junos:style").set_value(style);
        }
        r.reply(doc);
    });
    daemon_.register_rpc("get-arp-table-information", [this](const pugi::xml_node&, ipc::Responder r) {
        pugi::xml_document doc;
        dp::rpc::append_arp_table_information(doc, engine_.arp_table());
        r.reply(doc);
    });
    daemon_.register_rpc("get-route-information", [this](const pugi::xml_node& req, ipc::Responder r) {
        dp::RouteTableInfo table = engine_.route_table();
        if (const std::string destination = req.child_value("destination"); !destination.empty()) {
            auto query = dp::Ipv4Prefix::parse(destination);
            if (!query) {
                r.error("invalid prefix: " + destination);
                return;
            }
            // Junos `show route A[/L]`: the routes of the longest destination that covers it.
            int best = -1;
            for (const auto& route : table.routes) {
                if (route.destination.contains(*query) && route.destination.length > best) {
                    best = route.destination.length;
                }
            }
            std::erase_if(table.routes, [&](const dp::RouteInfo& route) {
                return best < 0 || route.destination.length != best || !route.destination.contains(*query);
            });
        }
        pugi::xml_document doc;
        dp::rpc::append_route_information(doc, table);
        r.reply(doc);
    });
    daemon_.register_rpc("get-forwarding-table-information", [this](const pugi::xml_node&, ipc::Responder r) {
        pugi::xml_document doc;
        dp::rpc::append_forwarding_table_information(doc, engine_.forwarding_table());
        r.reply(doc);
    });
    daemon_.register_rpc("get-firewall-information", [this](const pugi::xml_node& req, ipc::Responder r) {
        auto filters = engine_.firewall();
        if (const std::string name = req.child_value("filter-name"); !name.empty()) {
            std::erase_if(filters, [&](const dp::FirewallFilterInfo& f) { return f.name != name; });
            if (filters.empty()) {
                r.error("filter " + name + " not found");
                return;
            }
        }
        pugi::xml_document doc;
        dp::rpc::append_firewall_information(doc, filters);
        r.reply(doc);
    });
    daemon_.register_rpc("clear-interfaces-statistics", [this](const pugi::xml_node& req, ipc::Responder r) {
        const std::string name = req.child_value("interface-name");
        if (!name.empty() && !req.child("all")) {
            auto selected = select_interfaces(engine_.interfaces(), name);
            if (selected.empty()) {
                r.error("device " + name + " not found");
                return;
            }
            for (const auto& p : selected) {
                engine_.clear_interface_counters(p.name);
            }
        } else {
            engine_.clear_interface_counters();
        }
        r.reply_ok();
    });
    daemon_.register_rpc("clear-firewall", [this](const pugi::xml_node& req, ipc::Responder r) {
        const std::string name = req.child_value("filter");
        if (!name.empty() && !req.child("all")) {
            if (mapped_.filters.count(name) == 0) {
                r.error("filter " + name + " not found");
                return;
            }
            engine_.clear_firewall_counters(name);
        } else {
            engine_.clear_firewall_counters();
        }
        r.reply_ok();
    });
    daemon_.register_rpc("clear-arp-table", [this](const pugi::xml_node&, ipc::Responder r) {
        engine_.clear_arp_table();
        r.reply_ok();
    });
    daemon_.register_rpc("start-capture",
                         [this](const pugi::xml_node& req, ipc::Responder r) { start_capture(req, r); });
}

// A capture runs until its caller cancels or goes away: every frame the interface receives or sends goes
// to the pcap file, flushed at once so the file can be read while the capture runs.
void Pfed::start_capture(const pugi::xml_node& request, ipc::Responder r) {
    const std::string interface = request.child_value("interface");
    const std::string file = request.child_value("file");
    auto kind = interface_kind(interface);
    if (!kind || interface.find('.') != std::string::npos) {
        r.error("device " + interface + " not found");
        return;
    }
    if (file.empty()) {
        r.error("missing file name");
        return;
    }
    std::string error;
    auto writer = dp::PcapWriter::open(file, dp::link_type_for(*kind), error);
    if (!writer) {
        r.error("cannot open " + file + ": " + error);
        return;
    }
    auto capture = std::make_shared<Capture>(daemon_.io());
    capture->writer = std::move(writer);
    capture->responder = r;
    capture->tap = add_packet_tap([c = capture.get(), interface](const std::string& ifname, dp::TapDirection,
                                                                 std::span<const uint8_t> frame) {
        if (ifname == interface && c->writer) {
            c->writer->write(frame);
            c->writer->flush();
        }
    });
    daemon_.log().log("capture of " + interface + " to " + file + " started");
    r.on_cancel([this, capture, file, interface, alive = std::weak_ptr<int>(alive_)] {
        if (capture->finished) {
            return;
        }
        capture->finished = true;
        capture->timer.cancel();
        const uint64_t packets = capture->writer->frames_written();
        if (!alive.expired()) {
            remove_packet_tap(capture->tap);
            daemon_.log().log("capture of " + interface + " to " + file + " stopped after " +
                              std::to_string(packets) + " packets");
        }
        capture->writer.reset();  // closes the file
        pugi::xml_document doc;
        auto info = doc.append_child("capture-information");
        xml::append_text(info, "packets", std::to_string(packets));
        xml::append_text(info, "file", file);
        capture->responder.reply(doc);
    });
    capture_progress(capture);
}

std::vector<std::string> Pfed::es_pics() const {
    std::vector<std::string> out;
    for (const auto& [name, pic] : es_pics_) {
        out.push_back(name);
    }
    return out;
}

bool Pfed::es_pic_online(const std::string& interface) const {
    return es_pics_.count(interface) != 0 && engine_.has_interface(interface);
}

std::vector<EsUnitBinding> Pfed::es_bindings() const {
    std::vector<EsUnitBinding> out;
    for (const auto& [ifname, settings] : mapped_.interfaces) {
        if (ifname.rfind("es-", 0) != 0) {
            continue;
        }
        const bool online = engine_.has_interface(ifname);
        for (const auto& [number, unit] : settings.units) {
            if (unit.ipsec_sa.empty()) {
                continue;
            }
            EsUnitBinding b;
            b.unit = ifname + "." + std::to_string(number);
            b.pic = ifname;
            b.ipsec_sa = unit.ipsec_sa;
            b.tunnel_source = unit.tunnel_source ? unit.tunnel_source->to_string() : "";
            b.tunnel_destination = unit.tunnel_destination ? unit.tunnel_destination->to_string() : "";
            b.online = online && !settings.disabled && !unit.disabled;
            out.push_back(std::move(b));
        }
    }
    return out;
}

void setup_pfed(Daemon& daemon) {
    auto pfed = std::make_shared<Pfed>(daemon, config::Schema::load(MSIM_YANG_DIR));
    daemon.keep(pfed);
    register_operational_tools(daemon, *pfed);
    register_sa_rpcs(daemon, *pfed);
    boost::asio::post(daemon.io(), [p = pfed.get()] { p->start(); });
}

}  // namespace msim::pfed
