// mgd, the management daemon: the CLI's only peer. It answers configuration RPCs itself (the
// configuration engine) and routes every operational RPC to the daemon that owns its data, through one
// table. Replies are XML; the CLI renders them.
#pragma once

#include <map>
#include <string>

#include "msim/common/daemon.hpp"

namespace msim::mgd {

class Mgd {
  public:
    explicit Mgd(Daemon& daemon);

    // The daemon that answers an operational RPC, or "" when mgd answers it (or nobody does).
    static std::string owner_of_rpc(std::string_view rpc_name);

  private:
    void get_software_information(ipc::Responder responder);
    void forward(const pugi::xml_node& request, const std::string& owner, ipc::Responder responder);
    std::string host_name() const;

    Daemon& daemon_;
};

}  // namespace msim::mgd
