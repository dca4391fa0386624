// signaling-loadgen: a WebSocket load generator for the signaling gateway
// (protocol v1, JSON or protobuf subprotocol) and, for comparison, for a
// PeerJS server. Many connections per thread (Asio/Beast, callbacks), source
// sockets spread over several loopback addresses, open-loop arrivals for
// `pairing` and `relay`, latencies in a log-linear histogram. Prints one JSON
// object on stdout. Scenarios: idle, pairing, relay, churn (see --help).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/websocket.hpp"
#include "common/codec/codec.h"
#include "nlohmann/json.hpp"
#include "services/auth/jwt.h"
#include "signaling/v1/signaling.pb.h"

ABSL_FLAG(std::string, target, "signaling", "signaling | peerjs");
ABSL_FLAG(std::string, scenario, "pairing", "idle | pairing | relay | churn");
ABSL_FLAG(std::string, host, "127.0.0.1", "server address (loopback only)");
ABSL_FLAG(int, port, 8443, "server port");
ABSL_FLAG(std::string, subprotocol, "json", "json | proto (signaling only)");
ABSL_FLAG(std::string, key_file, "", "HS256 secret used to mint tokens (signaling only)");
ABSL_FLAG(std::string, kid, "dev", "key id of --key_file");
ABSL_FLAG(int, threads, 2, "I/O threads of the load generator");
ABSL_FLAG(int, source_addresses, 8, "spread sockets over 127.0.0.2 .. 127.0.0.(1+N)");
ABSL_FLAG(double, duration_s, 5, "pairing/relay/churn: measuring time; idle: hold time");
ABSL_FLAG(double, rate, 20, "pairing: pairs/s; relay: candidate messages/s (total)");
ABSL_FLAG(int, sessions, 10000, "idle: joined acceptors to hold");
ABSL_FLAG(int, pairs, 50, "relay: paired sessions");
ABSL_FLAG(int, concurrency, 32, "churn: concurrent loops; idle: connects in flight");
ABSL_FLAG(double, drain_s, 5, "pairing/relay: grace for in-flight work after the run");
ABSL_FLAG(double, setup_timeout_s, 120, "idle/relay: time allowed to set up sessions");
ABSL_FLAG(std::string, hold_until_file, "",
          "idle: the hold also ends once this file exists (several loadgens ending together)");
ABSL_FLAG(int, max_inflight, 20000, "pairing: in-flight pairs above which a start is dropped");
ABSL_FLAG(std::vector<std::string>, server_pids, {},
          "server processes whose CPU time (utime+stime) over the measured window and "
          "RSS (VmRSS) are reported");
ABSL_FLAG(std::string, run_id, "", "prefix of peer ids (default: random)");

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
namespace v1 = signaling::v1;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Log-linear histogram (HdrHistogram-like): values below 2^kSubBits exact,
// above that every power of two split in 2^kSubBits buckets (< 1.6% error).
class Histogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;
  void Record(int64_t v) {
    if (v < 0) v = 0;
    ++counts_[Index(static_cast<uint64_t>(v))];
    ++total_;
    max_ = std::max<uint64_t>(max_, v);
  }
  void Merge(const Histogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
  }
  uint64_t count() const { return total_; }
  // Upper edge of the bucket holding quantile q.
  uint64_t Quantile(double q) const {
    if (total_ == 0) return 0;
    const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(q * total_ + 0.5));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(UpperEdge(i), max_);
    }
    return max_;
  }
  json Summary(double scale) const {  // scale: ns -> reported unit
    return {{"count", total_},
            {"p50", Quantile(0.50) / scale},
            {"p90", Quantile(0.90) / scale},
            {"p99", Quantile(0.99) / scale},
            {"p999", Quantile(0.999) / scale},
            {"max", max_ / scale}};
  }

 private:
  static size_t Index(uint64_t v) {
    if (v < kSub) return v;
    const int k = 63 - __builtin_clzll(v);
    const uint64_t top = v >> (k - kSubBits);
    return (k - kSubBits + 1) * kSub + (top - kSub);
  }
  static uint64_t UpperEdge(size_t i) {
    if (i < static_cast<size_t>(kSub)) return i;
    const int k = static_cast<int>(i / kSub) + kSubBits - 1;
    const uint64_t top = i % kSub + kSub;
    return ((top + 1) << (k - kSubBits)) - 1;
  }
  std::array<uint64_t, (64 - kSubBits + 1) * kSub> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

struct Stats {
  Histogram tta, e2e, latency, joined;
  uint64_t started = 0, completed = 0, dropped = 0, sent = 0, received = 0, joined_count = 0;
  std::map<std::string, uint64_t> errors;
  void Error(const std::string& kind) { ++errors[kind]; }
  void Merge(const Stats& o) {
    tta.Merge(o.tta);
    e2e.Merge(o.e2e);
    latency.Merge(o.latency);
    joined.Merge(o.joined);
    started += o.started;
    completed += o.completed;
    dropped += o.dropped;
    sent += o.sent;
    received += o.received;
    joined_count += o.joined_count;
    for (const auto& [k, n] : o.errors) errors[k] += n;
  }
};

struct Config {
  bool peerjs = false;
  bool proto = false;
  tcp::endpoint server;
  std::vector<asio::ip::address> sources;
  std::string acceptor_token, offerer_token;
  std::string run_id;
};
Config g_cfg;
std::atomic<uint64_t> g_source_rr{0};

// One WebSocket client connection. Callbacks run on its worker's thread.
class Conn : public std::enable_shared_from_this<Conn> {
 public:
  std::function<void()> on_open;
  std::function<void(std::string_view, bool binary)> on_message;
  std::function<void(const std::string& why)> on_close;  // once; "" = clean close

  explicit Conn(asio::io_context& ioc) : ws_(ioc) {}

  void Start(const std::string& path) {
    auto& sock = beast::get_lowest_layer(ws_).socket();
    beast::error_code ec;
    sock.open(tcp::v4(), ec);
    if (!ec) {
      int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sock.set_option(tcp::no_delay(true), ec);
      const auto& src = g_cfg.sources[g_source_rr++ % g_cfg.sources.size()];
      sock.bind({src, 0}, ec);
    }
    if (ec) {
      // Reported from the loop, not from here: a caller that starts the next
      // connection on failure would otherwise recurse once per refused
      // socket (out of file descriptors: the stack overflowed at 100k).
      asio::post(ws_.get_executor(),
                 [self = shared_from_this(), why = "bind:" + ec.message()] { self->Fail(why); });
      return;
    }
    path_ = path;
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(ws_).async_connect(
        g_cfg.server, [self = shared_from_this()](beast::error_code ec) { self->OnConnect(ec); });
  }

  void Send(std::string data) {
    if (closing_ || done_) return;
    out_.push_back(std::move(data));
    if (!writing_ && open_) DoWrite();
  }

  // Graceful close after queued writes.
  void Close() {
    if (done_ || closing_) return;
    closing_ = true;
    if (!open_) return Abort();
    if (!writing_) DoClose();
  }

  void Abort() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    Finish("");
  }

  bool is_open() const { return open_ && !done_; }

 private:
  void OnConnect(beast::error_code ec) {
    if (ec) return Fail(absl::StrCat("connect:", ec.message()));
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(http::field::origin, "http://127.0.0.1");
      req.set(http::field::user_agent, "signaling-loadgen");
      if (!g_cfg.peerjs) {
        req.set(http::field::sec_websocket_protocol,
                g_cfg.proto ? "signaling.v1.proto" : "signaling.v1.json");
      }
    }));
    ws_.read_message_max(16 * 1024 * 1024);
    ws_.auto_fragment(false);
    ws_.binary(g_cfg.proto);
    ws_.async_handshake("127.0.0.1", path_, [self = shared_from_this()](beast::error_code ec) {
      self->OnHandshake(ec);
    });
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) return Fail(absl::StrCat("upgrade:", ec.message()));
    open_ = true;
    DoRead();
    if (closing_) {
      if (!writing_) DoClose();
      return;
    }
    if (on_open) on_open();
    if (!writing_ && !out_.empty()) DoWrite();
  }

  void DoRead() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        if (ec == websocket::error::closed) {
          const int code = self->ws_.reason().code;
          return self->Finish(self->closing_ || code == 1000 ? "" : absl::StrCat("close:", code));
        }
        return self->Finish(self->closing_ ? "" : absl::StrCat("read:", ec.message()));
      }
      const auto d = self->buf_.cdata();
      if (self->on_message && !self->done_) {
        self->on_message(std::string_view(static_cast<const char*>(d.data()), d.size()),
                         self->ws_.got_binary());
      }
      self->buf_.consume(self->buf_.size());
      if (!self->done_) self->DoRead();
    });
  }

  void DoWrite() {
    writing_ = true;
    ws_.async_write(asio::buffer(out_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      self->out_.pop_front();
                      if (ec) return self->Finish(self->closing_ ? "" : "write:" + ec.message());
                      if (!self->out_.empty()) return self->DoWrite();
                      if (self->closing_) self->DoClose();
                    });
  }

  void DoClose() {
    if (close_started_) return;
    close_started_ = true;
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(5));
    ws_.async_close(websocket::close_code::normal,
                    [self = shared_from_this()](beast::error_code) { self->Finish(""); });
  }

  void Fail(const std::string& why) {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    Finish(why);
  }

  void Finish(const std::string& why) {
    if (done_) return;
    done_ = true;
    open_ = false;
    // on_open/on_message stay (they may be running); they hold weak refs only.
    auto cb = std::move(on_close);
    if (cb) cb(why);
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
  std::deque<std::string> out_;
  std::string path_;
  bool open_ = false, writing_ = false, closing_ = false, close_started_ = false, done_ = false;
};

// ---------------------------------------------------------------- messages

const char kOffer[] =
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Xk9f\r\na=ice-pwd:Lg6Tq2mSx0FzWcP1aB7dYe3h\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:"
    "08\r\n"
    "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
const char kAnswer[] =
    "v=0\r\no=- 2837591402845120934 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Qw3r\r\na=ice-pwd:Zt8Yh2kLp0NvBc5xMa1sDf4g\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "1C:2D:3E:4F:50:61:72:83:94:A5:B6:C7:D8:E9:FA:0B:1C:2D:3E:4F:50:61:72:83:94:A5:B6:C7:D8:E9:FA:"
    "0B\r\n"
    "a=setup:active\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

// Pads a description to ~3 KB with media-level attribute lines.
std::string PadSdp(const char* sdp) {
  std::string s = sdp;
  int i = 0;
  while (s.size() < 3000) {
    s += absl::StrCat("a=x-bench-pad", i++, ":", std::string(90, 'p'), "\r\n");
  }
  return s;
}
const std::string& OfferSdp() {
  static const std::string s = PadSdp(kOffer);
  return s;
}
const std::string& AnswerSdp() {
  static const std::string s = PadSdp(kAnswer);
  return s;
}

// A valid RFC 8839 candidate carrying a send timestamp (`ts <nanos>`) in an
// extension pair; `pad` adds extension pairs up to ~1 KB.
std::string CandidateString(int i, int64_t ts_ns, bool pad) {
  std::string c = absl::StrCat("candidate:", i + 1, " 1 udp 2122260223 192.0.2.10 ", 54400 + i,
                               " typ host generation 0 ts ", ts_ns);
  if (pad) {
    for (int k = 0; c.size() < 900; ++k)
      absl::StrAppend(&c, " x-pad", k, " ", std::string(100, 'x'));
  }
  return c;
}

int64_t ParseTs(std::string_view c) {
  const auto pos = c.find(" ts ");
  if (pos == std::string_view::npos) return -1;
  int64_t v = 0;
  for (size_t i = pos + 4; i < c.size() && c[i] >= '0' && c[i] <= '9'; ++i)
    v = v * 10 + (c[i] - '0');
  return v;
}

std::string Encode(const v1::ClientMessage& m) {
  return g_cfg.proto ? m.SerializeAsString() : signaling::codec::EncodeClientJson(m);
}

bool Decode(std::string_view data, v1::ServerMessage* out) {
  if (g_cfg.proto) return out->ParseFromArray(data.data(), static_cast<int>(data.size()));
  auto m = signaling::codec::DecodeServerJson(absl::string_view(data.data(), data.size()));
  if (!m.ok()) return false;
  *out = std::move(*m);
  return true;
}

std::string JoinMsg(bool acceptor, const std::string& id) {
  v1::ClientMessage m;
  auto* j = m.mutable_join();
  j->set_session_token(acceptor ? g_cfg.acceptor_token : g_cfg.offerer_token);
  j->set_role(acceptor ? v1::ACCEPTOR : v1::OFFERER);
  if (acceptor) {
    j->set_peer_id(id);
  } else {
    j->set_target_id(id);
    j->set_wait_ms(2000);
  }
  return Encode(m);
}
std::string SdpMsg(bool offer) {
  v1::ClientMessage m;
  (offer ? m.mutable_offer() : m.mutable_answer())->set_sdp(offer ? OfferSdp() : AnswerSdp());
  return Encode(m);
}
std::string CandMsg(const std::string& cand) {
  v1::ClientMessage m;
  m.mutable_ice_candidate()->set_candidate(cand);
  m.mutable_ice_candidate()->set_sdp_mid("0");
  m.mutable_ice_candidate()->set_sdp_m_line_index(0);
  return Encode(m);
}
std::string LeaveMsg() {
  v1::ClientMessage m;
  m.mutable_leave();
  return Encode(m);
}

// PeerJS wire messages.
std::string PjSdp(bool offer, const std::string& dst) {
  json p = {
      {"sdp", {{"type", offer ? "offer" : "answer"}, {"sdp", offer ? OfferSdp() : AnswerSdp()}}},
      {"type", "data"},
      {"connectionId", "dc_bench"},
      {"browser", "bench"}};
  return json{{"type", offer ? "OFFER" : "ANSWER"}, {"dst", dst}, {"payload", p}}.dump();
}
std::string PjCand(const std::string& dst, const std::string& cand) {
  json p = {{"candidate", {{"candidate", cand}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}}},
            {"type", "data"},
            {"connectionId", "dc_bench"}};
  return json{{"type", "CANDIDATE"}, {"dst", dst}, {"payload", p}}.dump();
}
std::string PjPath(const std::string& id) {
  return absl::StrCat("/peerjs?key=peerjs&id=", id, "&token=", id.size(), "t",
                      std::string(1, id.back()));
}

// A received message, reduced to what the scenarios need.
struct Msg {
  enum Kind { kOther, kJoined, kPaired, kOffer, kAnswer, kCandidate, kPeerLeft, kError, kOpen };
  Kind kind = kOther;
  std::string src;  // PeerJS
  std::string error;
  int64_t ts = -1;
};

Msg Parse(std::string_view data, bool binary) {
  Msg r;
  if (g_cfg.peerjs) {
    json j = json::parse(data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      r.kind = Msg::kError;
      r.error = "bad_json";
      return r;
    }
    const std::string type = j.value("type", "");
    if (j.contains("src") && j["src"].is_string()) r.src = j["src"];
    if (type == "OPEN")
      r.kind = Msg::kOpen;
    else if (type == "OFFER")
      r.kind = Msg::kOffer;
    else if (type == "ANSWER")
      r.kind = Msg::kAnswer;
    else if (type == "LEAVE" || type == "EXPIRE")
      r.kind = Msg::kPeerLeft;
    else if (type == "CANDIDATE") {
      r.kind = Msg::kCandidate;
      try {
        r.ts = ParseTs(j["payload"]["candidate"]["candidate"].get<std::string>());
      } catch (...) {
      }
    } else if (type == "ERROR" || type == "ID-TAKEN" || type == "INVALID-KEY") {
      r.kind = Msg::kError;
      r.error = "peerjs:" + type;
    }
    return r;
  }
  v1::ServerMessage m;
  if (!Decode(data, &m)) {
    r.kind = Msg::kError;
    r.error = "undecodable";
    return r;
  }
  switch (m.kind_case()) {
    case v1::ServerMessage::kJoined: r.kind = Msg::kJoined; break;
    case v1::ServerMessage::kPaired: r.kind = Msg::kPaired; break;
    case v1::ServerMessage::kOffer: r.kind = Msg::kOffer; break;
    case v1::ServerMessage::kAnswer: r.kind = Msg::kAnswer; break;
    case v1::ServerMessage::kIceCandidate:
      r.kind = Msg::kCandidate;
      r.ts = ParseTs(m.ice_candidate().candidate());
      break;
    case v1::ServerMessage::kPeerLeft: r.kind = Msg::kPeerLeft; break;
    case v1::ServerMessage::kError:
      r.kind = Msg::kError;
      r.error = "server:" + v1::Error::Code_Name(m.error().code());
      break;
    default: break;
  }
  return r;
}

// ---------------------------------------------------------------- workers

struct Worker;
struct Task {  // something a worker keeps alive until it is finished
  virtual ~Task() = default;
};

struct Worker {
  int index = 0;
  asio::io_context ioc{1};
  Stats stats;
  uint64_t next_id = 0;
  std::unordered_map<uint64_t, std::shared_ptr<Task>> live;
  std::unique_ptr<asio::steady_timer> timer;
  std::thread thread;
  std::atomic<int64_t> inflight{0};

  std::string NewId(const char* tag) {
    return absl::StrCat(g_cfg.run_id, tag, index, "x", next_id++);
  }
  void Remove(uint64_t key) {
    asio::post(ioc, [this, key] { live.erase(key); });
  }
};

std::vector<std::unique_ptr<Worker>> g_workers;
std::atomic<bool> g_running{true};
std::atomic<int64_t> g_ready{0};
std::atomic<int64_t> g_setup_failed{0};

// One acceptor + offerer pair: negotiates (pairing scenario, then leaves) or
// stays paired and relays candidates (relay scenario).
struct Pair : Task, std::enable_shared_from_this<Pair> {
  Worker* w;
  uint64_t key;
  bool relay;
  std::string acc_id, off_id;
  std::shared_ptr<Conn> acc, off;
  int64_t sched_ns = 0, off_open_ns = 0;
  int acc_cands = 0, off_cands = 0;
  bool answered = false, acc_done = false, off_done = false, finished = false, ready = false;
  bool leave_sent = false;
  static constexpr int kCands = 4;

  Pair(Worker* w, uint64_t key, bool relay) : w(w), key(key), relay(relay) {}

  void Start(int64_t sched) {
    sched_ns = sched;
    acc_id = w->NewId("a");
    off_id = w->NewId("o");
    ++w->inflight;
    acc = std::make_shared<Conn>(w->ioc);
    std::weak_ptr<Pair> weak = shared_from_this();
    acc->on_open = [weak] {
      if (auto p = weak.lock(); p && !g_cfg.peerjs) p->acc->Send(JoinMsg(true, p->acc_id));
    };
    acc->on_message = [weak](std::string_view d, bool b) {
      if (auto p = weak.lock()) p->OnAcc(Parse(d, b));
    };
    acc->on_close = [weak](const std::string& why) {
      if (auto p = weak.lock()) p->OnClose(true, why);
    };
    acc->Start(g_cfg.peerjs ? PjPath(acc_id) : "/v1/signal");
  }

  void StartOfferer() {
    off = std::make_shared<Conn>(w->ioc);
    std::weak_ptr<Pair> weak = shared_from_this();
    off->on_open = [weak] {
      auto p = weak.lock();
      if (!p) return;
      p->off_open_ns = NowNs();
      if (!g_cfg.peerjs) p->off->Send(JoinMsg(false, p->acc_id));
    };
    off->on_message = [weak](std::string_view d, bool b) {
      if (auto p = weak.lock()) p->OnOff(Parse(d, b));
    };
    off->on_close = [weak](const std::string& why) {
      if (auto p = weak.lock()) p->OnClose(false, why);
    };
    off->Start(g_cfg.peerjs ? PjPath(off_id) : "/v1/signal");
  }

  std::string Cand(bool from_acc, int i, bool pad) {
    const std::string c = CandidateString(i, NowNs(), pad);
    if (g_cfg.peerjs) return PjCand(from_acc ? off_id : acc_id, c);
    return CandMsg(c);
  }

  void SendOffer() {
    off->Send(g_cfg.peerjs ? PjSdp(true, acc_id) : SdpMsg(true));
    for (int i = 0; i < kCands; ++i) off->Send(Cand(false, i, false));
    w->stats.sent += 1 + kCands;
  }

  void OnAcc(const Msg& m) {
    if (finished) return;
    switch (m.kind) {
      case Msg::kOpen:
      case Msg::kJoined: StartOfferer(); break;
      case Msg::kOffer:
        acc->Send(g_cfg.peerjs ? PjSdp(false, off_id) : SdpMsg(false));
        for (int i = 0; i < kCands; ++i) acc->Send(Cand(true, i, false));
        w->stats.sent += 1 + kCands;
        break;
      case Msg::kCandidate:
        ++acc_cands;
        OnCandidate(m);
        break;
      case Msg::kPeerLeft:
        acc_done = true;
        acc->Close();
        break;
      case Msg::kError: return Fail("acceptor:" + m.error);
      default: break;
    }
  }

  void OnOff(const Msg& m) {
    if (finished) return;
    switch (m.kind) {
      case Msg::kOpen:
      case Msg::kPaired: SendOffer(); break;
      case Msg::kAnswer:
        if (!answered) {
          answered = true;
          const int64_t now = NowNs();
          if (!relay) {
            w->stats.tta.Record(now - off_open_ns);
            w->stats.e2e.Record(now - sched_ns);
          }
        }
        MaybeDone();
        break;
      case Msg::kCandidate:
        ++off_cands;
        OnCandidate(m);
        MaybeDone();
        break;
      case Msg::kError: return Fail("offerer:" + m.error);
      default: break;
    }
  }

  void OnCandidate(const Msg& m) {
    ++w->stats.received;
    if (relay && ready && m.ts > 0 && g_running) w->stats.latency.Record(NowNs() - m.ts);
    if (relay && !ready && answered && acc_cands >= kCands && off_cands >= kCands) MarkReady();
  }

  void MarkReady() {
    ready = true;
    ++g_ready;
  }

  void MaybeDone() {
    if (relay) {
      if (!ready && answered && acc_cands >= kCands && off_cands >= kCands) MarkReady();
      return;
    }
    if (answered && off_cands >= kCands && !leave_sent) {
      leave_sent = true;
      if (g_cfg.peerjs) {
        off->Send(json{{"type", "LEAVE"}, {"dst", acc_id}}.dump());
        off->Close();
      } else {
        off->Send(LeaveMsg());  // the server closes the offerer with 1000
      }
    }
  }

  // Relay: one timestamped ~1 KB candidate, in either direction.
  void SendRelay(bool from_acc) {
    if (!ready || finished) return;
    auto& c = from_acc ? acc : off;
    if (!c->is_open()) return;
    c->Send(Cand(from_acc, 0, true));
    ++w->stats.sent;
  }

  void OnClose(bool is_acc, const std::string& why) {
    if (finished) return;
    if (!why.empty()) return Fail(std::string(is_acc ? "acceptor:" : "offerer:") + why);
    if (is_acc) {
      if (!acc_done) return Fail("acceptor:unexpected_close");
    } else {
      if (!leave_sent) return Fail("offerer:unexpected_close");
      off_done = true;
    }
    if (acc_done && off_done) {
      if (acc_cands < kCands || off_cands < kCands) return Fail("missing_candidates");
      End();
      ++w->stats.completed;
    }
  }

  void Fail(const std::string& why) {
    if (finished) return;
    w->stats.Error(why);
    if (relay && !ready) ++g_setup_failed;
    if (acc) acc->Abort();
    if (off) off->Abort();
    End();
  }

  void End() {
    if (finished) return;
    finished = true;
    if (ready) --g_ready;
    --w->inflight;
    w->Remove(key);
  }

  void Shutdown() {
    if (acc) acc->Abort();
    if (off) off->Abort();
  }
};

// Idle acceptor or churn loop.
struct Single : Task, std::enable_shared_from_this<Single> {
  Worker* w;
  uint64_t key;
  bool churn;
  std::shared_ptr<Conn> c;
  int64_t start_ns = 0;
  bool joined = false;
  std::function<void()> next;  // churn / idle ramp: start the next one

  Single(Worker* w, uint64_t key, bool churn) : w(w), key(key), churn(churn) {}

  void Start() {
    start_ns = NowNs();
    const std::string id = w->NewId("s");
    c = std::make_shared<Conn>(w->ioc);
    std::weak_ptr<Single> weak = shared_from_this();
    c->on_open = [weak, id] {
      if (auto s = weak.lock(); s && !g_cfg.peerjs) s->c->Send(JoinMsg(true, id));
    };
    c->on_message = [weak](std::string_view d, bool b) {
      auto s = weak.lock();
      if (!s) return;
      const Msg m = Parse(d, b);
      if (m.kind == Msg::kJoined || m.kind == Msg::kOpen) s->OnJoined();
      if (m.kind == Msg::kError) s->Fail(m.error);
    };
    c->on_close = [weak](const std::string& why) {
      auto s = weak.lock();
      if (!s || !g_running) return;
      if (s->churn && s->joined) {
        if (!why.empty())
          s->w->stats.Error("close_after_join:" + why);
        else
          ++s->w->stats.completed;
        s->Next();
      } else {
        s->Fail(why.empty() ? "closed_before_join" : why);
      }
    };
    c->Start(g_cfg.peerjs ? PjPath(id) : "/v1/signal");
  }

  void OnJoined() {
    if (joined) return;
    joined = true;
    ++w->stats.joined_count;
    w->stats.joined.Record(NowNs() - start_ns);
    if (churn) {
      c->Close();
    } else {
      if (next) std::exchange(next, nullptr)();
    }
  }

  void Fail(const std::string& why) {
    w->stats.Error(why);
    if (joined && !churn) --w->stats.joined_count;  // dropped while idle
    c->Abort();
    Next();
  }

  void Next() {
    w->Remove(key);
    auto n = std::exchange(next, nullptr);
    if (churn && g_running && n)
      n();
    else if (!churn && n)
      n();
  }
};

void StartSingle(Worker* w, bool churn, std::shared_ptr<std::atomic<int64_t>> budget) {
  if (!g_running) return;
  if (budget && budget->fetch_sub(1) <= 0) return;
  const uint64_t key = w->next_id++;
  auto s = std::make_shared<Single>(w, key, churn);
  w->live[key] = s;
  s->next = [w, churn, budget] { StartSingle(w, churn, budget); };
  ++w->stats.started;
  s->Start();
}

// Open-loop ticker: calls fn() at `rate` per second on the worker's thread,
// catching up when late, until g_running goes false.
void Tick(Worker* w, double rate, std::function<void(int64_t sched)> fn,
          std::shared_ptr<int64_t> next_ns) {
  const int64_t period = static_cast<int64_t>(1e9 / rate);
  const int64_t now = NowNs();
  while (*next_ns <= now && g_running) {
    fn(*next_ns);
    *next_ns += period;
  }
  if (!g_running) return;
  w->timer->expires_after(std::chrono::nanoseconds(*next_ns - now));
  w->timer->async_wait([w, rate, fn, next_ns](beast::error_code ec) {
    if (!ec) Tick(w, rate, fn, next_ns);
  });
}

// Sum of utime+stime (seconds) and VmRSS (KiB) of the --server_pids.
struct ProcSample {
  double cpu_s = 0;
  int64_t rss_kib = 0;
};
ProcSample SampleServers() {
  ProcSample r;
  const double tck = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& pid : absl::GetFlag(FLAGS_server_pids)) {
    if (FILE* f = std::fopen(absl::StrCat("/proc/", pid, "/stat").c_str(), "r")) {
      char buf[4096];
      const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      buf[n] = 0;
      std::fclose(f);
      // Fields after the ")" of comm: state is field 3; utime 14, stime 15.
      if (const char* p = std::strrchr(buf, ')')) {
        unsigned long long ut = 0, st = 0;
        if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) ==
            2) {
          r.cpu_s += (ut + st) / tck;
        }
      }
    }
    if (FILE* f = std::fopen(absl::StrCat("/proc/", pid, "/status").c_str(), "r")) {
      char line[256];
      while (std::fgets(line, sizeof line, f)) {
        long long kb = 0;
        if (std::sscanf(line, "VmRSS: %lld", &kb) == 1) r.rss_kib += kb;
      }
      std::fclose(f);
    }
  }
  return r;
}

void SleepS(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

void RaiseNofile() {
  rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "signaling-loadgen --target=signaling|peerjs --scenario=idle|pairing|relay|churn "
      "--port=P [--key_file=F --kid=dev] [--rate=R --duration_s=T ...]");
  absl::ParseCommandLine(argc, argv);
  RaiseNofile();
  const std::string scenario = absl::GetFlag(FLAGS_scenario);
  g_cfg.peerjs = absl::GetFlag(FLAGS_target) == "peerjs";
  g_cfg.proto = absl::GetFlag(FLAGS_subprotocol) == "proto";
  const auto host = asio::ip::make_address(absl::GetFlag(FLAGS_host));
  if (!host.is_loopback()) {
    std::fprintf(stderr, "loopback targets only\n");
    return 2;
  }
  g_cfg.server = tcp::endpoint(host, static_cast<uint16_t>(absl::GetFlag(FLAGS_port)));
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_source_addresses)); ++i) {
    g_cfg.sources.push_back(asio::ip::make_address_v4(absl::StrCat("127.0.0.", 2 + i)));
  }
  g_cfg.run_id = absl::GetFlag(FLAGS_run_id);
  if (g_cfg.run_id.empty()) g_cfg.run_id = absl::StrCat("r", NowNs() % 1000000007, "-");
  if (!g_cfg.peerjs) {
    auto key = signaling::auth::LoadSigningKey(absl::GetFlag(FLAGS_kid), "HS256",
                                               absl::GetFlag(FLAGS_key_file));
    if (!key.ok()) {
      std::fprintf(stderr, "key: %s\n", std::string(key.status().message()).c_str());
      return 2;
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto mint = [&](const std::string& sub, bool acceptor) {
      json claims = {{"sub", sub},
                     {"aud", "signaling"},
                     {"iat", now},
                     {"exp", now + 3600},
                     {"grants",
                      {{"accept", acceptor ? json::array({"*"}) : json::array()},
                       {"offer", acceptor ? json::array() : json::array({"*"})}}}};
      auto t = signaling::auth::SignJwt(*key, claims);
      return t.ok() ? *t : std::string();
    };
    g_cfg.acceptor_token = mint("bench-acceptor", true);
    g_cfg.offerer_token = mint("bench-offerer", false);
  }

  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  for (int i = 0; i < threads; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->timer = std::make_unique<asio::steady_timer>(w->ioc);
    g_workers.push_back(std::move(w));
  }
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& w : g_workers) {
    guards.push_back(asio::make_work_guard(w->ioc));
    w->thread = std::thread([w = w.get()] { w->ioc.run(); });
  }

  const double duration = absl::GetFlag(FLAGS_duration_s);
  const double rate = absl::GetFlag(FLAGS_rate);
  json out = {{"target", g_cfg.peerjs ? "peerjs" : "signaling"},
              {"scenario", scenario},
              {"subprotocol", g_cfg.peerjs ? "peerjs" : (g_cfg.proto ? "proto" : "json")},
              {"threads", threads}};
  double measured_s = duration;
  auto begin = std::chrono::steady_clock::now();
  ProcSample proc_begin = SampleServers(), proc_end;
  json hold_rss;
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  };

  if (scenario == "pairing") {
    const int64_t max_inflight = absl::GetFlag(FLAGS_max_inflight);
    for (auto& wp : g_workers) {
      Worker* w = wp.get();
      asio::post(w->ioc, [w, rate, threads, max_inflight] {
        auto next = std::make_shared<int64_t>(NowNs());
        Tick(
            w, rate / threads,
            [w, max_inflight](int64_t sched) {
              ++w->stats.started;
              if (w->inflight >= max_inflight / static_cast<int64_t>(g_workers.size())) {
                ++w->stats.dropped;
                return;
              }
              const uint64_t key = w->next_id++;
              auto p = std::make_shared<Pair>(w, key, false);
              w->live[key] = p;
              p->Start(sched);
            },
            next);
      });
    }
    SleepS(duration);
    g_running = false;
    measured_s = elapsed();
    proc_end = SampleServers();
    // Drain: let in-flight pairs finish.
    const auto drain_until = std::chrono::steady_clock::now() +
                             std::chrono::duration<double>(absl::GetFlag(FLAGS_drain_s));
    while (std::chrono::steady_clock::now() < drain_until) {
      int64_t n = 0;
      for (auto& w : g_workers) n += w->inflight;
      if (n == 0) break;
      SleepS(0.05);
    }
    int64_t left = 0;
    for (auto& w : g_workers) left += w->inflight;
    out["incomplete"] = left;
    out["offered_rate"] = rate;
  } else if (scenario == "relay") {
    const int pairs = absl::GetFlag(FLAGS_pairs);
    // Set up `pairs` paired sessions, at most 64 negotiating at a time.
    for (int i = 0; i < pairs; ++i) {
      Worker* w = g_workers[i % threads].get();
      asio::post(w->ioc, [w] {
        const uint64_t key = w->next_id++;
        auto p = std::make_shared<Pair>(w, key, true);
        w->live[key] = p;
        p->Start(NowNs());
      });
      while (i - g_ready - g_setup_failed >= 64 && elapsed() < absl::GetFlag(FLAGS_setup_timeout_s))
        SleepS(0.002);
    }
    while (g_ready + g_setup_failed < pairs && elapsed() < absl::GetFlag(FLAGS_setup_timeout_s))
      SleepS(0.01);
    out["pairs_ready"] = g_ready.load();
    out["setup_s"] = elapsed();
    for (auto& w : g_workers) {  // the setup traffic is not measured
      asio::post(w->ioc, [w = w.get()] { w->stats.sent = w->stats.received = 0; });
    }
    SleepS(0.2);
    begin = std::chrono::steady_clock::now();
    proc_begin = SampleServers();
    for (auto& wp : g_workers) {
      Worker* w = wp.get();
      asio::post(w->ioc, [w, rate, threads] {
        auto order = std::make_shared<std::vector<std::weak_ptr<Pair>>>();
        for (auto& [k, t] : w->live) {
          if (auto p = std::dynamic_pointer_cast<Pair>(t)) order->push_back(p);
        }
        auto idx = std::make_shared<size_t>(0);
        if (order->empty()) return;
        Tick(
            w, rate / threads,
            [w, order, idx](int64_t) {
              const size_t i = (*idx)++;
              if (auto p = (*order)[(i / 2) % order->size()].lock()) p->SendRelay(i % 2 == 1);
            },
            std::make_shared<int64_t>(NowNs()));
      });
    }
    SleepS(duration);
    g_running = false;
    measured_s = elapsed();
    proc_end = SampleServers();
    SleepS(std::min(1.0, absl::GetFlag(FLAGS_drain_s)));  // late deliveries still count
    out["offered_rate"] = rate;
    out["pairs"] = pairs;
  } else if (scenario == "churn") {
    const int c = absl::GetFlag(FLAGS_concurrency);
    for (int i = 0; i < c; ++i) {
      Worker* w = g_workers[i % threads].get();
      asio::post(w->ioc, [w] { StartSingle(w, true, nullptr); });
    }
    SleepS(duration);
    g_running = false;
    measured_s = elapsed();
    proc_end = SampleServers();
    SleepS(1);
    out["concurrency"] = c;
  } else if (scenario == "idle") {
    const int n = absl::GetFlag(FLAGS_sessions);
    const int c = std::max(1, absl::GetFlag(FLAGS_concurrency));
    auto budget = std::make_shared<std::atomic<int64_t>>(n);
    for (int i = 0; i < std::min(c, n); ++i) {
      Worker* w = g_workers[i % threads].get();
      asio::post(w->ioc, [w, budget] { StartSingle(w, false, budget); });
    }
    auto joined = [&] {
      // Each worker's counter is only written on its thread; a racy read is
      // good enough to watch progress.
      int64_t j = 0;
      for (auto& w : g_workers)
        j += static_cast<int64_t>(reinterpret_cast<volatile uint64_t&>(w->stats.joined_count));
      return j;
    };
    int64_t last = -1;
    double last_change = 0;
    while (joined() < n && elapsed() < absl::GetFlag(FLAGS_setup_timeout_s)) {
      const int64_t j = joined();
      if (j != last) {
        last = j;
        last_change = elapsed();
      } else if (elapsed() - last_change > 10) {
        break;  // stalled
      }
      SleepS(0.05);
    }
    out["ramp_s"] = elapsed();
    out["target_sessions"] = n;
    out["joined_at_hold_start"] = joined();
    std::fprintf(stderr, "HOLDING %lld\n", static_cast<long long>(joined()));
    std::fflush(stderr);
    proc_begin = SampleServers();
    const std::string until = absl::GetFlag(FLAGS_hold_until_file);
    const double hold_end = elapsed() + duration;
    while (elapsed() < hold_end && (until.empty() || !std::filesystem::exists(until))) SleepS(0.05);
    proc_end = SampleServers();
    hold_rss = {{"at_hold_start", proc_begin.rss_kib}, {"at_hold_end", proc_end.rss_kib}};
    out["joined_at_hold_end"] = joined();
    measured_s = duration;
    g_running = false;
  } else {
    std::fprintf(stderr, "unknown scenario %s\n", scenario.c_str());
    return 2;
  }

  // Stop: abort everything still open, then collect the stats.
  for (auto& wp : g_workers) {
    Worker* w = wp.get();
    asio::post(w->ioc, [w] {
      w->timer->cancel();
      auto live = std::move(w->live);
      for (auto& [k, t] : live) {
        if (auto p = std::dynamic_pointer_cast<Pair>(t)) p->finished = true, p->Shutdown();
        if (auto s = std::dynamic_pointer_cast<Single>(t)) s->next = nullptr, s->c->Abort();
      }
      w->live.clear();
    });
  }
  SleepS(0.2);
  guards.clear();
  for (auto& w : g_workers) {
    w->ioc.stop();
    w->thread.join();
  }
  Stats total;
  for (auto& w : g_workers) total.Merge(w->stats);
  constexpr double kUs = 1000.0;
  out["duration_s"] = measured_s;
  out["started"] = total.started;
  out["errors"] = [&] {
    uint64_t n = 0;
    for (auto& [k, v] : total.errors) n += v;
    return n;
  }();
  out["error_kinds"] = total.errors;
  if (!absl::GetFlag(FLAGS_server_pids).empty()) {
    out["server"] = {{"cpu_s", proc_end.cpu_s - proc_begin.cpu_s}, {"rss_kib", proc_end.rss_kib}};
    if (!hold_rss.is_null()) out["server"]["hold_rss_kib"] = hold_rss;
  }
  if (scenario == "pairing") {
    out["completed_pairs"] = total.completed;
    out["dropped_starts"] = total.dropped;
    out["achieved_rate"] = total.completed / measured_s;
    out["time_to_answer_us"] = total.tta.Summary(kUs);
    out["start_to_answer_us"] = total.e2e.Summary(kUs);
  } else if (scenario == "relay") {
    out["sent"] = total.sent;
    out["received"] = total.received;
    out["achieved_rate"] = total.received / measured_s;
    if (!absl::GetFlag(FLAGS_server_pids).empty() && proc_end.cpu_s > proc_begin.cpu_s) {
      out["received_per_server_cpu_s"] = total.received / (proc_end.cpu_s - proc_begin.cpu_s);
    }
    out["one_way_latency_us"] = total.latency.Summary(kUs);
  } else if (scenario == "churn") {
    out["completed_sessions"] = total.completed;
    out["sessions_per_s"] = total.completed / measured_s;
    out["time_to_joined_us"] = total.joined.Summary(kUs);
  } else if (scenario == "idle") {
    out["joined_at_end"] = total.joined_count;
    out["time_to_joined_us"] = total.joined.Summary(kUs);
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
