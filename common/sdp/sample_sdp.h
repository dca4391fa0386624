// A data-channel-only offer and answer, as a browser makes them, valid by
// ValidateSdp: what the test clients and the load generator send where a
// peer sends its description. The services never use them.
#ifndef COMMON_SDP_SAMPLE_SDP_H_
#define COMMON_SDP_SAMPLE_SDP_H_

namespace signaling::sdp {

inline constexpr char kSampleOffer[] =
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Xk9f\r\na=ice-pwd:Lg6Tq2mSx0FzWcP1aB7dYe3h\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:"
    "08\r\n"
    "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
inline constexpr char kSampleAnswer[] =
    "v=0\r\no=- 2837591402845120934 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Qw3r\r\na=ice-pwd:Zt8Yh2kLp0NvBc5xMa1sDf4g\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "1C:2D:3E:4F:50:61:72:83:94:A5:B6:C7:D8:E9:FA:0B:1C:2D:3E:4F:50:61:72:83:94:A5:B6:C7:D8:E9:FA:"
    "0B\r\n"
    "a=setup:active\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

}  // namespace signaling::sdp

#endif  // COMMON_SDP_SAMPLE_SDP_H_
