// Internal to common/metrics: the pieces of the text exposition format that
// Family::Serialize and Family::With use. The public text helpers
// (FormatValue, EscapeLabelValue, ...) are declared in metrics.h.
#ifndef COMMON_METRICS_TEXT_FORMAT_H_
#define COMMON_METRICS_TEXT_FORMAT_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/metrics/metrics.h"

namespace signaling::metrics::internal {

// Replaces every invalid UTF-8 sequence (stray continuation bytes, overlong
// forms, surrogates, code points above U+10FFFF, truncated sequences) by
// U+FFFD. The text format requires UTF-8 and Prometheus rejects a whole
// scrape over one bad byte.
std::string SanitizeUtf8(std::string_view in);

// `name="value",…` for the given names and values, without braces.
std::string LabelPairs(const std::vector<std::string>& names,
                       const std::vector<std::string>& values);

// The sample lines of one child: one line for a counter or gauge; the
// _bucket lines, _sum and _count for a histogram.
void AppendSamples(std::string* out, const std::string& name, const std::string& labels,
                   const Counter& c);
void AppendSamples(std::string* out, const std::string& name, const std::string& labels,
                   const Gauge& g);
void AppendSamples(std::string* out, const std::string& name, const std::string& labels,
                   const Histogram& h);

}  // namespace signaling::metrics::internal

#endif  // COMMON_METRICS_TEXT_FORMAT_H_
