// Not a test: the IPsec install benchmark's probe (bench/ipsec-install/run.sh). It calls pfed's
// get-sa-states RPC directly on pfed's socket and counts the <sa-state> elements (every ES PIC's SAs,
// inbound and outbound). There is no compact count RPC, so each poll transfers every SA's state.
//
//   sa_count SOCKET                              prints the number of SAs pfed carries
//   sa_count SOCKET wait N TIMEOUT_S             polls until pfed carries N SAs; prints the wall-clock time
//                                                (seconds since the epoch) of the first poll that saw them
//   sa_count SOCKET ages FILE                    writes "pic spi direction destination age-seconds" for every
//                                                SA to FILE
//   sa_count SOCKET reinstalled FILE SPI TIMEOUT_S
//                                                polls (sa-query) until every SA with SPI has a smaller age
//                                                than in FILE (it was installed again); prints the wall-clock
//                                                time, the number of such SAs, then the number of SAs with
//                                                another SPI that were reinstalled too (new or younger)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "msim/common/ipc/sync_client.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using Key =
    std::tuple<std::string, std::string, std::string, std::string>;  // pic, spi, direction, destination

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
                out.ages[{pic_name, sa.child_value("spi"), sa.child_value("direction"),
                          sa.child_value("destination")}] = std::atol(st.child_value("age-seconds"));
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
            // Each poll costs pfed the whole listing (~0.1 s for 20,000 SAs, during which it installs
            // nothing), so the probe sleeps as long as the last poll took: pfed spends at most half its time
            // answering it, and the time found is late by at most one poll.
            const size_t want = std::strtoul(argv[3], nullptr, 10);
            const auto deadline = Clock::now() + std::chrono::seconds(std::atol(argv[4]));
            size_t polls = 0;
            while (Clock::now() < deadline) {
                const auto start = Clock::now();
                if (!poll(client, snap, false))
                    return 1;
                ++polls;
                if (snap.count >= want) {
                    std::printf("%.6f %zu\n", wall_now(), polls);
                    return 0;
                }
                std::this_thread::sleep_for(
                    std::max<Clock::duration>(Clock::now() - start, std::chrono::milliseconds(10)));
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
                out << std::get<0>(key) << ' ' << std::get<1>(key) << ' ' << std::get<2>(key) << ' '
                    << std::get<3>(key) << ' ' << age << '\n';
            return out ? 0 : 1;
        }
        if (mode == "reinstalled" && argc == 6) {
            std::map<Key, long> before;
            std::ifstream in(argv[3]);
            std::string pic, spi, dir, dst;
            long age = 0;
            while (in >> pic >> spi >> dir >> dst >> age)
                before[{pic, spi, dir, dst}] = age;
            const std::string target = argv[4];
            std::vector<std::pair<Key, long>> targets;
            for (const auto& [key, a] : before)
                if (std::get<1>(key) == target)
                    targets.emplace_back(key, a);
            if (targets.empty()) {
                std::cerr << "sa_count: no SA with SPI " << target << " in " << argv[3] << "\n";
                return 1;
            }
            // The target SAs are polled with sa-query (cheap, so every 5 ms); once all are younger than in
            // the snapshot, one full listing counts the other SAs that were reinstalled as well.
            const auto deadline = Clock::now() + std::chrono::seconds(std::atol(argv[5]));
            while (Clock::now() < deadline) {
                size_t fresh = 0;
                for (const auto& [key, a] : targets) {
                    pugi::xml_document req;
                    auto q = req.append_child("sa-query");
                    q.append_child("pic").text().set(std::get<0>(key).c_str());
                    auto k = q.append_child("sa-key");
                    k.append_child("direction").text().set(std::get<2>(key).c_str());
                    k.append_child("protocol").text().set("esp");
                    k.append_child("spi").text().set(std::get<1>(key).c_str());
                    k.append_child("destination").text().set(std::get<3>(key).c_str());
                    auto reply = client.call(req);
                    if (reply.ok() &&
                        std::atol(reply.root().child("sa-state").child_value("age-seconds")) < a)
                        ++fresh;
                }
                if (fresh == targets.size()) {
                    const double t = wall_now();
                    if (!poll(client, snap, true))
                        return 1;
                    size_t others = 0;
                    for (const auto& [key, now_age] : snap.ages) {
                        auto it = before.find(key);
                        if (std::get<1>(key) != target && (it == before.end() || now_age < it->second))
                            ++others;
                    }
                    std::printf("%.6f %zu %zu\n", t, fresh, others);
                    return 0;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
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
