// Child processes, ports and admin HTTP for tests; see child_process.h.
#include "tests/integration/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/integration/wait.h"

extern char** environ;

namespace signaling::testing {

bool Child::Spawn(const std::vector<std::string>& args, const std::string& log) {
  log_ = log;
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  status_.reset();
  const int rc = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) pid_ = -1;
  return rc == 0;
}

void Child::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

std::optional<int> Child::WaitExitStatus(absl::Duration timeout) {
  if (pid_ <= 0) return status_;
  const bool ended = WaitFor(
      [&] {
        int status = 0;
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) status_ = status;
        if (r == pid_ || r < 0) pid_ = -1;  // ended, or not ours to wait for
        return pid_ <= 0;
      },
      timeout, absl::Milliseconds(5));
  return ended ? status_ : std::nullopt;
}

void Child::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  if (WaitExitStatus(absl::Seconds(3))) return;
  kill(pid_, SIGKILL);
  WaitExitStatus(absl::Seconds(5));
}

std::string DescribeStatus(const std::optional<int>& status) {
  if (!status) return "still running";
  if (WIFEXITED(*status)) return absl::StrCat("exit ", WEXITSTATUS(*status));
  if (WIFSIGNALED(*status)) return absl::StrCat("signal ", WTERMSIG(*status));
  return absl::StrCat("status ", *status);
}

uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) close(fd);
    return 0;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

HttpResult HttpGet(uint16_t port, const std::string& target, absl::Duration timeout) {
  HttpResult result;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return result;
  timeval tv{};
  tv.tv_sec = absl::ToInt64Seconds(timeout);
  tv.tv_usec = absl::ToInt64Microseconds(timeout) % 1000000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return result;
  }
  const std::string request = absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                           "\r\nConnection: close\r\n\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return result;
  }
  std::string data;
  char buf[16384];
  std::optional<size_t> total;  // header + body length, once known
  while (!total || data.size() < *total) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;  // EOF, error or timeout
    data.append(buf, static_cast<size_t>(n));
    if (!total) {
      const size_t end = data.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string headers = data.substr(0, end);
        for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const size_t cl = headers.find("\r\ncontent-length:");
        if (cl != std::string::npos) total = end + 4 + std::stoul(headers.substr(cl + 17));
      }
    }
  }
  close(fd);
  const size_t end = data.find("\r\n\r\n");
  if (data.rfind("HTTP/1.", 0) != 0 || end == std::string::npos || data.size() < 12) return result;
  result.status = std::atoi(data.substr(9, 3).c_str());
  result.body = data.substr(end + 4);
  return result;
}

std::map<std::string, double> ParseMetrics(const std::string& body) {
  std::map<std::string, double> out;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    out[line.substr(0, sp)] = std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace signaling::testing
