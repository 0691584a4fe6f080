#include "msim/kmd/events.hpp"

#include <cstdio>

namespace msim::kmd {

const char* to_string(EventType type) {
    switch (type) {
        case EventType::MessageSent:
            return "message-sent";
        case EventType::MessageReceived:
            return "message-received";
        case EventType::MessageDropped:
            return "message-dropped";
        case EventType::Retransmit:
            return "retransmit";
        case EventType::VendorIdReceived:
            return "vendor-id";
        case EventType::NatDetected:
            return "nat-detected";
        case EventType::NotifySent:
            return "notify-sent";
        case EventType::NotifyReceived:
            return "notify-received";
        case EventType::DeleteReceived:
            return "delete-received";
        case EventType::IkeSaEstablished:
            return "ike-sa-up";
        case EventType::IkeSaFailed:
            return "ike-sa-failed";
        case EventType::ChildSaEstablished:
            return "ipsec-sa-up";
        case EventType::ChildSaFailed:
            return "ipsec-sa-failed";
    }
    return "unknown";
}

std::string format_event(const Event& e) {
    std::string line = to_string(e.type);
    line += " peer " + e.peer + " cookies ";
    char buf[16];
    for (auto b : e.initiator_cookie) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        line += buf;
    }
    line += ":";
    for (auto b : e.responder_cookie) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        line += buf;
    }
    if (e.message_id) {
        std::snprintf(buf, sizeof buf, "%08x", e.message_id);
        line += std::string(" msgid ") + buf;
    }
    if (e.notify_type)
        line += " notify " + std::to_string(e.notify_type);
    if (!e.detail.empty())
        line += ": " + e.detail;
    if (e.error)
        line += std::string(" (") + to_string(e.error->code) + ": " + e.error->message + ")";
    return line;
}

}  // namespace msim::kmd
