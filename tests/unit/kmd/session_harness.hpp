// Two in-process IKE peers wired back to back: the messages one session produces are fed to the other.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "msim/kmd/phase1.hpp"
#include "msim/kmd/quick_mode.hpp"

namespace msim::kmd::test {

struct Recorder : EventSink {
    std::vector<Event> events;
    void on_event(const Event& e) override { events.push_back(e); }
    const Event* find(EventType t) const {
        for (const auto& e : events)
            if (e.type == t)
                return &e;
        return nullptr;
    }
    bool has_notify(EventType t, std::uint16_t n) const {
        for (const auto& e : events)
            if (e.type == t && e.notify_type == n)
                return true;
        return false;
    }
};

struct CountingSpis : SpiAllocator {
    std::uint32_t next;
    explicit CountingSpis(std::uint32_t first) : next(first) {}
    std::uint32_t allocate(IpsecProtocol) override { return next++; }
};

struct Wire {
    std::vector<Bytes> to_responder, to_initiator;  // every datagram, in order (for pcaps)
    std::vector<std::pair<bool, Bytes>> all;        // (from initiator?, datagram)
};

struct Phase1Run {
    std::unique_ptr<Phase1Session> initiator, responder;
    Recorder ievents, revents;
    Wire wire;
};

inline std::unique_ptr<CryptoProvider> make_crypto() {
    return std::move(*CryptoProvider::create());
}

// Runs phase 1 to completion (or failure). `drop_first_to_responder` loses the first datagram once.
inline void run_phase1(Phase1Run& run, const CryptoProvider& crypto, const Phase1Config& icfg,
                       const Phase1Config& rcfg) {
    run.initiator = std::make_unique<Phase1Session>(icfg, crypto, run.ievents);
    std::deque<std::pair<bool, Bytes>> queue;  // (to responder?, datagram)
    for (auto& d : run.initiator->start().send)
        queue.emplace_back(true, std::move(d));
    for (int guard = 0; guard < 32 && !queue.empty(); ++guard) {
        auto [to_responder, datagram] = std::move(queue.front());
        queue.pop_front();
        run.wire.all.emplace_back(to_responder, datagram);
        Step s;
        if (to_responder) {
            if (!run.responder) {
                auto r = Phase1Session::respond(rcfg, crypto, run.revents, datagram);
                run.responder = std::move(r.first);
                s = std::move(r.second);
            } else {
                s = run.responder->handle(datagram);
            }
        } else {
            s = run.initiator->handle(datagram);
        }
        for (auto& d : s.send)
            queue.emplace_back(!to_responder, std::move(d));
    }
}

struct QuickRun {
    std::unique_ptr<QuickModeSession> initiator, responder;
    Recorder ievents, revents;
    std::vector<std::pair<bool, Bytes>> all;
    std::vector<std::uint16_t> informational_to_initiator;
};

inline void run_quick(QuickRun& run, const CryptoProvider& crypto, const IkeSa& isa, const IkeSa& rsa,
                      const QuickModeConfig& icfg, const std::vector<QuickModeConfig>& rcfgs,
                      SpiAllocator& ispis, SpiAllocator& rspis) {
    run.initiator = std::make_unique<QuickModeSession>(isa, icfg, crypto, run.ievents, ispis);
    std::deque<std::pair<bool, Bytes>> queue;
    for (auto& d : run.initiator->start().send)
        queue.emplace_back(true, std::move(d));
    for (int guard = 0; guard < 16 && !queue.empty(); ++guard) {
        auto [to_responder, datagram] = std::move(queue.front());
        queue.pop_front();
        run.all.emplace_back(to_responder, datagram);
        Step s;
        if (to_responder) {
            if (!run.responder) {
                auto r = QuickModeSession::respond(rsa, rcfgs, crypto, run.revents, rspis, datagram);
                run.responder = std::move(r.first);
                s = std::move(r.second);
            } else {
                s = run.responder->handle(datagram);
            }
        } else {
            // Protected informationals go to the IKE SA, which passes error notifications on.
            auto info = open_informational(crypto, isa, datagram);
            if (info.ok()) {
                for (const auto& p : *info)
                    if (const auto* n = std::get_if<isakmp::NotifyPayload>(&p)) {
                        run.informational_to_initiator.push_back(n->type);
                        s = run.initiator->on_peer_notify(n->type);
                    }
            } else {
                s = run.initiator->handle(datagram);
            }
        }
        for (auto& d : s.send)
            queue.emplace_back(!to_responder, std::move(d));
    }
}

}  // namespace msim::kmd::test
