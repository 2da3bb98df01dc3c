#include "obs/prom.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace sremon::obs::prom {

void Gauge::SetToCurrentTime() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  Set(std::chrono::duration<double>(now).count());
}

Histogram::Histogram(BucketBoundaries bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end())) {
    throw std::invalid_argument("histogram bucket boundaries must be sorted");
  }
}

void Histogram::Observe(double v) {
  // The first bucket whose upper bound is >= v (le is inclusive); NaN falls in +Inf.
  size_t i = static_cast<size_t>(std::find_if(bounds_.begin(), bounds_.end(), [v](double b) { return v <= b; }) -
                                 bounds_.begin());
  std::lock_guard lock(mu_);
  ++counts_[i];
  sum_ += v;
}

void Histogram::Collect(ClientMetric* m) const {
  std::lock_guard lock(mu_);
  uint64_t cumulative = 0;
  m->buckets.reserve(counts_.size());
  for (size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    m->buckets.emplace_back(i < bounds_.size() ? bounds_[i] : INFINITY, cumulative);
  }
  m->sample_count = cumulative;
  m->sample_sum = sum_;
}

FamilyBase* Registry::FindLocked(const std::string& name, MetricType type) {
  for (auto& f : families_) {
    if (f->name() != name) continue;
    if (f->type() != type) throw std::invalid_argument("metric " + name + " is already registered with another type");
    return f.get();
  }
  return nullptr;
}

std::vector<MetricFamily> Registry::Collect() const {
  std::lock_guard lock(mu_);
  std::vector<MetricFamily> out;
  for (MetricType type : {MetricType::kCounter, MetricType::kGauge, MetricType::kHistogram}) {
    for (const auto& f : families_) {
      if (f->type() != type) continue;
      MetricFamily mf;
      if (f->Collect(&mf)) out.push_back(std::move(mf));
    }
  }
  return out;
}

namespace {

void AppendValue(std::string* out, double v) {
  if (std::isnan(v)) {
    *out += "Nan";
  } else if (std::isinf(v)) {
    *out += v < 0 ? "-Inf" : "+Inf";
  } else {
    fmt::format_to(std::back_inserter(*out), "{:.16g}", v);
  }
}

void AppendLabelValue(std::string* out, const std::string& v) {
  for (char c : v) {
    switch (c) {
      case '\n': *out += "\\n"; break;
      case '\\': *out += "\\\\"; break;
      case '"': *out += "\\\""; break;
      default: *out += c;
    }
  }
}

// name{labels[,extra="value"]} — then the caller appends the value.
void AppendHead(std::string* out, const std::string& name, std::string_view suffix, const Labels& labels,
                std::string_view extra_name = {}, double extra_value = 0) {
  *out += name;
  *out += suffix;
  if (!labels.empty() || !extra_name.empty()) {
    *out += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) *out += ',';
      first = false;
      *out += k;
      *out += "=\"";
      AppendLabelValue(out, v);
      *out += '"';
    }
    if (!extra_name.empty()) {
      if (!first) *out += ',';
      *out += extra_name;
      *out += "=\"";
      AppendValue(out, extra_value);
      *out += '"';
    }
    *out += '}';
  }
  *out += ' ';
}

}  // namespace

std::string TextSerializer::Serialize(const std::vector<MetricFamily>& families) const {
  std::string out;
  for (const auto& f : families) {
    out += "# HELP " + f.name + " " + f.help + "\n";
    out += "# TYPE " + f.name + " ";
    out += f.type == MetricType::kCounter ? "counter" : f.type == MetricType::kGauge ? "gauge" : "histogram";
    out += '\n';
    for (const auto& m : f.metric) {
      if (f.type != MetricType::kHistogram) {
        AppendHead(&out, f.name, "", m.labels);
        AppendValue(&out, m.value);
        out += '\n';
        continue;
      }
      AppendHead(&out, f.name, "_count", m.labels);
      out += std::to_string(m.sample_count) + "\n";
      AppendHead(&out, f.name, "_sum", m.labels);
      AppendValue(&out, m.sample_sum);
      out += '\n';
      for (const auto& [le, count] : m.buckets) {
        AppendHead(&out, f.name, "_bucket", m.labels, "le", le);
        out += std::to_string(count) + "\n";
      }
    }
  }
  return out;
}

}  // namespace sremon::obs::prom
