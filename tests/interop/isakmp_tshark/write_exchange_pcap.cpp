// Runs complete IKEv1 exchanges between two in-process kmd sessions and writes them to a pcap file
// (Ethernet / IPv4 / UDP 500), plus the ikev1_decryption_table tshark needs to decrypt them.
//   write_exchange_pcap <out.pcap> <out-decryption-table> <out-expected>
// The expected file lists, per frame, the exchange type and whether the frame is encrypted.
#include <pcap/pcap.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <string>
#include <vector>

#include "msim/kmd/phase1.hpp"
#include "msim/kmd/quick_mode.hpp"

using namespace msim::kmd;

namespace {

struct Spis : SpiAllocator {
    std::uint32_t next;
    explicit Spis(std::uint32_t n) : next(n) {}
    std::uint32_t allocate(IpsecProtocol) override { return next++; }
};

std::string hex(const Bytes& b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (auto c : b) {
        s += d[c >> 4];
        s += d[c & 15];
    }
    return s;
}

std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2)
        sum += (p[i] << 8) | p[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

// One UDP 500 datagram in Ethernet + IPv4 framing.
Bytes frame(const Endpoint& src, const Endpoint& dst, const Bytes& payload) {
    Bytes f = {0x02, 0, 0, 0, 0, dst.address[3], 0x02, 0, 0, 0, 0, src.address[3], 0x08, 0x00};
    std::size_t ip_len = 20 + 8 + payload.size();
    Bytes ip = {0x45,
                0,
                static_cast<std::uint8_t>(ip_len >> 8),
                static_cast<std::uint8_t>(ip_len),
                0,
                0,
                0x40,
                0,
                64,
                17,
                0,
                0};
    ip.insert(ip.end(), src.address.begin(), src.address.end());
    ip.insert(ip.end(), dst.address.begin(), dst.address.end());
    std::uint16_t cs = checksum(ip.data(), ip.size());
    ip[10] = static_cast<std::uint8_t>(cs >> 8);
    ip[11] = static_cast<std::uint8_t>(cs);
    std::size_t udp_len = 8 + payload.size();
    Bytes udp = {static_cast<std::uint8_t>(src.port >> 8),
                 static_cast<std::uint8_t>(src.port),
                 static_cast<std::uint8_t>(dst.port >> 8),
                 static_cast<std::uint8_t>(dst.port),
                 static_cast<std::uint8_t>(udp_len >> 8),
                 static_cast<std::uint8_t>(udp_len),
                 0,
                 0};
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), udp.begin(), udp.end());
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

struct Capture {
    pcap_t* dead;
    pcap_dumper_t* dumper;
    int seconds = 1700000000;
    std::ofstream expected;
    void write(const Endpoint& src, const Endpoint& dst, const Bytes& datagram) {
        Bytes f = frame(src, dst, datagram);
        pcap_pkthdr h{};
        h.ts.tv_sec = seconds++;
        h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
        pcap_dump(reinterpret_cast<u_char*>(dumper), &h, f.data());
        expected << static_cast<int>(datagram[18]) << ' ' << (datagram[19] & 1) << '\n';
    }
};

// Runs phase 1 and one quick mode; returns false if either failed.
bool exchange(Capture& cap, std::ofstream& table, const CryptoProvider& c, Phase1Mode mode, IkeProposal ike,
              QuickModeConfig q, const char* a, const char* b) {
    NullEventSink events;
    Phase1Config i, r;
    i.mode = r.mode = mode;
    i.proposals = r.proposals = {ike};
    i.pre_shared_key = r.pre_shared_key = {'j', 'u', 'n', 'i', 'p', 'e', 'r'};
    i.local = r.remote = *Endpoint::parse(a);
    i.remote = r.local = *Endpoint::parse(b);
    Phase1Session init(i, c, events);
    std::unique_ptr<Phase1Session> resp;
    std::deque<std::pair<bool, Bytes>> queue;
    for (auto& d : init.start().send)
        queue.emplace_back(true, d);
    while (!queue.empty()) {
        auto [to_r, d] = queue.front();
        queue.pop_front();
        cap.write(to_r ? i.local : r.local, to_r ? r.local : i.local, d);
        Step s;
        if (to_r && !resp) {
            auto p = Phase1Session::respond(r, c, events, d);
            resp = std::move(p.first);
            s = std::move(p.second);
        } else {
            s = to_r ? resp->handle(d) : init.handle(d);
        }
        for (auto& out : s.send)
            queue.emplace_back(!to_r, out);
    }
    if (!init.established() || !resp || !resp->established())
        return false;
    const IkeSa& isa = *init.ike_sa();
    table << hex(Bytes(isa.initiator_cookie.begin(), isa.initiator_cookie.end())) << ','
          << hex(isa.encryption_key) << '\n';
    Spis ispis(0x1000), rspis(0x2000);
    QuickModeSession qi(isa, q, c, events, ispis);
    std::unique_ptr<QuickModeSession> qr;
    for (auto& d : qi.start().send)
        queue.emplace_back(true, d);
    while (!queue.empty()) {
        auto [to_r, d] = queue.front();
        queue.pop_front();
        cap.write(to_r ? i.local : r.local, to_r ? r.local : i.local, d);
        Step s;
        if (to_r && !qr) {
            QuickModeConfig mirrored = q;  // the responder's policy sees the selectors from its side
            std::swap(mirrored.local_selector, mirrored.remote_selector);
            auto p = QuickModeSession::respond(*resp->ike_sa(), {mirrored}, c, events, rspis, d);
            qr = std::move(p.first);
            s = std::move(p.second);
        } else {
            s = to_r ? qr->handle(d) : qi.handle(d);
        }
        for (auto& out : s.send)
            queue.emplace_back(!to_r, out);
    }
    if (!qi.established() || !qr || !qr->established())
        return false;
    // A protected informational (delete of the child SA) closes the capture of this pair.
    isakmp::DeletePayload del{1, isakmp::ProtocolId::Esp, 4, {{0, 0, 0x10, 0}}};
    auto info = make_informational(c, isa, {del}, 0x01020304);
    if (!info)
        return false;
    cap.write(i.local, r.local, *info);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s <out.pcap> <out-decryption-table> <out-expected>\n", argv[0]);
        return 2;
    }
    auto crypto = CryptoProvider::create();
    if (!crypto) {
        std::fprintf(stderr, "crypto: %s\n", crypto.error().message.c_str());
        return 1;
    }
    Capture cap;
    cap.dead = pcap_open_dead(DLT_EN10MB, 65535);
    cap.dumper = pcap_dump_open(cap.dead, argv[1]);
    if (!cap.dumper) {
        std::fprintf(stderr, "cannot write %s\n", argv[1]);
        return 1;
    }
    cap.expected.open(argv[3]);
    std::ofstream table(argv[2]);

    IkeProposal des_md5;
    des_md5.encryption = EncryptionAlgorithm::DesCbc;
    des_md5.hash = HashAlgorithm::Md5;
    des_md5.group = DhGroup::Modp768;
    IkeProposal aes;
    aes.encryption = EncryptionAlgorithm::AesCbc;
    aes.key_bits = 256;
    aes.group = DhGroup::Modp1536;

    QuickModeConfig plain;
    plain.proposals = {IpsecProposal{}};
    QuickModeConfig pfs = plain;
    pfs.pfs_group = DhGroup::Modp1024;
    pfs.local_selector = TrafficSelector{{10, 1, 0, 0}, 24};
    pfs.remote_selector = TrafficSelector{{10, 2, 0, 0}, 24};
    QuickModeConfig bundle;
    IpsecProposal b;
    b.protocol = IpsecProposal::Protocol::Bundle;
    b.authentication = AuthAlgorithm::HmacMd5;
    b.encryption = EspCipher::Des;
    bundle.proposals = {b};

    bool ok =
        exchange(cap, table, **crypto, Phase1Mode::Main, IkeProposal{}, plain, "192.0.2.1", "192.0.2.2") &&
        exchange(cap, table, **crypto, Phase1Mode::Main, des_md5, pfs, "192.0.2.3", "192.0.2.4") &&
        exchange(cap, table, **crypto, Phase1Mode::Aggressive, IkeProposal{}, pfs, "192.0.2.5",
                 "192.0.2.6") &&
        exchange(cap, table, **crypto, Phase1Mode::Main, aes, bundle, "192.0.2.7", "192.0.2.8");
    pcap_dump_close(cap.dumper);
    pcap_close(cap.dead);
    if (!ok) {
        std::fprintf(stderr, "an exchange did not complete\n");
        return 1;
    }
    return 0;
}
