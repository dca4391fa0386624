// A client's WebSocket connection; see ws_session.h.
#include "gateway/ws_session.h"

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
// How long a close handshake may take before the socket is torn down.
constexpr auto kCloseGrace = std::chrono::seconds(5);

// The gateway's logger, looked up once (log::Get takes a lock).
spdlog::logger& Log() {
  static const auto* logger = new std::shared_ptr<spdlog::logger>(log::Get("gateway"));
  return **logger;
}

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
      last_activity_(Clock::now()),
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
    last_activity_ = Clock::now();
    if (kind == websocket::frame_type::pong) ping_in_flight_ = false;
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
  if (Log().should_log(spdlog::level::debug)) {
    log::Event(Log(), spdlog::level::debug, "session.opened",
               {{"conn", conn_},
                {"ip", log::RedactIp(client_ip_)},
                {"transport", subprotocol_ == Subprotocol::kProto ? "proto" : "json"}});
  }
  info_.set_client_ip(client_ip_);
  info_.set_bearer_token(std::move(bearer_));
  info_.set_transport(subprotocol_ == Subprotocol::kProto ? "proto" : "json");
  bearer_.clear();
  relay_ = gateway_->relays->Pick();
  generation_ = relay_ != nullptr ? relay_->Open(conn_, info_) : 0;
  DoRead();
  ArmIdleTimer();
  if (generation_ == 0) {
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
  last_activity_ = Clock::now();
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
    ++messages_in_;
    if (message->has_join() && join_ == nullptr) {
      join_ = std::make_unique<v1::ClientMessage>(*message);
    }
    if (relay_ != nullptr) relay_->Send(conn_, generation_, *std::move(message));
  }
  DoRead();
}

template <class NextLayer>
void WsSession<NextLayer>::RefuseMalformed(const std::string& why) {
  gateway_->metrics.Invalid();
  if (log::ShouldLog("invalid-message")) {
    log::Event(
        Log(), spdlog::level::info, "session.refused",
        {{"conn", conn_}, {"session", session_tag_}, {"code", "INVALID_MESSAGE"}, {"reason", why}});
  }
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
  // The old replica released the session: nothing more goes to it.
  relay_ = nullptr;
  generation_ = 0;
  if (close_requested_) return;
  // Bounded: replicas whose views disagree must not bounce a client forever.
  constexpr int kMaxRedirects = 3;
  RelayClient* next = gateway_->relays->Find(redirect.replica());
  if (next == nullptr || join_ == nullptr || ++redirects_ > kMaxRedirects) {
    if (next == nullptr && log::ShouldLog("redirect-unknown")) {
      log::Get("gateway")->warn("a replica redirected to one not in --matching_target");
    }
    FailUnavailable();
    return;
  }
  info_.set_announced_session_id(redirect.announced_session_id());
  generation_ = next->Open(conn_, info_);
  if (generation_ == 0) {
    FailUnavailable();
    return;
  }
  relay_ = next;
  relay_->Send(conn_, generation_, *join_);
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
  // No redirect comes after an acceptor is joined or an offerer paired:
  // what was kept for one (the token, the join) goes.
  if ((message.has_joined() && message.joined().role() == v1::ACCEPTOR) || message.has_paired()) {
    info_.Clear();
    join_.reset();
  }
  if (message.has_joined()) {
    // The same tag as on matching's lines for this session.
    session_tag_ = log::Redact(message.joined().session_id());
    log::Event(Log(), spdlog::level::debug, "session.joined",
               {{"conn", conn_},
                {"session", session_tag_},
                {"role", v1::Role_Name(message.joined().role())}});
  }
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
  ++messages_out_;
  if (subprotocol_ == Subprotocol::kJson) {
    Enqueue(codec::EncodeServerJson(message), true);
  } else {
    Enqueue(message.SerializeAsString(), false);
  }
}

template <class NextLayer>
void WsSession<NextLayer>::Enqueue(std::string data, bool text) {
  if (ended_ || close_requested_) return;
  queued_bytes_ += data.size();
  if (queued_bytes_ > gateway_->options.max_outbound_bytes) {
    // A slow reader: drop what it has not taken and close with 1013.
    DropQueued();
    if (log::ShouldLog("slow-reader")) {
      log::Get("gateway")->info("closing a slow reader");
    }
    DoClose(protocol::kCloseTryAgain, "slow reader");
    return;
  }
  queue_.push_back(Frame{std::move(data), text});
  DoWrite();
}

template <class NextLayer>
void WsSession<NextLayer>::DropQueued() {
  // The frame being written stays: the write in flight still reads it.
  const std::size_t keep = writing_ && !queue_.empty() ? 1 : 0;
  queue_.erase(std::next(queue_.begin(), keep), queue_.end());
  queued_bytes_ = keep ? queue_.front().data.size() : 0;
}

template <class NextLayer>
void WsSession<NextLayer>::DoWrite() {
  if (writing_ || close_started_ || queue_.empty()) return;
  writing_ = true;
  ws_.text(queue_.front().text);
  ws_.async_write(
      asio::buffer(queue_.front().data),
      beast::bind_front_handler(&WsSession<NextLayer>::OnWrite, this->shared_from_this()));
}

template <class NextLayer>
void WsSession<NextLayer>::OnWrite(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) {
    // The read side sees the failure too and ends the session.
    queue_.clear();
    queued_bytes_ = 0;
    return;
  }
  if (queue_.empty()) return;  // ended while the write was in flight
  queued_bytes_ -= queue_.front().data.size();
  queue_.pop_front();
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
  close_requested_at_ = Clock::now();
  close_reason_.code = code;
  close_reason_.reason = reason;
  if (!writing_ && queue_.empty()) StartClose();
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
  // Wakes when something is due: the end of the close grace; else a ping at
  // half the idle time; else, with a ping out, the idle close. Activity in
  // between only moves the next wake-up, computed then.
  const auto idle = absl::ToChronoMilliseconds(gateway_->options.idle_timeout);
  if (close_requested_) {
    idle_timer_.expires_at(close_requested_at_ + kCloseGrace);
  } else {
    idle_timer_.expires_at(last_activity_ + (ping_in_flight_ ? idle : idle / 2));
  }
  idle_timer_.async_wait(
      beast::bind_front_handler(&WsSession<NextLayer>::OnIdleTimer, this->shared_from_this()));
}

template <class NextLayer>
void WsSession<NextLayer>::OnIdleTimer(beast::error_code ec) {
  if (ec || ended_) return;  // cancelled or rearmed
  const auto now = Clock::now();
  if (close_requested_) {
    if (now - close_requested_at_ >= kCloseGrace) {
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(ws_).socket().close(ignored);
      return;
    }
    ArmIdleTimer();
    return;
  }
  const auto idle = absl::ToChronoMilliseconds(gateway_->options.idle_timeout);
  const auto silent = now - last_activity_;
  if (silent >= idle) {
    DoClose(protocol::kCloseGoingAway, "idle");
    return;
  }
  if (silent >= idle / 2 && !ping_in_flight_) {
    ping_in_flight_ = true;
    ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code) {});
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
    if (Log().should_log(spdlog::level::debug)) {
      const std::string_view cause = close_started_ ? std::string_view(close_reason_.reason.data(),
                                                                       close_reason_.reason.size())
                                     : ws_.reason().code == 0 ? "connection lost"
                                                              : "closed by the client";
      log::Event(Log(), spdlog::level::debug, "session.ended",
                 {{"conn", conn_},
                  {"session", session_tag_},
                  {"code", code},
                  {"cause", cause},
                  {"duration", absl::FromChrono(Clock::now() - opened_at_)},
                  {"in", messages_in_},
                  {"out", messages_out_}});
    }
  }
  idle_timer_.cancel();
  DropQueued();
  gateway_->Unregister(conn_);
  if (generation_ != 0 && relay_ != nullptr) relay_->Closed(conn_, generation_);
}

template class WsSession<PlainStream>;
template class WsSession<TlsStream>;

}  // namespace signaling::gateway
