// The load generator's WebSocket client: one connection driven by
// callbacks on its worker's io_context (many connections per thread),
// source sockets spread round-robin over several loopback addresses. Not
// thread-safe: every call and callback runs on the worker's thread.
#ifndef BENCH_LOADGEN_WS_CLIENT_H_
#define BENCH_LOADGEN_WS_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange
#include <vector>

#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/websocket.hpp"

namespace signaling::loadgen {

// Shared by every connection of a run; outlives them.
struct ClientOptions {
  boost::asio::ip::tcp::endpoint server;
  // Where a pair's offerer connects: `server` unless set apart, so that a
  // cluster bench can place acceptors and offerers through different
  // gateways (bench/cluster.sh).
  boost::asio::ip::tcp::endpoint offerer_server;
  // Local addresses to bind, used in turn (127.0.0.2 ...).
  std::vector<boost::asio::ip::address> sources;
  std::string subprotocol;  // Sec-WebSocket-Protocol; empty: none offered
  bool binary = false;      // send binary frames
  std::atomic<uint64_t> next_source{0};
};

class WsClient : public std::enable_shared_from_this<WsClient> {
 public:
  std::function<void()> on_open;
  std::function<void(std::string_view, bool binary)> on_message;
  std::function<void(const std::string& why)> on_close;  // once; "" = clean close

  WsClient(boost::asio::io_context& ioc, ClientOptions& options)
      : ws_(ioc), options_(options) {}

  // Connects (to options.offerer_server when `offerer`) and upgrades on
  // `path`; failures arrive through on_close, never from inside Start.
  void Start(const std::string& path, bool offerer = false);
  // Queues a message; sent once open, dropped after Close/Abort.
  void Send(std::string data);
  // Graceful close after the queued writes.
  void Close();
  // Drops the TCP connection; on_close("") if not already closed.
  void Abort();
  bool is_open() const { return open_ && !done_; }

 private:
  void OnConnect(boost::beast::error_code ec);
  void OnHandshake(boost::beast::error_code ec);
  void DoRead();
  void DoWrite();
  void DoClose();
  void Fail(const std::string& why);
  void Finish(const std::string& why);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  ClientOptions& options_;
  boost::beast::flat_buffer buf_;
  std::deque<std::string> out_;
  std::string path_;
  bool open_ = false, writing_ = false, closing_ = false, close_started_ = false, done_ = false;
};

}  // namespace signaling::loadgen

#endif  // BENCH_LOADGEN_WS_CLIENT_H_
