#include "msim/common/paths.hpp"

#include <cstdlib>

namespace msim {

void RouterPaths::create_layout() const {
    for (const auto& dir : {config_dir(), log_dir(), run_dir(), certs_dir(), tmp_dir()}) {
        std::filesystem::create_directories(dir);
    }
}

std::filesystem::path msim_home() {
    if (const char* home = std::getenv("MSIM_HOME"); home && *home) {
        return std::filesystem::absolute(home);
    }
    const char* user_home = std::getenv("HOME");
    return std::filesystem::path(user_home && *user_home ? user_home : "/root") / ".local" / "share" / "msim";
}

RouterPaths router_paths(std::string_view router) {
    return RouterPaths{std::string(router), msim_home() / std::string(router)};
}

bool valid_router_name(std::string_view name) {
    if (name.empty() || name.size() > 63 || name == "." || name == "..") {
        return false;
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace msim
