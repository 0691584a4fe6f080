// Chassis models as data: slot counts of the real boxes, PIC interface names (the pfed contract), stable
// serial numbers.
#include <doctest/doctest.h>

#include "msim/hwsim/chassis_model.hpp"

using namespace msim::hwsim;

TEST_CASE("the M-series models have the real slot counts") {
    struct Want {
        const char* id;
        int fpcs;
    };
    for (auto [id, fpcs] : {Want{"m5", 1}, Want{"m10", 2}, Want{"m20", 4}, Want{"m40", 8}}) {
        const ChassisModel* m = find_model(id);
        REQUIRE(m);
        CHECK(m->fpc_slots == fpcs);
        CHECK(m->pic_slots == 4);
        bool has_re = false, has_ps = false, has_fan = false;
        for (const auto& p : m->before_fpcs) {
            has_re |= p.name.starts_with("Routing Engine");
            has_ps |= p.name.starts_with("Power Supply");
        }
        for (const auto& p : m->after_fpcs) {
            has_fan |= p.name.find("Fan") != std::string_view::npos ||
                       p.name.find("Impeller") != std::string_view::npos;
        }
        CHECK(has_re);
        CHECK(has_ps);
        CHECK(has_fan);
    }
    CHECK(find_model("m320") == nullptr);
}

TEST_CASE("PIC types name their interfaces as pfed expects") {
    CHECK(pic_interfaces(*find_pic_type("4x-fe"), 0, 0) ==
          std::vector<std::string>{"fe-0/0/0", "fe-0/0/1", "fe-0/0/2", "fe-0/0/3"});
    CHECK(pic_interfaces(*find_pic_type("1x-ge"), 1, 1) == std::vector<std::string>{"ge-1/1/0"});
    CHECK(pic_interfaces(*find_pic_type("1x-oc3"), 0, 2) == std::vector<std::string>{"so-0/2/0"});
    CHECK(pic_interfaces(*find_pic_type("es"), 0, 1) == std::vector<std::string>{"es-0/1/0"});
    CHECK(pic_interfaces(*find_pic_type("as"), 1, 0) == std::vector<std::string>{"sp-1/0/0"});
    CHECK(find_pic_type("4x-fe")->description == "4x F/E, 100 BASE-TX");
    CHECK(find_pic_type("bogus") == nullptr);
}

TEST_CASE("serial numbers are stable per router and part, and differ between routers") {
    const auto a = serial_number("gateway-a", "FEB", SerialStyle::board);
    CHECK(a == serial_number("gateway-a", "FEB", SerialStyle::board));
    CHECK(a != serial_number("gateway-b", "FEB", SerialStyle::board));
    CHECK(a.size() == 6);
    CHECK(serial_number("r", "Chassis", SerialStyle::chassis).size() == 5);
    CHECK(serial_number("r", "Routing Engine", SerialStyle::re).size() == 10);
    CHECK(serial_number("r", "Power Supply A", SerialStyle::power).starts_with("PD"));
    CHECK(serial_number("r", "Fan Tray", SerialStyle::none).empty());
}
