#include "msim/dataplane/pcap_writer.hpp"

#include <pcap/pcap.h>

#include <algorithm>

namespace msim::dataplane {

struct PcapWriter::Handles {
    pcap_t* dead = nullptr;
    pcap_dumper_t* dumper = nullptr;
    uint32_t snaplen = 0;
    ~Handles() {
        if (dumper != nullptr) {
            pcap_dump_close(dumper);
        }
        if (dead != nullptr) {
            pcap_close(dead);
        }
    }
};

PcapLinkType link_type_for(InterfaceKind kind) {
    if (is_ethernet(kind)) {
        return PcapLinkType::kEthernet;
    }
    if (kind == InterfaceKind::kSonet) {
        return PcapLinkType::kCiscoHdlc;
    }
    return PcapLinkType::kRawIpv4;
}

std::unique_ptr<PcapWriter> PcapWriter::open(const std::string& path, PcapLinkType link_type,
                                             std::string& error, uint32_t snaplen) {
    auto handles = std::make_unique<Handles>();
    handles->dead = pcap_open_dead(static_cast<int>(link_type), static_cast<int>(snaplen));
    if (handles->dead == nullptr) {
        error = "pcap_open_dead failed";
        return nullptr;
    }
    handles->snaplen = snaplen;
    handles->dumper = pcap_dump_open(handles->dead, path.c_str());
    if (handles->dumper == nullptr) {
        error = std::string("cannot open capture file ") + path + ": " + pcap_geterr(handles->dead);
        return nullptr;
    }
    return std::unique_ptr<PcapWriter>(new PcapWriter(std::move(handles)));
}

PcapWriter::PcapWriter(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}
PcapWriter::~PcapWriter() = default;

void PcapWriter::write(std::span<const uint8_t> frame, std::chrono::system_clock::time_point when) {
    const auto since_epoch = when.time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - secs);
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(secs.count());
    header.ts.tv_usec = static_cast<suseconds_t>(usecs.count());
    header.caplen = static_cast<bpf_u_int32>(std::min<size_t>(frame.size(), handles_->snaplen));
    header.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(handles_->dumper), &header, frame.data());
    ++frames_;
}

void PcapWriter::flush() {
    pcap_dump_flush(handles_->dumper);
}

}  // namespace msim::dataplane
