// hardware.conf: which chassis and PICs a router has. One statement per line, '#' starts a comment:
//   chassis m10
//   pic 0/0 4x-fe
//   power-supply B absent      # a missing power supply (raises the chassis alarm "Power Supply B Absent")
// The statements are checked against the chassis model: a PIC slot outside the model's FPC/PIC slots, two
// PICs in one slot, or a power supply the model does not have is an error naming the file and line.
// Without the file a router is the embedded default: an M10 with 4x FE in 0/0, an ES PIC in 0/1, an AS PIC
// in 1/0 and 1x GE in 1/1.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace msim::hwsim {

struct PicSlot {
    int fpc = 0;
    int pic = 0;
    std::string type;  // 4x-fe, 1x-ge, 1x-oc3, es, as
    int line = 0;      // where hardware.conf says so (0: built in)
};

struct HardwareConf {
    std::string chassis = "m10";
    std::vector<PicSlot> pics;
    std::vector<std::string> absent_power_supplies;  // "B" for `power-supply B absent`
};

HardwareConf default_hardware();
// Throws std::runtime_error naming the file and line of a statement it does not understand or that does
// not fit the chassis model.
HardwareConf load_hardware_conf(const std::filesystem::path& path);
HardwareConf parse_hardware_conf(const std::string& text, const std::string& origin);

}  // namespace msim::hwsim
