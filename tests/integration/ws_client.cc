// Test WebSocket client; see ws_client.h.
#include "tests/integration/ws_client.h"

#include "absl/strings/str_cat.h"
#include "common/codec/codec.h"

namespace signaling::testing {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace asio = boost::asio;

// Runs `ioc` until `done` or the timeout; cancels the socket on timeout.
template <typename Stream>
bool RunFor(asio::io_context& ioc, Stream& stream, const bool& done, absl::Duration timeout) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    ioc.run_one_until(deadline);
  }
  if (!done) {
    beast::get_lowest_layer(stream).socket().cancel();
    ioc.restart();
    while (!done) ioc.run_one();
    return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WsClient>> WsClient::Connect(
    uint16_t port, const std::string& subprotocol,
    const std::map<std::string, std::string>& headers, const std::string& local_address) {
  std::unique_ptr<WsClient> client(new WsClient());
  client->proto_ = subprotocol == "signaling.v1.proto";
  client->ws_ = std::make_unique<websocket::stream<beast::tcp_stream>>(client->ioc_);
  auto& socket = beast::get_lowest_layer(*client->ws_).socket();
  beast::error_code ec;
  socket.open(asio::ip::tcp::v4(), ec);
  if (!ec) socket.bind({asio::ip::make_address(local_address), 0}, ec);
  if (!ec) socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("connect: ", ec.message()));
  client->ws_->set_option(
      websocket::stream_base::decorator([subprotocol, headers](websocket::request_type& req) {
        if (!subprotocol.empty()) req.set(http::field::sec_websocket_protocol, subprotocol);
        for (const auto& [name, value] : headers) req.set(name, value);
      }));
  client->ws_->read_message_max(16 * 1024 * 1024);
  websocket::response_type response;
  bool done = false;
  client->ws_->async_handshake(response, "127.0.0.1", "/v1/signal", [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (!RunFor(client->ioc_, *client->ws_, done, absl::Seconds(5))) {
    return absl::DeadlineExceededError("handshake timed out");
  }
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("upgrade refused: ", response.result_int(), " ", ec.message()));
  }
  auto it = response.find(http::field::sec_websocket_protocol);
  if (it != response.end()) client->negotiated_ = std::string(it->value());
  return client;
}

void WsClient::Send(const v1::ClientMessage& message) {
  if (proto_) {
    SendRaw(message.SerializeAsString(), false);
  } else {
    SendRaw(codec::EncodeClientJson(message), true);
  }
}

void WsClient::SendRaw(const std::string& data, bool text) {
  ws_->text(text);
  beast::error_code ec;
  bool done = false;
  ws_->async_write(asio::buffer(data), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  RunFor(ioc_, *ws_, done, absl::Seconds(5));
}

absl::StatusOr<v1::ServerMessage> WsClient::Read(absl::Duration timeout) {
  if (close_code_) return absl::AbortedError("closed");
  beast::error_code ec;
  bool done = false;
  ws_->async_read(buffer_, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!RunFor(ioc_, *ws_, done, timeout)) return absl::DeadlineExceededError("no message");
  if (ec == websocket::error::closed) {
    close_code_ = ws_->reason().code;
    return absl::AbortedError(absl::StrCat("closed with ", *close_code_));
  }
  if (ec) {
    close_code_ = 1006;  // abnormal: no close frame
    return absl::AbortedError(ec.message());
  }
  const auto data = buffer_.cdata();
  std::string bytes(static_cast<const char*>(data.data()), data.size());
  buffer_.consume(buffer_.size());
  if (proto_) {
    v1::ServerMessage message;
    if (!message.ParseFromString(bytes)) return absl::DataLossError("bad protobuf");
    return message;
  }
  return codec::DecodeServerJson(bytes);
}

std::optional<uint16_t> WsClient::WaitClose(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!close_code_ && absl::Now() < deadline) {
    auto message = Read(deadline - absl::Now());
    if (!message.ok() && absl::IsDeadlineExceeded(message.status())) break;
  }
  return close_code_;
}

void WsClient::Close(uint16_t code) {
  bool done = false;
  ws_->async_close(websocket::close_reason(static_cast<websocket::close_code>(code)),
                   [&](beast::error_code) { done = true; });
  RunFor(ioc_, *ws_, done, absl::Seconds(5));
  WaitClose(absl::Seconds(2));
}

void WsClient::Drop() {
  beast::error_code ignored;
  beast::get_lowest_layer(*ws_).socket().close(ignored);
}

v1::ClientMessage JoinAcceptor(const std::string& token, const std::string& peer_id) {
  v1::ClientMessage m;
  m.mutable_join()->set_session_token(token);
  m.mutable_join()->set_role(v1::ACCEPTOR);
  m.mutable_join()->set_peer_id(peer_id);
  return m;
}

v1::ClientMessage JoinOfferer(const std::string& token, const std::string& target_id,
                              uint32_t wait_ms) {
  v1::ClientMessage m;
  m.mutable_join()->set_session_token(token);
  m.mutable_join()->set_role(v1::OFFERER);
  m.mutable_join()->set_target_id(target_id);
  m.mutable_join()->set_wait_ms(wait_ms);
  return m;
}

v1::ClientMessage Offer(const std::string& sdp) {
  v1::ClientMessage m;
  m.mutable_offer()->set_sdp(sdp);
  return m;
}

v1::ClientMessage Answer(const std::string& sdp) {
  v1::ClientMessage m;
  m.mutable_answer()->set_sdp(sdp);
  return m;
}

v1::ClientMessage Candidate(const std::string& candidate, uint32_t m_line_index) {
  v1::ClientMessage m;
  m.mutable_ice_candidate()->set_candidate(candidate);
  m.mutable_ice_candidate()->set_sdp_mid("0");
  m.mutable_ice_candidate()->set_sdp_m_line_index(m_line_index);
  return m;
}

v1::ClientMessage Leave() {
  v1::ClientMessage m;
  m.mutable_leave();
  return m;
}

v1::ClientMessage Ping(const std::string& nonce) {
  v1::ClientMessage m;
  m.mutable_ping()->set_nonce(nonce);
  return m;
}

v1::ClientMessage Refresh(const std::string& token) {
  v1::ClientMessage m;
  m.mutable_refresh()->set_session_token(token);
  return m;
}

std::string KindOf(const absl::StatusOr<v1::ServerMessage>& m) {
  if (!m.ok()) return "<" + std::string(m.status().message()) + ">";
  switch (m->kind_case()) {
    case v1::ServerMessage::kJoined: return "joined";
    case v1::ServerMessage::kPaired: return "paired";
    case v1::ServerMessage::kOffer: return "offer";
    case v1::ServerMessage::kAnswer: return "answer";
    case v1::ServerMessage::kIceCandidate: return "iceCandidate";
    case v1::ServerMessage::kPeerLeft:
      return "peerLeft:" + v1::PeerLeft::Reason_Name(m->peer_left().reason());
    case v1::ServerMessage::kError: return "error:" + v1::Error::Code_Name(m->error().code());
    case v1::ServerMessage::kGoAway: return "goAway";
    case v1::ServerMessage::kPong: return "pong";
    default: return "?";
  }
}

}  // namespace signaling::testing
