// IPC library: frames, calls, timeouts, notifications, packets, and the bad frames that must close one
// connection with a logged error and harm nothing else.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "msim/common/ipc/connection.hpp"
#include "msim/common/ipc/frame.hpp"
#include "msim/common/ipc/server.hpp"
#include "msim/common/log.hpp"
#include "msim/common/xml.hpp"

using namespace msim;
using namespace msim::ipc;
using namespace std::chrono_literals;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-ipc-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs the io_context until `done` holds or a bounded number of handlers ran / time passed.
template <typename Pred>
void run_until(boost::asio::io_context& io, Pred done, std::chrono::milliseconds limit = 3000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        io.run_for(10ms);
        io.restart();
    }
}

// An echo server handler: answers <echo> with its text, <slow> never, <fail> with an rpc-error.
Handlers echo_handlers() {
    Handlers h;
    h.on_rpc = [](Connection&, const pugi::xml_node& request, Responder r) {
        const std::string_view name = request.name();
        if (name == "echo") {
            pugi::xml_document doc;
            xml::append_text(doc, "echoed", request.child_value());
            r.reply(doc);
        } else if (name == "fail") {
            r.error("configuration check-out failed", "[edit security]");
        } else if (name == "slow") {
            // never answers
        } else {
            r.error("unknown rpc");
        }
    };
    return h;
}

}  // namespace

TEST_CASE("frame header round trip and rejection of bad headers") {
    const std::string xml = "<rpc message-id=\"1\"><ping/></rpc>";
    auto frame = encode_rpc_frame(xml);
    REQUIRE(frame.size() == frame_header_size + xml.size());
    std::string error;
    auto header =
        decode_frame_header(std::span<const uint8_t, frame_header_size>(frame.data(), frame_header_size),
                            default_max_frame_payload, error);
    REQUIRE(header);
    CHECK(header->payload_length == xml.size());
    CHECK(header->type == FrameType::rpc);

    SUBCASE("oversized") {
        auto h = decode_frame_header(
            std::span<const uint8_t, frame_header_size>(frame.data(), frame_header_size), 4, error);
        CHECK_FALSE(h);
        CHECK(error.find("oversized frame") != std::string::npos);
    }
    SUBCASE("unknown type") {
        frame[4] = 9;
        CHECK_FALSE(
            decode_frame_header(std::span<const uint8_t, frame_header_size>(frame.data(), frame_header_size),
                                default_max_frame_payload, error));
        CHECK(error == "unknown frame type 9");
    }
    SUBCASE("reserved bits") {
        frame[6] = 1;
        CHECK_FALSE(
            decode_frame_header(std::span<const uint8_t, frame_header_size>(frame.data(), frame_header_size),
                                default_max_frame_payload, error));
    }
}

TEST_CASE("packet metadata round trip") {
    PacketMeta m;
    m.channel = static_cast<uint16_t>(PacketChannel::ike);
    m.flags = 3;
    m.interface_index = 77;
    m.source_address = 0x0a050505;
    m.destination_address = 0x0a060606;
    m.source_port = 500;
    m.destination_port = 4500;
    std::vector<uint8_t> bytes;
    m.encode(bytes);
    REQUIRE(bytes.size() == PacketMeta::wire_size);
    auto back = PacketMeta::decode(bytes);
    REQUIRE(back);
    CHECK(back->interface_index == 77);
    CHECK(back->source_address == 0x0a050505);
    CHECK(back->destination_port == 4500);
    bytes.pop_back();
    CHECK_FALSE(PacketMeta::decode(bytes));
}

TEST_CASE("calls, errors, notifications and packets between two connections") {
    boost::asio::io_context io;
    Socket a(io), b(io);
    boost::asio::local::connect_pair(a, b);
    std::vector<std::string> notes;
    std::vector<std::vector<uint8_t>> packets;
    Handlers server = echo_handlers();
    server.on_packet = [&](Connection&, const PacketMeta& meta, std::span<const uint8_t> bytes) {
        CHECK(meta.source_port == 500);
        packets.emplace_back(bytes.begin(), bytes.end());
    };
    Handlers client;
    client.on_notification = [&](Connection&, const pugi::xml_node& n) {
        notes.push_back(n.first_child().name());
    };
    auto srv = Connection::create(std::move(a), server, nullptr);
    auto cli = Connection::create(std::move(b), client, nullptr);
    srv->start();
    cli->start();

    std::optional<Reply> r1, r2;
    pugi::xml_document req;
    req.append_child("echo").text().set("hello");
    cli->call(req, 1000ms, [&](Reply r) { r1 = std::move(r); });
    cli->call("fail", 1000ms, [&](Reply r) { r2 = std::move(r); });
    pugi::xml_document note;
    note.append_child("commit-complete");
    srv->notify(note.document_element());
    PacketMeta meta;
    meta.source_port = 500;
    const std::vector<uint8_t> payload = {1, 2, 3, 4};
    cli->send_packet(meta, payload);
    run_until(io, [&] { return r1 && r2 && !notes.empty() && !packets.empty(); });

    REQUIRE(r1);
    CHECK(r1->ok());
    CHECK(std::string(r1->root().child_value("echoed")) == "hello");
    REQUIRE(r2);
    CHECK(r2->status == Reply::Status::rpc_error);
    CHECK(r2->error_message == "configuration check-out failed");
    CHECK(std::string(r2->root().child("rpc-error").child_value("error-path")) == "[edit security]");
    REQUIRE(notes.size() == 1);
    CHECK(notes[0] == "commit-complete");
    REQUIRE(packets.size() == 1);
    CHECK(packets[0] == payload);
}

TEST_CASE("a call times out and a late reply is ignored") {
    boost::asio::io_context io;
    Socket a(io), b(io);
    boost::asio::local::connect_pair(a, b);
    auto srv = Connection::create(std::move(a), echo_handlers(), nullptr);
    auto cli = Connection::create(std::move(b), {}, nullptr);
    srv->start();
    cli->start();
    std::optional<Reply> r;
    cli->call("slow", 50ms, [&](Reply reply) { r = std::move(reply); });
    run_until(io, [&] { return r.has_value(); });
    REQUIRE(r);
    CHECK(r->status == Reply::Status::timeout);
    CHECK(cli->pending_calls() == 0);
    // The connection stays usable after a timeout.
    std::optional<Reply> again;
    pugi::xml_document req;
    req.append_child("echo").text().set("x");
    cli->call(req, 1000ms, [&](Reply reply) { again = std::move(reply); });
    run_until(io, [&] { return again.has_value(); });
    REQUIRE(again);
    CHECK(again->ok());
}

TEST_CASE("a peer that dies mid-call completes the call as closed") {
    boost::asio::io_context io;
    Socket a(io), b(io);
    boost::asio::local::connect_pair(a, b);
    auto srv = Connection::create(std::move(a), echo_handlers(), nullptr);
    bool closed = false;
    Handlers client;
    client.on_close = [&](Connection&, const std::string&) { closed = true; };
    auto cli = Connection::create(std::move(b), client, nullptr);
    srv->start();
    cli->start();
    std::optional<Reply> r;
    cli->call("slow", 5000ms, [&](Reply reply) { r = std::move(reply); });
    run_until(
        io, [&] { return false; }, 30ms);  // the request reaches the server
    srv->close("killed");
    srv.reset();
    run_until(io, [&] { return r.has_value() && closed; });
    REQUIRE(r);
    CHECK(r->status == Reply::Status::closed);
    CHECK(closed);
    // Calls on a closed connection complete at once.
    std::optional<Reply> after;
    cli->call("echo", 1000ms, [&](Reply reply) { after = std::move(reply); });
    REQUIRE(after);
    CHECK(after->status == Reply::Status::closed);
}

namespace {

// Sends raw bytes to a server, checks that this connection is closed with a logged error, and that
// another client of the same server is still served.
void check_bad_input(const std::vector<uint8_t>& bytes, bool close_after, const std::string& expected_log,
                     size_t max_payload = default_max_frame_payload) {
    TempDir dir;
    boost::asio::io_context io;
    Logger log(dir.path / "messages", "test", "ipc");
    ConnectionOptions options;
    options.max_frame_payload = max_payload;
    Server server(
        io, dir.path / "s.sock", [] { return echo_handlers(); }, &log, options);
    server.listen();

    Socket good_socket = connect_socket(io, dir.path / "s.sock");
    auto good = Connection::create(std::move(good_socket), {}, nullptr);
    good->start();

    Socket bad = connect_socket(io, dir.path / "s.sock");
    boost::asio::write(bad, boost::asio::buffer(bytes));
    if (close_after) {
        bad.shutdown(Socket::shutdown_send);
    }
    run_until(io, [&] { return read_file(dir.path / "messages").find(expected_log) != std::string::npos; });
    CHECK(read_file(dir.path / "messages").find(expected_log) != std::string::npos);

    std::optional<Reply> r;
    pugi::xml_document req;
    req.append_child("echo").text().set("still here");
    good->call(req, 1000ms, [&](Reply reply) { r = std::move(reply); });
    run_until(io, [&] { return r.has_value(); });
    REQUIRE(r);
    CHECK(r->ok());
    CHECK(server.connections().size() == 1);  // only the good client remains
}

}  // namespace

TEST_CASE("an oversized frame closes that connection only") {
    // The limit still lets the good client's small call through.
    auto frame = encode_rpc_frame("<rpc message-id=\"1\"><echo>" + std::string(200, 'x') + "</echo></rpc>");
    check_bad_input(frame, false, "oversized frame", 100);
}

TEST_CASE("a truncated frame closes that connection only") {
    auto frame = encode_rpc_frame("<rpc message-id=\"1\"><echo>abc</echo></rpc>");
    frame.resize(frame.size() - 5);
    check_bad_input(frame, true, "truncated frame");
}

TEST_CASE("a truncated header closes that connection only") {
    check_bad_input({0, 0, 0}, true, "truncated frame header");
}

TEST_CASE("malformed XML closes that connection only") {
    check_bad_input(encode_rpc_frame("<rpc message-id=\"1\"><echo>abc</ech"), false, "malformed XML frame");
}

TEST_CASE("an XML frame of the wrong kind closes that connection only") {
    check_bad_input(encode_rpc_frame("<hello/>"), false, "unexpected XML frame <hello>");
}

TEST_CASE("an rpc without message-id closes that connection only") {
    check_bad_input(encode_rpc_frame("<rpc><echo/></rpc>"), false, "no message-id");
}

TEST_CASE("a truncated packet frame closes that connection only") {
    check_bad_input(encode_frame(FrameType::packet, std::vector<uint8_t>{1, 2, 3}), false,
                    "truncated packet frame");
}

TEST_CASE("garbage bytes close that connection only") {
    check_bad_input({0xde, 0xad, 0xbe, 0xef, 0x07, 0x00, 0x00, 0x00}, false, "unknown frame type 7");
}

// A streaming server: <count> sends a progress message every 20 ms until cancelled, then replies with how
// many it sent. The idle timeout is shorter than the whole call: progress keeps the call alive.
TEST_CASE("a streaming call: progress restarts the timeout, cancel ends it with a reply") {
    boost::asio::io_context io;
    Socket a(io), b(io);
    boost::asio::local::connect_pair(a, b);
    // The streamer lives in this test's scope; its timer handlers refer to it by pointer (no ownership
    // cycle to leak).
    struct Streamer {
        boost::asio::steady_timer timer;
        int sent = 0;
        bool cancelled = false;
        Responder r;
        explicit Streamer(boost::asio::io_context& io) : timer(io) {}
        void tick() {
            timer.expires_after(20ms);
            timer.async_wait([this](const boost::system::error_code& ec) {
                if (ec || cancelled)
                    return;
                pugi::xml_document doc;
                xml::append_text(doc, "line", std::to_string(++sent));
                r.progress(doc.document_element());
                tick();
            });
        }
    };
    Streamer streamer(io);
    Handlers server;
    server.on_rpc = [&](Connection&, const pugi::xml_node&, Responder r) {
        streamer.r = r;
        r.on_cancel([s = &streamer] {
            s->cancelled = true;
            s->timer.cancel();
            pugi::xml_document doc;
            xml::append_text(doc, "sent", std::to_string(s->sent));
            s->r.reply(doc);
        });
        streamer.tick();
    };
    auto srv = Connection::create(std::move(a), server, nullptr);
    auto cli = Connection::create(std::move(b), {}, nullptr);
    srv->start();
    cli->start();
    std::optional<Reply> result;
    std::vector<std::string> lines;
    uint64_t id = 0;
    id = cli->call(
        "count", 100ms, [&](Reply r) { result = std::move(r); },
        [&](const pugi::xml_node& body) {
            lines.push_back(body.child_value());
            if (lines.size() == 10)
                cli->cancel(id);
        });
    run_until(io, [&] { return result.has_value(); });
    REQUIRE(result);
    CHECK(result->ok());  // 10 x 20 ms = 200 ms > the 100 ms idle timeout: progress kept it alive
    CHECK(lines.size() >= 10);
    CHECK(std::string(result->root().child_value("sent")) == std::to_string(lines.size()));
}

TEST_CASE("a caller that goes away cancels its streaming calls") {
    boost::asio::io_context io;
    Socket a(io), b(io);
    boost::asio::local::connect_pair(a, b);
    bool cancelled = false;
    Handlers server;
    server.on_rpc = [&](Connection&, const pugi::xml_node&, Responder r) {
        r.on_cancel([&] { cancelled = true; });
    };
    auto srv = Connection::create(std::move(a), server, nullptr);
    auto cli = Connection::create(std::move(b), {}, nullptr);
    srv->start();
    cli->start();
    std::optional<Reply> result;
    cli->call(
        "monitor", 1000ms, [&](Reply r) { result = std::move(r); }, [](const pugi::xml_node&) {});
    run_until(
        io, [&] { return srv->is_open() && io.stopped(); }, 50ms);
    cli->close("CLI exited");
    run_until(io, [&] { return cancelled; });
    CHECK(cancelled);
    REQUIRE(result);
    CHECK(result->status == Reply::Status::closed);
}
