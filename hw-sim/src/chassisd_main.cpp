// chassisd: the chassis daemon. For now it answers the chassis model; the router issue adds the FPC/PIC
// inventory and state machine.
#include "msim/common/daemon.hpp"
#include "msim/common/xml.hpp"
#include "msim/hwsim/hardware_conf.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "chassisd", [](msim::Daemon& d) {
        auto hw = std::make_shared<msim::hwsim::HardwareConf>(
            msim::hwsim::load_hardware_conf(d.paths().hardware_conf()));
        d.register_rpc("get-product-model", [hw](const pugi::xml_node&, msim::ipc::Responder r) {
            pugi::xml_document doc;
            msim::xml::append_text(doc, "product-model", hw->chassis);
            r.reply(doc.document_element());
        });
    });
}
