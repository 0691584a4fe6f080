// Fuzzes the receiving side of an IPC connection: arbitrary bytes from a peer must never crash the process;
// bad frames close the connection, good ones are dispatched.
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/write.hpp>
#include <cstddef>
#include <cstdint>

#include "msim/common/ipc/connection.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace msim::ipc;
    boost::asio::io_context io;
    Socket a(io), b(io);
    boost::asio::local::connect_pair(a, b);
    Handlers h;
    h.on_rpc = [](Connection&, const pugi::xml_node& request, Responder r) {
        if (std::string_view(request.name()) == "ping") {
            r.reply_ok();
        } else {
            r.error("unknown");
        }
    };
    h.on_packet = [](Connection&, const PacketMeta&, std::span<const uint8_t> bytes) {
        volatile size_t n = bytes.size();
        (void)n;
    };
    ConnectionOptions options;
    options.max_frame_payload = 1 << 16;
    auto conn = Connection::create(std::move(a), h, nullptr, options);
    conn->start();
    boost::system::error_code ec;
    boost::asio::write(b, boost::asio::buffer(data, size), ec);
    b.shutdown(Socket::shutdown_send, ec);
    // Bounded: at most a few thousand handlers, whatever the input.
    for (int i = 0; i < 4096 && io.run_one_for(std::chrono::milliseconds(5)) > 0;) {
        ++i;
    }
    conn->close("fuzz input done");
    return 0;
}
