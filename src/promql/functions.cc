// PromQL functions (Prometheus promql/functions.go, 2.42 semantics for float samples).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>
#include <re2/re2.h>

#include "promql/eval.h"
#include "util/go_compat.h"
#include "util/strings.h"

namespace sremon::promql::internal {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

using Window = std::span<const model::Sample>;

// Input samples plus output points from which a range function is evaluated on several threads:
// several ms of work (see kParallelDecodeSamples in engine.cc for why not less).
constexpr size_t kParallelRangeWork = 500'000;

struct StepInfo {
  int64_t t;         // evaluation time of the step
  int64_t range_start;
  int64_t range_end;  // the window is [range_start, range_end]
  size_t step;
};

// ---- range-vector helpers -------------------------------------------------------------------

// Prometheus extrapolatedRate() after its first step: `result` is last - first, plus for counters
// the value before each reset within the window.
double Extrapolate(Window s, double result, const StepInfo& si, int64_t range_ms, bool counter, bool rate) {
  double to_start = static_cast<double>(s.front().t - si.range_start) / 1000;
  double to_end = static_cast<double>(si.range_end - s.back().t) / 1000;
  double sampled = static_cast<double>(s.back().t - s.front().t) / 1000;
  double avg_between = sampled / static_cast<double>(s.size() - 1);
  if (counter && result > 0 && s.front().v >= 0) {
    double to_zero = sampled * (s.front().v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = avg_between * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_between / 2;
  interval += to_end < threshold ? to_end : avg_between / 2;
  result = result * (interval / sampled);
  if (rate) result /= static_cast<double>(range_ms) / 1000;
  return result;
}

// rate(), increase(), delta(). Prometheus scans each window for counter resets; windows of
// consecutive steps overlap by range/step, so here each sample is checked once, when a window first
// reaches it, and each window adds the resets inside it in the same order as Prometheus's loop
// (bit-identical). That loop starts from last = 0, so a negative first sample "adds" 0: a no-op,
// skipped here.
class ExtrapolatedRateFn {
 public:
  ExtrapolatedRateFn(int64_t range_ms, bool counter, bool rate) : range_ms_(range_ms), counter_(counter), rate_(rate) {}
  void StartSeries(Window all) {
    base_ = all.data();
    resets_.clear();
    next_ = 0;
    scanned_ = 1;
  }
  // REQUIRES: windows of one series come with non-decreasing starts and ends.
  std::optional<double> operator()(Window w, const StepInfo& si) {
    if (w.size() < 2) return std::nullopt;
    double result = w.back().v - w.front().v;
    if (counter_) {
      size_t lo = static_cast<size_t>(w.data() - base_), hi = lo + w.size();
      for (; scanned_ < hi; ++scanned_) {
        if (base_[scanned_].v < base_[scanned_ - 1].v) resets_.push_back(scanned_);
      }
      while (next_ < resets_.size() && resets_[next_] <= lo) ++next_;
      for (size_t k = next_; k < resets_.size() && resets_[k] < hi; ++k) result += base_[resets_[k] - 1].v;
    }
    return Extrapolate(w, result, si, range_ms_, counter_, rate_);
  }

 private:
  int64_t range_ms_;
  bool counter_, rate_;
  const model::Sample* base_ = nullptr;
  std::vector<size_t> resets_;  // indices i < scanned_ of the series with v[i] < v[i-1]
  size_t next_ = 0;             // first reset past the start of the last window
  size_t scanned_ = 1;          // samples [1, scanned_) have been checked for resets
};

// max_over_time / min_over_time. Prometheus scans each window: m = first value, then any value
// that beats m, or any value while m is NaN. That is the first occurrence of the extreme among the
// non-NaN values (ties keep the earlier one, so 0 and -0 come out as Prometheus's), or the last
// value when all are NaN. Windows slide, so a monotonic queue of candidates gives the same
// answer in O(1) per step instead of O(window).
class SlidingExtremeFn {
 public:
  explicit SlidingExtremeFn(bool is_max) : is_max_(is_max) {}
  void StartSeries(Window all) {
    base_ = all.data();
    queue_.clear();
    head_ = 0;
    pushed_ = 0;
  }
  // REQUIRES: windows of one series come with non-decreasing starts and ends.
  std::optional<double> operator()(Window w, const StepInfo&) {
    size_t lo = static_cast<size_t>(w.data() - base_), hi = lo + w.size();
    for (; pushed_ < hi; ++pushed_) {
      double v = base_[pushed_].v;
      if (std::isnan(v)) continue;
      // Candidates stay in order of index with values never beaten by a later one: drop those
      // the new value beats (strictly: an equal earlier value stays first).
      while (queue_.size() > head_ && Beats(v, base_[queue_.back()].v)) queue_.pop_back();
      queue_.push_back(pushed_);
    }
    while (head_ < queue_.size() && queue_[head_] < lo) ++head_;
    if (head_ == queue_.size()) return w.back().v;  // all NaN
    if (head_ > 1024 && head_ * 2 > queue_.size()) {  // keep the queue's storage bounded
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(head_));
      head_ = 0;
    }
    return base_[queue_[head_]].v;
  }

 private:
  bool Beats(double a, double b) const { return is_max_ ? a > b : a < b; }
  bool is_max_;
  const model::Sample* base_ = nullptr;
  std::vector<size_t> queue_;  // indices; [head_, end) are the live candidates
  size_t head_ = 0;
  size_t pushed_ = 0;  // samples [0, pushed_) have been offered to the queue
};

std::optional<double> InstantValue(Window s, bool rate) {
  if (s.size() < 2) return std::nullopt;
  const auto& last = s[s.size() - 1];
  const auto& prev = s[s.size() - 2];
  double result = (rate && last.v < prev.v) ? last.v : last.v - prev.v;
  int64_t dt = last.t - prev.t;
  if (dt == 0) return std::nullopt;
  if (rate) result /= static_cast<double>(dt) / 1000;
  return result;
}

inline void KahanInc(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

std::pair<double, double> LinearRegression(Window s, int64_t intercept_time) {
  double n = 0, sum_x = 0, cx = 0, sum_y = 0, cy = 0, sum_xy = 0, cxy = 0, sum_x2 = 0, cx2 = 0;
  double init_y = s[0].v;
  bool const_y = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (const_y && i > 0 && s[i].v != init_y) const_y = false;
    n += 1;
    double x = static_cast<double>(s[i].t - intercept_time) / 1e3;
    KahanInc(x, &sum_x, &cx);
    KahanInc(s[i].v, &sum_y, &cy);
    KahanInc(x * s[i].v, &sum_xy, &cxy);
    KahanInc(x * x, &sum_x2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) return {kNaN, kNaN};
    return {0, init_y};
  }
  sum_x += cx;
  sum_y += cy;
  sum_xy += cxy;
  sum_x2 += cx2;
  double cov_xy = sum_xy - sum_x * sum_y / n;
  double var_x = sum_x2 - sum_x * sum_x / n;
  double slope = cov_xy / var_x;
  double intercept = sum_y / n - slope * sum_x / n;
  return {slope, intercept};
}

// ---- civil time (Go time.Unix(v, 0).UTC()) --------------------------------------------------

struct Civil {
  int64_t year;
  int month, day, hour, minute, weekday, yday;
};

bool IsLeapYear(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

// Prometheus converts with Go's int64(v), which on amd64 gives the minimum int64 for NaN, ±Inf
// and every value outside the int64 range; Go's calendar arithmetic then wraps around 2^64.
// Both are reproduced so that such values answer the same (odd) dates as Prometheus 2.42.
Civil ToCivil(double v) {
  constexpr double kTwo63 = 9223372036854775808.0;
  int64_t secs = v >= -kTwo63 && v < kTwo63 ? static_cast<int64_t>(v) : std::numeric_limits<int64_t>::min();
  // Go counts seconds from 1 January of year kZeroYear (1 mod 400, so 400-year cycles start
  // there) in a uint64; 1970-01-01 is kUnixToAbs seconds after it.
  constexpr int64_t kZeroYear = -292277022399;
  constexpr uint64_t kUnixToAbs = 9223372028715321600u;
  constexpr uint64_t kDay = 86400, kDays400 = 146097, kDays100 = 36524, kDays4 = 1461;
  uint64_t abs = static_cast<uint64_t>(secs) + kUnixToAbs;  // wraps as Go's does
  Civil c{};
  c.hour = static_cast<int>(abs % kDay / 3600);
  c.minute = static_cast<int>(abs % 3600 / 60);
  c.weekday = static_cast<int>((abs + kDay) % (7 * kDay) / kDay);  // day 0 was a Monday
  uint64_t d = abs / kDay, y = 0;
  uint64_t n = d / kDays400;
  y += 400 * n;
  d -= kDays400 * n;
  n = d / kDays100;
  n -= n >> 2;  // the 4th century of a cycle is one day longer: its last day stays in it
  y += 100 * n;
  d -= kDays100 * n;
  n = d / kDays4;
  y += 4 * n;
  d -= kDays4 * n;
  n = d / 365;
  n -= n >> 2;  // likewise the leap day ending a 4-year run
  y += n;
  d -= 365 * n;
  c.year = static_cast<int64_t>(y) + kZeroYear;
  c.yday = static_cast<int>(d) + 1;
  static constexpr int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};
  int leap = IsLeapYear(c.year) ? 1 : 0;
  int m = 1;
  while (m < 12 && static_cast<int>(d) >= kCum[m] + (m >= 2 ? leap : 0)) ++m;
  c.month = m;
  c.day = static_cast<int>(d) - kCum[m - 1] - (m > 2 ? leap : 0) + 1;
  return c;
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// ---- helpers over evaluated arguments --------------------------------------------------------

const Node* Unparen(const Node* n) {
  while (n->kind == NodeKind::kParen) n = static_cast<const ParenExpr*>(n)->expr.get();
  return n;
}

model::Labels AbsentLabels(const Node& arg) {
  const Node* n = Unparen(&arg);
  const VectorSelector* vs = nullptr;
  if (n->kind == NodeKind::kVectorSelector) vs = static_cast<const VectorSelector*>(n);
  if (n->kind == NodeKind::kMatrixSelector) vs = &static_cast<const MatrixSelector*>(n)->vs();
  if (!vs) return {};
  model::LabelsBuilder lb;
  std::vector<std::string> has;
  for (const auto& m : vs->matchers) {
    if (m.name() == model::kMetricName) continue;
    if (m.type() == model::MatchType::kEqual && std::find(has.begin(), has.end(), m.name()) == has.end()) {
      lb.Set(m.name(), m.value());
      has.push_back(m.name());
    } else {
      lb.Del(m.name());
    }
  }
  return lb.Build();
}

// absent() / absent_over_time(): 1 at the steps where `present` has no point, labelled from the
// argument's equality matchers.
Val Absent(const Evaluator& ev, const Mat& present, const Node& arg) {
  std::vector<bool> found(ev.steps(), false);
  for (const auto& s : present) {
    for (const auto& p : s.pts) found[ev.StepOf(p.t)] = true;
  }
  Val out;
  out.type = ValueType::kVector;
  Series s;
  s.metric = AbsentLabels(arg);
  for (size_t i = 0; i < ev.steps(); ++i) {
    if (!found[i]) s.pts.push_back({ev.TimeOf(i), 1});
  }
  if (!s.pts.empty()) out.mat.push_back(std::move(s));
  return out;
}

// Applies f to every point of every series (per-sample functions), dropping the metric name.
// f: std::optional<double>(double value, size_t step).
template <typename Fn>
Val MapValues(Evaluator& ev, Val v, bool drop_name, Fn&& f) {
  for (auto& s : v.mat) {
    if (drop_name) s.metric = DropMetricName(std::move(s.metric));
    size_t w = 0;
    for (size_t r = 0; r < s.pts.size(); ++r) {
      std::optional<double> nv = f(s.pts[r].v, ev.StepOf(s.pts[r].t));
      if (!nv) continue;
      s.pts[w++] = {s.pts[r].t, *nv};
    }
    s.pts.resize(w);
  }
  Finalize(&v.mat);
  return v;
}

// Evaluates a function over a range-vector argument, one series at a time (Prometheus's matrix
// path of eval for Call): each output series keeps the input labels minus the metric name.
// fn: std::optional<double>(Window, const StepInfo&), called once per step and series with a
// non-empty window (a template parameter, not std::function: this is the hot loop). A functor
// with StartSeries(Window all) gets each series' samples before its windows.
// A matrix selector's series are evaluated as they are decoded, on the thread that decoded them
// (SeriesSink), so the selector's samples are never all held; a subquery's are evaluated after
// it, on several threads when large (ParallelFor). Each thread has its own copy of fn, so fn must
// be copyable and its copies must share no mutable state.
//
// Under an @ modifier every step reads the window at the @ time (Prometheus evaluates such a
// call once and repeats it), except with AtWindow::kStepClipped: for predict_linear, whose value
// depends on the step, Prometheus 2.42 evaluates every step, with the window moved forward by
// the step's distance from the query's start, in which only the samples loaded for the @ time
// exist (so the window shrinks, and later steps have no point).
enum class AtWindow { kFixed, kStepClipped };
template <typename Fn>
Val EvalOverRange(Evaluator& ev, const Node& arg, bool keep_name, const Fn& fn, AtWindow at_window = AtWindow::kFixed) {
  RangeInput in;
  Mat res;  // by input series; the empty ones are dropped below
  auto make_eval = [&] {
    return [&, f = fn, pts = std::vector<model::Sample>(ev.steps())](size_t si, Window smp) mutable {
      if ((si & 1023) == 1023) ev.ctx()->CheckDeadline();
      if (smp.empty()) return;
      if constexpr (requires { f.StartSeries(smp); }) f.StartSeries(smp);
      size_t np = 0, lo = 0, hi = 0;
      for (size_t i = 0; i < ev.steps(); ++i) {
        int64_t ref = ev.TimeOf(i) - in.offset_ms;
        int64_t mint = ref - in.range_ms;
        if (in.fixed_ref) {
          ref = in.fixed_ref_ms - in.offset_ms;
          mint = ref - in.range_ms;
          // Prometheus turns @ into an offset from the query's start, so the window slides
          // forward with the steps while only [mint, ref] was loaded: it shrinks from the left.
          if (at_window == AtWindow::kStepClipped) mint += ev.TimeOf(i) - ev.TimeOf(0);
        }
        while (lo < smp.size() && smp[lo].t < mint) ++lo;
        if (hi < lo) hi = lo;
        while (hi < smp.size() && smp[hi].t <= ref) ++hi;
        if (hi == lo) continue;
        StepInfo st{ev.TimeOf(i), mint, ref, i};
        auto v = f(Window(smp.data() + lo, hi - lo), st);
        if (v) pts[np++] = {ev.TimeOf(i), *v};  // the output is built here and copied at its exact size
      }
      if (np > 0) res[si].pts.assign(pts.begin(), pts.begin() + static_cast<ptrdiff_t>(np));
    };
  };
  SeriesSink sink;
  sink.grow = [&](size_t n) { res.resize(n); };
  sink.make_visitor = [&]() -> SeriesVisitor { return make_eval(); };
  ev.EvalRangeInput(arg, &sink, &in);
  const size_t n = in.metrics.size();
  if (!in.streamed) {
    res.resize(n);
    ParallelFor(n, in.total + n * ev.steps() >= kParallelRangeWork, [&] {
      return [&, eval = make_eval()](size_t si) mutable { eval(si, Window(in.samples[si])); };
    });
  }
  Val out;
  out.type = ValueType::kVector;
  out.mat.reserve(n);
  size_t points = 0;
  for (size_t si = 0; si < n; ++si) {
    Series& s = res[si];
    if (s.pts.empty()) continue;
    points += s.pts.size();
    s.metric = keep_name ? std::move(in.metrics[si]) : DropMetricName(std::move(in.metrics[si]));
    out.mat.push_back(std::move(s));
  }
  ev.ctx()->NotePeak(in.total + points);
  Finalize(&out.mat);
  return out;
}

}  // namespace

double GoMax(double a, double b) {
  if (std::isinf(a) && a > 0) return a;
  if (std::isinf(b) && b > 0) return b;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

double GoMin(double a, double b) {
  if (std::isinf(a) && a < 0) return a;
  if (std::isinf(b) && b < 0) return b;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

double Quantile(double q, std::vector<double>* values) {
  if (values->empty() || std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(values->begin(), values->end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return a < b;
  });
  double n = static_cast<double>(values->size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return (*values)[static_cast<size_t>(lower)] * (1 - weight) + (*values)[static_cast<size_t>(upper)] * weight;
}

namespace {

struct Bucket {
  double upper;
  double count;
};

double BucketQuantile(double q, std::vector<Bucket>* b) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(b->begin(), b->end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (!std::isinf(b->back().upper) || b->back().upper < 0) return kNaN;
  // Coalesce buckets with the same upper bound.
  size_t i = 0;
  Bucket last = (*b)[0];
  for (size_t k = 1; k < b->size(); ++k) {
    if ((*b)[k].upper == last.upper) {
      last.count += (*b)[k].count;
    } else {
      (*b)[i++] = last;
      last = (*b)[k];
    }
  }
  (*b)[i] = last;
  b->resize(i + 1);
  // Ensure monotonic counts.
  double max = -kInf;
  for (auto& x : *b) {
    if (x.count > max) {
      max = x.count;
    } else if (x.count < max) {
      x.count = max;
    }
  }
  if (b->size() < 2) return kNaN;
  double observations = b->back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t n = b->size() - 1, idx = 0;
  // sort.Search(n, count >= rank)
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (!((*b)[mid].count >= rank)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  idx = lo;
  if (idx == n) return (*b)[n - 1].upper;
  if (idx == 0 && (*b)[0].upper <= 0) return (*b)[0].upper;
  double start = 0, end = (*b)[idx].upper, count = (*b)[idx].count;
  if (idx > 0) {
    start = (*b)[idx - 1].upper;
    count -= (*b)[idx - 1].count;
    rank -= (*b)[idx - 1].count;
  }
  return start + (end - start) * (rank / count);
}

Val HistogramQuantile(Evaluator& ev, const std::vector<double>& qs, Val in) {
  Mat& mat = in.mat;
  // Group by all labels but `le` (the metric name stays in the key, not in the result).
  std::vector<int32_t> group_of(mat.size(), -1);
  std::vector<double> upper(mat.size());
  std::vector<model::Labels> glabels;
  std::unordered_map<std::string, int32_t> index;
  for (size_t si = 0; si < mat.size(); ++si) {
    std::string_view le = mat[si].metric.Get("le");
    auto ub = ParseFloat(le);
    if (!ub.ok()) continue;
    upper[si] = *ub;
    model::LabelsBuilder key(mat[si].metric);
    key.Del("le");
    std::string k = LabelsString(key.Build());
    auto [it, fresh] = index.emplace(k, static_cast<int32_t>(glabels.size()));
    if (fresh) {
      key.Del(model::kMetricName);
      glabels.push_back(key.Build());
    }
    group_of[si] = it->second;
  }
  Columns cols(ev, mat);
  Val out;
  out.type = ValueType::kVector;
  out.mat.resize(glabels.size());
  for (size_t g = 0; g < glabels.size(); ++g) out.mat[g].metric = glabels[g];
  std::vector<std::vector<Bucket>> buckets(glabels.size());
  std::vector<int32_t> touched;
  for (size_t i = 0; i < ev.steps(); ++i) {
    touched.clear();
    for (const Cell& c : cols.At(i)) {
      int32_t g = group_of[c.series];
      if (g < 0) continue;
      if (buckets[g].empty()) touched.push_back(g);
      buckets[g].push_back({upper[c.series], c.v});
    }
    for (int32_t g : touched) {
      out.mat[g].pts.push_back({ev.TimeOf(i), BucketQuantile(qs[i], &buckets[g])});
      buckets[g].clear();
    }
  }
  Finalize(&out.mat);
  return out;
}

Val LabelReplace(Val in, const std::vector<Val>& args) {
  const std::string& dst = args[1].str;
  const std::string& repl = args[2].str;
  const std::string& src = args[3].str;
  const std::string& regex = args[4].str;
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  re2::RE2 re("^(?:" + regex + ")$", opts);
  if (!re.ok()) Fail(Status::Execution(fmt::format("invalid regular expression in label_replace(): {}", regex)));
  if (!model::IsValidLabelName(dst)) {
    Fail(Status::Execution(fmt::format("invalid destination label name in label_replace(): {}", dst)));
  }
  std::vector<re2::StringPiece> pieces(re.NumberOfCapturingGroups() + 1);
  std::vector<std::string_view> groups(pieces.size());
  for (auto& s : in.mat) {
    std::string val(s.metric.Get(src));
    re2::StringPiece input(val);
    if (!re.Match(input, 0, val.size(), re2::RE2::UNANCHORED, pieces.data(), static_cast<int>(pieces.size()))) {
      continue;
    }
    for (size_t i = 0; i < pieces.size(); ++i) groups[i] = std::string_view(pieces[i].data(), pieces[i].size());
    std::string res = RegexpExpand(repl, re, groups);
    model::LabelsBuilder lb(s.metric);
    lb.Del(dst);
    if (!res.empty()) lb.Set(dst, res);
    s.metric = lb.Build();
  }
  Finalize(&in.mat);
  return in;
}

Val LabelJoin(Val in, const std::vector<Val>& args) {
  const std::string& dst = args[1].str;
  const std::string& sep = args[2].str;
  std::vector<std::string> srcs;
  for (size_t i = 3; i < args.size(); ++i) {
    if (!model::IsValidLabelName(args[i].str)) {
      Fail(Status::Execution(fmt::format("invalid source label name in label_join(): {}", args[i].str)));
    }
    srcs.push_back(args[i].str);
  }
  if (!model::IsValidLabelName(dst)) {
    Fail(Status::Execution(fmt::format("invalid destination label name in label_join(): {}", dst)));
  }
  for (auto& s : in.mat) {
    std::string joined;
    for (size_t i = 0; i < srcs.size(); ++i) {
      if (i) joined += sep;
      joined += s.metric.Get(srcs[i]);
    }
    model::LabelsBuilder lb(s.metric);
    if (joined.empty()) {
      lb.Del(dst);
    } else {
      lb.Set(dst, joined);
    }
    s.metric = lb.Build();
  }
  Finalize(&in.mat);
  return in;
}

// ---- the functions, one implementation per name (Prometheus promql/functions.go FunctionCalls) --

// Evaluates the call on every step; the signatures (argument and return types) are in ast.cc.
using FunctionCall = std::function<Val(Evaluator& ev, const Call& c)>;

// The arguments evaluated in order, for the functions that take them evaluated.
std::vector<Val> EvalArgs(Evaluator& ev, const Call& c) {
  std::vector<Val> args;
  args.reserve(c.args.size());
  for (const auto& a : c.args) args.push_back(ev.Eval(*a));
  return args;
}

// A function of a range vector computed from each window alone.
template <typename Fn>
FunctionCall OverRange(bool keep_name, Fn fn) {
  return [keep_name, fn](Evaluator& ev, const Call& c) { return EvalOverRange(ev, *c.args[0], keep_name, fn); };
}

// A function of an instant vector computed from each value alone.
FunctionCall Math(double (*f)(double)) {
  return [f](Evaluator& ev, const Call& c) {
    std::vector<Val> args = EvalArgs(ev, c);
    return MapValues(ev, std::move(args[0]), true, [f](double v, size_t) { return f(v); });
  };
}

// rate, increase, delta.
FunctionCall ExtrapolatedRate(bool counter, bool rate) {
  return [counter, rate](Evaluator& ev, const Call& c) {
    const Node* arg = Unparen(c.args[0].get());
    int64_t range = arg->kind == NodeKind::kMatrixSelector ? static_cast<const MatrixSelector*>(arg)->range_ms
                                                           : static_cast<const SubqueryExpr*>(arg)->range_ms;
    return EvalOverRange(ev, *c.args[0], false, ExtrapolatedRateFn(range, counter, rate));
  };
}

// Window functions as lambdas, not function pointers, so that EvalOverRange inlines them.
constexpr auto kDeriv = [](Window w, const StepInfo&) -> std::optional<double> {
  if (w.size() < 2) return std::nullopt;
  return LinearRegression(w, w[0].t).first;
};

Val PredictLinear(Evaluator& ev, const Call& c) {
  Val d = ev.Eval(*c.args[1]);
  return EvalOverRange(ev, *c.args[0], false, [&](Window w, const StepInfo& si) -> std::optional<double> {
    if (w.size() < 2) return std::nullopt;
    auto [slope, intercept] = LinearRegression(w, si.t);
    return slope * d.sc[si.step] + intercept;
  }, AtWindow::kStepClipped);
}

Val HoltWinters(Evaluator& ev, const Call& c) {
  Val sf = ev.Eval(*c.args[1]);
  Val tf = ev.Eval(*c.args[2]);
  return EvalOverRange(ev, *c.args[0], false, [&](Window w, const StepInfo& si) -> std::optional<double> {
    double s = sf.sc[si.step], t = tf.sc[si.step];
    if (s <= 0 || s >= 1) {
      Fail(Status::Execution(fmt::format("invalid smoothing factor. Expected: 0 < sf < 1, got: {:f}", s)));
    }
    if (t <= 0 || t >= 1) {
      Fail(Status::Execution(fmt::format("invalid trend factor. Expected: 0 < tf < 1, got: {:f}", t)));
    }
    if (w.size() < 2) return std::nullopt;
    double s0 = 0, s1 = w[0].v, b = w[1].v - w[0].v;
    for (size_t i = 1; i < w.size(); ++i) {
      double x = s * w[i].v;
      if (i > 1) b = t * (s1 - s0) + (1 - t) * b;
      double y = (1 - s) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  });
}

// resets, changes.
FunctionCall CountChanges(bool resets) {
  return OverRange(false, [resets](Window w, const StepInfo&) -> std::optional<double> {
    double count = 0;
    for (size_t i = 1; i < w.size(); ++i) {
      double cur = w[i].v, prev = w[i - 1].v;
      if (resets) {
        if (cur < prev) count++;
      } else if (!(cur == prev || (std::isnan(cur) && std::isnan(prev)))) {
        count++;
      }
    }
    return count;
  });
}

constexpr auto kAvgOverTime = [](Window w, const StepInfo&) -> std::optional<double> {
  double mean = 0, count = 0;
  for (const auto& p : w) {
    count++;
    if (std::isinf(mean)) {
      if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
      if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
    }
    mean += p.v / count - mean / count;
  }
  return mean;
};

constexpr auto kSumOverTime = [](Window w, const StepInfo&) -> std::optional<double> {
  double sum = 0;
  for (const auto& p : w) sum += p.v;
  return sum;
};

// stddev_over_time, stdvar_over_time.
FunctionCall DeviationOverTime(bool stddev) {
  return OverRange(false, [stddev](Window w, const StepInfo&) -> std::optional<double> {
    double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
    for (const auto& p : w) {
      count++;
      double delta = p.v - (mean + cmean);
      KahanInc(delta / count, &mean, &cmean);
      KahanInc(delta * (p.v - (mean + cmean)), &aux, &caux);
    }
    double var = (aux + caux) / count;
    return stddev ? std::sqrt(var) : var;
  });
}

Val QuantileOverTime(Evaluator& ev, const Call& c) {
  Val q = ev.Eval(*c.args[0]);
  return EvalOverRange(ev, *c.args[1], false,
                       [&q, buf = std::vector<double>()](Window w, const StepInfo& si) mutable -> std::optional<double> {
    buf.clear();
    for (const auto& p : w) buf.push_back(p.v);
    return Quantile(q.sc[si.step], &buf);
  });
}

constexpr auto kOne = [](Window, const StepInfo&) -> std::optional<double> { return 1; };

Val AbsentOverTime(Evaluator& ev, const Call& c) {
  // Names kept: only presence matters, and several metric names with the same other labels
  // must not collide (Prometheus checks for duplicates only after absent_over_time returns).
  Val present = EvalOverRange(ev, *c.args[0], true, kOne);
  return Absent(ev, present.mat, *c.args[0]);
}

// A scalar from the evaluation time of each step: time(), pi().
FunctionCall StepScalar(double (*f)(const Evaluator& ev, size_t step)) {
  return [f](Evaluator& ev, const Call&) {
    Val v;
    v.type = ValueType::kScalar;
    v.sc.resize(ev.steps());
    for (size_t i = 0; i < ev.steps(); ++i) v.sc[i] = f(ev, i);
    return v;
  };
}

Val VectorOf(Evaluator& ev, const Call& c) {
  Val s = ev.Eval(*c.args[0]);
  Val v;
  v.type = ValueType::kVector;
  Series out;
  for (size_t i = 0; i < ev.steps(); ++i) out.pts.push_back({ev.TimeOf(i), s.sc[i]});
  v.mat.push_back(std::move(out));
  return v;
}

// timestamp() of a plain selector reports the sample's own timestamp.
Val Timestamp(Evaluator& ev, const Call& c) {
  const Node* arg = Unparen(c.args[0].get());
  if (arg->kind == NodeKind::kVectorSelector) {
    Val in = ev.EvalVectorSelector(*static_cast<const VectorSelector*>(arg), true);
    return MapValues(ev, std::move(in), true, [](double v, size_t) { return v; });
  }
  Val in = ev.Eval(*c.args[0]);
  return MapValues(ev, std::move(in), true, [&](double, size_t i) { return static_cast<double>(ev.TimeOf(i)) / 1000; });
}

// day_of_month(), hour()...: one field of the date of each value, vector(time()) by default.
FunctionCall DatePart(double (*part)(const Civil& t)) {
  return [part](Evaluator& ev, const Call& c) {
    Val in;
    if (c.args.empty()) {
      in.type = ValueType::kVector;
      Series s;
      for (size_t i = 0; i < ev.steps(); ++i) s.pts.push_back({ev.TimeOf(i), static_cast<double>(ev.TimeOf(i)) / 1000});
      in.mat.push_back(std::move(s));
    } else {
      in = ev.Eval(*c.args[0]);
    }
    return MapValues(ev, std::move(in), true, [part](double v, size_t) { return part(ToCivil(v)); });
  };
}

Val Round(Evaluator& ev, const Call& c) {
  std::vector<Val> args = EvalArgs(ev, c);
  return MapValues(ev, std::move(args[0]), true, [&](double v, size_t i) {
    double to_nearest = args.size() > 1 ? args[1].sc[i] : 1;
    double inv = 1.0 / to_nearest;
    return std::floor(v * inv + 0.5) / inv;
  });
}

Val Clamp(Evaluator& ev, const Call& c) {
  std::vector<Val> args = EvalArgs(ev, c);
  return MapValues(ev, std::move(args[0]), true, [&](double v, size_t i) -> std::optional<double> {
    double lo = args[1].sc[i], hi = args[2].sc[i];
    if (hi < lo) return std::nullopt;
    return GoMax(lo, GoMin(hi, v));
  });
}

// clamp_min (GoMax), clamp_max (GoMin).
FunctionCall ClampOneSide(double (*bound)(double, double)) {
  return [bound](Evaluator& ev, const Call& c) {
    std::vector<Val> args = EvalArgs(ev, c);
    return MapValues(ev, std::move(args[0]), true, [&](double v, size_t i) { return bound(args[1].sc[i], v); });
  };
}

Val ScalarOf(Evaluator& ev, const Call& c) {
  std::vector<Val> args = EvalArgs(ev, c);
  size_t n = ev.steps();
  Val out;
  out.type = ValueType::kScalar;
  out.sc.assign(n, kNaN);
  std::vector<int> count(n, 0);
  for (const auto& s : args[0].mat) {
    for (const auto& p : s.pts) {
      size_t i = ev.StepOf(p.t);
      if (++count[i] == 1) out.sc[i] = p.v;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (count[i] != 1) out.sc[i] = kNaN;
  }
  return out;
}

// sort, sort_desc. Order only matters for instant queries: one point per series.
FunctionCall SortBy(bool desc) {
  return [desc](Evaluator& ev, const Call& c) {
    std::vector<Val> args = EvalArgs(ev, c);
    Val v = std::move(args[0]);
    // NaN sorts to the bottom in both directions (Prometheus funcSort/funcSortDesc).
    std::stable_sort(v.mat.begin(), v.mat.end(), [desc](const Series& a, const Series& b) {
      double x = a.pts[0].v, y = b.pts[0].v;
      if (std::isnan(x)) return false;
      if (std::isnan(y)) return true;
      return desc ? x > y : x < y;
    });
    return v;
  };
}

Val AbsentOf(Evaluator& ev, const Call& c) {
  std::vector<Val> args = EvalArgs(ev, c);
  return Absent(ev, args[0].mat, *c.args[0]);
}

// Float samples carry no native histograms: nothing to return.
Val NoNativeHistograms(Evaluator& ev, const Call& c) {
  EvalArgs(ev, c);
  Val out;
  out.type = ValueType::kVector;
  return out;
}

// A function of the evaluated arguments alone.
FunctionCall WithArgs(Val (*f)(Evaluator& ev, std::vector<Val>& args)) {
  return [f](Evaluator& ev, const Call& c) {
    std::vector<Val> args = EvalArgs(ev, c);
    return f(ev, args);
  };
}

const std::unordered_map<std::string_view, FunctionCall>& FunctionCalls() {
  static const auto* const kCalls = new std::unordered_map<std::string_view, FunctionCall>{
      // Range vectors.
      {"rate", ExtrapolatedRate(true, true)},
      {"increase", ExtrapolatedRate(true, false)},
      {"delta", ExtrapolatedRate(false, false)},
      {"irate", OverRange(false, [](Window w, const StepInfo&) { return InstantValue(w, true); })},
      {"idelta", OverRange(false, [](Window w, const StepInfo&) { return InstantValue(w, false); })},
      {"deriv", OverRange(false, kDeriv)},
      {"predict_linear", PredictLinear},
      {"holt_winters", HoltWinters},
      {"resets", CountChanges(true)},
      {"changes", CountChanges(false)},
      {"avg_over_time", OverRange(false, kAvgOverTime)},
      {"sum_over_time", OverRange(false, kSumOverTime)},
      {"count_over_time", OverRange(false, [](Window w, const StepInfo&) -> std::optional<double> { return double(w.size()); })},
      {"min_over_time", OverRange(false, SlidingExtremeFn(false))},
      {"max_over_time", OverRange(false, SlidingExtremeFn(true))},
      {"stddev_over_time", DeviationOverTime(true)},
      {"stdvar_over_time", DeviationOverTime(false)},
      {"quantile_over_time", QuantileOverTime},
      {"last_over_time", OverRange(true, [](Window w, const StepInfo&) -> std::optional<double> { return w.back().v; })},
      {"present_over_time", OverRange(false, kOne)},
      {"absent_over_time", AbsentOverTime},
      // No vector argument.
      {"time", StepScalar([](const Evaluator& ev, size_t i) { return static_cast<double>(ev.TimeOf(i)) / 1000; })},
      {"pi", StepScalar([](const Evaluator&, size_t) { return M_PI; })},
      {"vector", VectorOf},
      {"timestamp", Timestamp},
      // Dates.
      {"day_of_month", DatePart([](const Civil& t) -> double { return t.day; })},
      {"day_of_week", DatePart([](const Civil& t) -> double { return t.weekday; })},
      {"day_of_year", DatePart([](const Civil& t) -> double { return t.yday; })},
      {"days_in_month", DatePart([](const Civil& t) -> double { return DaysInMonth(t.year, t.month); })},
      {"hour", DatePart([](const Civil& t) -> double { return t.hour; })},
      {"minute", DatePart([](const Civil& t) -> double { return t.minute; })},
      {"month", DatePart([](const Civil& t) -> double { return t.month; })},
      {"year", DatePart([](const Civil& t) { return static_cast<double>(t.year); })},
      // One value at a time.
      {"abs", Math([](double v) { return std::fabs(v); })},
      {"ceil", Math([](double v) { return std::ceil(v); })},
      {"floor", Math([](double v) { return std::floor(v); })},
      {"exp", Math([](double v) { return std::exp(v); })},
      {"sqrt", Math([](double v) { return std::sqrt(v); })},
      {"ln", Math([](double v) { return std::log(v); })},
      {"log2", Math([](double v) { return std::log2(v); })},
      {"log10", Math([](double v) { return std::log10(v); })},
      {"sgn", Math([](double v) { return v < 0 ? -1.0 : v > 0 ? 1.0 : v; })},
      {"acos", Math([](double v) { return std::acos(v); })},
      {"acosh", Math([](double v) { return std::acosh(v); })},
      {"asin", Math([](double v) { return std::asin(v); })},
      {"asinh", Math([](double v) { return std::asinh(v); })},
      {"atan", Math([](double v) { return std::atan(v); })},
      {"atanh", Math([](double v) { return std::atanh(v); })},
      {"cos", Math([](double v) { return std::cos(v); })},
      {"cosh", Math([](double v) { return std::cosh(v); })},
      {"sin", Math([](double v) { return std::sin(v); })},
      {"sinh", Math([](double v) { return std::sinh(v); })},
      {"tan", Math([](double v) { return std::tan(v); })},
      {"tanh", Math([](double v) { return std::tanh(v); })},
      {"deg", Math([](double v) { return v * 180 / M_PI; })},
      {"rad", Math([](double v) { return v * M_PI / 180; })},
      {"round", Round},
      {"clamp", Clamp},
      {"clamp_min", ClampOneSide(GoMax)},
      {"clamp_max", ClampOneSide(GoMin)},
      // Whole vectors.
      {"scalar", ScalarOf},
      {"absent", AbsentOf},
      {"sort", SortBy(false)},
      {"sort_desc", SortBy(true)},
      {"histogram_quantile",
       WithArgs([](Evaluator& ev, std::vector<Val>& args) { return HistogramQuantile(ev, args[0].sc, std::move(args[1])); })},
      {"label_replace", WithArgs([](Evaluator&, std::vector<Val>& args) { return LabelReplace(std::move(args[0]), args); })},
      {"label_join", WithArgs([](Evaluator&, std::vector<Val>& args) { return LabelJoin(std::move(args[0]), args); })},
      {"histogram_count", NoNativeHistograms},
      {"histogram_sum", NoNativeHistograms},
      {"histogram_fraction", NoNativeHistograms},
  };
  return *kCalls;
}

}  // namespace

Val EvalCall(Evaluator& ev, const Call& c) {
  const auto& calls = FunctionCalls();
  auto it = calls.find(c.func->name);
  if (it == calls.end()) Fail(Status::Internal(fmt::format("function {} is not implemented", c.func->name)));
  return it->second(ev, c);
}

std::vector<std::string_view> FunctionCallNames() {
  std::vector<std::string_view> names;
  for (const auto& [name, call] : FunctionCalls()) names.push_back(name);
  return names;
}

}  // namespace sremon::promql::internal
