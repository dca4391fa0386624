// A real WebSocket client for tests: Beast over TCP, each operation bounded
// by a timeout, speaking the JSON or protobuf subprotocol.
#ifndef TESTS_INTEGRATION_WS_CLIENT_H_
#define TESTS_INTEGRATION_WS_CLIENT_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/websocket.hpp"
#include "common/sdp/sample_sdp.h"
#include "signaling/v1/signaling.pb.h"

namespace signaling::testing {

class WsClient {
 public:
  // `subprotocol`: "signaling.v1.json", "signaling.v1.proto" or "" (none).
  static absl::StatusOr<std::unique_ptr<WsClient>> Connect(
      uint16_t port, const std::string& subprotocol = "signaling.v1.json",
      const std::map<std::string, std::string>& headers = {{"Origin", "http://127.0.0.1"}},
      const std::string& local_address = "127.0.0.1");

  // Sends a message in the connection's subprotocol.
  void Send(const v1::ClientMessage& message);
  // Sends a raw text or binary frame.
  void SendRaw(const std::string& data, bool text);

  // The next message, or an error: DeadlineExceeded on timeout, Aborted
  // when the server closed the connection (close_code() tells the code).
  absl::StatusOr<v1::ServerMessage> Read(absl::Duration timeout = absl::Seconds(5));
  // Reads (discarding messages) until the server closes; returns its code.
  std::optional<uint16_t> WaitClose(absl::Duration timeout = absl::Seconds(5));
  // Starts a normal close and waits for it.
  void Close(uint16_t code = 1000);
  // Drops the TCP connection without a close frame.
  void Drop();

  std::optional<uint16_t> close_code() const { return close_code_; }
  const std::string& negotiated_subprotocol() const { return negotiated_; }

 private:
  WsClient() = default;
  bool proto_ = false;
  boost::asio::io_context ioc_;
  std::unique_ptr<boost::beast::websocket::stream<boost::beast::tcp_stream>> ws_;
  boost::beast::flat_buffer buffer_;
  std::optional<uint16_t> close_code_;
  std::string negotiated_;
};

// Builders for client messages.
v1::ClientMessage JoinAcceptor(const std::string& token, const std::string& peer_id);
v1::ClientMessage JoinOfferer(const std::string& token, const std::string& target_id,
                              uint32_t wait_ms = 0);
v1::ClientMessage Offer(const std::string& sdp);
v1::ClientMessage Answer(const std::string& sdp);
v1::ClientMessage Candidate(const std::string& candidate, uint32_t m_line_index = 0);
v1::ClientMessage Leave();
v1::ClientMessage Ping(const std::string& nonce = "n");
v1::ClientMessage Refresh(const std::string& token);

// What a read got, for assertions that name it: "joined", "paired",
// "offer", "answer", "iceCandidate", "goAway", "pong", "peerLeft:<REASON>",
// "error:<CODE>"; "<status message>" when the read failed ("<no message>"
// on timeout); "?" for a message without a kind.
std::string KindOf(const absl::StatusOr<v1::ServerMessage>& m);

// A data-channel-only offer and answer, as a browser makes them.
inline constexpr const auto& kTestOffer = sdp::kSampleOffer;
inline constexpr const auto& kTestAnswer = sdp::kSampleAnswer;

}  // namespace signaling::testing

#endif  // TESTS_INTEGRATION_WS_CLIENT_H_
