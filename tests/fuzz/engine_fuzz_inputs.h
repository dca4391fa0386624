// What the stateful PairingEngine fuzz target feeds the engine, decoded from
// the fuzz input: client messages from a small set of well-formed ones
// (joins of both roles, offers and answers of real SDPs, candidates, leave,
// refresh, ping), each possibly mutated with fuzz bytes, messages without a
// kind, and the verifier's answers (a principal with chosen grants and
// expiry, refused, unavailable).
#ifndef TESTS_FUZZ_ENGINE_FUZZ_INPUTS_H_
#define TESTS_FUZZ_ENGINE_FUZZ_INPUTS_H_

#include <fuzzer/FuzzedDataProvider.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/matching/pairing_engine.h"
#include "signaling/v1/signaling.pb.h"

namespace signaling::fuzz {

// The ids and tokens the inputs choose from, so that sessions meet.
std::string PickId(FuzzedDataProvider& in);
std::string PickToken(FuzzedDataProvider& in);

// A client message, well-formed or mutated.
v1::ClientMessage PickMessage(FuzzedDataProvider& in);

// What the verifier answers, at `now`.
absl::StatusOr<matching::Principal> PickVerdict(FuzzedDataProvider& in, absl::Time now);

// Aborts unless the well-formed SDPs and candidates of the set are valid, so
// that the target really reaches relaying.
void CheckWellFormedInputs();

}  // namespace signaling::fuzz

#endif  // TESTS_FUZZ_ENGINE_FUZZ_INPUTS_H_
