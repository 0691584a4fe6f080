// Not a test: the IPsec install benchmark's probe (bench/ipsec-install/run.sh). It calls pfed's
// get-sa-states RPC directly on pfed's socket and counts the <sa-state> elements (every ES PIC's SAs,
// inbound and outbound). There is no compact count RPC, so each poll transfers every SA's state.
//
//   sa_count SOCKET                              prints the number of SAs pfed carries
//   sa_count SOCKET wait N TIMEOUT_S             polls until pfed carries N SAs; prints the wall-clock time
//                                                (seconds since the epoch) of the first poll that saw them
//   sa_count SOCKET ages FILE                    writes "spi direction age-seconds" for every SA to FILE
//   sa_count SOCKET reinstalled FILE SPI TIMEOUT_S
//                                                polls until every SA with SPI has a smaller age than in FILE
//                                                (it was installed again); prints the wall-clock time, then
//                                                the number of SAs with another SPI that were reinstalled too
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <tuple>

#include "msim/common/ipc/sync_client.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using Key = std::tuple<std::string, std::string, std::string>;  // pic, spi, direction

struct Snapshot {
    size_t count = 0;
    std::map<Key, long> ages;
};

bool poll(msim::ipc::SyncClient& client, Snapshot& out, bool with_ages) {
    auto reply = client.call("get-sa-states", msim::ipc::Duration(60000));
    if (!reply.ok()) {
        std::cerr << "sa_count: get-sa-states: " << reply.error_message << "\n";
        return false;
    }
    out = Snapshot{};
    for (auto pic : reply.root().child("sa-states").children("pic-sas")) {
        const std::string pic_name = pic.child_value("pic");
        for (auto st : pic.children("sa-state")) {
            ++out.count;
            if (with_ages) {
                auto sa = st.child("sa");
                out.ages[{pic_name, sa.child_value("spi"), sa.child_value("direction")}] =
                    std::atol(st.child_value("age-seconds"));
            }
        }
    }
    return true;
}

double wall_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int usage() {
    std::cerr << "usage: sa_count SOCKET [wait N TIMEOUT_S | ages FILE | reinstalled FILE SPI TIMEOUT_S]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        return usage();
    const std::string mode = argc > 2 ? argv[2] : "count";
    try {
        msim::ipc::SyncClient client(argv[1], "pfed");
        Snapshot snap;
        if (mode == "count" && argc == 2) {
            if (!poll(client, snap, false))
                return 1;
            std::printf("%zu\n", snap.count);
            return 0;
        }
        if (mode == "wait" && argc == 5) {
            const size_t want = std::strtoul(argv[3], nullptr, 10);
            const auto deadline = Clock::now() + std::chrono::seconds(std::atol(argv[4]));
            size_t polls = 0;
            while (Clock::now() < deadline) {
                if (!poll(client, snap, false))
                    return 1;
                ++polls;
                if (snap.count >= want) {
                    std::printf("%.6f %zu\n", wall_now(), polls);
                    return 0;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            std::cerr << "sa_count: pfed carries " << snap.count << " SAs, not " << want << ", after "
                      << argv[4] << " s\n";
            return 1;
        }
        if (mode == "ages" && argc == 4) {
            if (!poll(client, snap, true))
                return 1;
            std::ofstream out(argv[3]);
            for (const auto& [key, age] : snap.ages)
                out << std::get<0>(key) << ' ' << std::get<1>(key) << ' ' << std::get<2>(key) << ' ' << age
                    << '\n';
            return out ? 0 : 1;
        }
        if (mode == "reinstalled" && argc == 6) {
            std::map<Key, long> before;
            std::ifstream in(argv[3]);
            std::string pic, spi, dir;
            long age = 0;
            while (in >> pic >> spi >> dir >> age)
                before[{pic, spi, dir}] = age;
            const std::string target = argv[4];
            const auto deadline = Clock::now() + std::chrono::seconds(std::atol(argv[5]));
            while (Clock::now() < deadline) {
                if (!poll(client, snap, true))
                    return 1;
                const double t = wall_now();
                size_t target_seen = 0, target_new = 0, others_new = 0;
                for (const auto& [key, now_age] : snap.ages) {
                    auto it = before.find(key);
                    const bool fresh = it == before.end() || now_age < it->second;
                    if (std::get<1>(key) == target) {
                        ++target_seen;
                        target_new += fresh;
                    } else {
                        others_new += fresh;
                    }
                }
                if (target_seen > 0 && target_new == target_seen) {
                    std::printf("%.6f %zu %zu\n", t, target_new, others_new);
                    return 0;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            std::cerr << "sa_count: the SAs with SPI " << target << " were not reinstalled within " << argv[5]
                      << " s\n";
            return 1;
        }
    } catch (const std::exception& e) {
        std::cerr << "sa_count: " << e.what() << "\n";
        return 1;
    }
    return usage();
}
