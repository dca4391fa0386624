// A TCP connection before its upgrade: reads one HTTP request under size and
// time limits, applies the upgrade policy (path, Origin, transport security,
// caps, subprotocol) and hands the socket to a WsSession, or answers a
// plain GET for the demo page.
#ifndef GATEWAY_HTTP_SESSION_H_
#define GATEWAY_HTTP_SESSION_H_

#include <memory>
#include <optional>

#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/gateway_impl.h"
#include "gateway/ws_session.h"

namespace signaling::gateway {

// NextLayer: PlainStream or TlsStream (the TLS handshake comes first).
template <class NextLayer>
class HttpSession : public std::enable_shared_from_this<HttpSession<NextLayer>> {
 public:
  HttpSession(NextLayer&& stream, std::shared_ptr<Gateway::Impl> gateway);
  ~HttpSession();
  void Run();

 private:
  void DoRead();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void Upgrade(boost::beast::http::request<boost::beast::http::string_body> request);
  void Respond(boost::beast::http::status status, std::string body,
               std::string content_type = "text/plain; charset=utf-8");
  // Counts a refused upgrade by `cause`, then responds.
  void Refuse(const char* cause, boost::beast::http::status status, std::string body);
  void ServeStatic(const boost::beast::http::request<boost::beast::http::string_body>& request);

  NextLayer stream_;
  std::shared_ptr<Gateway::Impl> gateway_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::string peer_ip_;
};

}  // namespace signaling::gateway

#endif  // GATEWAY_HTTP_SESSION_H_
