// The event bus of kmd (strongSwan's bus idea): sessions report what happened on one sink, and trace
// files, var/log/messages lines and `show` counters are all produced from this stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "msim/kmd/isakmp.hpp"
#include "msim/kmd/result.hpp"

namespace msim::kmd {

enum class EventType {
    MessageSent,  // detail: exchange and payload list
    MessageReceived,
    MessageDropped,  // malformed or unexpected; error set
    Retransmit,
    VendorIdReceived,  // detail: vendor name
    NatDetected,       // detail: "local" and/or "remote"
    NotifySent,        // notify_type set
    NotifyReceived,    // notify_type set
    DeleteReceived,
    IkeSaEstablished,    // detail: algorithms, lifetime
    IkeSaFailed,         // error set
    ChildSaEstablished,  // detail: protocol, SPIs, lifetime
    ChildSaFailed,       // error set
};
const char* to_string(EventType type);

struct Event {
    EventType type;
    std::string peer;  // remote address
    isakmp::Cookie initiator_cookie{};
    isakmp::Cookie responder_cookie{};
    std::uint32_t message_id = 0;
    std::uint16_t notify_type = 0;
    std::optional<Error> error;
    std::string detail;
};

class EventSink {
  public:
    virtual ~EventSink() = default;
    virtual void on_event(const Event& event) = 0;
};

// For callers that do not listen.
class NullEventSink final : public EventSink {
  public:
    void on_event(const Event&) override {}
};

// One line of text per event, e.g. for trace files.
std::string format_event(const Event& event);

}  // namespace msim::kmd
