// A TokenVerifierClient that holds every call until the test answers it,
// recording the token and the deadline it was given.
#ifndef TESTS_SERVICES_MATCHING_FAKE_TOKEN_VERIFIER_H_
#define TESTS_SERVICES_MATCHING_FAKE_TOKEN_VERIFIER_H_

#include <deque>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "services/matching/token_verifier_client.h"

namespace signaling::matching {

class FakeTokenVerifier final : public TokenVerifierClient {
 public:
  struct Call {
    std::string token;
    absl::Time deadline;
    Callback done;
  };

  void Verify(std::string token, absl::Time deadline, Callback done) override {
    absl::MutexLock lock(&mu_);
    calls_.push_back(Call{std::move(token), deadline, std::move(done)});
  }

  size_t pending() {
    absl::MutexLock lock(&mu_);
    return calls_.size();
  }

  // The oldest call still unanswered; requires pending() > 0.
  std::string front_token() {
    absl::MutexLock lock(&mu_);
    return calls_.front().token;
  }
  absl::Time front_deadline() {
    absl::MutexLock lock(&mu_);
    return calls_.front().deadline;
  }

  // Answers the oldest call (outside the fake's lock, like gRPC would).
  void Answer(absl::StatusOr<Principal> principal) {
    Call call;
    {
      absl::MutexLock lock(&mu_);
      call = std::move(calls_.front());
      calls_.pop_front();
    }
    std::move(call.done)(std::move(principal));
  }

 private:
  absl::Mutex mu_;
  std::deque<Call> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace signaling::matching

#endif  // TESTS_SERVICES_MATCHING_FAKE_TOKEN_VERIFIER_H_
