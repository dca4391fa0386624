// A TCP proxy the test controls, to cut one process off from a server
// while the others still reach it (a network partition on loopback): it
// listens on a free loopback port and forwards every connection to
// `upstream`. Cut() stops moving bytes both ways, on the connections open
// and on new ones (held, not refused: a partition drops packets, it sends
// no reset), so the client sees its own timeouts; Heal() moves them again.
//
// Thread-safety: every method may be called from any thread.
#ifndef TESTS_CLUSTER_TCP_PROXY_H_
#define TESTS_CLUSTER_TCP_PROXY_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace signaling::testing {

class TcpProxy {
 public:
  explicit TcpProxy(uint16_t upstream_port);
  ~TcpProxy();

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  void Cut() { cut_ = true; }
  void Heal() { cut_ = false; }

 private:
  void Loop();

  const uint16_t upstream_port_;
  int listener_ = -1;
  uint16_t port_ = 0;
  int wake_[2] = {-1, -1};  // a pipe: the destructor stops the loop
  std::atomic<bool> cut_{false};
  std::thread thread_;
};

}  // namespace signaling::testing

#endif  // TESTS_CLUSTER_TCP_PROXY_H_
