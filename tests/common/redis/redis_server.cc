// The test's redis-server child; see redis_server.h.
#include "tests/common/redis/redis_server.h"

#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/integration/wait.h"

namespace signaling::testing {

RedisServer::RedisServer(std::vector<std::string> extra) : RedisServer(std::move(extra), "") {}

std::unique_ptr<RedisServer> RedisServer::Sentinel(uint16_t primary_port) {
  const std::string config =
      absl::StrCat("sentinel monitor signaling 127.0.0.1 ", primary_port, " 1\n",
                   "sentinel down-after-milliseconds signaling 1000\n",
                   "sentinel failover-timeout signaling 5000\n");
  return std::unique_ptr<RedisServer>(new RedisServer({"--sentinel"}, config));
}

RedisServer::RedisServer(std::vector<std::string> extra, std::string config)
    : extra_(std::move(extra)), config_(std::move(config)), port_(FreePort()) {
  char dir[] = "/tmp/redis-test-XXXXXX";
  dir_ = mkdtemp(dir);
  log_ = dir_ + "/redis.log";
  up_ = Start();
}

RedisServer::~RedisServer() {
  Resume();
  child_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool RedisServer::Start() {
  std::vector<std::string> args = {"/usr/bin/redis-server"};
  if (!config_.empty()) {
    const std::string path = dir_ + "/redis.conf";
    std::ofstream(path) << config_;
    args.push_back(path);
  }
  args.insert(args.end(), {"--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_});
  if (config_.empty()) args.insert(args.end(), {"--save", "", "--appendonly", "no"});
  args.insert(args.end(), extra_.begin(), extra_.end());
  child_ = std::make_unique<Child>();
  if (!child_->Spawn(args, log_)) return false;
  // Logged once the port is bound (a Sentinel logs no "Ready" line).
  const char* ready = config_.empty() ? "Ready to accept connections" : "+monitor master";
  return WaitFor([&] { return ReadFile(log_).find(ready) != std::string::npos; },
                 absl::Seconds(10));
}

void RedisServer::Kill() {
  if (child_ == nullptr || !child_->running()) return;
  child_->Signal(SIGKILL);
  child_->WaitExitStatus(absl::Seconds(5));
  up_ = false;
}

void RedisServer::Pause() {
  if (child_ != nullptr && child_->running()) child_->Signal(SIGSTOP);
}

void RedisServer::Resume() {
  if (child_ != nullptr && child_->running()) child_->Signal(SIGCONT);
}

bool RedisServer::Restart() {
  Kill();
  std::error_code ignored;
  std::filesystem::remove(log_, ignored);
  up_ = Start();
  return up_;
}

std::string RedisServer::Cli(const std::vector<std::string>& args) const {
  std::string command = absl::StrCat("redis-cli -p ", port_);
  for (const std::string& arg : args) absl::StrAppend(&command, " '", arg, "'");
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r"); pipe != nullptr) {
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
    pclose(pipe);
  }
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

}  // namespace signaling::testing
