// wires.conf and the two wire kinds: UDP datagrams on loopback, TAP devices (optionally in a netns).
#include "msim/pfed/wires.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>
#include <sstream>
#include <stdexcept>

#include "msim/dataplane/interfaces.hpp"

namespace msim::pfed {

namespace {

std::optional<boost::asio::ip::udp::endpoint> parse_endpoint(const std::string& text) {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        return std::nullopt;
    }
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address_v4(text.substr(0, colon), ec);
    if (ec) {
        return std::nullopt;
    }
    unsigned port = 0;
    const char* first = text.data() + colon + 1;
    const char* last = text.data() + text.size();
    auto [p, err] = std::from_chars(first, last, port);
    if (err != std::errc() || p != last || first == last || port > 65535) {
        return std::nullopt;
    }
    return boost::asio::ip::udp::endpoint(address, static_cast<unsigned short>(port));
}

// Keeps a wire's handlers from touching it after it is destroyed (their completion may still be queued).
using AliveToken = std::shared_ptr<int>;

class UdpWire final : public Wire {
  public:
    UdpWire(boost::asio::io_context& io, const WireSpec& spec, FrameHandler on_frame)
        : socket_(io), remote_(spec.remote), local_(spec.local), on_frame_(std::move(on_frame)) {
        socket_.open(boost::asio::ip::udp::v4());
        socket_.set_option(boost::asio::socket_base::reuse_address(true));
        socket_.bind(spec.local);
        socket_.non_blocking(true);
        // Room for bursts (a ping flood, a benchmark): the kernel default drops after ~150 full frames.
        boost::system::error_code ignored;
        socket_.set_option(boost::asio::socket_base::receive_buffer_size(1 << 20), ignored);
        socket_.set_option(boost::asio::socket_base::send_buffer_size(1 << 20), ignored);
        receive();
    }
    ~UdpWire() override {
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

    void send(std::span<const uint8_t> frame) override {
        boost::system::error_code ec;
        socket_.send_to(boost::asio::buffer(frame.data(), frame.size()), remote_, 0, ec);
        if (ec) {
            ++send_drops_;  // would block, or nobody listening yet (ECONNREFUSED): a frame lost on the wire
        } else {
            ++sent_;
        }
    }
    std::string describe() const override {
        return "udp " + local_.address().to_string() + ":" + std::to_string(local_.port()) + " -> " +
               remote_.address().to_string() + ":" + std::to_string(remote_.port());
    }

  private:
    void receive() {
        socket_.async_receive_from(
            boost::asio::buffer(buffer_), sender_,
            [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec, size_t n) {
                if (alive.expired() || ec == boost::asio::error::operation_aborted) {
                    return;
                }
                // Only the far end of this wire may put frames on it.
                if (!ec && sender_ == remote_) {
                    ++received_;
                    on_frame_(std::span<const uint8_t>(buffer_.data(), n));
                }
                // Drain what else is queued without a trip through the event loop for each datagram (a
                // bounded batch, so other wires and timers still get their turn).
                for (int i = 0; i < 64 && !alive.expired(); ++i) {
                    boost::system::error_code more;
                    const size_t m = socket_.receive_from(boost::asio::buffer(buffer_), sender_, 0, more);
                    if (more) {
                        break;  // would block: the queue is empty
                    }
                    if (sender_ == remote_) {
                        ++received_;
                        on_frame_(std::span<const uint8_t>(buffer_.data(), m));
                    }
                }
                if (alive.expired()) {
                    return;
                }
                receive();
            });
    }

    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp::endpoint remote_;
    boost::asio::ip::udp::endpoint local_;
    boost::asio::ip::udp::endpoint sender_;
    FrameHandler on_frame_;
    std::array<uint8_t, 65536> buffer_{};
    AliveToken alive_ = std::make_shared<int>(0);
};

class TapWire final : public Wire {
  public:
    TapWire(boost::asio::io_context& io, int fd, std::string description, FrameHandler on_frame)
        : fd_(fd), stream_(io, fd), description_(std::move(description)), on_frame_(std::move(on_frame)) {
        receive();
    }
    ~TapWire() override {
        boost::system::error_code ignored;
        stream_.close(ignored);
    }

    void send(std::span<const uint8_t> frame) override {
        // The descriptor is non-blocking: a TAP whose queue is full (the host is not reading) drops.
        if (::write(fd_, frame.data(), frame.size()) < 0) {
            ++send_drops_;
        } else {
            ++sent_;
        }
    }
    std::string describe() const override { return description_; }

  private:
    void receive() {
        stream_.async_read_some(
            boost::asio::buffer(buffer_),
            [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec, size_t n) {
                if (alive.expired() || ec == boost::asio::error::operation_aborted) {
                    return;
                }
                if (ec) {
                    return;  // the device went away: the wire is dead until pfed restarts
                }
                ++received_;
                on_frame_(std::span<const uint8_t>(buffer_.data(), n));
                receive();
            });
    }

    int fd_;
    boost::asio::posix::stream_descriptor stream_;
    std::string description_;
    FrameHandler on_frame_;
    std::array<uint8_t, 65536> buffer_{};
    AliveToken alive_ = std::make_shared<int>(0);
};

int open_tun(const std::string& device, std::string& error) {
    const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        error = std::string("cannot open /dev/net/tun: ") + std::strerror(errno);
        return -1;
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, device.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
        error = "cannot attach to TAP device " + device + ": " + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

// Opens the TAP inside `netns` by entering the namespace on this thread and coming back: the descriptor
// stays bound to the device in that namespace.
int open_tun_in(const std::string& device, const std::string& netns, std::string& error) {
    if (netns.empty()) {
        return open_tun(device, error);
    }
    const int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
        error = std::string("cannot open own network namespace: ") + std::strerror(errno);
        return -1;
    }
    const std::string path = "/var/run/netns/" + netns;
    const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (target < 0) {
        error = "cannot open network namespace " + netns + ": " + std::strerror(errno);
        ::close(self);
        return -1;
    }
    int fd = -1;
    if (::setns(target, CLONE_NEWNET) < 0) {
        error = "cannot enter network namespace " + netns + ": " + std::strerror(errno);
    } else {
        fd = open_tun(device, error);
        if (::setns(self, CLONE_NEWNET) < 0) {
            // Staying in the host's namespace is not possible: every later socket would be in the wrong one.
            ::close(self);
            ::close(target);
            throw std::runtime_error(std::string("cannot return to own network namespace: ") +
                                     std::strerror(errno));
        }
    }
    ::close(self);
    ::close(target);
    return fd;
}

}  // namespace

WiresFile parse_wires(std::string_view text, std::string_view origin) {
    WiresFile out;
    std::set<std::string> seen;
    std::istringstream lines{std::string(text)};
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        if (auto hash = line.find('#'); hash != std::string::npos) {
            line.erase(hash);
        }
        std::istringstream words(line);
        std::vector<std::string> w;
        for (std::string word; words >> word;) {
            w.push_back(word);
        }
        if (w.empty()) {
            continue;
        }
        auto bad = [&](const std::string& why) {
            out.errors.push_back(std::string(origin) + ":" + std::to_string(number) + ": " + why +
                                 "; line ignored");
        };
        WireSpec spec;
        spec.interface = w[0];
        spec.line = number;
        auto name = dataplane::InterfaceName::parse(w[0]);
        if (!name || name->kind == dataplane::InterfaceKind::kLoopback || dataplane::is_service(name->kind)) {
            bad("'" + w[0] + "' is not a media interface (fe-, ge- or so-)");
            continue;
        }
        if (w.size() < 2) {
            bad("missing wire kind (udp or tap)");
            continue;
        }
        if (w[1] == "udp") {
            if (w.size() != 4) {
                bad("expected: INTERFACE udp LOCAL-ADDRESS:PORT REMOTE-ADDRESS:PORT");
                continue;
            }
            auto local = parse_endpoint(w[2]);
            auto remote = parse_endpoint(w[3]);
            if (!local || !remote) {
                bad("invalid address:port '" + (!local ? w[2] : w[3]) + "'");
                continue;
            }
            spec.kind = WireSpec::Kind::kUdp;
            spec.local = *local;
            spec.remote = *remote;
        } else if (w[1] == "tap") {
            if (w.size() != 3 && !(w.size() == 5 && w[3] == "netns")) {
                bad("expected: INTERFACE tap DEVICE [netns NAME]");
                continue;
            }
            if (w[2].size() >= IFNAMSIZ) {
                bad("device name '" + w[2] + "' is too long");
                continue;
            }
            if (w.size() == 5 && (w[4].find('/') != std::string::npos || w[4] == "." || w[4] == "..")) {
                bad("invalid namespace name '" + w[4] + "'");
                continue;
            }
            spec.kind = WireSpec::Kind::kTap;
            spec.device = w[2];
            spec.netns = w.size() == 5 ? w[4] : "";
        } else {
            bad("unknown wire kind '" + w[1] + "' (udp or tap)");
            continue;
        }
        if (!seen.insert(spec.interface).second) {
            bad(spec.interface + " already has a wire");
            continue;
        }
        out.wires.push_back(std::move(spec));
    }
    return out;
}

std::unique_ptr<Wire> open_wire(boost::asio::io_context& io, const WireSpec& spec,
                                Wire::FrameHandler on_frame, std::string& error) {
    try {
        if (spec.kind == WireSpec::Kind::kUdp) {
            return std::make_unique<UdpWire>(io, spec, std::move(on_frame));
        }
        const int fd = open_tun_in(spec.device, spec.netns, error);
        if (fd < 0) {
            return nullptr;
        }
        std::string description = "tap " + spec.device + (spec.netns.empty() ? "" : " netns " + spec.netns);
        return std::make_unique<TapWire>(io, fd, std::move(description), std::move(on_frame));
    } catch (const boost::system::system_error& e) {
        error = e.what();
        return nullptr;
    }
}

}  // namespace msim::pfed
