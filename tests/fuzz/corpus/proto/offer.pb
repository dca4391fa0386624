Í
Êv=0
o=- 5690679409027852273 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:M3vw
a=ice-pwd:HJCFHR5HfbKieCZJUiwOcr0y
a=ice-options:trickle
a=fingerprint:sha-256 39:9E:38:1B:62:B7:C6:FF:3F:38:AB:9E:54:38:11:67:C6:95:C8:11:95:61:E3:7E:DC:AF:C3:AD:E3:91:4C:6C
a=setup:actpass
a=mid:0
a=sctp-port:5000
a=max-message-size:262144
