// The text exposition format 0.0.4: escaping, value formatting, name
// rules, and the rendering of one family's samples (metrics.cc's
// Family::Serialize writes through these).
#include "common/metrics/text_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/metrics/metrics.h"

namespace signaling::metrics {
namespace {

// Debian's Abseil does not alias absl::string_view to std::string_view.
absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

void AppendSample(std::string* out, std::string_view name, std::string_view labels, double value) {
  out->append(name);
  if (!labels.empty()) absl::StrAppend(out, "{", A(labels), "}");
  absl::StrAppend(out, " ", FormatValue(value), "\n");
}

}  // namespace

namespace internal {

std::string SanitizeUtf8(std::string_view in) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto b0 = static_cast<unsigned char>(in[i]);
    if (b0 < 0x80) {
      out.push_back(in[i]);
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
      if (b0 == 0xED) hi = 0x9F;  // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;  // no overlong forms
      if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    }
    size_t valid = 0;  // bytes of a valid prefix of the sequence
    if (len != 0) {
      valid = 1;
      while (valid < len && i + valid < in.size()) {
        const auto b = static_cast<unsigned char>(in[i + valid]);
        const unsigned char l = valid == 1 ? lo : 0x80;
        const unsigned char h = valid == 1 ? hi : 0xBF;
        if (b < l || b > h) break;
        ++valid;
      }
    }
    if (len != 0 && valid == len) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out.append(kReplacement);
      i += std::max<size_t>(valid, 1);
    }
  }
  return out;
}

std::string LabelPairs(const std::vector<std::string>& names,
                       const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.push_back(',');
    absl::StrAppend(&out, names[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  return out;
}

void AppendSamples(std::string* out, const std::string& name, const std::string& labels,
                   const Counter& c) {
  AppendSample(out, name, labels, c.Value());
}

void AppendSamples(std::string* out, const std::string& name, const std::string& labels,
                   const Gauge& g) {
  AppendSample(out, name, labels, g.Value());
}

void AppendSamples(std::string* out, const std::string& name, const std::string& labels,
                   const Histogram& h) {
  const Histogram::Snapshot s = h.Collect();
  const std::string bucket = absl::StrCat(name, "_bucket");
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < s.cumulative.size(); ++i) {
    const std::string le = i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf";
    AppendSample(out, bucket, absl::StrCat(labels, sep, "le=\"", le, "\""),
                 static_cast<double>(s.cumulative[i]));
  }
  AppendSample(out, absl::StrCat(name, "_sum"), labels, s.sum);
  AppendSample(out, absl::StrCat(name, "_count"), labels, static_cast<double>(s.count));
}

}  // namespace internal

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "NaN";  // cannot happen with 64 bytes
  return std::string(buf, end);
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out.append("\\\\"); break;
      case '"': out.append("\\\""); break;
      case '\n': out.append("\\n"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAsciiAlpha(c) || c == '_' || c == ':' || (i > 0 && IsAsciiDigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAsciiAlpha(c) || c == '_' || (i > 0 && IsAsciiDigit(c));
    if (!ok) return false;
  }
  return true;
}

}  // namespace signaling::metrics
