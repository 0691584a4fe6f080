// mgd, the management daemon: the CLI's only peer. It owns the configuration (config_service.hpp) and
// routes every operational RPC to the daemon that owns its data, through one table. Replies are XML;
// the CLI renders them.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "config_service.hpp"
#include "msim/common/daemon.hpp"

namespace msim::mgd {

class Mgd {
  public:
    explicit Mgd(Daemon& daemon);
    ~Mgd();

    // The daemon that answers an operational RPC, or "" when mgd answers it (or nobody does).
    static std::string owner_of_rpc(std::string_view rpc_name);

  private:
    void register_session_rpcs();
    void register_configuration_rpcs();
    void register_file_rpcs();
    void get_software_information(ipc::Responder responder);
    void forward(const pugi::xml_node& request, const std::string& owner, ipc::Responder responder);
    std::string host_name() const;

    Daemon& daemon_;
    std::unique_ptr<ConfigService> config_;
};

}  // namespace msim::mgd
