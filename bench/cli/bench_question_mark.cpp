// Latency of `?` with a large configuration committed: the time from asking for the completions of a line
// to having the printed `Possible completions:` list, through the real CLI code path (Cli::completions_for:
// the operational command tree, or an RPC to mgd, which completes against the schema and the candidate),
// in operational and in configuration mode. Prints the median and 95th percentile per line and their ratio
// to the 20 ms target of the operator shell issue.
//
//   bench_question_mark ROUTER_STATE_DIR [REPEATS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

#include "msim/common/paths.hpp"
#include "msim/shell/cli.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_question_mark ROUTER_STATE_DIR [REPEATS]\n");
        return 2;
    }
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 50;
    msim::shell::CliOptions options;
    options.paths.root = argv[1];
    std::ostringstream out, err;
    msim::shell::Cli cli(options, out, err);
    constexpr double target_ms = 20.0;
    std::printf("`?` latency (CLI -> mgd -> completions -> formatted list), %d runs each\n", repeats);
    std::printf("reference: the 20 ms target of the operator shell issue (ratio = figure / 20 ms)\n");
    int status = 0;
    auto measure = [&](const char* line) {
        std::vector<double> ms;
        size_t items = 0;
        for (int i = 0; i < repeats; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            auto list = cli.completions_for(line);
            const std::string text = msim::shell::format_completions(list);
            const auto t1 = std::chrono::steady_clock::now();
            items = list.size();
            ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
            if (text.empty() && items != 0) {
                status = 1;
            }
        }
        std::sort(ms.begin(), ms.end());
        const double median = ms[ms.size() / 2];
        const double p95 = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
        std::printf("%-8s %-72s %6zu items  median %7.2f ms (ratio %.2f)  p95 %7.2f ms (ratio %.2f)\n",
                    cli.in_configuration_mode() ? "config" : "oper", ("'" + std::string(line) + "?'").c_str(),
                    items, median, median / target_ms, p95, p95 / target_ms);
    };
    // Operational mode: the command tree, and statement paths of `show configuration` through mgd.
    for (const char* line : {"", "show ", "show configuration security ipsec security-association ",
                             "show configuration | display "})
        measure(line);
    if (!cli.execute("configure")) {
        std::fprintf(stderr, "cannot enter configuration mode: %s\n", out.str().c_str());
        return 1;
    }
    for (const char* line : {
             "",                                             // top level
             "set ",                                         // the statement list
             "set security ipsec security-association ",     // 10,000 configured names to list
             "set security ipsec security-association sa1",  // a prefix of many names
             "set security ipsec security-association sa17 manual direction bidirectional ",
             "set firewall filter ",       // configured filters
             "show security ike policy ",  // 2,000 configured policies
         })
        measure(line);
    return status;
}
