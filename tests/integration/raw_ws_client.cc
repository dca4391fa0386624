// Raw WebSocket client for tests; see raw_ws_client.h.
#include "tests/integration/raw_ws_client.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace signaling::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr char kKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr uint8_t kOpText = 0x1;
constexpr uint8_t kOpClose = 0x8;

}  // namespace

std::string BuildFrame(uint8_t opcode, const std::string& payload, bool fin, bool masked,
                       uint8_t rsv, std::optional<uint64_t> length_override) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | opcode));
  const uint64_t len = length_override.value_or(payload.size());
  const uint8_t mask_bit = masked ? 0x80 : 0;
  if (len < 126 && !length_override) {
    f.push_back(static_cast<char>(mask_bit | len));
  } else if (len <= 0xFFFF && !length_override) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(len >> 8));
    f.push_back(static_cast<char>(len & 0xFF));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
  const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
  }
  return f;
}

Headers DefaultHeaders() {
  return {{"Host", "127.0.0.1"},           {"Upgrade", "websocket"},
          {"Connection", "Upgrade"},       {"Sec-WebSocket-Key", kKey},
          {"Sec-WebSocket-Version", "13"}, {"Sec-WebSocket-Protocol", "signaling.v1.json"},
          {"Origin", "http://127.0.0.1"}};
}

Headers Without(Headers h, const std::string& name) {
  std::erase_if(h, [&](const auto& p) { return p.first == name; });
  return h;
}

Headers With(Headers h, const std::string& name, const std::string& value) {
  h = Without(std::move(h), name);
  h.emplace_back(name, value);
  return h;
}

std::string Request(const Headers& headers, const std::string& path) {
  std::string r = absl::StrCat("GET ", path, " HTTP/1.1\r\n");
  for (const auto& [n, v] : headers) absl::StrAppend(&r, n, ": ", v, "\r\n");
  r += "\r\n";
  return r;
}

uint16_t CloseCodeOf(const Frame& close) {
  if (close.payload.size() < 2) return 1005;
  return static_cast<uint16_t>((uint8_t(close.payload[0]) << 8) | uint8_t(close.payload[1]));
}

RawWsClient::RawWsClient(uint16_t port, int rcvbuf) {
  boost::system::error_code ec;
  sock_.open(tcp::v4(), ec);
  if (rcvbuf > 0) sock_.set_option(asio::socket_base::receive_buffer_size(rcvbuf), ec);
  sock_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  connected_ = !ec;
}

bool RawWsClient::Write(const std::string& data, absl::Duration timeout) {
  bool done = false;
  boost::system::error_code ec;
  asio::async_write(sock_, asio::buffer(data), [&](auto e, size_t) {
    ec = e;
    done = true;
  });
  Run(done, timeout);
  return done && !ec;
}

bool RawWsClient::ReadMore(absl::Duration timeout) {
  if (eof_) return false;
  bool done = false;
  boost::system::error_code ec;
  size_t n = 0;
  sock_.async_read_some(asio::buffer(chunk_), [&](auto e, size_t k) {
    ec = e;
    n = k;
    done = true;
  });
  Run(done, timeout);
  if (!done) return false;
  buf_.append(chunk_, n);
  if (ec) eof_ = true;
  return !ec;
}

int RawWsClient::ReadHttpStatus(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (absl::Now() >= deadline || !ReadMore(deadline - absl::Now())) {
      if ((end = buf_.find("\r\n\r\n")) != std::string::npos) break;
      return 0;
    }
  }
  head_ = buf_.substr(0, end + 4);
  buf_.erase(0, end + 4);
  if (head_.size() < 12 || head_.compare(0, 5, "HTTP/") != 0) return -1;
  return std::atoi(head_.c_str() + 9);
}

std::optional<Frame> RawWsClient::ReadFrame(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (auto f = ParseFrame()) return f;
    if (absl::Now() >= deadline || !ReadMore(deadline - absl::Now())) return ParseFrame();
  }
}

std::optional<uint16_t> RawWsClient::WaitClose(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    auto f = ReadFrame(std::max(deadline - absl::Now(), absl::ZeroDuration()));
    if (!f) {
      if (eof_) return 1006;
      return std::nullopt;
    }
    if (f->opcode == kOpClose) return CloseCodeOf(*f);
    if (f->opcode == kOpText) texts_.push_back(f->payload);
  }
}

std::optional<uint16_t> RawWsClient::BlastAndWaitClose(const std::string& data,
                                                       absl::Duration timeout) {
  asio::async_write(sock_, asio::buffer(data), [](auto, size_t) {});
  std::optional<uint16_t> code;
  const absl::Time deadline = absl::Now() + timeout;
  // Outside the loop: a read still pending at the deadline completes (as
  // aborted) after the loop, below.
  bool done = false;
  boost::system::error_code ec;
  size_t n = 0;
  while (!code && absl::Now() < deadline && !eof_) {
    done = false;
    sock_.async_read_some(asio::buffer(chunk_), [&](auto e, size_t k) {
      ec = e;
      n = k;
      done = true;
    });
    ioc_.restart();
    while (!done && absl::Now() < deadline) ioc_.run_one_for(std::chrono::milliseconds(50));
    if (!done) break;
    buf_.append(chunk_, n);
    if (ec) eof_ = true;
    while (auto f = ParseFrame()) {
      if (f->opcode == kOpClose) {
        code = CloseCodeOf(*f);
        break;
      }
      if (f->opcode == kOpText) texts_.push_back(f->payload);
    }
  }
  if (!code && eof_) code = 1006;
  boost::system::error_code ignored;
  sock_.close(ignored);
  // The write and a read still pending complete as aborted; run them here,
  // while what they reference is alive.
  ioc_.restart();
  ioc_.run();
  return code;
}

bool RawWsClient::WaitEof(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!eof_ && absl::Now() < deadline) ReadMore(deadline - absl::Now());
  return eof_;
}

bool RawWsClient::Upgrade(const Headers& headers) {
  return Write(Request(headers)) && ReadHttpStatus() == 101;
}

bool RawWsClient::SendText(const std::string& json) { return Write(BuildFrame(kOpText, json)); }

std::optional<std::string> RawWsClient::ReadText(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    auto f = ReadFrame(std::max(deadline - absl::Now(), absl::ZeroDuration()));
    if (!f || f->opcode == kOpClose) return std::nullopt;
    if (f->opcode == kOpText) return f->payload;
  }
}

void RawWsClient::Close() {
  boost::system::error_code ignored;
  sock_.close(ignored);
}

void RawWsClient::Run(bool& done, absl::Duration timeout) {
  ioc_.restart();
  ioc_.run_for(std::chrono::milliseconds(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))));
  if (!done) {
    boost::system::error_code ignored;
    sock_.cancel(ignored);
    ioc_.restart();
    ioc_.run();
    done = false;
  }
}

std::optional<Frame> RawWsClient::ParseFrame() {
  if (buf_.size() < 2) return std::nullopt;
  const uint8_t b0 = buf_[0], b1 = buf_[1];
  size_t pos = 2;
  uint64_t len = b1 & 0x7F;
  if (len == 126) {
    if (buf_.size() < 4) return std::nullopt;
    len = (uint8_t(buf_[2]) << 8) | uint8_t(buf_[3]);
    pos = 4;
  } else if (len == 127) {
    if (buf_.size() < 10) return std::nullopt;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | uint8_t(buf_[2 + i]);
    pos = 10;
  }
  if (b1 & 0x80) pos += 4;  // servers must not mask; tolerate it
  if (buf_.size() < pos + len) return std::nullopt;
  Frame f;
  f.fin = b0 & 0x80;
  f.opcode = b0 & 0x0F;
  f.payload = buf_.substr(pos, len);
  buf_.erase(0, pos + len);
  return f;
}

}  // namespace signaling::testing
