// PeerClient's lifetime: calls to the other replicas are sent and forgotten,
// so destroying the client must wait for the ones in flight (their callbacks
// use it); each ends by its deadline. The peer here is a socket that
// accepts TCP but never speaks HTTP/2, so a call waits for its deadline.
#include "services/matching/cluster/peer_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace signaling::matching {
namespace {

// A listening socket nobody accepts on: connections complete in the
// kernel's backlog and then hear nothing.
class SilentPeer {
 public:
  SilentPeer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentPeer() { close(fd_); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(PeerClientTest, DestroyingItWaitsForTheCallsInFlightUntilTheirDeadline) {
  SilentPeer peer;
  ClusterMetrics metrics;  // not registered: counts nothing
  constexpr absl::Duration kDeadline = absl::Milliseconds(300);
  auto client = PeerClient::Create({true, "", "", ""}, kDeadline, &metrics);
  ASSERT_TRUE(client.ok()) << client.status();
  (*client)->Evict(peer.address(), "kiosk-7", 3);
  (*client)->TellArrived(peer.address(), "kiosk-8", "127.0.0.1:7001");
  const absl::Time start = absl::Now();
  client->reset();  // a callback after this would use a destroyed client
  const absl::Duration waited = absl::Now() - start;
  EXPECT_GE(waited, kDeadline - absl::Milliseconds(100)) << "did not wait for the calls";
  EXPECT_LT(waited, kDeadline + absl::Seconds(2)) << "waited past their deadline";
}

}  // namespace
}  // namespace signaling::matching
