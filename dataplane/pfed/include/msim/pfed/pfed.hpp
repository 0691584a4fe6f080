// pfed's top-level object: the forwarding engine of one router, kept in step with chassisd (interfaces of
// online PICs), with the committed configuration (pfed owns interfaces, firewall, routing-options) and with
// the wires of wires.conf; it answers the show/clear RPCs and captures.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "msim/common/daemon.hpp"
#include "msim/config/owned_configuration.hpp"
#include "msim/dataplane/es_pic.hpp"
#include "msim/pfed/config_map.hpp"
#include "msim/pfed/context.hpp"
#include "msim/pfed/ike_service.hpp"
#include "msim/pfed/sa_service.hpp"
#include "msim/pfed/wires.hpp"

namespace msim::pfed {

class Pfed final : public PfedContext, public SaHost {
  public:
    // Registers pfed's RPCs and hooks on `daemon`; start() begins talking to chassisd and mgd.
    Pfed(Daemon& daemon, std::shared_ptr<const config::Schema> schema);
    ~Pfed() override;
    Pfed(const Pfed&) = delete;
    Pfed& operator=(const Pfed&) = delete;

    // Opens the wires of <state>/wires.conf, subscribes to chassisd, loads the configuration from mgd, and
    // starts the engine's timer.
    void start();

    // PfedContext
    dataplane::ForwardingEngine& engine() override { return engine_; }
    boost::asio::io_context& io() override { return daemon_.io(); }
    uint64_t add_packet_tap(dataplane::ForwardingEngine::PacketTap tap) override;
    void remove_packet_tap(uint64_t id) override;
    uint64_t add_icmp_listener(dataplane::ForwardingEngine::IcmpHandler handler) override;
    void remove_icmp_listener(uint64_t id) override;
    std::optional<dataplane::InterfaceKind> interface_kind(std::string_view interface) const override;

    // The ES PIC model of an es- interface ("es-0/1/0"), created the first time its PIC comes online and
    // kept across offline/online so its SAs survive (ipsecd installs SAs through its sa_backend()).

    // SaHost (the SA backend RPCs of sa_service.hpp, for ipsecd): the ES PIC models pfed has (kept
    // across offline/online; ipsecd removes an offline PIC's SAs and installs them again when it is
    // back), and the es- units of the committed configuration that name an SA.
    dataplane::EsPic* es_pic(const std::string& interface) override;
    std::vector<std::string> es_pics() const override;
    bool es_pic_online(const std::string& interface) const override;
    std::vector<EsUnitBinding> es_bindings() const override;

    // Chassis state (also driven directly by tests): a PIC's interfaces appear or disappear.
    void pic_state(const pugi::xml_node& pic);
    const PfedConfig& configuration() const { return mapped_; }
    // kmd's IKE datagrams and SA acquires (ike_service.hpp).
    IkeService& ike() { return ike_; }

  private:
    void register_rpcs();
    void tick();
    void subscribe_chassis();
    void chassis_states(const pugi::xml_node& pic_states);
    void interface_online(const std::string& name, const std::string& pic);
    void interface_offline(const std::string& name, const std::string& pic);
    void load_configuration();
    void take_configuration(config::Node tree);
    void take_mapped(PfedConfig next);
    void open_wires();
    void validate(const pugi::xml_node& changes, ipc::Responder r);
    void apply(const pugi::xml_node& changes, ipc::Responder r);
    void start_capture(const pugi::xml_node& request, ipc::Responder r);
    struct Capture;
    static void capture_progress(const std::shared_ptr<Capture>& capture);

    Daemon& daemon_;
    config::OwnedConfiguration owned_;
    PfedConfig mapped_;
    bool configuration_loaded_ = false;
    dataplane::ForwardingEngine engine_;
    IkeService ike_;  // after engine_: unbinds its ports before the engine goes
    boost::asio::steady_timer tick_timer_;
    boost::asio::steady_timer chassis_timer_;
    boost::asio::steady_timer config_timer_;

    // chassisd subscription: our own connection, so we know when it closes.
    std::shared_ptr<ipc::Connection> chassis_;
    bool subscribed_ = false;
    bool subscribing_ = false;
    bool chassis_error_logged_ = false;
    std::map<std::string, std::set<std::string>> pic_interfaces_;  // "F/P" -> interfaces online

    std::map<std::string, std::unique_ptr<Wire>, std::less<>> wires_;
    std::map<std::string, std::unique_ptr<dataplane::EsPic>, std::less<>> es_pics_;

    uint64_t next_listener_ = 1;
    std::map<uint64_t, std::shared_ptr<dataplane::ForwardingEngine::PacketTap>> taps_;
    std::map<uint64_t, std::shared_ptr<dataplane::ForwardingEngine::IcmpHandler>> icmp_listeners_;
    bool tap_installed_ = false;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// Builds the Pfed of a daemon (schema from MSIM_YANG_DIR), keeps it and starts it: main()'s whole setup.
void setup_pfed(Daemon& daemon);

}  // namespace msim::pfed
