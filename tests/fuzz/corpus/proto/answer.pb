Ì
Év=0
o=- 3490090433179948475 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:nh4H
a=ice-pwd:TJz2t/oqQq4LeCxCHJRvRvll
a=ice-options:trickle
a=fingerprint:sha-256 D9:09:34:1F:5E:70:2C:D1:6B:8C:B5:6A:D8:92:27:F1:E8:07:40:CB:17:51:D9:6E:3D:07:5F:AC:F4:D1:18:62
a=setup:active
a=mid:0
a=sctp-port:5000
a=max-message-size:262144
