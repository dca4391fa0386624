// Builders of test descriptions shared by the ValidateSdp tests (which live
// in this namespace): the minimal browser offer, an audio section, and ways
// to replace or insert lines.
#ifndef TESTS_COMMON_SDP_SDP_TEST_LINES_H_
#define TESTS_COMMON_SDP_SDP_TEST_LINES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/sdp/sdp.h"
#include "gtest/gtest.h"

namespace signaling::sdp::testing_sdp {

inline const SdpLimits kDefaults;

// Joins lines with CRLF, the last one terminated too.
inline std::string Sdp(const std::vector<std::string>& lines) {
  return absl::StrCat(absl::StrJoin(lines, "\r\n"), "\r\n");
}

// The smallest description a browser would produce: one data channel.
inline std::vector<std::string> MinimalOfferLines() {
  return {"v=0",
          "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
          "s=-",
          "t=0 0",
          "a=group:BUNDLE 0",
          "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
          "c=IN IP4 0.0.0.0",
          "a=ice-ufrag:EsAw",
          "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
          "a=setup:actpass",
          "a=mid:0",
          "a=sctp-port:5000",
          "a=max-message-size:262144"};
}

// An audio section, appended to MinimalOfferLines() by some tests.
inline std::vector<std::string> AudioSectionLines(absl::string_view mid) {
  return {"m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
          "c=IN IP4 0.0.0.0",
          "a=setup:actpass",
          absl::StrCat("a=mid:", mid),
          "a=sendrecv",
          "a=rtcp-mux",
          "a=rtpmap:111 opus/48000/2",
          "a=rtcp-fb:111 transport-cc",
          "a=fmtp:111 minptime=10;useinbandfec=1",
          "a=rtpmap:0 PCMU/8000"};
}

inline std::vector<std::string> Concat(std::vector<std::string> a,
                                       const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Replaces the first line that starts with `prefix`.
inline std::vector<std::string> Replace(std::vector<std::string> lines, absl::string_view prefix,
                                        std::string replacement) {
  for (std::string& line : lines) {
    if (absl::string_view(line).substr(0, prefix.size()) == prefix) {
      line = std::move(replacement);
      return lines;
    }
  }
  ADD_FAILURE() << "no line starts with " << prefix;
  return lines;
}

inline absl::Status Offer(absl::string_view sdp, const SdpLimits& limits = kDefaults) {
  return ValidateSdp(sdp, SdpType::kOffer, limits).status();
}

inline std::string MinimalWith(absl::string_view prefix, std::string line) {
  return Sdp(Replace(MinimalOfferLines(), prefix, std::move(line)));
}

// The minimal offer with `line` inserted before the line at `index`.
inline std::string MinimalInserting(size_t index, std::string line) {
  std::vector<std::string> lines = MinimalOfferLines();
  lines.insert(lines.begin() + index, std::move(line));
  return Sdp(lines);
}

}  // namespace signaling::sdp::testing_sdp

#endif  // TESTS_COMMON_SDP_SDP_TEST_LINES_H_
