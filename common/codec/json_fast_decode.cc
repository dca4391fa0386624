// The fast path's decoder: a ClientMessage from JSON in the canonical form
// of protocol v1, or a give-up for anything else; see json_fast_path.h.
#include <cstdint>
#include <string>

#include "common/codec/json_fast_path.h"

namespace signaling::codec::internal {
namespace {

// Length of the valid UTF-8 sequence at `p` (before `end`), 0 if invalid.
size_t Utf8Length(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t min;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

class FastDecoder {
 public:
  explicit FastDecoder(absl::string_view json) : p_(json.data()), end_(json.data() + json.size()) {}

  // True when `json` is canonical and fully decoded into `*out`.
  bool Decode(v1::ClientMessage* out) {
    if (!Consume('{')) return false;
    std::string kind;
    if (!String(&kind) || !Consume(':')) return false;
    bool ok;
    if (kind == "iceCandidate") {
      ok = Candidate(out->mutable_ice_candidate());
    } else if (kind == "offer") {
      ok = Description(out->mutable_offer());
    } else if (kind == "answer") {
      ok = Description(out->mutable_answer());
    } else if (kind == "join") {
      ok = Join(out->mutable_join());
    } else if (kind == "ping") {
      ok = Ping(out->mutable_ping());
    } else if (kind == "refresh") {
      ok = Refresh(out->mutable_refresh());
    } else if (kind == "leave") {
      out->mutable_leave();
      ok = Consume('{') && Consume('}');
    } else {
      return false;
    }
    if (!ok || !Consume('}')) return false;
    SkipSpace();
    return p_ == end_;
  }

 private:
  // Parses `{ "key": value, ... }`, calling field(key) positioned at each
  // value; a repeated key gives up (bit per field in `seen`).
  template <class Field>
  bool Object(Field field) {
    if (!Consume('{')) return false;
    SkipSpace();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    uint32_t seen = 0;
    std::string key;
    while (true) {
      if (!String(&key) || !Consume(':')) return false;
      const int bit = field(key);
      if (bit < 0 || (seen & (1u << bit))) return false;
      seen |= 1u << bit;
      SkipSpace();
      if (p_ >= end_) return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_++ != ',') return false;
    }
  }

  bool Candidate(v1::IceCandidate* c) {
    return Object([&](const std::string& key) -> int {
      if (key == "candidate") return String(c->mutable_candidate()) ? 0 : -1;
      if (key == "sdpMid") return String(c->mutable_sdp_mid()) ? 1 : -1;
      if (key == "usernameFragment") return String(c->mutable_username_fragment()) ? 2 : -1;
      if (key == "sdpMLineIndex") {
        uint32_t index;
        if (!Uint32(&index)) return -1;
        c->set_sdp_m_line_index(index);
        return 3;
      }
      return -1;
    });
  }

  bool Description(v1::SessionDescription* d) {
    return Object([&](const std::string& key) -> int {
      if (key == "sdp") return String(d->mutable_sdp()) ? 0 : -1;
      if (key == "iceCandidates") {
        if (!Consume('[')) return -1;
        SkipSpace();
        if (p_ < end_ && *p_ == ']') {
          ++p_;
          return 1;
        }
        while (true) {
          if (!Candidate(d->add_ice_candidates())) return -1;
          SkipSpace();
          if (p_ >= end_) return -1;
          if (*p_ == ']') {
            ++p_;
            return 1;
          }
          if (*p_++ != ',') return -1;
        }
      }
      return -1;
    });
  }

  bool Join(v1::Join* j) {
    return Object([&](const std::string& key) -> int {
      if (key == "sessionToken") return String(j->mutable_session_token()) ? 0 : -1;
      if (key == "peerId") return String(j->mutable_peer_id()) ? 1 : -1;
      if (key == "targetId") return String(j->mutable_target_id()) ? 2 : -1;
      if (key == "role") {
        std::string name;
        v1::Role role;
        if (!String(&name) || !v1::Role_Parse(name, &role)) return -1;
        j->set_role(role);
        return 3;
      }
      if (key == "waitMs") {
        uint32_t wait;
        if (!Uint32(&wait)) return -1;
        j->set_wait_ms(wait);
        return 4;
      }
      return -1;
    });
  }

  bool Ping(v1::Ping* ping) {
    return Object([&](const std::string& key) -> int {
      if (key == "nonce") return String(ping->mutable_nonce()) ? 0 : -1;
      return -1;
    });
  }

  bool Refresh(v1::Refresh* refresh) {
    return Object([&](const std::string& key) -> int {
      if (key == "sessionToken") return String(refresh->mutable_session_token()) ? 0 : -1;
      return -1;
    });
  }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Consume(char c) {
    SkipSpace();
    if (p_ >= end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // A JSON string into `*out`: short escapes and \u of the BMP outside the
  // surrogates and controls; valid UTF-8 only.
  bool String(std::string* out) {
    if (!Consume('"')) return false;
    out->clear();
    const auto* p = reinterpret_cast<const unsigned char*>(p_);
    const auto* end = reinterpret_cast<const unsigned char*>(end_);
    const unsigned char* run = p;
    while (true) {
      if (p >= end) return false;
      const unsigned char c = *p;
      if (c == '"') break;
      if (c < 0x20) return false;
      if (c < 0x80 && c != '\\') {
        ++p;
        continue;
      }
      if (c >= 0x80) {
        const size_t n = Utf8Length(p, end);
        if (n == 0) return false;
        p += n;
        continue;
      }
      out->append(reinterpret_cast<const char*>(run), p - run);
      if (end - p < 2) return false;
      switch (p[1]) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          if (end - p < 6) return false;
          uint32_t cp = 0;
          for (int i = 2; i < 6; ++i) {
            const unsigned char h = p[i];
            cp <<= 4;
            if (h >= '0' && h <= '9') {
              cp |= h - '0';
            } else if (h >= 'a' && h <= 'f') {
              cp |= h - 'a' + 10;
            } else if (h >= 'A' && h <= 'F') {
              cp |= h - 'A' + 10;
            } else {
              return false;
            }
          }
          if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
          if (cp < 0x80) {
            out->push_back(static_cast<char>(cp));
          } else if (cp < 0x800) {
            out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          } else {
            out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          }
          p += 4;
          break;
        }
        default: return false;
      }
      p += 2;
      run = p;
    }
    out->append(reinterpret_cast<const char*>(run), p - run);
    p_ = reinterpret_cast<const char*>(p + 1);
    return true;
  }

  // A plain non-negative integer (no sign, fraction, exponent or leading
  // zero) that fits in 32 bits.
  bool Uint32(uint32_t* out) {
    SkipSpace();
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && end_ - p_ > 1 && p_[1] >= '0' && p_[1] <= '9') return false;
    uint64_t value = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      value = value * 10 + static_cast<uint64_t>(*p_++ - '0');
      if (value > 0xFFFFFFFFu) return false;
    }
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    *out = static_cast<uint32_t>(value);
    return true;
  }

  const char* p_;
  const char* end_;
};

}  // namespace

bool FastDecodeClientJson(absl::string_view json, v1::ClientMessage* out) {
  return FastDecoder(json).Decode(out);
}

}  // namespace signaling::codec::internal
