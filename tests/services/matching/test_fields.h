// A valid ICE candidate line, candidate messages with chosen sdpMid,
// sdpMLineIndex and usernameFragment, and the check for fields unknown to
// the schema: shared by the engine's unit tests
// (tests/services/matching/pairing_engine_*_test.cc) and the field-grammar
// test of the real stack (tests/hostile/field_grammar_test.cc).
#ifndef TESTS_SERVICES_MATCHING_TEST_FIELDS_H_
#define TESTS_SERVICES_MATCHING_TEST_FIELDS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "google/protobuf/message.h"
#include "signaling/v1/signaling.pb.h"

namespace signaling::matching::testing_fields {

inline constexpr char kCandidate[] = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";

// An iceCandidate of kCandidate with only the given optional fields set.
inline v1::ClientMessage CandidateWith(std::optional<std::string> mid,
                                       std::optional<uint32_t> index,
                                       std::optional<std::string> ufrag = std::nullopt) {
  v1::ClientMessage m;
  auto* c = m.mutable_ice_candidate();
  c->set_candidate(kCandidate);
  if (mid) c->set_sdp_mid(*mid);
  if (index) c->set_sdp_m_line_index(*index);
  if (ufrag) c->set_username_fragment(*ufrag);
  return m;
}

// Whether `m` or any message inside it carries fields unknown to the schema.
inline bool HasUnknownFields(const google::protobuf::Message& m) {
  std::unique_ptr<google::protobuf::Message> copy(m.New());
  copy->CopyFrom(m);
  copy->DiscardUnknownFields();
  return copy->ByteSizeLong() != m.ByteSizeLong();
}

}  // namespace signaling::matching::testing_fields

#endif  // TESTS_SERVICES_MATCHING_TEST_FIELDS_H_
