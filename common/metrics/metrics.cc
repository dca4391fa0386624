// Registry, families and instruments; their rendering in the text format
// is text_format.cc.
#include "common/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/metrics/text_format.h"

namespace signaling::metrics {
namespace {

constexpr std::string_view kCounterSuffix = "_total";

// Debian's Abseil does not alias absl::string_view to std::string_view.
absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

absl::Status ValidateLabelNames(std::vector<std::string>& names, bool histogram) {
  for (const std::string& n : names) {
    if (!IsValidLabelName(n)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid label name \"", n, "\""));
    }
    if (n.size() >= 2 && n[0] == '_' && n[1] == '_') {
      return absl::InvalidArgumentError(
          absl::StrCat("label name \"", n, "\" is reserved (\"__\" prefix)"));
    }
    if (histogram && n == "le") {
      return absl::InvalidArgumentError("label name \"le\" is reserved on histograms");
    }
  }
  std::sort(names.begin(), names.end());
  if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
    return absl::InvalidArgumentError("repeated label name");
  }
  return absl::OkStatus();
}

absl::Status ValidateBounds(const std::vector<double>& bounds) {
  if (bounds.empty()) {
    return absl::InvalidArgumentError("histogram needs at least one bound");
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      return absl::InvalidArgumentError("histogram bounds must be finite");
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      return absl::InvalidArgumentError("histogram bounds must be strictly increasing");
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Counter, Gauge, Histogram ---------------------------------------------

void Counter::Inc(double v) {
  if (!(v >= 0)) return;  // also rejects NaN
  value_.fetch_add(v, std::memory_order_relaxed);
}

void Counter::RaiseTo(double total) {
  double cur = value_.load(std::memory_order_relaxed);
  while (total > cur && !value_.compare_exchange_weak(cur, total, std::memory_order_relaxed)) {
  }
}

double Counter::Value() const { return value_.load(std::memory_order_relaxed); }

void Gauge::Set(double v) { value_.store(v, std::memory_order_relaxed); }
void Gauge::Inc(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
void Gauge::Dec(double v) { value_.fetch_sub(v, std::memory_order_relaxed); }
double Gauge::Value() const { return value_.load(std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]()) {}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  const size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Collect() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.resize(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.count = total;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) return {};
  std::vector<double> out;
  out.reserve(count);
  double b = start;
  for (int i = 0; i < count; ++i) {
    if (!std::isfinite(b)) return {};
    out.push_back(b);
    b *= factor;
  }
  return out;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  if (!std::isfinite(start) || !(width > 0) || count < 1) return {};
  std::vector<double> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i) {
    const double b = start + width * i;
    if (!std::isfinite(b)) return {};
    out.push_back(b);
  }
  return out;
}

// ---- Family ----------------------------------------------------------------

template <typename T>
Family<T>::Family(std::string name, std::string help, std::string type,
                  std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(std::move(type)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

template <typename T>
std::unique_ptr<T> Family<T>::MakeChild() const {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(bounds_);
  } else {
    return std::make_unique<T>();
  }
}

template <typename T>
T& Family<T>::With(const Labels& labels) {
  // Labels is ordered by name, as is label_names_: match them pairwise.
  bool match = labels.size() == label_names_.size();
  std::vector<std::string> values;
  values.reserve(labels.size());
  if (match) {
    size_t i = 0;
    for (const auto& [name, value] : labels) {
      if (name != label_names_[i++]) {
        match = false;
        break;
      }
      values.push_back(internal::SanitizeUtf8(value));
    }
  }
  absl::MutexLock lock(&mu_);
  if (!match) {
    if (detached_ == nullptr) detached_ = MakeChild();
    return *detached_;
  }
  auto it = children_.find(values);
  if (it == children_.end()) {
    it = children_.emplace(std::move(values), MakeChild()).first;
  }
  return *it->second;
}

template <typename T>
void Family<T>::Serialize(std::string* out) const {
  // Children are never removed, so raw pointers stay valid after unlocking;
  // their values are read lock-free below.
  std::vector<std::pair<std::string, const T*>> children;
  {
    absl::MutexLock lock(&mu_);
    if (children_.empty()) return;
    children.reserve(children_.size());
    for (const auto& [values, child] : children_) {
      children.emplace_back(internal::LabelPairs(label_names_, values), child.get());
    }
  }
  absl::StrAppend(out, "# HELP ", name_, " ", EscapeHelp(help_), "\n");
  absl::StrAppend(out, "# TYPE ", name_, " ", type_, "\n");
  for (const auto& [labels, child] : children) {
    internal::AppendSamples(out, name_, labels, *child);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- Registry --------------------------------------------------------------

absl::Status Registry::Reserve(std::string_view name, std::string_view type) {
  if (!IsValidMetricName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid metric name \"", A(name), "\""));
  }
  std::vector<std::string> series = {std::string(name)};
  if (type == "histogram") {
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      series.push_back(absl::StrCat(A(name), A(suffix)));
    }
  }
  for (const std::string& s : series) {
    if (series_names_.contains(s)) {
      return absl::AlreadyExistsError(
          absl::StrCat("metric \"", A(name), "\" clashes with the registered \"", s, "\""));
    }
  }
  series_names_.insert(series.begin(), series.end());
  return absl::OkStatus();
}

absl::StatusOr<CounterFamily*> Registry::AddCounter(std::string_view name, std::string_view help,
                                                    std::vector<std::string> label_names) {
  if (name.size() <= kCounterSuffix.size() || !name.ends_with(kCounterSuffix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("counter name \"", A(name), "\" must end in \"", A(kCounterSuffix), "\""));
  }
  if (absl::Status s = ValidateLabelNames(label_names, false); !s.ok()) {
    return s;
  }
  CounterFamily* family;
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = Reserve(name, "counter"); !s.ok()) {
      return s;
    }
    family = new CounterFamily(std::string(name), std::string(help), "counter",
                               std::move(label_names), {});
    families_.emplace(std::string(name), family);
  }
  if (family->label_names().empty()) family->With({});
  return family;
}

absl::StatusOr<GaugeFamily*> Registry::AddGauge(std::string_view name, std::string_view help,
                                                std::vector<std::string> label_names) {
  if (absl::Status s = ValidateLabelNames(label_names, false); !s.ok()) {
    return s;
  }
  GaugeFamily* family;
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = Reserve(name, "gauge"); !s.ok()) {
      return s;
    }
    family =
        new GaugeFamily(std::string(name), std::string(help), "gauge", std::move(label_names), {});
    families_.emplace(std::string(name), family);
  }
  if (family->label_names().empty()) family->With({});
  return family;
}

absl::StatusOr<HistogramFamily*> Registry::AddHistogram(std::string_view name,
                                                        std::string_view help,
                                                        std::vector<double> bounds,
                                                        std::vector<std::string> label_names) {
  if (absl::Status s = ValidateLabelNames(label_names, true); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateBounds(bounds); !s.ok()) return s;
  HistogramFamily* family;
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = Reserve(name, "histogram"); !s.ok()) {
      return s;
    }
    family = new HistogramFamily(std::string(name), std::string(help), "histogram",
                                 std::move(label_names), std::move(bounds));
    families_.emplace(std::string(name), family);
  }
  if (family->label_names().empty()) family->With({});
  return family;
}

void Registry::AddCollector(std::function<void()> collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Serialize() const {
  std::vector<std::function<void()>> collectors;
  {
    absl::MutexLock lock(&mu_);
    collectors = collectors_;
  }
  // Outside the lock: collectors may register or look up children.
  for (const auto& collect : collectors) collect();

  std::vector<const internal::FamilyBase*> families;
  {
    absl::MutexLock lock(&mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family.get());
  }
  std::string out;
  for (const internal::FamilyBase* family : families) family->Serialize(&out);
  return out;
}

Registry& DefaultRegistry() {
  static Registry* const registry = new Registry();
  return *registry;
}

}  // namespace signaling::metrics
