// A SessionSink for the session router's tests: records what the router
// hands a transport, per connection, in order.
#ifndef TESTS_SERVICES_MATCHING_FAKE_SESSION_SINK_H_
#define TESTS_SERVICES_MATCHING_FAKE_SESSION_SINK_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/matching/session_router.h"

namespace signaling::matching {

// Records what the router hands a transport, per connection, as
// "joined", "error:UNAUTHENTICATED", "close:4001", ...
class FakeSink final : public SessionSink {
 public:
  void Deliver(uint64_t conn, v1::ServerMessage message) override {
    std::string kind(message.GetDescriptor()->FindFieldByNumber(message.kind_case())->name());
    if (message.has_error()) kind += ":" + v1::Error::Code_Name(message.error().code());
    Record(conn, std::move(kind));
  }
  void CloseConn(uint64_t conn, uint32_t code, const std::string&) override {
    Record(conn, absl::StrCat("close:", code));
  }
  // Recorded as connection 0's.
  void Draining() override { Record(0, "draining"); }
  void Redirect(uint64_t conn, const std::string& replica, const std::string& announced) override {
    Record(conn, absl::StrCat("redirect:", replica, announced.empty() ? "" : ":", announced));
  }

  std::vector<std::string> Events(uint64_t conn) {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& [c, kind] : events_) {
      if (c == conn) out.push_back(kind);
    }
    return out;
  }
  // Every connection's events in the order they arrived, as "conn:kind".
  std::vector<std::string> All() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& [c, kind] : events_) out.push_back(absl::StrCat(c, ":", kind));
    return out;
  }
  // Waits (real time, bounded) until `conn` was closed; false on timeout.
  bool AwaitClose(uint64_t conn, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto closed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const auto& [c, kind] : events_) {
        if (c == conn && kind.rfind("close:", 0) == 0) return true;
      }
      return false;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&closed), timeout);
  }

 private:
  void Record(uint64_t conn, std::string kind) {
    absl::MutexLock lock(&mu_);
    events_.emplace_back(conn, std::move(kind));
  }

  absl::Mutex mu_;
  std::vector<std::pair<uint64_t, std::string>> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace signaling::matching

#endif  // TESTS_SERVICES_MATCHING_FAKE_SESSION_SINK_H_
