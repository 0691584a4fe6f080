// Chassis models and PIC types as data: slot counts, the fixed parts `show chassis hardware` lists, and
// the interfaces each PIC type gives (the contract with pfed: 4x-fe -> fe-F/P/0..3, 1x-ge -> ge-F/P/0,
// 1x-oc3 -> so-F/P/0, es -> es-F/P/0, as -> sp-F/P/0).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace msim::hwsim {

// How a part's serial number looks on the real boxes; the digits are derived from the router name and the
// part's name so that `show chassis hardware` is the same on every run of a router.
enum class SerialStyle {
    none,     // no serial number printed (FPCs of the M5/M10, fan trays)
    builtin,  // "BUILTIN"
    chassis,  // five digits, e.g. 31959
    board,    // two letters and four digits, e.g. HB2103
    power,    // "PD" and five digits
    re,       // ten digits, e.g. 1000660098
};

struct FixedPart {
    std::string_view name;         // "Midplane", "Power Supply A", "Routing Engine", "FEB", ...
    std::string_view version;      // "REV 03" (empty: none)
    std::string_view part_number;  // "710-002650" (empty: none)
    SerialStyle serial;
    std::string_view description;
    std::string_view model_number;  // for <model-number> (empty: none)
};

// A disk of the Routing Engine, listed by `show chassis hardware detail`.
struct ReDisk {
    std::string_view name;  // ad0
    int size_mb;
    std::string_view model;
    std::string_view description;  // Compact Flash, Hard Disk
};

struct ChassisModel {
    std::string_view id;           // m10 (hardware.conf, get-product-model)
    std::string_view description;  // M10
    int fpc_slots;
    int pic_slots;                       // per FPC
    std::string_view fpc_description;    // E-FPC, FPC Type 1
    bool fpc_is_board;                   // M20/M40: FPCs are separate boards with their own part numbers
    std::vector<FixedPart> before_fpcs;  // printed between the Chassis line and FPC 0
    std::vector<FixedPart> after_fpcs;   // fans
    std::vector<ReDisk> re_disks;
    int fpc_dram_mb;
};

struct PicType {
    std::string_view id;           // 4x-fe (hardware.conf)
    std::string_view description;  // 4x F/E, 100 BASE-TX
    std::string_view version;
    std::string_view part_number;
    std::string_view prefix;  // fe
    int ports;
};

const std::vector<ChassisModel>& chassis_models();
const std::vector<PicType>& pic_types();
const ChassisModel* find_model(std::string_view id);
const PicType* find_pic_type(std::string_view id);

// fe-0/0/0 … for a PIC of `type` in slot fpc/pic.
std::vector<std::string> pic_interfaces(const PicType& type, int fpc, int pic);

// A stable serial number of `style` for part `item` of router `router`.
std::string serial_number(std::string_view router, std::string_view item, SerialStyle style);

}  // namespace msim::hwsim
