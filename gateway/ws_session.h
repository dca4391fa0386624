// One client's WebSocket connection: reads frames, decodes them with the
// connection's subprotocol and forwards them to the matching service; writes
// the service's messages through a bounded queue (one write in flight);
// pings when quiet and closes idle connections with 1001.
//
// Runs on its own strand; Post* methods may be called from any thread.
#ifndef GATEWAY_WS_SESSION_H_
#define GATEWAY_WS_SESSION_H_

#include <memory>
#include <string>

#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "boost/beast/websocket.hpp"
#include "boost/beast/websocket/ssl.hpp"
#include "common/ratelimit/token_bucket.h"
#include "gateway/gateway_impl.h"
#include "gateway/keep_alive.h"
#include "gateway/outbound_queue.h"
#include "gateway/replica_route.h"
#include "gateway/session_log.h"
#include "gateway/upgrade_policy.h"
#include "signaling/v1/matching.pb.h"
#include "signaling/v1/signaling.pb.h"

namespace signaling::gateway {

// What the registry and the relay see of a connection, plain or TLS.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void PostServerMessage(v1::ServerMessage message) = 0;
  // A message or close from the matching service; runs inline when called
  // on an I/O thread and the session's strand is free, else is queued.
  virtual void DispatchEvent(v1::RelayDown::Event event) = 0;
  virtual void PostClose(uint16_t code, std::string reason) = 0;
  virtual void PostGoAway(uint32_t reconnect_after_ms) = 0;
  // Tears the socket down without a close handshake (process stop).
  virtual void PostKill() = 0;
  virtual uint64_t generation() const = 0;
};

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// NextLayer: PlainStream (ws) or TlsStream (wss).
template <class NextLayer>
class WsSession final : public Connection,
                        public std::enable_shared_from_this<WsSession<NextLayer>> {
 public:
  WsSession(NextLayer&& stream, std::shared_ptr<Gateway::Impl> gateway, uint64_t conn,
            std::string client_ip, Subprotocol subprotocol);
  ~WsSession() override;

  // Completes the upgrade of `request`; `bearer` is the Authorization token.
  void Run(boost::beast::http::request<boost::beast::http::string_body> request,
           std::string bearer);

  void PostServerMessage(v1::ServerMessage message) override;
  void DispatchEvent(v1::RelayDown::Event event) override;
  void PostClose(uint16_t code, std::string reason) override;
  void PostGoAway(uint32_t reconnect_after_ms) override;
  void PostKill() override;
  uint64_t generation() const override { return replica_.generation(); }

 private:
  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void Deliver(const v1::ServerMessage& message);
  // A message of the matching service for this client.
  void DeliverFromMatching(const v1::ServerMessage& message);
  void Enqueue(std::string data, bool text);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, std::size_t bytes);
  // Flushes what is queued, then sends a close frame with `code`.
  void DoClose(uint16_t code, std::string reason);
  void StartClose();
  void ArmIdleTimer();
  void OnIdleTimer(boost::beast::error_code ec);
  // Refuses the last message: error INVALID_MESSAGE, then close 1007.
  void RefuseMalformed(const std::string& why);
  // An internal failure: error INTERNAL and close 1011, this session only.
  void FailInternal(const char* what);
  // Cluster mode: the replica released the session and names another; the
  // session is opened there and its join sent again.
  void FollowRedirect(const v1::Redirect& redirect);
  void FailUnavailable();
  void End();

  boost::beast::websocket::stream<NextLayer> ws_;
  std::shared_ptr<Gateway::Impl> gateway_;
  const uint64_t conn_;
  const std::string client_ip_;
  const Subprotocol subprotocol_;
  std::string bearer_;
  ReplicaRoute replica_;  // the replica this connection's session is on
  boost::beast::flat_buffer buffer_;
  OutboundQueue queue_;
  boost::beast::websocket::close_reason close_reason_;
  bool close_requested_ = false;  // a close is pending or sent
  bool close_started_ = false;
  bool ended_ = false;
  bool accepted_ = false;
  boost::asio::steady_timer idle_timer_;
  KeepAlive keep_alive_;
  TokenBucket control_frames_;
  SessionLog session_log_;  // the session.* lines and what they report
};

}  // namespace signaling::gateway

#endif  // GATEWAY_WS_SESSION_H_
