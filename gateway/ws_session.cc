// A client's WebSocket connection; see ws_session.h.
#include "gateway/ws_session.h"

#include <chrono>

#include "common/codec/codec.h"
#include "common/log/log.h"
#include "common/protocol/close_code.h"

namespace signaling::gateway {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Control frames (ping/pong) a client may send per second, and burst.
constexpr double kControlRate = 10;
constexpr double kControlBurst = 20;
// Read sizes: the first piece of a message, and the pieces after it.
constexpr size_t kFirstReadBytes = 256;
constexpr size_t kNextReadBytes = 16 * 1024;

bool IsNormalEnd(const beast::error_code& ec) {
  return ec == websocket::error::closed || ec == asio::error::operation_aborted ||
         ec == asio::error::eof || ec == asio::error::connection_reset;
}

}  // namespace

template <class NextLayer>
WsSession<NextLayer>::WsSession(NextLayer&& stream, std::shared_ptr<Gateway::Impl> gateway,
                                uint64_t conn, std::string client_ip, Subprotocol subprotocol)
    : ws_(std::move(stream)),
      gateway_(std::move(gateway)),
      conn_(conn),
      client_ip_(std::move(client_ip)),
      subprotocol_(subprotocol),
      idle_timer_(ws_.get_executor()),
      keep_alive_(Clock::now()),
      control_frames_(kControlRate, kControlBurst, absl::Now()) {}

template <class NextLayer>
WsSession<NextLayer>::~WsSession() {
  gateway_->Release(client_ip_);
}

template <class NextLayer>
void WsSession<NextLayer>::Run(http::request<http::string_body> request, std::string bearer) {
  bearer_ = std::move(bearer);
  // The WebSocket layer has its own timeouts; the TCP one is turned off.
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = absl::ToChronoSeconds(gateway_->options.upgrade_timeout);
  timeouts.idle_timeout = websocket::stream_base::none();  // ours: see OnIdleTimer
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.read_message_max(gateway_->options.max_message_bytes);
  ws_.auto_fragment(false);
  const Subprotocol subprotocol = subprotocol_;
  const bool offered = request.count(http::field::sec_websocket_protocol) > 0;
  ws_.set_option(
      websocket::stream_base::decorator([subprotocol, offered](websocket::response_type& response) {
        response.set(http::field::server, "signaling-gateway");
        if (offered) {
          const std::string_view name =
              subprotocol == Subprotocol::kProto ? kProtoSubprotocol : kJsonSubprotocol;
          response.set(http::field::sec_websocket_protocol,
                       beast::string_view(name.data(), name.size()));
        }
      }));
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    // Runs inside a read on our strand, while the read holds a reference.
    keep_alive_.Active(Clock::now());
    if (kind == websocket::frame_type::pong) keep_alive_.PongReceived();
    if (kind != websocket::frame_type::close && !control_frames_.TryTake(absl::Now())) {
      DoClose(protocol::kClosePolicy, "too many control frames");
    }
  });
  ws_.binary(subprotocol_ == Subprotocol::kProto);
  ws_.async_accept(request, beast::bind_front_handler(&WsSession<NextLayer>::OnAccept,
                                                      this->shared_from_this()));
}

template <class NextLayer>
void WsSession<NextLayer>::OnAccept(beast::error_code ec) {
  if (ec) {
    End();
    return;
  }
  accepted_ = true;
  gateway_->Register(conn_, this->shared_from_this());
  gateway_->metrics.Opened();
  const char* transport = subprotocol_ == Subprotocol::kProto ? "proto" : "json";
  session_log_.Opened(conn_, client_ip_, transport);
  v1::ConnectionInfo info;
  info.set_client_ip(client_ip_);
  info.set_bearer_token(std::move(bearer_));
  info.set_transport(transport);
  bearer_.clear();
  const bool opened = replica_.Open(*gateway_->relays, conn_, std::move(info));
  DoRead();
  ArmIdleTimer();
  if (!opened) {
    FailUnavailable();
  } else if (gateway_->draining) {
    PostGoAway(gateway_->options.go_away_reconnect_ms);
  }
}

template <class NextLayer>
void WsSession<NextLayer>::DoRead() {
  // Between messages only a small buffer waits (most connections are idle);
  // once a message has started, the rest comes in larger pieces. The
  // stream enforces read_message_max across the pieces.
  const size_t limit = buffer_.size() == 0 ? kFirstReadBytes : kNextReadBytes;
  ws_.async_read_some(
      buffer_, limit,
      beast::bind_front_handler(&WsSession<NextLayer>::OnRead, this->shared_from_this()));
}

template <class NextLayer>
void WsSession<NextLayer>::OnRead(beast::error_code ec, std::size_t) {
  if (ec) {
    if (!IsNormalEnd(ec) && log::ShouldLog("ws-read")) {
      log::Get("gateway")->info("connection ended: {}", ec.message());
    }
    End();
    return;
  }
  if (!ws_.is_message_done()) {
    DoRead();
    return;
  }
  keep_alive_.Active(Clock::now());
  if (close_requested_) {  // nothing more is forwarded once closing
    buffer_.consume(buffer_.size());
    buffer_.shrink_to_fit();
    DoRead();
    return;
  }
  const bool text = ws_.got_text();
  const auto data = buffer_.cdata();
  const absl::string_view bytes(static_cast<const char*>(data.data()), data.size());
  absl::StatusOr<v1::ClientMessage> message;
  if (subprotocol_ == Subprotocol::kJson) {
    message = text ? codec::DecodeClientJson(bytes)
                   : absl::InvalidArgumentError("binary frame on the JSON subprotocol");
  } else {
    message = !text ? codec::DecodeClientProto(bytes)
                    : absl::InvalidArgumentError("text frame on the protobuf subprotocol");
  }
  buffer_.consume(buffer_.size());
  buffer_.shrink_to_fit();  // an idle connection keeps no message-sized buffer
  if (!message.ok()) {
    RefuseMalformed(std::string(message.status().message()));
  } else {
    gateway_->metrics.MessageIn();
    session_log_.MessageIn();
    replica_.Send(conn_, *std::move(message));
  }
  DoRead();
}

template <class NextLayer>
void WsSession<NextLayer>::RefuseMalformed(const std::string& why) {
  gateway_->metrics.Invalid();
  session_log_.Refused(conn_, why);
  v1::ServerMessage error;
  error.mutable_error()->set_code(v1::Error::INVALID_MESSAGE);
  error.mutable_error()->set_message(why);
  Deliver(error);
  DoClose(protocol::kCloseMalformed, "malformed message");
}

template <class NextLayer>
void WsSession<NextLayer>::FailInternal(const char* what) {
  if (log::ShouldLog("internal")) log::Get("gateway")->error("internal error: {}", what);
  v1::ServerMessage error;
  error.mutable_error()->set_code(v1::Error::INTERNAL);
  error.mutable_error()->set_message("internal error");
  Deliver(error);
  DoClose(protocol::kCloseInternal, "internal error");
}

template <class NextLayer>
void WsSession<NextLayer>::FailUnavailable() {
  v1::ServerMessage error;
  error.mutable_error()->set_code(v1::Error::UNAVAILABLE);
  error.mutable_error()->set_message("signaling service unavailable, try again later");
  Deliver(error);
  DoClose(protocol::kCloseTryAgain, "service unavailable");
}

template <class NextLayer>
void WsSession<NextLayer>::FollowRedirect(const v1::Redirect& redirect) {
  if (close_requested_) {
    replica_.Release();  // the old replica released the session
    return;
  }
  if (!replica_.Follow(*gateway_->relays, conn_, redirect)) FailUnavailable();
}

template <class NextLayer>
void WsSession<NextLayer>::PostServerMessage(v1::ServerMessage message) {
  asio::post(ws_.get_executor(), [self = this->shared_from_this(), message = std::move(message)] {
    self->DeliverFromMatching(message);
  });
}

template <class NextLayer>
void WsSession<NextLayer>::DispatchEvent(v1::RelayDown::Event event) {
  asio::dispatch(ws_.get_executor(), [self = this->shared_from_this(), event = std::move(event)] {
    if (event.has_message()) {
      self->DeliverFromMatching(event.message());
    } else if (event.has_close()) {
      self->DoClose(static_cast<uint16_t>(event.close().code()), event.close().reason());
    } else if (event.has_redirect()) {
      self->FollowRedirect(event.redirect());
    }
  });
}

template <class NextLayer>
void WsSession<NextLayer>::DeliverFromMatching(const v1::ServerMessage& message) {
  if (close_requested_) return;
  if (message.kind_case() == v1::ServerMessage::KIND_NOT_SET) {
    FailInternal("a message without a kind from matching");
    return;
  }
  replica_.Observe(message);  // what was kept for a redirect may go
  if (message.has_joined()) session_log_.Joined(conn_, message.joined());
  Deliver(message);
}

template <class NextLayer>
void WsSession<NextLayer>::PostClose(uint16_t code, std::string reason) {
  asio::post(ws_.get_executor(), [self = this->shared_from_this(), code,
                                  reason = std::move(reason)] { self->DoClose(code, reason); });
}

template <class NextLayer>
void WsSession<NextLayer>::PostGoAway(uint32_t reconnect_after_ms) {
  asio::post(ws_.get_executor(), [self = this->shared_from_this(), reconnect_after_ms] {
    if (self->close_requested_) return;
    v1::ServerMessage go_away;
    go_away.mutable_go_away()->set_reconnect_after_ms(reconnect_after_ms);
    self->Deliver(go_away);
  });
}

template <class NextLayer>
void WsSession<NextLayer>::PostKill() {
  asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
}

template <class NextLayer>
void WsSession<NextLayer>::Deliver(const v1::ServerMessage& message) {
  gateway_->metrics.MessageOut();
  session_log_.MessageOut();
  if (subprotocol_ == Subprotocol::kJson) {
    Enqueue(codec::EncodeServerJson(message), true);
  } else {
    Enqueue(message.SerializeAsString(), false);
  }
}

template <class NextLayer>
void WsSession<NextLayer>::Enqueue(std::string data, bool text) {
  if (ended_ || close_requested_) return;
  if (!queue_.Push(std::move(data), text, gateway_->options.max_outbound_bytes)) {
    // A slow reader: what it has not taken is dropped; close with 1013.
    if (log::ShouldLog("slow-reader")) {
      log::Get("gateway")->info("closing a slow reader");
    }
    DoClose(protocol::kCloseTryAgain, "slow reader");
    return;
  }
  DoWrite();
}

template <class NextLayer>
void WsSession<NextLayer>::DoWrite() {
  if (close_started_) return;
  const OutboundQueue::Frame* frame = queue_.StartWrite();
  if (frame == nullptr) return;  // a write is in flight, or nothing is queued
  ws_.text(frame->text);
  ws_.async_write(
      asio::buffer(frame->data),
      beast::bind_front_handler(&WsSession<NextLayer>::OnWrite, this->shared_from_this()));
}

template <class NextLayer>
void WsSession<NextLayer>::OnWrite(beast::error_code ec, std::size_t) {
  // On an error the read side sees the failure too and ends the session.
  if (!queue_.FinishWrite(!ec)) return;
  if (!queue_.empty()) {
    DoWrite();
  } else if (close_requested_) {
    StartClose();
  }
}

template <class NextLayer>
void WsSession<NextLayer>::DoClose(uint16_t code, std::string reason) {
  if (close_requested_ || ended_) return;
  close_requested_ = true;
  keep_alive_.CloseRequested(Clock::now());
  close_reason_.code = code;
  close_reason_.reason = reason;
  if (!queue_.writing() && queue_.empty()) StartClose();
  // Otherwise OnWrite starts it when the queue is flushed; the idle timer
  // tears the socket down if that never happens.
  ArmIdleTimer();
}

template <class NextLayer>
void WsSession<NextLayer>::StartClose() {
  if (close_started_) return;
  close_started_ = true;
  ws_.async_close(close_reason_, [self = this->shared_from_this()](beast::error_code) {
    // The pending read completes when the peer answers (or the close
    // handshake times out) and ends the session.
  });
}

template <class NextLayer>
void WsSession<NextLayer>::ArmIdleTimer() {
  idle_timer_.expires_at(
      keep_alive_.NextWake(absl::ToChronoMilliseconds(gateway_->options.idle_timeout)));
  idle_timer_.async_wait(
      beast::bind_front_handler(&WsSession<NextLayer>::OnIdleTimer, this->shared_from_this()));
}

template <class NextLayer>
void WsSession<NextLayer>::OnIdleTimer(beast::error_code ec) {
  if (ec || ended_) return;  // cancelled or rearmed
  const auto idle = absl::ToChronoMilliseconds(gateway_->options.idle_timeout);
  switch (keep_alive_.Check(Clock::now(), idle)) {
    case KeepAlive::Due::kTearDown: {
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(ws_).socket().close(ignored);
      return;
    }
    case KeepAlive::Due::kIdleClose: DoClose(protocol::kCloseGoingAway, "idle"); return;
    case KeepAlive::Due::kPing:
      ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code) {});
      break;
    case KeepAlive::Due::kNothing: break;
  }
  ArmIdleTimer();
}

template <class NextLayer>
void WsSession<NextLayer>::End() {
  if (ended_) return;
  ended_ = true;
  if (accepted_) {
    // Our close code if we closed, else the client's, else 1006 (no frame).
    int code = close_started_ ? close_reason_.code : ws_.reason().code;
    if (code == 0) code = 1006;
    gateway_->metrics.Closed(code);
    const std::string_view cause =
        close_started_ ? std::string_view(close_reason_.reason.data(), close_reason_.reason.size())
        : ws_.reason().code == 0 ? "connection lost"
                                 : "closed by the client";
    session_log_.Ended(conn_, code, cause);
  }
  idle_timer_.cancel();
  queue_.Drop();
  gateway_->Unregister(conn_);
  replica_.Closed(conn_);
}

template class WsSession<PlainStream>;
template class WsSession<TlsStream>;

}  // namespace signaling::gateway
