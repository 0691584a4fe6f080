#include "msim/hwsim/chassis_model.hpp"

#include <cstdint>

namespace msim::hwsim {

// The part numbers follow Juniper's numbering (710- midplanes and boards, 740- power supplies and Routing
// Engines, 750- PICs); they are plausible, not copied from a particular box.
const std::vector<ChassisModel>& chassis_models() {
    static const std::vector<ChassisModel> models = {
        {"m5",
         "M5",
         1,
         4,
         "E-FPC",
         false,
         {{"Midplane", "REV 03", "710-002650", SerialStyle::board, "M5 Midplane", ""},
          {"Power Supply A", "Rev 04", "740-002497", SerialStyle::power, "AC Power Supply", ""},
          {"Power Supply B", "Rev 04", "740-002497", SerialStyle::power, "AC Power Supply", ""},
          {"Display", "REV 04", "710-001995", SerialStyle::board, "M5/M10 Display", ""},
          {"Routing Engine", "REV 06", "740-003239", SerialStyle::re, "RE-5.0", "RE-5.0"},
          {"FEB", "REV 05", "710-002503", SerialStyle::board, "Internet Processor II", "FEB-M5-M10-IP2"}},
         {{"Fan Tray", "", "", SerialStyle::none, "M5 Fan Tray", ""}},
         {{"ad0", 96, "SanDisk SDCFB-96", "Compact Flash"}, {"ad2", 19077, "FUJITSU MHR2020AT", "Hard Disk"}},
         128},
        {"m10",
         "M10",
         2,
         4,
         "E-FPC",
         false,
         {{"Midplane", "REV 03", "710-002649", SerialStyle::board, "M10 Midplane", ""},
          {"Power Supply A", "Rev 04", "740-002497", SerialStyle::power, "AC Power Supply", ""},
          {"Power Supply B", "Rev 04", "740-002497", SerialStyle::power, "AC Power Supply", ""},
          {"Display", "REV 04", "710-001995", SerialStyle::board, "M5/M10 Display", ""},
          {"Routing Engine", "REV 06", "740-003239", SerialStyle::re, "RE-5.0", "RE-5.0"},
          {"FEB", "REV 05", "710-002503", SerialStyle::board, "Internet Processor II", "FEB-M5-M10-IP2"}},
         {{"Fan Tray", "", "", SerialStyle::none, "M10 Fan Tray", ""}},
         {{"ad0", 96, "SanDisk SDCFB-96", "Compact Flash"}, {"ad2", 19077, "FUJITSU MHR2020AT", "Hard Disk"}},
         128},
        {"m20",
         "M20",
         4,
         4,
         "FPC Type 1",
         true,
         {{"Backplane", "REV 07", "710-001517", SerialStyle::board, "M20 Backplane", ""},
          {"Power Supply A", "Rev 06", "740-001465", SerialStyle::power, "AC Power Supply", ""},
          {"Power Supply B", "Rev 06", "740-001465", SerialStyle::power, "AC Power Supply", ""},
          {"Display", "REV 04", "710-001519", SerialStyle::board, "M20 Display", ""},
          {"Routing Engine 0", "REV 06", "740-003239", SerialStyle::re, "RE-5.0", "RE-5.0"},
          {"SSB slot 0", "REV 06", "710-001951", SerialStyle::board, "Internet Processor II", "SSB-E-M20"}},
         {{"Front Upper Fan Tray", "", "", SerialStyle::none, "Front Upper Fan Tray", ""},
          {"Front Middle Fan Tray", "", "", SerialStyle::none, "Front Middle Fan Tray", ""},
          {"Front Bottom Fan Tray", "", "", SerialStyle::none, "Front Bottom Fan Tray", ""},
          {"Rear Fan Tray", "", "", SerialStyle::none, "Rear Fan Tray", ""}},
         {{"ad0", 96, "SanDisk SDCFB-96", "Compact Flash"}, {"ad2", 19077, "FUJITSU MHR2020AT", "Hard Disk"}},
         64},
        {"m40",
         "M40",
         8,
         4,
         "FPC Type 1",
         true,
         {{"Backplane", "REV 04", "710-000073", SerialStyle::board, "M40 Backplane", ""},
          {"Power Supply A", "Rev 03", "740-000235", SerialStyle::power, "DC Power Supply", ""},
          {"Power Supply B", "Rev 03", "740-000235", SerialStyle::power, "DC Power Supply", ""},
          {"Maxicab", "REV 07", "710-000229", SerialStyle::board, "Maxicab", ""},
          {"Routing Engine", "REV 04", "740-001802", SerialStyle::re, "RE-2.0", "RE-2.0"},
          {"SCB", "REV 08", "710-000075", SerialStyle::board, "Internet Processor II", "SCB-M40"}},
         {{"Top Impeller", "", "", SerialStyle::none, "Top Impeller", ""},
          {"Bottom Impeller", "", "", SerialStyle::none, "Bottom Impeller", ""},
          {"Rear Fan Tray", "", "", SerialStyle::none, "Rear Fan Tray", ""}},
         {{"ad0", 80, "SanDisk SDCFB-80", "Compact Flash"}, {"ad1", 6149, "IBM-DBCA-206480", "Hard Disk"}},
         64},
    };
    return models;
}

const std::vector<PicType>& pic_types() {
    static const std::vector<PicType> types = {
        {"4x-fe", "4x F/E, 100 BASE-TX", "REV 04", "750-002992", "fe", 4},
        {"1x-ge", "1x G/E, 1000 BASE-SX", "REV 05", "750-001072", "ge", 1},
        {"1x-oc3", "1x OC-3 SONET, SMIR", "REV 03", "750-001836", "so", 1},
        {"es", "ES PIC", "REV 02", "750-004032", "es", 1},
        {"as", "A/S SP-1", "REV 05", "750-007745", "sp", 1},
    };
    return types;
}

const ChassisModel* find_model(std::string_view id) {
    for (const auto& m : chassis_models()) {
        if (m.id == id)
            return &m;
    }
    return nullptr;
}

const PicType* find_pic_type(std::string_view id) {
    for (const auto& t : pic_types()) {
        if (t.id == id)
            return &t;
    }
    return nullptr;
}

std::vector<std::string> pic_interfaces(const PicType& type, int fpc, int pic) {
    std::vector<std::string> out;
    for (int port = 0; port < type.ports; ++port) {
        out.push_back(std::string(type.prefix) + "-" + std::to_string(fpc) + "/" + std::to_string(pic) + "/" +
                      std::to_string(port));
    }
    return out;
}

namespace {
// FNV-1a: small, stable across runs and compilers (std::hash is neither).
uint64_t fnv1a(std::string_view a, std::string_view b) {
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](std::string_view s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ull;
        }
    };
    mix(a);
    mix("\x1f");
    mix(b);
    return h;
}

std::string digits(uint64_t& h, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
        out.push_back(static_cast<char>('0' + h % 10));
        h /= 10;
    }
    return out;
}
}  // namespace

std::string serial_number(std::string_view router, std::string_view item, SerialStyle style) {
    uint64_t h = fnv1a(router, item);
    switch (style) {
        case SerialStyle::none:
            return {};
        case SerialStyle::builtin:
            return "BUILTIN";
        case SerialStyle::chassis:
            return std::to_string(10000 + h % 90000);
        case SerialStyle::board: {
            // Juniper board serials start with a letter pair naming the plant and year (AB…HZ here).
            std::string out;
            out.push_back(static_cast<char>('A' + h % 8));
            h /= 8;
            out.push_back(static_cast<char>('A' + h % 26));
            h /= 26;
            return out + digits(h, 4);
        }
        case SerialStyle::power:
            return "PD" + digits(h, 5);
        case SerialStyle::re:
            return "10006" + digits(h, 5);
    }
    return {};
}

}  // namespace msim::hwsim
