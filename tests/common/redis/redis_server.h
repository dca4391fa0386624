// A real redis-server for tests, started by the test on a free loopback
// port with no persistence, and controllable as a failing dependency is:
// killed, hung (SIGSTOP) and resumed, restarted empty on the same port.
#ifndef TESTS_COMMON_REDIS_REDIS_SERVER_H_
#define TESTS_COMMON_REDIS_REDIS_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/child_process.h"

namespace signaling::testing {

class RedisServer {
 public:
  // Starts redis-server with `extra` arguments ("--requirepass", "x", ...)
  // and waits until it is ready; up() is false if it did not start.
  explicit RedisServer(std::vector<std::string> extra = {});
  // A Sentinel monitoring the primary at `primary_port` as "signaling"
  // (quorum 1, down after 1 s), on a free port of its own.
  static std::unique_ptr<RedisServer> Sentinel(uint16_t primary_port);
  ~RedisServer();

  bool up() const { return up_; }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& log_path() const { return log_; }

  void Kill();     // SIGKILL, reaped
  void Pause();    // SIGSTOP: a hung server, its socket still accepting
  void Resume();   // SIGCONT
  bool Restart();  // a new empty server on the same port

  // redis-cli against this server, for the test's own checks: its output.
  std::string Cli(const std::vector<std::string>& args) const;

 private:
  RedisServer(std::vector<std::string> extra, std::string config);
  bool Start();

  const std::vector<std::string> extra_;
  const std::string config_;  // a config file's text, for Sentinel (it rewrites it)
  const uint16_t port_;
  std::string dir_;
  std::string log_;
  std::unique_ptr<Child> child_;
  bool up_ = false;
};

}  // namespace signaling::testing

#endif  // TESTS_COMMON_REDIS_REDIS_SERVER_H_
