// Minimal valid offer and answer SDPs (one data-channel section, mid "0")
// shared by the matching service's unit tests.
#ifndef TESTS_SERVICES_MATCHING_TEST_SDP_H_
#define TESTS_SERVICES_MATCHING_TEST_SDP_H_

namespace signaling::matching::testing_sdp {

inline constexpr char kOffer[] =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n";
inline constexpr char kAnswer[] =
    "v=0\r\no=- 3 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:efgh\r\na=ice-pwd:bbbbbbbbbbbbbbbbbbbbbbbb\r\n"
    "a=fingerprint:sha-256 CC:DD\r\na=setup:active\r\na=mid:0\r\na=sctp-port:5000\r\n";

}  // namespace signaling::matching::testing_sdp

#endif  // TESTS_SERVICES_MATCHING_TEST_SDP_H_
