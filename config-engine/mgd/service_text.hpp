// Small text helpers shared by the configuration service's files.
#pragma once

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "msim/config/rollback_store.hpp"

namespace msim::mgd {

inline double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

inline std::string join(const std::vector<std::string>& words, std::string_view sep = " ") {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty())
            out += sep;
        out += w;
    }
    return out;
}

inline std::string edit_banner(const std::vector<std::string>& path) {
    return path.empty() ? "[edit]" : "[edit " + join(path) + "]";
}

inline std::string now_text() {
    return config::RollbackStore::format_time(std::time(nullptr));
}

}  // namespace msim::mgd
