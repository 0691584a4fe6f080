#include "msim/hwsim/chassis.hpp"

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace msim::hwsim {

std::string_view to_string(FpcState s) {
    switch (s) {
        case FpcState::empty:
            return "Empty";
        case FpcState::online:
            return "Online";
        case FpcState::offline:
            return "Offline";
    }
    return "Empty";
}

std::string_view to_string(PicState s) {
    switch (s) {
        case PicState::empty:
            return "Empty";
        case PicState::online:
            return "Online";
        case PicState::offline:
            return "Offline";
        case PicState::present:
            return "Present";
    }
    return "Empty";
}

Chassis::Chassis(const HardwareConf& hw, std::string router, std::function<long long()> now)
    : hw_(hw), model_(find_model(hw.chassis)), router_(std::move(router)), now_(std::move(now)) {
    if (!model_) {
        throw std::invalid_argument("unknown chassis '" + hw.chassis + "'");
    }
    if (!now_) {
        now_ = [] {
            return static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::steady_clock::now().time_since_epoch())
                                              .count());
        };
    }
    const long long t = now_();
    for (int f = 0; f < model_->fpc_slots; ++f) {
        Fpc fpc;
        fpc.slot = f;
        for (int p = 0; p < model_->pic_slots; ++p) {
            fpc.pics.push_back(Pic{f, p, nullptr, PicState::empty, 0});
        }
        fpcs_.push_back(std::move(fpc));
    }
    for (const auto& slot : hw_.pics) {
        if (slot.fpc >= model_->fpc_slots || slot.pic >= model_->pic_slots) {
            throw std::invalid_argument("PIC " + std::to_string(slot.fpc) + "/" + std::to_string(slot.pic) +
                                        " does not fit the chassis");
        }
        Pic& p = fpcs_[static_cast<size_t>(slot.fpc)].pics[static_cast<size_t>(slot.pic)];
        p.type = find_pic_type(slot.type);
        p.state = PicState::online;
        p.online_since = t;
    }
    // An FPC with no PIC in it is shown as an empty slot (hardware.conf names PICs, not FPCs).
    for (auto& f : fpcs_) {
        for (const auto& p : f.pics) {
            if (p.type) {
                f.state = FpcState::online;
                f.online_since = t;
            }
        }
    }
}

const Fpc* Chassis::fpc(int slot) const {
    if (slot < 0 || slot >= static_cast<int>(fpcs_.size()))
        return nullptr;
    return &fpcs_[static_cast<size_t>(slot)];
}

const Pic* Chassis::pic(int fpc_slot, int slot) const {
    const Fpc* f = fpc(fpc_slot);
    if (!f || slot < 0 || slot >= static_cast<int>(f->pics.size()))
        return nullptr;
    return &f->pics[static_cast<size_t>(slot)];
}

void Chassis::set_pic(Pic& p, PicState s) {
    if (p.state == s)
        return;
    p.state = s;
    if (s == PicState::online)
        p.online_since = now_();
    if (listener_)
        listener_(p);
}

void Chassis::fpc_offline(Fpc& f) {
    f.state = FpcState::offline;
    for (auto& p : f.pics) {
        if (p.type)
            set_pic(p, PicState::present);
    }
}

void Chassis::fpc_online(Fpc& f) {
    f.state = FpcState::online;
    f.restarting = false;
    f.online_since = now_();
    for (auto& p : f.pics) {
        if (p.type)
            set_pic(p, PicState::online);
    }
}

Chassis::Result Chassis::check_fpc(int slot) const {
    if (slot < 0 || slot >= model_->fpc_slots) {
        return {false, "FPC slot " + std::to_string(slot) + " does not exist (valid slots 0.." +
                           std::to_string(model_->fpc_slots - 1) + ")"};
    }
    if (fpcs_[static_cast<size_t>(slot)].state == FpcState::empty) {
        return {false, "FPC " + std::to_string(slot) + " not present"};
    }
    return {};
}

Chassis::Result Chassis::request_pic(int fpc_slot, int slot, bool online) {
    if (fpc_slot < 0 || fpc_slot >= model_->fpc_slots) {
        return check_fpc(fpc_slot);
    }
    if (slot < 0 || slot >= model_->pic_slots) {
        return {false, "PIC slot " + std::to_string(slot) + " does not exist (valid slots 0.." +
                           std::to_string(model_->pic_slots - 1) + ")"};
    }
    Fpc& f = fpcs_[static_cast<size_t>(fpc_slot)];
    Pic& p = f.pics[static_cast<size_t>(slot)];
    const std::string name = "FPC " + std::to_string(fpc_slot) + " PIC " + std::to_string(slot);
    if (!p.type) {
        return {false, name + " not present"};
    }
    if (f.state != FpcState::online) {
        return {false, "FPC " + std::to_string(fpc_slot) + " not online"};
    }
    const PicState want = online ? PicState::online : PicState::offline;
    const char* word = online ? "online" : "offline";
    if (p.state == want) {
        return {true, name + " already " + word};
    }
    set_pic(p, want);
    return {true, "fpc " + std::to_string(fpc_slot) + " pic " + std::to_string(slot) + " " + word +
                      " initiated, use \"show chassis fpc pic-status\" to verify"};
}

Chassis::Result Chassis::request_fpc(int slot, FpcAction action) {
    if (Result r = check_fpc(slot); !r.ok) {
        return r;
    }
    Fpc& f = fpcs_[static_cast<size_t>(slot)];
    const std::string name = "FPC " + std::to_string(slot);
    switch (action) {
        case FpcAction::offline:
            if (f.state == FpcState::offline && !f.restarting)
                return {true, name + " already offline"};
            f.restarting = false;
            fpc_offline(f);
            return {true, "Offline initiated, use \"show chassis fpc\" to verify"};
        case FpcAction::online:
            if (f.state == FpcState::online)
                return {true, name + " already online"};
            fpc_online(f);
            return {true, "Online initiated, use \"show chassis fpc\" to verify"};
        case FpcAction::restart:
            fpc_offline(f);
            f.restarting = true;
            return {true, "Restart initiated, use \"show chassis fpc\" to verify"};
    }
    return {};
}

bool Chassis::finish_restart(int slot) {
    if (slot < 0 || slot >= static_cast<int>(fpcs_.size()))
        return false;
    Fpc& f = fpcs_[static_cast<size_t>(slot)];
    if (!f.restarting)
        return false;
    fpc_online(f);
    return true;
}

std::vector<Alarm> Chassis::alarms() const {
    // An FPC or PIC the operator took offline raises no alarm on Junos (chassisd logs it as "Offlined by
    // cli command"); a missing power supply does.
    std::vector<Alarm> out;
    for (const auto& ps : hw_.absent_power_supplies) {
        out.push_back({"Minor", "Power Supply " + ps + " Absent", "PS " + ps + " Absent", "Chassis"});
    }
    return out;
}

std::string Chassis::save_state() const {
    std::ostringstream out;
    for (const auto& f : fpcs_) {
        if (f.state == FpcState::offline && !f.restarting) {
            out << "fpc " << f.slot << " offline\n";
            continue;
        }
        for (const auto& p : f.pics) {
            if (p.state == PicState::offline)
                out << "pic " << p.fpc << "/" << p.slot << " offline\n";
        }
    }
    return out.str();
}

void Chassis::restore_state(const std::string& text) {
    auto listener = std::move(listener_);
    listener_ = nullptr;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string kind, slot, state;
        if (!(words >> kind >> slot >> state) || state != "offline")
            continue;
        if (kind == "fpc") {
            const Fpc* f = fpc(std::atoi(slot.c_str()));
            if (f && f->state == FpcState::online)
                fpc_offline(fpcs_[static_cast<size_t>(f->slot)]);
        } else if (kind == "pic") {
            const auto slash = slot.find('/');
            if (slash == std::string::npos)
                continue;
            const Pic* p = pic(std::atoi(slot.c_str()), std::atoi(slot.c_str() + slash + 1));
            if (p && p->state == PicState::online)
                set_pic(fpcs_[static_cast<size_t>(p->fpc)].pics[static_cast<size_t>(p->slot)],
                        PicState::offline);
        }
    }
    listener_ = std::move(listener);
}

}  // namespace msim::hwsim
