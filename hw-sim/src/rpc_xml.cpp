#include "msim/hwsim/rpc_xml.hpp"

#include <cstdint>

#include "msim/common/xml.hpp"

namespace msim::hwsim {

namespace {

using xml::append_text;

// Readings that look alive but are the same on every run: derived from the router and the slot.
int reading(const Chassis& c, int slot, std::string_view what, int base, int spread) {
    uint32_t h = 2166136261u;
    auto mix = [&h](std::string_view s) {
        for (unsigned char ch : s) {
            h ^= ch;
            h *= 16777619u;
        }
    };
    mix(c.router());
    mix(what);
    mix(std::to_string(slot));
    return base + static_cast<int>(h % static_cast<uint32_t>(spread));
}

void part_fields(pugi::xml_node m, std::string_view version, std::string_view part, const std::string& serial,
                 std::string_view description, std::string_view model_number) {
    if (!version.empty())
        append_text(m, "version", version);
    if (!part.empty())
        append_text(m, "part-number", part);
    if (!serial.empty())
        append_text(m, "serial-number", serial);
    append_text(m, "description", description);
    if (!model_number.empty())
        append_text(m, "model-number", model_number);
}

std::string slot_name(const char* what, int slot) {
    return std::string(what) + " " + std::to_string(slot);
}

void fixed_part(const Chassis& c, pugi::xml_node chassis, const FixedPart& part, bool detail) {
    // A power supply the hardware.conf marks absent is not in the inventory (its alarm says so).
    for (const auto& ps : c.hardware().absent_power_supplies) {
        if (part.name == "Power Supply " + ps)
            return;
    }
    auto m = chassis.append_child("chassis-module");
    append_text(m, "name", part.name);
    part_fields(m, part.version, part.part_number, serial_number(c.router(), part.name, part.serial),
                part.description, part.model_number);
    if (detail && part.name.starts_with("Routing Engine")) {
        for (const auto& disk : c.model().re_disks) {
            auto d = m.append_child("chassis-re-disk-module");
            append_text(d, "name", disk.name);
            append_text(d, "disk-size", std::to_string(disk.size_mb));
            append_text(d, "model", disk.model);
            append_text(d, "serial-number", serial_number(c.router(), disk.name, SerialStyle::re));
            append_text(d, "description", disk.description);
        }
    }
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& ch : out)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
}

}  // namespace

pugi::xml_node chassis_inventory(const Chassis& c, pugi::xml_node parent, bool detail) {
    auto inv = parent.append_child("chassis-inventory");
    auto chassis = inv.append_child("chassis");
    chassis.append_attribute("junos:style") = "inventory";
    append_text(chassis, "name", "Chassis");
    append_text(chassis, "serial-number", serial_number(c.router(), "Chassis", SerialStyle::chassis));
    append_text(chassis, "description", c.model().description);
    for (const auto& part : c.model().before_fpcs) {
        fixed_part(c, chassis, part, detail);
    }
    for (const auto& f : c.fpcs()) {
        if (f.state == FpcState::empty)
            continue;
        auto m = chassis.append_child("chassis-module");
        const std::string name = slot_name("FPC", f.slot);
        append_text(m, "name", name);
        if (c.model().fpc_is_board) {
            part_fields(m, "REV 03", "710-001292", serial_number(c.router(), name, SerialStyle::board),
                        c.model().fpc_description, "");
        } else {
            append_text(m, "description", c.model().fpc_description);
        }
        for (const auto& p : f.pics) {
            if (!p.type)
                continue;
            auto s = m.append_child("chassis-sub-module");
            const std::string pic_name = slot_name("PIC", p.slot);
            append_text(s, "name", pic_name);
            part_fields(s, p.type->version, p.type->part_number,
                        serial_number(c.router(), name + " " + pic_name, SerialStyle::board),
                        p.type->description, "");
        }
    }
    for (const auto& part : c.model().after_fpcs) {
        fixed_part(c, chassis, part, detail);
    }
    return inv;
}

pugi::xml_node fpc_information(const Chassis& c, pugi::xml_node parent, bool pic_status) {
    auto info = parent.append_child("fpc-information");
    if (pic_status)
        info.append_attribute("junos:style") = "pic-style";
    for (const auto& f : c.fpcs()) {
        if (pic_status && f.state == FpcState::empty)
            continue;
        auto e = info.append_child("fpc");
        append_text(e, "slot", std::to_string(f.slot));
        append_text(e, "state", to_string(f.state));
        if (pic_status) {
            append_text(e, "description", c.model().fpc_description);
            for (const auto& p : f.pics) {
                if (!p.type)
                    continue;
                auto pe = e.append_child("pic");
                append_text(pe, "pic-slot", std::to_string(p.slot));
                append_text(pe, "pic-state", to_string(p.state));
                append_text(pe, "pic-type", p.type->description);
            }
            continue;
        }
        if (f.state != FpcState::online)
            continue;
        const int temp = reading(c, f.slot, "temp", 26, 9);
        auto t = append_text(e, "temperature", std::to_string(temp));
        t.append_attribute("junos:celsius") = temp;
        append_text(e, "cpu-total", std::to_string(reading(c, f.slot, "cpu", 2, 6)));
        append_text(e, "cpu-interrupt", "0");
        append_text(e, "memory-dram-size", std::to_string(c.model().fpc_dram_mb));
        append_text(e, "memory-heap-utilization", std::to_string(reading(c, f.slot, "heap", 18, 12)));
        append_text(e, "memory-buffer-utilization", std::to_string(reading(c, f.slot, "buffer", 38, 12)));
    }
    return info;
}

pugi::xml_node pic_detail(const Chassis& c, pugi::xml_node parent, int fpc, int pic) {
    const Pic* p = c.pic(fpc, pic);
    if (!c.fpc(fpc)) {
        throw RpcError("FPC slot " + std::to_string(fpc) + " does not exist (valid slots 0.." +
                       std::to_string(c.model().fpc_slots - 1) + ")");
    }
    if (!p) {
        throw RpcError("PIC slot " + std::to_string(pic) + " does not exist (valid slots 0.." +
                       std::to_string(c.model().pic_slots - 1) + ")");
    }
    if (!p->type) {
        throw RpcError("FPC " + std::to_string(fpc) + " PIC " + std::to_string(pic) + " not present");
    }
    auto info = parent.append_child("fpc-information");
    info.append_attribute("junos:style") = "pic-detail";
    auto f = info.append_child("fpc");
    append_text(f, "slot", std::to_string(fpc));
    auto d = f.append_child("pic-detail");
    append_text(d, "slot", std::to_string(fpc));
    append_text(d, "pic-slot", std::to_string(pic));
    append_text(d, "pic-type", p->type->description);
    append_text(d, "state", to_string(p->state));
    // "REV 04" -> PIC version 4.0 (the hardware revision as the PIC reports it).
    const std::string_view rev = p->type->version;
    append_text(d, "pic-version", std::string(rev.substr(rev.find_last_of(' ') + 1)).erase(0, 1) + ".0");
    if (p->state == PicState::online) {
        const long long up = c.now() - p->online_since;
        auto u = append_text(d, "up-time", junos_duration(up));
        u.append_attribute("junos:seconds") = up;
    }
    return info;
}

pugi::xml_node alarm_information(const Chassis& c, pugi::xml_node parent, std::time_t since) {
    auto info = parent.append_child("alarm-information");
    auto summary = info.append_child("alarm-summary");
    const auto alarms = c.alarms();
    if (alarms.empty()) {
        summary.append_child("no-active-alarms");
        return info;
    }
    append_text(summary, "active-alarm-count", std::to_string(alarms.size()));
    std::tm tm{};
    ::gmtime_r(&since, &tm);
    char when[64];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    for (const auto& a : alarms) {
        auto d = info.append_child("alarm-detail");
        auto t = append_text(d, "alarm-time", when);
        t.append_attribute("junos:seconds") = static_cast<long long>(since);
        append_text(d, "alarm-class", a.cls);
        append_text(d, "alarm-description", a.description);
        append_text(d, "alarm-short-description", a.short_description);
        append_text(d, "alarm-type", a.type);
    }
    return info;
}

pugi::xml_node pic_state(const Pic& p, pugi::xml_node parent) {
    auto e = parent.append_child("pic");
    append_text(e, "fpc-slot", std::to_string(p.fpc));
    append_text(e, "pic-slot", std::to_string(p.slot));
    append_text(e, "pic-type", p.type ? p.type->id : "");
    append_text(e, "state", lower(to_string(p.state)));
    if (p.type) {
        for (const auto& name : pic_interfaces(*p.type, p.fpc, p.slot)) {
            append_text(e, "interface", name);
        }
    }
    return e;
}

pugi::xml_node pic_states(const Chassis& c, pugi::xml_node parent) {
    auto states = parent.append_child("pic-states");
    for (const auto& f : c.fpcs()) {
        for (const auto& p : f.pics) {
            if (p.type)
                pic_state(p, states);
        }
    }
    return states;
}

int slot_argument(const pugi::xml_node& request, const char* element) {
    auto e = request.child(element);
    if (!e) {
        throw RpcError(std::string("missing <") + element + ">");
    }
    const std::string text = e.child_value();
    if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos) {
        throw RpcError(std::string("invalid <") + element + "> '" + text + "'");
    }
    return std::stoi(text);
}

Chassis::Result request_chassis_pic(Chassis& c, const pugi::xml_node& request) {
    const int fpc = slot_argument(request, "fpc-slot");
    const int pic = slot_argument(request, "pic-slot");
    const bool offline = request.child("offline"), online = request.child("online");
    if (offline == online) {
        throw RpcError("request-chassis-pic needs one of <offline/> or <online/>");
    }
    return c.request_pic(fpc, pic, online);
}

Chassis::Result request_chassis_fpc(Chassis& c, const pugi::xml_node& request, FpcAction& action) {
    const int slot = slot_argument(request, "slot");
    const int count = (request.child("offline") ? 1 : 0) + (request.child("online") ? 1 : 0) +
                      (request.child("restart") ? 1 : 0);
    if (count != 1) {
        throw RpcError("request-chassis-fpc needs one of <offline/>, <online/> or <restart/>");
    }
    action = request.child("offline")  ? FpcAction::offline
             : request.child("online") ? FpcAction::online
                                       : FpcAction::restart;
    return c.request_fpc(slot, action);
}

std::string junos_duration(long long seconds) {
    if (seconds < 0)
        seconds = 0;
    const long long parts[] = {seconds / 86400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60};
    const char* names[] = {"day", "hour", "minute", "second"};
    std::string out;
    for (int i = 0; i < 4; ++i) {
        if (parts[i] == 0 && out.empty() && i < 3)
            continue;
        if (!out.empty())
            out += ", ";
        out += std::to_string(parts[i]) + " " + names[i] + (parts[i] == 1 ? "" : "s");
    }
    return out;
}

}  // namespace msim::hwsim
