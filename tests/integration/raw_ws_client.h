// A raw WebSocket client for tests that must say what a real client never
// would: hand-built HTTP upgrade requests and hand-built frames (bad bits,
// unmasked, never finished, absurd lengths), byte by byte if need be. Every
// operation is bounded by a timeout (async operations run on a private
// io_context for at most that long). Not thread-safe: one test thread.
#ifndef TESTS_INTEGRATION_RAW_WS_CLIENT_H_
#define TESTS_INTEGRATION_RAW_WS_CLIENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "boost/asio.hpp"

namespace signaling::testing {

// One WebSocket frame as read from the server.
struct Frame {
  uint8_t opcode = 0;
  bool fin = false;
  std::string payload;
};

// A client frame: masked unless told otherwise; `rsv` sets the RSV bits
// (4: RSV1); `length_override` states a length other than the payload's
// (always in the 64-bit form).
std::string BuildFrame(uint8_t opcode, const std::string& payload, bool fin = true,
                       bool masked = true, uint8_t rsv = 0,
                       std::optional<uint64_t> length_override = std::nullopt);

// The headers of an upgrade request, in order.
using Headers = std::vector<std::pair<std::string, std::string>>;

// A valid upgrade to the JSON subprotocol from the origin http://127.0.0.1.
Headers DefaultHeaders();
// `h` without any header called `name`.
Headers Without(Headers h, const std::string& name);
// `h` with `name` set to `value` (replacing any earlier value).
Headers With(Headers h, const std::string& name, const std::string& value);
// A GET request of `path` with `headers`.
std::string Request(const Headers& headers, const std::string& path = "/v1/signal");

class RawWsClient {
 public:
  // Connects to 127.0.0.1:`port`; `rcvbuf` > 0 sets the receive buffer
  // (a slow reader's small window). See connected().
  explicit RawWsClient(uint16_t port, int rcvbuf = 0);
  RawWsClient(const RawWsClient&) = delete;
  RawWsClient& operator=(const RawWsClient&) = delete;

  bool connected() const { return connected_; }
  // True once the server ended the TCP connection (or it failed).
  bool eof() const { return eof_; }

  // Writes all of `data`; false on error or timeout.
  bool Write(const std::string& data, absl::Duration timeout = absl::Seconds(5));
  // Reads more bytes into the buffer; false on EOF, error or timeout.
  bool ReadMore(absl::Duration timeout);

  // The status of the HTTP response; 0 when the connection ended or timed
  // out first, -1 when it is not HTTP. Consumes the response head.
  int ReadHttpStatus(absl::Duration timeout = absl::Seconds(5));
  // The last response head read by ReadHttpStatus.
  const std::string& head() const { return head_; }

  // The next whole frame; nullopt on close of TCP or timeout.
  std::optional<Frame> ReadFrame(absl::Duration timeout = absl::Seconds(5));
  // Reads frames until the server's close frame; its code (1005 without a
  // code), 1006 when TCP ended without one, nullopt on timeout. Text frames
  // seen on the way are kept in texts().
  std::optional<uint16_t> WaitClose(absl::Duration timeout = absl::Seconds(5));
  // Writes `data` while reading concurrently (so a close frame is seen even
  // when the server stops reading), then waits for the close, as WaitClose.
  // Closes the socket before it returns.
  std::optional<uint16_t> BlastAndWaitClose(const std::string& data,
                                            absl::Duration timeout = absl::Seconds(10));
  // Waits for the server to end the TCP connection; true if it did.
  bool WaitEof(absl::Duration timeout);

  // A valid upgrade; true on 101.
  bool Upgrade(const Headers& headers = DefaultHeaders());
  // One masked text frame.
  bool SendText(const std::string& json);
  // The next text frame, skipping control frames; nullopt at close/timeout.
  std::optional<std::string> ReadText(absl::Duration timeout = absl::Seconds(5));
  // The text frames WaitClose and BlastAndWaitClose passed on the way.
  const std::vector<std::string>& texts() const { return texts_; }
  void Close();

 private:
  // Runs the io_context for at most `timeout`; cancels what is still
  // pending and clears `done` if it did not complete.
  void Run(bool& done, absl::Duration timeout);
  // Takes one whole frame off the buffer, if there is one.
  std::optional<Frame> ParseFrame();

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket sock_{ioc_};
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
  std::string head_;
  char chunk_[65536];
  std::vector<std::string> texts_;
};

// The close code a close frame's payload states (1005 when it has none).
uint16_t CloseCodeOf(const Frame& close);

}  // namespace signaling::testing

#endif  // TESTS_INTEGRATION_RAW_WS_CLIENT_H_
