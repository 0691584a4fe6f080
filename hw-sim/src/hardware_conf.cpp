#include "msim/hwsim/hardware_conf.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "msim/hwsim/chassis_model.hpp"

namespace msim::hwsim {

HardwareConf default_hardware() {
    HardwareConf hw;
    hw.chassis = "m10";
    hw.pics = {{0, 0, "4x-fe", 0}, {0, 1, "es", 0}, {1, 0, "as", 0}, {1, 1, "1x-ge", 0}};
    return hw;
}

HardwareConf parse_hardware_conf(const std::string& text, const std::string& origin) {
    HardwareConf hw;
    hw.pics.clear();
    std::istringstream in(text);
    std::string line;
    int lineno = 0;
    int chassis_line = 0;
    std::vector<int> power_lines;
    auto fail_at = [&](int at, const std::string& why) {
        throw std::runtime_error(origin + ":" + std::to_string(at) + ": " + why);
    };
    auto fail = [&](const std::string& why) { fail_at(lineno, why); };
    while (std::getline(in, line)) {
        ++lineno;
        if (auto hash = line.find('#'); hash != std::string::npos) {
            line.erase(hash);
        }
        std::istringstream words(line);
        std::string keyword;
        if (!(words >> keyword)) {
            continue;
        }
        if (keyword == "chassis") {
            std::string model;
            if (!(words >> model) || !find_model(model)) {
                fail("unknown chassis '" + model + "' (expected m5, m10, m20 or m40)");
            }
            if (chassis_line != 0) {
                fail("chassis given twice (first on line " + std::to_string(chassis_line) + ")");
            }
            hw.chassis = model;
            chassis_line = lineno;
        } else if (keyword == "pic") {
            std::string slot, type;
            int fpc = -1, pic = -1;
            char slash = 0;
            if (!(words >> slot >> type)) {
                fail("expected 'pic FPC/PIC TYPE'");
            }
            std::istringstream s(slot);
            std::string rest;
            if (!(s >> fpc >> slash >> pic) || slash != '/' || fpc < 0 || pic < 0 || (s >> rest)) {
                fail("bad slot '" + slot + "' (expected FPC/PIC, e.g. 0/1)");
            }
            if (!find_pic_type(type)) {
                fail("unknown PIC type '" + type + "' (expected 4x-fe, 1x-ge, 1x-oc3, es or as)");
            }
            hw.pics.push_back({fpc, pic, type, lineno});
        } else if (keyword == "power-supply") {
            std::string which, state;
            if (!(words >> which >> state) || state != "absent") {
                fail("expected 'power-supply A|B absent'");
            }
            if (which != "A" && which != "B") {
                fail("unknown power supply '" + which + "' (expected A or B)");
            }
            hw.absent_power_supplies.push_back(which);
            power_lines.push_back(lineno);
        } else {
            fail("unknown statement '" + keyword + "'");
        }
        std::string extra;
        if (words >> extra) {
            fail("unexpected '" + extra + "'");
        }
    }
    // Checked once the whole file is read: `chassis` may come after the PICs.
    const ChassisModel& model = *find_model(hw.chassis);
    const std::string name(model.description);
    for (size_t i = 0; i < hw.pics.size(); ++i) {
        const PicSlot& p = hw.pics[i];
        const std::string where = std::to_string(p.fpc) + "/" + std::to_string(p.pic);
        if (p.fpc >= model.fpc_slots) {
            fail_at(p.line, "PIC " + where + ": FPC slot " + std::to_string(p.fpc) +
                                " does not exist on an " + name + " (FPC slots 0.." +
                                std::to_string(model.fpc_slots - 1) + ")");
        }
        if (p.pic >= model.pic_slots) {
            fail_at(p.line, "PIC " + where + ": PIC slot " + std::to_string(p.pic) +
                                " does not exist on an " + name + " FPC (PIC slots 0.." +
                                std::to_string(model.pic_slots - 1) + ")");
        }
        for (size_t j = 0; j < i; ++j) {
            if (hw.pics[j].fpc == p.fpc && hw.pics[j].pic == p.pic) {
                fail_at(p.line, "PIC slot " + where + " is already taken by the " + hw.pics[j].type +
                                    " PIC of line " + std::to_string(hw.pics[j].line));
            }
        }
    }
    for (size_t i = 0; i < hw.absent_power_supplies.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
            if (hw.absent_power_supplies[j] == hw.absent_power_supplies[i]) {
                fail_at(power_lines[i], "power supply " + hw.absent_power_supplies[i] +
                                            " is already absent (line " + std::to_string(power_lines[j]) +
                                            ")");
            }
        }
    }
    if (hw.absent_power_supplies.size() == 2) {
        fail_at(power_lines[1], "an " + name + " without any power supply cannot run");
    }
    return hw;
}

HardwareConf load_hardware_conf(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) {
        return default_hardware();
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_hardware_conf(text.str(), path.string());
}

}  // namespace msim::hwsim
