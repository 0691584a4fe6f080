#include "msim/ca/http_server.hpp"

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "msim/ca/scep_service.hpp"
#include "msim/pki/scep_message.hpp"

namespace msim::ca {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

Target parse_target(std::string_view target) {
    Target t;
    const auto q = target.find('?');
    t.path = pki::scep::percent_decode(std::string(target.substr(0, q)));
    if (q == std::string_view::npos)
        return t;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        const std::string key = pki::scep::percent_decode(std::string(pair.substr(0, eq)));
        const std::string value = eq == std::string_view::npos
                                      ? std::string()
                                      : pki::scep::percent_decode(std::string(pair.substr(eq + 1)));
        if (!key.empty())
            t.query.emplace(key, value);
        if (amp == std::string_view::npos)
            break;
        rest.remove_prefix(amp + 1);
    }
    return t;
}

HttpResponse route(CaStore& store, const HttpRequest& request, TimePoint now, std::string& log_line) {
    const Target t = parse_target(request.target);
    const bool get = request.method == "GET";
    const bool post = request.method == "POST";
    HttpResponse r;
    auto refuse = [&](unsigned status, std::string text) {
        r.status = status;
        r.content_type = "text/plain";
        r.body = text + "\n";
        log_line = request.method + " " + t.path + ": " + std::to_string(status) + " " + text;
        return r;
    };
    const auto op = t.query.find("operation");
    if (op == t.query.end()) {
        if (!get)
            return refuse(405, "method not allowed");
        if (t.path == "/ca.crl") {
            const pki::Crl crl = store.current_crl(now);
            const auto der = crl.to_der();
            r.content_type = "application/pkix-crl";
            r.body.assign(der.begin(), der.end());
            log_line = "GET /ca.crl: the CRL (" + std::to_string(crl.revoked().size()) + " revoked)";
            return r;
        }
        if (t.path == "/ca.crt") {
            const auto der = store.certificate().to_der();
            r.content_type = "application/pkix-cert";
            r.body.assign(der.begin(), der.end());
            log_line = "GET /ca.crt";
            return r;
        }
        return refuse(404, "not found");
    }
    const std::string& operation = op->second;
    if (operation == "GetCACaps") {
        if (!get && !post)
            return refuse(405, "method not allowed");
        r.body = scep_capabilities();
        log_line = "GetCACaps";
        return r;
    }
    if (operation == "GetCACert") {
        if (!get)
            return refuse(405, "method not allowed");
        const auto der = store.certificate().to_der();
        r.content_type = "application/x-x509-ca-cert";
        r.body.assign(der.begin(), der.end());
        log_line = "GetCACert";
        return r;
    }
    if (operation == "PKIOperation") {
        std::string message;
        if (post) {
            message = request.body;
        } else if (get) {
            const auto m = t.query.find("message");
            if (m == t.query.end())
                return refuse(400, "PKIOperation without a message");
            try {
                message = pki::scep::base64_decode(m->second);
            } catch (const pki::PkiError& e) {
                return refuse(400, e.what());
            }
        } else {
            return refuse(405, "method not allowed");
        }
        try {
            ScepAnswer a = scep_pki_operation(store, message, now);
            r.content_type = "application/x-pki-message";
            r.body = std::move(a.der);
            log_line = "PKIOperation: " + a.summary;
        } catch (const BadScepMessage& e) {
            return refuse(400, e.what());
        }
        return r;
    }
    return refuse(400, "unknown operation " + operation);
}

// ---- the server ----

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
    State(boost::asio::io_context& io_, Handler handler_)
        : io(io_), acceptor(io_), handler(std::move(handler_)) {}
    boost::asio::io_context& io;
    tcp::acceptor acceptor;
    Handler handler;
    int connections = 0;
    bool closed = false;
    void accept();
};

namespace {

constexpr int max_connections = 64;
constexpr std::size_t max_body = 1024 * 1024;

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket socket, std::shared_ptr<HttpServer::State> server)
        : stream_(std::move(socket)), server_(std::move(server)) {
        ++server_->connections;
    }
    ~Session() { --server_->connections; }
    void start() { read(); }

  private:
    void read() {
        parser_.emplace();
        parser_->body_limit(max_body);
        parser_->header_limit(16 * 1024);
        stream_.expires_after(std::chrono::seconds(10));
        http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }
    void on_read(beast::error_code ec) {
        if (ec || server_->closed) {
            if (ec && ec != http::error::end_of_stream && ec != beast::error::timeout &&
                ec != boost::asio::error::operation_aborted && ec != boost::asio::error::connection_reset) {
                // a malformed or oversized request: say so once, then close
                respond({400, "text/plain", "bad request: " + ec.message() + "\n"}, false);
                return;
            }
            close();
            return;
        }
        const auto& req = parser_->get();
        HttpRequest request{std::string(req.method_string()), std::string(req.target()), req.body()};
        HttpResponse response;
        try {
            response = server_->handler(request);
        } catch (const std::exception& e) {
            response = {500, "text/plain", std::string("internal error: ") + e.what() + "\n"};
        }
        respond(std::move(response), req.keep_alive());
    }
    void respond(HttpResponse r, bool keep_alive) {
        auto res =
            std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
        res->set(http::field::server, "msim-ca");
        res->set(http::field::content_type, r.content_type);
        res->keep_alive(keep_alive);
        res->body() = std::move(r.body);
        res->prepare_payload();
        stream_.expires_after(std::chrono::seconds(10));
        http::async_write(stream_, *res,
                          [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
                              if (ec || !keep_alive) {
                                  self->close();
                                  return;
                              }
                              self->read();
                          });
    }
    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.close();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<HttpServer::State> server_;
};

}  // namespace

void HttpServer::State::accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (self->closed)
            return;
        if (!ec) {
            if (self->connections >= max_connections) {
                beast::error_code ignored;
                socket.close(ignored);  // over the limit: refused, the client retries
            } else {
                std::make_shared<Session>(std::move(socket), self)->start();
            }
        }
        self->accept();
    });
}

HttpServer::HttpServer(boost::asio::io_context& io, const tcp::endpoint& at, Handler handler)
    : state_(std::make_shared<State>(io, std::move(handler))) {
    state_->acceptor.open(at.protocol());
    state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    state_->acceptor.bind(at);
    state_->acceptor.listen();
    state_->accept();
}

HttpServer::~HttpServer() {
    state_->closed = true;
    beast::error_code ignored;
    state_->acceptor.close(ignored);
}

unsigned short HttpServer::port() const {
    return state_->acceptor.local_endpoint().port();
}

}  // namespace msim::ca
