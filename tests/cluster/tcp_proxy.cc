// The test's TCP proxy; see tcp_proxy.h. One thread polls the listener and
// every connection; writes are blocking (loopback, small replies).
#include "tests/cluster/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace signaling::testing {
namespace {

struct Link {
  int client = -1;
  int upstream = -1;  // connected once the proxy is not cut
};

int Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Moves what `from` has to `to`; false when either side is done.
bool Pump(int from, int to) {
  char buffer[16384];
  const ssize_t n = ::read(from, buffer, sizeof buffer);
  if (n <= 0) return false;
  for (ssize_t sent = 0; sent < n;) {
    const ssize_t w = ::send(to, buffer + sent, n - sent, MSG_NOSIGNAL);
    if (w <= 0) return false;
    sent += w;
  }
  return true;
}

void CloseLink(Link& link) {
  ::close(link.client);
  if (link.upstream >= 0) ::close(link.upstream);
}

}  // namespace

TcpProxy::TcpProxy(uint16_t upstream_port) : upstream_port_(upstream_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length) != 0 ||
      ::pipe2(wake_, O_CLOEXEC) != 0) {
    std::abort();  // a test machine without loopback sockets cannot run this test
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

TcpProxy::~TcpProxy() {
  (void)::write(wake_[1], "x", 1);
  thread_.join();
  ::close(wake_[0]);
  ::close(wake_[1]);
  ::close(listener_);
}

void TcpProxy::Loop() {
  std::vector<Link> links;
  while (true) {
    const bool cut = cut_.load();
    std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
    for (Link& link : links) {
      if (cut) break;
      if (link.upstream < 0) link.upstream = Connect(upstream_port_);
      fds.push_back({link.client, POLLIN, 0});
      fds.push_back({link.upstream, POLLIN, 0});  // -1 (upstream down) is ignored by poll
    }
    // Short, so that Cut() and Heal() take effect at once.
    if (::poll(fds.data(), fds.size(), 20) < 0) continue;
    if (fds[0].revents != 0) break;
    if (fds[1].revents & POLLIN) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) links.push_back({client, -1});
    }
    std::vector<Link> open;
    for (size_t i = 0; i < links.size(); ++i) {
      Link& link = links[i];
      bool alive = true;
      if (!cut && 2 + 2 * i + 1 < fds.size()) {
        const pollfd& c = fds[2 + 2 * i];
        const pollfd& u = fds[2 + 2 * i + 1];
        if (link.upstream < 0) alive = false;
        if (alive && c.revents != 0) alive = Pump(link.client, link.upstream);
        if (alive && u.revents != 0) alive = Pump(link.upstream, link.client);
      }
      if (alive) {
        open.push_back(link);
      } else {
        CloseLink(link);
      }
    }
    links = std::move(open);
  }
  for (Link& link : links) CloseLink(link);
}

}  // namespace signaling::testing
