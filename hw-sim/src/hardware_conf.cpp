#include "msim/hwsim/hardware_conf.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace msim::hwsim {

namespace {
const char* const known_chassis[] = {"m5", "m10", "m20", "m40"};
const char* const known_pics[] = {"4x-fe", "1x-ge", "1x-oc3", "es", "as"};

template <typename List>
bool contains(const List& list, const std::string& word) {
    for (const char* item : list) {
        if (word == item)
            return true;
    }
    return false;
}
}  // namespace

HardwareConf default_hardware() {
    HardwareConf hw;
    hw.chassis = "m10";
    hw.pics = {{0, 0, "4x-fe"}, {0, 1, "es"}, {1, 0, "as"}, {1, 1, "1x-ge"}};
    return hw;
}

HardwareConf parse_hardware_conf(const std::string& text, const std::string& origin) {
    HardwareConf hw;
    hw.pics.clear();
    std::istringstream in(text);
    std::string line;
    int lineno = 0;
    auto fail = [&](const std::string& why) {
        throw std::runtime_error(origin + ":" + std::to_string(lineno) + ": " + why);
    };
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
            if (!(words >> model) || !contains(known_chassis, model)) {
                fail("unknown chassis '" + model + "' (expected m5, m10, m20 or m40)");
            }
            hw.chassis = model;
        } else if (keyword == "pic") {
            std::string slot, type;
            int fpc = -1, pic = -1;
            char slash = 0;
            if (!(words >> slot >> type)) {
                fail("expected 'pic FPC/PIC TYPE'");
            }
            std::istringstream s(slot);
            if (!(s >> fpc >> slash >> pic) || slash != '/' || fpc < 0 || pic < 0) {
                fail("bad slot '" + slot + "' (expected FPC/PIC, e.g. 0/1)");
            }
            if (!contains(known_pics, type)) {
                fail("unknown PIC type '" + type + "' (expected 4x-fe, 1x-ge, 1x-oc3, es or as)");
            }
            hw.pics.push_back({fpc, pic, type});
        } else {
            fail("unknown statement '" + keyword + "'");
        }
        std::string extra;
        if (words >> extra) {
            fail("unexpected '" + extra + "'");
        }
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
