#include "msim/hwsim/chassisd.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "msim/common/xml.hpp"
#include "msim/hwsim/rpc_xml.hpp"

namespace msim::hwsim {

namespace {

HardwareConf load_or_log(Daemon& d) {
    try {
        return load_hardware_conf(d.paths().hardware_conf());
    } catch (const std::exception& e) {
        // Junos refuses a chassis it cannot make sense of; so does chassisd: the error goes to
        // var/log/messages (daemon_main prints it to stderr), init holds chassisd down and `msim start`
        // shows the line.
        d.log().log(std::string("CHASSISD_CONFIG_INIT_ERROR: Problems with hardware configuration file: ") +
                    e.what());
        throw;
    }
}

std::string pic_name(const Pic& p) {
    return "FPC " + std::to_string(p.fpc) + " PIC " + std::to_string(p.slot);
}

}  // namespace

Chassisd::Chassisd(Daemon& daemon, std::chrono::milliseconds restart_delay)
    : daemon_(daemon),
      chassis_(load_or_log(daemon), daemon.paths().router),
      restart_delay_(restart_delay),
      started_(std::time(nullptr)) {
    load_state();
    chassis_.on_pic_change([this](const Pic& p) { pic_changed(p); });
    register_rpcs();
}

void Chassisd::attach(Daemon& daemon) {
    daemon.keep(std::make_shared<Chassisd>(daemon));
}

std::filesystem::path Chassisd::state_file() const {
    return daemon_.paths().certs_dir().parent_path() / "chassisd.state";
}

// The file names the init that started this router: a chassisd restarted by the same init (a crash) takes
// the state back; after a router restart (a new init, like a reboot) every installed FRU comes online.
void Chassisd::load_state() {
    std::ifstream in(state_file());
    std::string first;
    if (!in || !std::getline(in, first) || first != "init-pid " + std::to_string(::getppid())) {
        return;
    }
    std::ostringstream rest;
    rest << in.rdbuf();
    const std::string saved = rest.str();
    chassis_.restore_state(saved);
    if (!saved.empty()) {
        std::string kept;
        std::istringstream lines(saved);
        for (std::string line; std::getline(lines, line);) {
            kept += (kept.empty() ? "" : ", ") + line;
        }
        daemon_.log().log("restarted; keeping the operator's requests: " + kept);
    }
}

void Chassisd::save_state() {
    const auto path = state_file();
    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "init-pid " << ::getppid() << "\n" << chassis_.save_state();
        if (!out)
            return;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
}

void Chassisd::log(const std::string& line) {
    if (deferring_)
        deferred_.push_back(line);
    else
        daemon_.log().log(line);
}

void Chassisd::flush_log(const std::string& first) {
    deferring_ = false;
    if (!first.empty())
        daemon_.log().log(first);
    for (const auto& line : deferred_)
        daemon_.log().log(line);
    deferred_.clear();
}

void Chassisd::pic_changed(const Pic& p) {
    const auto names = pic_interfaces(*p.type, p.fpc, p.slot);
    if (p.state == PicState::online) {
        for (const auto& n : names)
            log("CHASSISD_IFDEV_CREATE_NOTICE: create_pics: created interface device for " + n);
    } else {
        log("CHASSISD_IFDEV_DETACH_PIC: ifdev_detach_pic(" + std::to_string(p.fpc) + "/" +
            std::to_string(p.slot) + ")");
    }
    pugi::xml_document doc;
    auto change = doc.append_child("pic-state-change");
    pic_state(p, change);
    // Subscribers whose connection closed are dropped here as well as in on_connection_closed.
    std::erase_if(subscribers_, [](const auto& w) {
        auto c = w.lock();
        return !c || !c->is_open();
    });
    for (const auto& w : subscribers_) {
        if (auto c = w.lock())
            c->notify(change);
    }
}

void Chassisd::after_fpc_request(int slot, FpcAction action, bool changed) {
    if (!changed) {
        flush_log({});
        return;
    }
    const std::string fpc = "FPC " + std::to_string(slot);
    switch (action) {
        case FpcAction::offline:
            restart_timers_.erase(slot);
            flush_log("CHASSISD_FRU_OFFLINE_NOTICE: Taking " + fpc + " offline: Offlined by cli command");
            break;
        case FpcAction::online:
            restart_timers_.erase(slot);
            flush_log("CHASSISD_FRU_ONLINE_NOTICE: Taking " + fpc + " online: Onlined by cli command");
            break;
        case FpcAction::restart: {
            flush_log("CHASSISD_FRU_OFFLINE_NOTICE: Taking " + fpc + " offline: Restarted by cli command");
            auto timer = std::make_unique<boost::asio::steady_timer>(daemon_.io(), restart_delay_);
            timer->async_wait([this, slot, fpc](const boost::system::error_code& ec) {
                if (ec)
                    return;  // cancelled: the operator took the FPC offline or online meanwhile
                deferring_ = true;
                if (chassis_.finish_restart(slot)) {
                    flush_log("CHASSISD_FRU_ONLINE_NOTICE: Taking " + fpc +
                              " online: Restarted by cli command");
                    save_state();
                }
                flush_log({});
                restart_timers_.erase(slot);
            });
            restart_timers_[slot] = std::move(timer);
            break;
        }
    }
    save_state();
}

void Chassisd::register_rpcs() {
    auto reply_with = [](ipc::Responder& r, const std::function<void(pugi::xml_node)>& build) {
        pugi::xml_document doc;
        try {
            build(doc);
        } catch (const RpcError& e) {
            r.error(e.what());
            return;
        }
        r.reply(doc.document_element());
    };
    daemon_.register_rpc("get-product-model", [this](const pugi::xml_node&, ipc::Responder r) {
        pugi::xml_document doc;
        xml::append_text(doc, "product-model", chassis_.model().id);
        r.reply(doc.document_element());
    });
    daemon_.register_rpc(
        "get-chassis-inventory", [this, reply_with](const pugi::xml_node& req, ipc::Responder r) {
            reply_with(
                r, [&](pugi::xml_node doc) { chassis_inventory(chassis_, doc, bool(req.child("detail"))); });
        });
    daemon_.register_rpc("get-fpc-information",
                         [this, reply_with](const pugi::xml_node& req, ipc::Responder r) {
                             reply_with(r, [&](pugi::xml_node doc) {
                                 fpc_information(chassis_, doc, bool(req.child("pic-status")));
                             });
                         });
    // The same pic-style view: `show chassis fpc pic-status` sends get-fpc-information with <pic-status/>;
    // get-pic-information is answered for clients that ask for it by that name.
    daemon_.register_rpc("get-pic-information", [this, reply_with](const pugi::xml_node&, ipc::Responder r) {
        reply_with(r, [&](pugi::xml_node doc) { fpc_information(chassis_, doc, true); });
    });
    daemon_.register_rpc("get-pic-detail", [this, reply_with](const pugi::xml_node& req, ipc::Responder r) {
        reply_with(r, [&](pugi::xml_node doc) {
            pic_detail(chassis_, doc, slot_argument(req, "fpc-slot"), slot_argument(req, "pic-slot"));
        });
    });
    daemon_.register_rpc(
        "get-alarm-information", [this, reply_with](const pugi::xml_node&, ipc::Responder r) {
            reply_with(r, [&](pugi::xml_node doc) { alarm_information(chassis_, doc, started_); });
        });
    daemon_.register_rpc("request-chassis-pic", [this](const pugi::xml_node& req, ipc::Responder r) {
        Chassis::Result result;
        try {
            const std::string before = chassis_.save_state();
            deferring_ = true;
            result = request_chassis_pic(chassis_, req);
            if (result.ok && chassis_.save_state() != before) {
                const Pic& p = *chassis_.pic(slot_argument(req, "fpc-slot"), slot_argument(req, "pic-slot"));
                flush_log(p.state == PicState::online ? "CHASSISD_FRU_ONLINE_NOTICE: Taking " + pic_name(p) +
                                                            " online: Onlined by cli command"
                                                      : "CHASSISD_FRU_OFFLINE_NOTICE: Taking " + pic_name(p) +
                                                            " offline: Offlined by cli command");
                save_state();
            }
        } catch (const RpcError& e) {
            flush_log({});
            r.error(e.what());
            return;
        }
        flush_log({});
        if (!result.ok) {
            r.error(result.message);
            return;
        }
        pugi::xml_document doc;
        xml::append_text(doc, "output", result.message);
        r.reply(doc.document_element());
    });
    daemon_.register_rpc("request-chassis-fpc", [this](const pugi::xml_node& req, ipc::Responder r) {
        Chassis::Result result;
        try {
            FpcAction action{};
            const int slot = slot_argument(req, "slot");
            const bool was_restarting = chassis_.fpc(slot) && chassis_.fpc(slot)->restarting;
            const auto before = chassis_.fpc(slot) ? chassis_.fpc(slot)->state : FpcState::empty;
            deferring_ = true;
            result = request_chassis_fpc(chassis_, req, action);
            if (result.ok) {
                const bool changed = action == FpcAction::restart || chassis_.fpc(slot)->state != before ||
                                     was_restarting != chassis_.fpc(slot)->restarting;
                after_fpc_request(slot, action, changed);
            }
        } catch (const RpcError& e) {
            flush_log({});
            r.error(e.what());
            return;
        }
        flush_log({});
        if (!result.ok) {
            r.error(result.message);
            return;
        }
        pugi::xml_document doc;
        xml::append_text(doc, "output", result.message);
        r.reply(doc.document_element());
    });
    daemon_.register_session_rpc(
        "subscribe-pic-state", [this](ipc::Connection& conn, const pugi::xml_node&, ipc::Responder r) {
            auto self = conn.shared_from_this();
            const bool known = std::any_of(subscribers_.begin(), subscribers_.end(),
                                           [&](const auto& w) { return w.lock() == self; });
            if (!known)
                subscribers_.push_back(self);
            pugi::xml_document doc;
            pic_states(chassis_, doc);
            r.reply(doc.document_element());
        });
    daemon_.on_connection_closed([this](ipc::Connection& conn) {
        std::erase_if(subscribers_, [&](const auto& w) {
            auto c = w.lock();
            return !c || c.get() == &conn;
        });
    });
}

}  // namespace msim::hwsim
