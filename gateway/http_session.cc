// The upgrade request; see http_session.h.
#include "gateway/http_session.h"

#include "absl/strings/match.h"
#include "boost/beast/websocket.hpp"
#include "common/log/log.h"
#include "gateway/upgrade_policy.h"

namespace signaling::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

constexpr const char* kSignalPath = "/v1/signal";

std::string Header(const http::request<http::string_body>& request, http::field field) {
  auto it = request.find(field);
  return it == request.end() ? std::string() : std::string(it->value());
}

}  // namespace

template <class NextLayer>
HttpSession<NextLayer>::HttpSession(NextLayer&& stream, std::shared_ptr<Gateway::Impl> gateway)
    : stream_(std::move(stream)), gateway_(std::move(gateway)) {
  ++gateway_->http_sessions;
  beast::error_code ec;
  const auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  peer_ip_ = ec ? std::string() : remote.address().to_string();
}

template <class NextLayer>
HttpSession<NextLayer>::~HttpSession() {
  --gateway_->http_sessions;
}

template <class NextLayer>
void HttpSession<NextLayer>::Run() {
  // One deadline covers the TLS handshake and the whole request.
  beast::get_lowest_layer(stream_).expires_after(
      absl::ToChronoMilliseconds(gateway_->options.upgrade_timeout));
  if constexpr (std::is_same_v<NextLayer, TlsStream>) {
    stream_.async_handshake(boost::asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              if (ec) {
                                if (log::ShouldLog("tls-handshake")) {
                                  log::Get("gateway")->info("TLS handshake failed: {}",
                                                            ec.message());
                                }
                                return;  // the socket closes with the session
                              }
                              self->DoRead();
                            });
  } else {
    DoRead();
  }
}

template <class NextLayer>
void HttpSession<NextLayer>::DoRead() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(gateway_->options.max_header_bytes));
  parser_->body_limit(1024);
  http::async_read(
      stream_, buffer_, *parser_,
      beast::bind_front_handler(&HttpSession<NextLayer>::OnRead, this->shared_from_this()));
}

template <class NextLayer>
void HttpSession<NextLayer>::OnRead(beast::error_code ec, std::size_t) {
  if (ec == http::error::header_limit) {
    Refuse("header_too_large", http::status::request_header_fields_too_large,
           "request headers too large\n");
    return;
  }
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == boost::asio::error::operation_aborted) {
    if (ec == beast::error::timeout) gateway_->metrics.Refused("timeout");
    beast::get_lowest_layer(stream_).socket().close(ec);  // slow or silent: just hang up
    return;
  }
  if (ec) {
    Refuse("bad_request", http::status::bad_request, "bad request\n");
    return;
  }
  auto request = parser_->release();
  if (websocket::is_upgrade(request)) {
    Upgrade(std::move(request));
  } else {
    ServeStatic(request);
  }
}

template <class NextLayer>
void HttpSession<NextLayer>::Upgrade(http::request<http::string_body> request) {
  const auto& options = gateway_->options;
  if (request.target() != kSignalPath) {
    Respond(http::status::not_found, "not found\n");
    return;
  }
  const bool has_origin = request.count(http::field::origin) > 0;
  if (!OriginAllowed(options.allowed_origins, Header(request, http::field::origin), has_origin)) {
    if (log::ShouldLog("origin"))
      log::Get("gateway")->info("refused an upgrade: origin not allowed");
    Refuse("origin", http::status::forbidden, "origin not allowed\n");
    return;
  }
  const bool from_proxy = gateway_->trusted_proxies.Contains(peer_ip_);
  if (!options.dev_mode && !std::is_same_v<NextLayer, TlsStream>) {
    // Plain ws is accepted only from a trusted TLS-terminating proxy.
    auto proto = request.find("x-forwarded-proto");
    if (!from_proxy || proto == request.end() || proto->value() != "https") {
      Refuse("tls_required", http::status::forbidden, "TLS required\n");
      return;
    }
  }
  auto forwarded = request.find(options.client_ip_header);
  const std::string client_ip =
      ClientIp(peer_ip_, gateway_->trusted_proxies,
               forwarded == request.end()
                   ? std::string_view()
                   : std::string_view(forwarded->value().data(), forwarded->value().size()));
  const bool offered = request.count(http::field::sec_websocket_protocol) > 0;
  const auto subprotocol =
      ChooseSubprotocol(Header(request, http::field::sec_websocket_protocol), offered);
  if (!subprotocol) {
    Refuse("subprotocol", http::status::bad_request, "unsupported subprotocol\n");
    return;
  }
  if (gateway_->draining) {
    Refuse("draining", http::status::service_unavailable, "draining\n");
    return;
  }
  if (const Admission admission = gateway_->Admit(client_ip); admission != Admission::kAdmitted) {
    // The verdict becomes an HTTP status here, where the refusal is written.
    const bool per_ip = admission == Admission::kPerIpCap;
    const http::status status =
        per_ip ? http::status::too_many_requests : http::status::service_unavailable;
    if (log::ShouldLog("admission")) {
      log::Get("gateway")->info("refused an upgrade from {}: status {}", log::RedactIp(client_ip),
                                static_cast<unsigned>(status));
    }
    if (per_ip) {
      Refuse("per_ip_cap", status, "too many connections from this address\n");
    } else {
      Refuse("capacity", status, "at capacity\n");
    }
    return;
  }
  std::string bearer;
  const std::string authorization = Header(request, http::field::authorization);
  if (absl::StartsWith(authorization, "Bearer ")) bearer = authorization.substr(7);
  auto session = std::make_shared<WsSession<NextLayer>>(
      std::move(stream_), gateway_, gateway_->NextConn(), client_ip, *subprotocol);
  session->Run(std::move(request), std::move(bearer));
}

template <class NextLayer>
void HttpSession<NextLayer>::ServeStatic(const http::request<http::string_body>& request) {
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    Respond(http::status::method_not_allowed, "method not allowed\n");
    return;
  }
  std::string target(request.target());
  const size_t query = target.find('?');
  if (query != std::string::npos) target.resize(query);
  if (target == "/") target = "/index.html";
  auto it = gateway_->web.find(target);
  if (it == gateway_->web.end()) {
    Respond(http::status::not_found, "not found\n");
    return;
  }
  Respond(http::status::ok, it->second.body, it->second.content_type);
}

template <class NextLayer>
void HttpSession<NextLayer>::Refuse(const char* cause, http::status status, std::string body) {
  gateway_->metrics.Refused(cause);
  Respond(status, std::move(body));
}

template <class NextLayer>
void HttpSession<NextLayer>::Respond(http::status status, std::string body,
                                     std::string content_type) {
  auto response = std::make_shared<http::response<http::string_body>>(status, 11);
  response->set(http::field::server, "signaling-gateway");
  response->set(http::field::content_type, content_type);
  response->set("x-content-type-options", "nosniff");
  response->set(http::field::cache_control, "no-store");
  response->set("content-security-policy",
                "default-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'");
  response->body() = std::move(body);
  response->keep_alive(false);
  response->prepare_payload();
  http::async_write(stream_, *response,
                    [self = this->shared_from_this(), response](beast::error_code, std::size_t) {
                      beast::error_code ignored;
                      beast::get_lowest_layer(self->stream_)
                          .socket()
                          .shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
                    });
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace signaling::gateway
