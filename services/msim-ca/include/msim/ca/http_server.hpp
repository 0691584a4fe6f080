// msim-ca's HTTP front end (Boost.Beast on Boost.Asio): the routes of a SCEP CA and its CRL distribution
// point, and a small bounded server around them.
//   GET|POST <any path>?operation=GetCACaps            text/plain capabilities
//   GET      <any path>?operation=GetCACert            application/x-x509-ca-cert (DER)
//   GET      <any path>?operation=PKIOperation&message=BASE64   application/x-pki-message
//   POST     <any path>?operation=PKIOperation  (body: the DER pkiMessage)
//   GET      /ca.crl                                   application/pkix-crl (DER, the current CRL)
//   GET      /ca.crt                                   application/pkix-cert (DER)
// Anything else is 404 (unknown path), 405 (method) or 400 (a message that is not a pkiMessage).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "msim/ca/ca_store.hpp"

namespace msim::ca {

struct HttpRequest {
    std::string method;  // GET, POST, ...
    std::string target;  // "/scep?operation=GetCACaps"
    std::string body;
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "text/plain";
    std::string body;
};

// A request target split into its path and query parameters (percent-decoded; '+' is kept, since the only
// value SCEP puts there is base64). Repeated parameters: the first wins.
struct Target {
    std::string path;
    std::map<std::string, std::string> query;
};
Target parse_target(std::string_view target);

// The routes above; `log_line` gets what the CA's log should say about the request.
HttpResponse route(CaStore& store, const HttpRequest& request, TimePoint now, std::string& log_line);

// Serves `handler` on one address: HTTP/1.1 with keep-alive, at most 64 connections, requests of at most
// 1 MiB, 10 s to send a request. Runs on the io_context it is given (one thread).
class HttpServer {
  public:
    using Handler = std::function<HttpResponse(const HttpRequest&)>;
    HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at, Handler handler);
    ~HttpServer();
    unsigned short port() const;

    struct State;  // the acceptor and the connection count, shared with the open connections

  private:
    std::shared_ptr<State> state_;
};

}  // namespace msim::ca
