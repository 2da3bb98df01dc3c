// The PromQL evaluator (Prometheus promql/engine.go, 2.42 semantics for float samples).
#include "promql/engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "promql/eval.h"
#include "util/strings.h"
#include "util/time.h"

namespace sremon::promql {

const char* ResultTypeName(const Value& v) {
  switch (v.index()) {
    case 0: return "scalar";
    case 1: return "string";
    case 2: return "vector";
    default: return "matrix";
  }
}

namespace internal {

void Fail(Status s) { throw EvalError{std::move(s)}; }

void QueryContext::CheckDeadline() const {
  if (std::chrono::steady_clock::now() > deadline) {
    Fail(Status::Timeout("query timed out in expression evaluation"));
  }
}

void QueryContext::CountSamples(size_t n) { stats.total_samples += static_cast<int64_t>(n); }

void QueryContext::CountRead(size_t n) {
  size_t total = samples_read.fetch_add(n, std::memory_order_relaxed) + n;
  if (opts->max_samples_per_query && total > opts->max_samples_per_query) {
    // VictoriaMetrics' words.
    Fail(Status::Execution(fmt::format(
        "cannot select more than -search.maxSamplesPerQuery={} samples; possible solutions: to increase the "
        "-search.maxSamplesPerQuery; to reduce time range for the query; to use more specific label filters in order "
        "to select lower number of series",
        opts->max_samples_per_query)));
  }
}

void QueryContext::NotePeak(size_t n) {
  if (static_cast<int64_t>(n) > stats.peak_samples) stats.peak_samples = static_cast<int64_t>(n);
  if (n > opts->max_samples) {
    Fail(Status::Execution("query processing would load too many samples into memory in query execution"));
  }
  size_t bytes = n * sizeof(model::Sample);
  if (opts->max_memory_bytes && bytes > opts->max_memory_bytes) {
    // As VictoriaMetrics words it, with what we know at this point: samples held, not points.
    Fail(Status::Execution(fmt::format(
        "not enough memory for processing {}, which holds {} samples at once according to "
        "-search.maxMemoryPerQuery={}; requested memory: {} bytes; possible solutions are: reducing the number of "
        "matching time series; increasing `step` query arg (step={}s); increasing -search.maxMemoryPerQuery",
        expr ? expr->String() : std::string("the query"), n, opts->max_memory_bytes, bytes,
        static_cast<double>(step_ms) / 1000.0)));
  }
}

model::Labels DropMetricName(model::Labels ls) { return std::move(ls).Without(model::kMetricName); }

std::string LabelsString(const model::Labels& ls) {
  std::string out = "{";
  bool first = true;
  for (const auto& l : ls) {
    if (!first) out += ", ";
    first = false;
    out += l.name + "=" + Quote(l.value);
  }
  return out + "}";
}

void Finalize(Mat* m) {
  std::unordered_map<uint64_t, std::vector<size_t>> by_hash;
  by_hash.reserve(m->size());
  Mat out;
  out.reserve(m->size());
  for (auto& s : *m) {
    if (s.pts.empty()) continue;
    auto& idxs = by_hash[s.metric.Hash()];
    Series* same = nullptr;
    for (size_t i : idxs) {
      if (out[i].metric == s.metric) same = &out[i];
    }
    if (!same) {
      idxs.push_back(out.size());
      out.push_back(std::move(s));
      continue;
    }
    std::vector<model::Sample> merged;
    merged.reserve(same->pts.size() + s.pts.size());
    size_t a = 0, b = 0;
    while (a < same->pts.size() || b < s.pts.size()) {
      if (b == s.pts.size() || (a < same->pts.size() && same->pts[a].t < s.pts[b].t)) {
        merged.push_back(same->pts[a++]);
      } else if (a == same->pts.size() || s.pts[b].t < same->pts[a].t) {
        merged.push_back(s.pts[b++]);
      } else {
        Fail(Status::Execution("vector cannot contain metrics with the same labelset"));
      }
    }
    same->pts = std::move(merged);
  }
  *m = std::move(out);
}

Columns::Columns(const Evaluator& ev, const Mat& m) {
  off_.assign(ev.steps() + 1, 0);
  for (const auto& s : m) {
    for (const auto& p : s.pts) ++off_[ev.StepOf(p.t) + 1];
  }
  for (size_t i = 1; i < off_.size(); ++i) off_[i] += off_[i - 1];
  cells_.resize(off_.back());
  std::vector<uint32_t> fill(off_.begin(), off_.end() - 1);
  for (uint32_t si = 0; si < m.size(); ++si) {
    for (const auto& p : m[si].pts) cells_[fill[ev.StepOf(p.t)]++] = Cell{si, p.v};
  }
}

Evaluator::Evaluator(QueryContext* ctx, int64_t start, int64_t end, int64_t interval)
    : ctx_(ctx), start_(start), end_(end), interval_(interval > 0 ? interval : 1) {
  nsteps_ = end_ >= start_ ? static_cast<size_t>((end_ - start_) / interval_) + 1 : 0;
}

int64_t Evaluator::AtTime(AtModifier at, int64_t at_ms) const {
  switch (at) {
    case AtModifier::kStart: return ctx_->query_start;
    case AtModifier::kEnd: return ctx_->query_end;
    default: return at_ms;
  }
}

int64_t Evaluator::RefTime(size_t i, int64_t offset_ms, AtModifier at, int64_t at_ms) const {
  if (at != AtModifier::kNone) return AtTime(at, at_ms) - offset_ms;
  return TimeOf(i) - offset_ms;
}

namespace {

// Series per decode batch, and the samples a batch must hold (estimated from the query's first
// series) to be decoded in parallel. A thread costs tens of microseconds and a sample a few ns,
// but on a busy machine a helper thread that is descheduled while it holds a series delays the
// whole query by a scheduler time slice (milliseconds): only batches of several ms go parallel.
constexpr size_t kDecodeBatch = 1024;
constexpr size_t kParallelDecodeSamples = 400'000;

struct Loaded {
  std::vector<model::Labels> metrics;
  std::vector<std::vector<model::Sample>> samples;  // empty when a sink took them
  size_t total = 0;                                 // samples loaded
};


// Decodes series [begin, end) of `its` within [mint, maxt], on this thread and, when `parallel`,
// on helper threads too (sample iterators may move between threads, storage.h): decoding is most
// of the cost of a large selector. Without a sink each series is kept in (*keep)[k]; with one it
// goes to the sink's visitor on the thread that decoded it, from a reused buffer. Buffers start
// with room for `expect` samples (the query's first series, plus a margin): series of one
// selector are mostly alike, so most decode without a regrowth and without much slack.
void DecodeBatch(QueryContext* ctx, std::vector<std::unique_ptr<storage::SampleIterator>>& its, size_t begin,
                 size_t end, int64_t mint, int64_t maxt, bool drop_stale, bool parallel, size_t expect,
                 size_t first_index, const SeriesSink* sink, std::vector<std::vector<model::Sample>>* keep,
                 std::vector<size_t>* counts) {
  ParallelFor(end - begin, parallel, [&] {
    return [&, visit = sink ? sink->make_visitor() : SeriesVisitor(), scratch = std::vector<model::Sample>()](
               size_t j) mutable {
      size_t k = begin + j;
      std::vector<model::Sample>& buf = sink ? scratch : (*keep)[k];
      buf.clear();
      buf.reserve(std::min<size_t>(expect + expect / 16, 1 << 16));
      its[k]->AppendRange(mint, maxt, &buf);
      its[k].reset();
      ctx->CountRead(buf.size());
      if (drop_stale) std::erase_if(buf, [](const model::Sample& smp) { return model::IsStaleNaN(smp.v); });
      (*counts)[k] = buf.size();
      if (sink) {
        visit(first_index + k, buf);
      } else if (buf.capacity() > 2 * buf.size() + 64) {
        buf.shrink_to_fit();  // a series much smaller than the first
      }
    };
  });
}

Loaded LoadSeries(QueryContext* ctx, const VectorSelector& vs, int64_t mint, int64_t maxt, int64_t step,
                  int64_t range, const std::string& func, bool drop_stale, const SeriesSink* sink = nullptr) {
  Loaded out;
  auto q = ctx->db->NewQuerier(mint, maxt);
  if (!q.ok()) Fail(q.status());
  storage::SelectHints hints;
  hints.start_ms = mint;
  hints.end_ms = maxt;
  hints.step_ms = step;
  hints.range_ms = range;
  hints.func = func;
  hints.max_series = ctx->opts->max_series;  // refused from the index, before any sample is read
  auto set = (*q)->Select(false, hints, vs.matchers);
  // Series come in batches: their iterators are made in order (Series::At is valid until the
  // next Next()), decoded together, then counted against the limits in order, so a query over the
  // limits fails where it did one series at a time, having decoded at most one batch more.
  std::vector<std::unique_ptr<storage::SampleIterator>> its;
  std::vector<std::vector<model::Sample>> batch;
  std::vector<size_t> counts;
  size_t est_samples = 1;  // per series, from the first one
  bool more = true;
  while (more) {
    ctx->CheckDeadline();
    its.clear();
    const size_t first = out.metrics.size();
    while (its.size() < kDecodeBatch && (more = set->Next())) {
      // A storage that could not tell from its index: refused before this batch is decoded.
      if (out.metrics.size() >= ctx->opts->max_series) Fail(storage::TooManySeries(ctx->opts->max_series));
      out.metrics.push_back(set->At().labels());
      its.push_back(set->At().Iterator());
    }
    if (its.empty()) break;
    if (sink) sink->grow(out.metrics.size());
    batch.assign(sink ? 0 : its.size(), {});
    counts.assign(its.size(), 0);
    // The first series of a query shows how large its series are: decode it alone, and decode in
    // parallel only when the rest looks worth a thread.
    size_t from = 0;
    if (first == 0) {
      DecodeBatch(ctx, its, 0, 1, mint, maxt, drop_stale, false, 1, first, sink, &batch, &counts);
      from = 1;
      est_samples = std::max<size_t>(counts[0], 1);
    }
    DecodeBatch(ctx, its, from, its.size(), mint, maxt, drop_stale,
                (its.size() - from) * est_samples >= kParallelDecodeSamples, est_samples, first, sink, &batch, &counts);
    for (size_t k = 0; k < its.size(); ++k) {
      ctx->CountSamples(counts[k]);
      out.total += counts[k];
      ctx->NotePeak(out.total);
      if (!sink) out.samples.push_back(std::move(batch[k]));
    }
  }
  if (!set->Err().ok()) Fail(set->Err());
  return out;
}

}  // namespace

Val Evaluator::EvalVectorSelector(const VectorSelector& vs, bool timestamps) {
  int64_t lookback = ctx_->opts->lookback_delta_ms;
  int64_t ref_min = RefTime(0, vs.offset_ms, vs.at, vs.at_ms);
  int64_t ref_max = RefTime(nsteps_ - 1, vs.offset_ms, vs.at, vs.at_ms);
  Loaded in = LoadSeries(ctx_, vs, ref_min - lookback, ref_max, interval_, 0, "", false);
  Val out;
  out.type = ValueType::kVector;
  out.mat.reserve(in.metrics.size());
  size_t points = 0;
  for (size_t si = 0; si < in.metrics.size(); ++si) {
    const auto& smp = in.samples[si];
    Series s;
    s.metric = std::move(in.metrics[si]);
    size_t k = 0;  // number of samples with t <= ref
    for (size_t i = 0; i < nsteps_; ++i) {
      int64_t ref = RefTime(i, vs.offset_ms, vs.at, vs.at_ms);
      while (k < smp.size() && smp[k].t <= ref) ++k;
      if (k == 0) continue;
      const model::Sample& last = smp[k - 1];
      if (last.t < ref - lookback || model::IsStaleNaN(last.v)) continue;
      s.pts.push_back({TimeOf(i), timestamps ? static_cast<double>(last.t) / 1000.0 : last.v});
    }
    points += s.pts.size();
    if (!s.pts.empty()) out.mat.push_back(std::move(s));
  }
  ctx_->NotePeak(in.total + points);
  return out;
}

Mat Evaluator::EvalSubqueryRaw(const SubqueryExpr& sq, int64_t* ref_min, int64_t* ref_max) {
  *ref_min = RefTime(0, sq.offset_ms, sq.at, sq.at_ms);
  *ref_max = RefTime(nsteps_ - 1, sq.offset_ms, sq.at, sq.at_ms);
  int64_t step = sq.step_ms > 0 ? sq.step_ms : ctx_->opts->default_subquery_step_ms;
  int64_t lo = *ref_min - sq.range_ms;
  // The first timestamp at or after lo that is a multiple of the step (Prometheus alignment).
  int64_t inner_start = step * (lo / step);
  if (inner_start < lo) inner_start += step;
  if (inner_start > *ref_max) return {};
  if ((*ref_max - inner_start) / step >= static_cast<int64_t>(ctx_->opts->max_samples)) {
    Fail(Status::Execution("query processing would load too many samples into memory in query execution"));
  }
  Evaluator inner(ctx_, inner_start, *ref_max, step);
  Val v = inner.Eval(*sq.expr);
  if (v.type == ValueType::kScalar) {
    // Not reachable after type checking (subqueries need instant vectors); kept for safety.
    Mat m(1);
    for (size_t i = 0; i < inner.steps(); ++i) m[0].pts.push_back({inner.TimeOf(i), v.sc[i]});
    return m;
  }
  return std::move(v.mat);
}

RangeInput Evaluator::EvalRangeInput(const Node& n) {
  RangeInput in;
  EvalRangeInput(n, nullptr, &in);
  return in;
}

void Evaluator::EvalRangeInput(const Node& n, const SeriesSink* sink, RangeInput* out) {
  RangeInput& in = *out;
  in.streamed = false;
  const Node* node = &n;
  while (node->kind == NodeKind::kParen) node = static_cast<const ParenExpr*>(node)->expr.get();
  if (node->kind == NodeKind::kMatrixSelector) {
    const auto& ms = static_cast<const MatrixSelector&>(*node);
    const VectorSelector& vs = ms.vs();
    in.range_ms = ms.range_ms;
    in.offset_ms = vs.offset_ms;
    if (vs.at != AtModifier::kNone) {
      in.fixed_ref = true;
      in.fixed_ref_ms = AtTime(vs.at, vs.at_ms);
    }
    int64_t ref_min = RefTime(0, vs.offset_ms, vs.at, vs.at_ms);
    int64_t ref_max = RefTime(nsteps_ - 1, vs.offset_ms, vs.at, vs.at_ms);
    Loaded l = LoadSeries(ctx_, vs, ref_min - ms.range_ms, ref_max, interval_, ms.range_ms, "", true, sink);
    in.metrics = std::move(l.metrics);
    in.samples = std::move(l.samples);
    in.total = l.total;
    in.streamed = sink != nullptr;
    return;
  }
  if (node->kind == NodeKind::kSubquery) {
    const auto& sq = static_cast<const SubqueryExpr&>(*node);
    in.range_ms = sq.range_ms;
    in.offset_ms = sq.offset_ms;
    if (sq.at != AtModifier::kNone) {
      in.fixed_ref = true;
      in.fixed_ref_ms = AtTime(sq.at, sq.at_ms);
    }
    int64_t ref_min, ref_max;
    Mat m = EvalSubqueryRaw(sq, &ref_min, &ref_max);
    for (auto& s : m) {
      in.total += s.pts.size();
      in.metrics.push_back(std::move(s.metric));
      in.samples.push_back(std::move(s.pts));
    }
    return;
  }
  Fail(Status::Internal("range vector argument is neither a matrix selector nor a subquery"));
}

Val Evaluator::EvalMatrixTop(const Node& n) {
  RangeInput in = EvalRangeInput(n);
  Val out;
  out.type = ValueType::kMatrix;
  int64_t ref = in.fixed_ref ? in.fixed_ref_ms - in.offset_ms : end_ - in.offset_ms;
  for (size_t i = 0; i < in.metrics.size(); ++i) {
    Series s;
    s.metric = std::move(in.metrics[i]);
    for (const auto& p : in.samples[i]) {
      if (p.t >= ref - in.range_ms && p.t <= ref) s.pts.push_back(p);
    }
    if (!s.pts.empty()) out.mat.push_back(std::move(s));
  }
  return out;
}

Val Evaluator::Eval(const Node& n) {
  ctx_->CheckDeadline();
  switch (n.kind) {
    case NodeKind::kNumberLiteral: {
      Val v;
      v.type = ValueType::kScalar;
      v.sc.assign(nsteps_, static_cast<const NumberLiteral&>(n).value);
      return v;
    }
    case NodeKind::kStringLiteral: {
      Val v;
      v.type = ValueType::kString;
      v.str = static_cast<const StringLiteral&>(n).value;
      return v;
    }
    case NodeKind::kParen: return Eval(*static_cast<const ParenExpr&>(n).expr);
    case NodeKind::kVectorSelector: return EvalVectorSelector(static_cast<const VectorSelector&>(n), false);
    case NodeKind::kMatrixSelector:
    case NodeKind::kSubquery:
      if (nsteps_ != 1) Fail(Status::Internal("range vector evaluated over several steps"));
      return EvalMatrixTop(n);
    case NodeKind::kUnary: {
      const auto& u = static_cast<const UnaryExpr&>(n);
      Val v = Eval(*u.expr);
      if (!u.negate) return v;
      if (v.type == ValueType::kScalar) {
        for (auto& x : v.sc) x = -x;
        return v;
      }
      for (auto& s : v.mat) {
        s.metric = DropMetricName(std::move(s.metric));
        for (auto& p : s.pts) p.v = -p.v;
      }
      Finalize(&v.mat);
      return v;
    }
    case NodeKind::kCall: return EvalCall(*this, static_cast<const Call&>(n));
    case NodeKind::kAggregate: return EvalAggregate(static_cast<const AggregateExpr&>(n));
    case NodeKind::kBinary: return EvalBinary(static_cast<const BinaryExpr&>(n));
  }
  Fail(Status::Internal("unknown expression node"));
}

// ---------------------------------------------------------------------------------------------
// Binary operators.

namespace {

bool DropsName(BinOp op) {
  switch (op) {
    case BinOp::kAdd:
    case BinOp::kSub:
    case BinOp::kMul:
    case BinOp::kDiv:
    case BinOp::kPow:
    case BinOp::kMod: return true;
    default: return false;
  }
}

// Prometheus vectorElemBinop: the value and whether to keep the element (comparisons filter).
inline std::pair<double, bool> ElemBinop(BinOp op, double l, double r) {
  switch (op) {
    case BinOp::kAdd: return {l + r, true};
    case BinOp::kSub: return {l - r, true};
    case BinOp::kMul: return {l * r, true};
    case BinOp::kDiv: return {l / r, true};
    case BinOp::kPow: return {std::pow(l, r), true};
    case BinOp::kMod: return {std::fmod(l, r), true};
    case BinOp::kEql: return {l, l == r};
    case BinOp::kNeq: return {l, l != r};
    case BinOp::kGtr: return {l, l > r};
    case BinOp::kLss: return {l, l < r};
    case BinOp::kGte: return {l, l >= r};
    case BinOp::kLte: return {l, l <= r};
    case BinOp::kAtan2: return {std::atan2(l, r), true};
    default: break;
  }
  Fail(Status::Internal(fmt::format("operator {} not allowed for this operation", BinOpName(op))));
}

// Signature of the matching labels (Prometheus signatureFunc).
uint64_t Signature(const model::Labels& ls, const VectorMatching& vm, const std::vector<std::string>& without) {
  return vm.on ? ls.HashFor(vm.matching_labels, true) : ls.HashFor(without, false);
}

model::Labels MatchLabels(const model::Labels& ls, bool on, const std::vector<std::string>& names) {
  std::vector<model::Label> out;
  for (const auto& l : ls) {
    bool listed = std::find(names.begin(), names.end(), l.name) != names.end();
    if (on == listed && (on || l.name != model::kMetricName)) out.push_back(l);
  }
  return model::Labels(std::move(out));
}

}  // namespace

Val Evaluator::EvalBinary(const BinaryExpr& b) {
  Val lhs = Eval(*b.lhs);
  Val rhs = Eval(*b.rhs);
  if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kScalar) {
    for (size_t i = 0; i < nsteps_; ++i) {
      auto [v, keep] = ElemBinop(b.op, lhs.sc[i], rhs.sc[i]);
      if (IsComparison(b.op)) v = keep ? 1 : 0;  // the parser requires bool here
      lhs.sc[i] = v;
    }
    return lhs;
  }
  if (lhs.type == ValueType::kVector && rhs.type == ValueType::kVector) {
    if (IsSetOperator(b.op)) return EvalSetOp(b, std::move(lhs.mat), std::move(rhs.mat));
    return EvalVectorVector(b, std::move(lhs.mat), std::move(rhs.mat));
  }
  // Vector and scalar.
  bool swap = lhs.type == ValueType::kScalar;
  Val& vec = swap ? rhs : lhs;
  const std::vector<double>& sc = swap ? lhs.sc : rhs.sc;
  bool drop = DropsName(b.op) || b.return_bool;
  for (auto& s : vec.mat) {
    if (drop) s.metric = DropMetricName(std::move(s.metric));
    size_t w = 0;
    for (size_t r = 0; r < s.pts.size(); ++r) {
      double lv = s.pts[r].v, rv = sc[StepOf(s.pts[r].t)];
      if (swap) std::swap(lv, rv);
      auto [v, keep] = ElemBinop(b.op, lv, rv);
      if (IsComparison(b.op) && swap) v = rv;
      if (b.return_bool) {
        v = keep ? 1 : 0;
      } else if (!keep) {
        continue;
      }
      s.pts[w++] = {s.pts[r].t, v};
    }
    s.pts.resize(w);
  }
  Finalize(&vec.mat);
  return std::move(vec);
}

Val Evaluator::EvalSetOp(const BinaryExpr& b, Mat lhs, Mat rhs) {
  const VectorMatching& vm = *b.matching;
  std::vector<std::string> without = vm.matching_labels;
  without.push_back(std::string(model::kMetricName));
  std::vector<uint64_t> lsig(lhs.size()), rsig(rhs.size());
  for (size_t i = 0; i < lhs.size(); ++i) lsig[i] = Signature(lhs[i].metric, vm, without);
  for (size_t i = 0; i < rhs.size(); ++i) rsig[i] = Signature(rhs[i].metric, vm, without);
  Val out;
  out.type = ValueType::kVector;
  if (b.op == BinOp::kOr && rhs.empty()) {
    out.mat = std::move(lhs);
    return out;
  }
  Columns lc(*this, lhs), rc(*this, rhs);
  Mat res(lhs.size() + (b.op == BinOp::kOr ? rhs.size() : 0));
  for (size_t i = 0; i < lhs.size(); ++i) res[i].metric = lhs[i].metric;
  if (b.op == BinOp::kOr) {
    for (size_t i = 0; i < rhs.size(); ++i) res[lhs.size() + i].metric = rhs[i].metric;
  }
  std::unordered_set<uint64_t> sigs;
  for (size_t i = 0; i < nsteps_; ++i) {
    int64_t t = TimeOf(i);
    sigs.clear();
    if (b.op == BinOp::kOr) {
      for (const Cell& c : lc.At(i)) {
        sigs.insert(lsig[c.series]);
        res[c.series].pts.push_back({t, c.v});
      }
      for (const Cell& c : rc.At(i)) {
        if (!sigs.count(rsig[c.series])) res[lhs.size() + c.series].pts.push_back({t, c.v});
      }
      continue;
    }
    for (const Cell& c : rc.At(i)) sigs.insert(rsig[c.series]);
    for (const Cell& c : lc.At(i)) {
      bool found = sigs.count(lsig[c.series]) > 0;
      if (found == (b.op == BinOp::kAnd)) res[c.series].pts.push_back({t, c.v});
    }
  }
  out.mat = std::move(res);
  Finalize(&out.mat);
  return out;
}

Val Evaluator::EvalVectorVector(const BinaryExpr& b, Mat lhs, Mat rhs) {
  const VectorMatching& vm = *b.matching;
  std::vector<std::string> without = vm.matching_labels;
  without.push_back(std::string(model::kMetricName));
  bool one_to_many = vm.card == Cardinality::kOneToMany;
  // The 'many' side is on the left from here on.
  Mat& many = one_to_many ? rhs : lhs;
  Mat& one = one_to_many ? lhs : rhs;
  std::vector<uint64_t> msig(many.size()), osig(one.size());
  for (size_t i = 0; i < many.size(); ++i) msig[i] = Signature(many[i].metric, vm, without);
  for (size_t i = 0; i < one.size(); ++i) osig[i] = Signature(one[i].metric, vm, without);
  Columns mc(*this, many), oc(*this, one);

  Mat res;
  std::unordered_map<uint64_t, uint32_t> pair_to_out;   // (many, one) -> result series
  std::vector<uint64_t> out_hash;                        // result metric hash, per result series
  std::unordered_map<uint64_t, const Cell*> one_sigs;    // this step's 'one' side
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> matched;  // sig -> result hashes
  bool drop = DropsName(b.op);
  for (size_t i = 0; i < nsteps_; ++i) {
    int64_t t = TimeOf(i);
    one_sigs.clear();
    matched.clear();
    for (const Cell& c : oc.At(i)) {
      auto [it, inserted] = one_sigs.emplace(osig[c.series], &c);
      if (!inserted) {
        const model::Labels& dup = one[it->second->series].metric;
        const model::Labels& rs = one[c.series].metric;
        Fail(Status::Execution(fmt::format(
            "found duplicate series for the match group {} on the {} hand-side of the operation: [{}, {}];"
            "many-to-many matching not allowed: matching labels must be unique on one side",
            LabelsString(MatchLabels(rs, vm.on, vm.matching_labels)), one_to_many ? "left" : "right",
            LabelsString(rs), LabelsString(dup))));
      }
    }
    for (const Cell& c : mc.At(i)) {
      uint64_t sig = msig[c.series];
      auto it = one_sigs.find(sig);
      if (it == one_sigs.end()) continue;
      const Cell& oc_cell = *it->second;
      double vl = c.v, vr = oc_cell.v;
      if (one_to_many) std::swap(vl, vr);
      auto [v, keep] = ElemBinop(b.op, vl, vr);
      if (b.return_bool) {
        v = keep ? 1 : 0;
      } else if (!keep) {
        continue;
      }
      uint64_t key = (static_cast<uint64_t>(c.series) << 32) | oc_cell.series;
      auto [pit, fresh] = pair_to_out.emplace(key, static_cast<uint32_t>(res.size()));
      if (fresh) {
        const model::Labels& ls = many[c.series].metric;
        const model::Labels& rs = one[oc_cell.series].metric;
        model::LabelsBuilder lb(ls);
        if (drop) lb.Del(model::kMetricName);
        if (vm.card == Cardinality::kOneToOne) {
          if (vm.on) {
            lb.Keep(vm.matching_labels);
          } else {
            for (const auto& n : vm.matching_labels) lb.Del(n);
          }
        }
        for (const auto& n : vm.include) {
          std::string_view v2 = rs.Get(n);
          if (!v2.empty()) {
            lb.Set(n, v2);
          } else {
            lb.Del(n);
          }
        }
        Series s;
        s.metric = lb.Build();
        if (b.return_bool) s.metric = DropMetricName(std::move(s.metric));
        out_hash.push_back(s.metric.Hash());
        res.push_back(std::move(s));
      }
      uint32_t oi = pit->second;
      auto mit = matched.find(sig);
      if (vm.card == Cardinality::kOneToOne) {
        if (mit != matched.end()) {
          Fail(Status::Execution(
              "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"));
        }
        matched[sig];
      } else {
        auto& inserted = matched[sig];
        if (!inserted.insert(out_hash[oi]).second) {
          Fail(Status::Execution("multiple matches for labels: grouping labels must ensure unique matches"));
        }
      }
      res[oi].pts.push_back({t, v});
    }
  }
  Finalize(&res);
  Val out;
  out.type = ValueType::kVector;
  out.mat = std::move(res);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Aggregations.

namespace {

// Go's container/heap over a slice with a Less function, so that topk/bottomk pick and order
// ties exactly as Prometheus does.
template <typename Less>
void HeapUp(std::vector<Cell>* h, int j, Less less) {
  while (true) {
    int i = (j - 1) / 2;
    if (i == j || !less((*h)[j], (*h)[i])) break;
    std::swap((*h)[i], (*h)[j]);
    j = i;
  }
}
template <typename Less>
void HeapDown(std::vector<Cell>* h, int i, int n, Less less) {
  while (true) {
    int j1 = 2 * i + 1;
    if (j1 >= n || j1 < 0) break;
    int j = j1;
    if (int j2 = j1 + 1; j2 < n && less((*h)[j2], (*h)[j1])) j = j2;
    if (!less((*h)[j], (*h)[i])) break;
    std::swap((*h)[i], (*h)[j]);
    i = j;
  }
}
template <typename Less>
void HeapPush(std::vector<Cell>* h, Cell c, Less less) {
  h->push_back(c);
  HeapUp(h, static_cast<int>(h->size()) - 1, less);
}
template <typename Less>
void HeapPop(std::vector<Cell>* h, Less less) {
  int n = static_cast<int>(h->size()) - 1;
  std::swap((*h)[0], (*h)[n]);
  HeapDown(h, 0, n, less);
  h->pop_back();
}
// Go sort.Sort(sort.Reverse(h)): insertion sort for short slices as Go's pdqsort does.
template <typename Less>
void SortReverse(std::vector<Cell>* h, Less less) {
  auto rev = [&](const Cell& a, const Cell& b) { return less(b, a); };
  if (h->size() <= 12) {
    for (size_t i = 1; i < h->size(); ++i) {
      for (size_t j = i; j > 0 && rev((*h)[j], (*h)[j - 1]); --j) std::swap((*h)[j], (*h)[j - 1]);
    }
  } else {
    std::stable_sort(h->begin(), h->end(), [&](const Cell& a, const Cell& b) {
      bool an = std::isnan(a.v), bn = std::isnan(b.v);
      if (an || bn) return !an && bn;  // NaN last after reversing
      return rev(a, b);
    });
  }
}

bool TopLess(const Cell& a, const Cell& b) {
  if (std::isnan(a.v)) return true;
  return a.v < b.v;
}
bool BottomLess(const Cell& a, const Cell& b) {
  if (std::isnan(a.v)) return true;
  return a.v > b.v;
}

// The labels of the output group of a series with labels m: `grouping` kept (by) or dropped
// together with the metric name (without).
model::Labels GroupLabels(bool without, const std::vector<std::string>& grouping, const model::Labels& m) {
  model::LabelsBuilder lb(m);
  if (without) {
    for (const auto& g : grouping) lb.Del(g);
    lb.Del(model::kMetricName);
    return lb.Build();
  }
  if (grouping.empty()) return model::Labels();
  lb.Keep(grouping);
  return lb.Build();
}

// For aggregations whose groups do not depend on the values: the group of each input series,
// and the groups' labels in order of first appearance (Prometheus's output order).
struct Groups {
  std::vector<uint32_t> of_series;
  std::vector<model::Labels> labels;
};

Groups GroupSeries(const AggregateExpr& a, const Mat& mat) {
  Groups out;
  out.of_series.resize(mat.size());
  std::unordered_map<uint64_t, std::vector<uint32_t>> by_hash;
  for (size_t si = 0; si < mat.size(); ++si) {
    model::Labels g = GroupLabels(a.without, a.grouping, mat[si].metric);
    auto& cands = by_hash[g.Hash()];
    uint32_t gi = UINT32_MAX;
    for (uint32_t c : cands) {
      if (out.labels[c] == g) gi = c;
    }
    if (gi == UINT32_MAX) {
      gi = static_cast<uint32_t>(out.labels.size());
      cands.push_back(gi);
      out.labels.push_back(std::move(g));
    }
    out.of_series[si] = gi;
  }
  return out;
}

// Drops the series that got no point (groups with no input at any step), keeping the order.
void DropEmpty(Mat* m) {
  Mat kept;
  for (auto& s : *m) {
    if (!s.pts.empty()) kept.push_back(std::move(s));
  }
  *m = std::move(kept);
}

// The running aggregate of sum, avg, min, max, count, group, stddev or stdvar over one group at
// one step, updated as Prometheus's aggregation() does.
struct Accumulator {
  double value = 0;  // sum, min, max, group; stddev/stdvar: the sum of squared deviations
  double mean = 0;   // avg, stddev, stdvar
  double count = 0;  // 0: no input yet

  void Add(AggOp op, double v) {
    if (count == 0) {
      count = 1;
      mean = v;
      value = op == AggOp::kStddev || op == AggOp::kStdvar ? 0 : op == AggOp::kGroup ? 1 : v;
      return;
    }
    switch (op) {
      case AggOp::kSum: value += v; break;
      case AggOp::kAvg:
        count++;
        if (std::isinf(mean)) {
          if (std::isinf(v) && (mean > 0) == (v > 0)) break;
          if (!std::isinf(v) && !std::isnan(v)) break;
        }
        mean += v / count - mean / count;
        break;
      case AggOp::kMax:
        if (value < v || std::isnan(value)) value = v;
        break;
      case AggOp::kMin:
        if (value > v || std::isnan(value)) value = v;
        break;
      case AggOp::kCount: count++; break;
      case AggOp::kStddev:
      case AggOp::kStdvar: {
        count++;
        double delta = v - mean;
        mean += delta / count;
        value += delta * (v - mean);
        break;
      }
      default: break;  // group: 1
    }
  }

  double Result(AggOp op) const {
    switch (op) {
      case AggOp::kAvg: return mean;
      case AggOp::kCount: return count;
      case AggOp::kStdvar: return value / count;
      case AggOp::kStddev: return std::sqrt(value / count);
      default: return value;
    }
  }
};

// sum, avg, min, max, count, group, stddev, stdvar. Both evaluation orders feed each
// (group, step) accumulator its inputs in series order, so their float results are identical.
Val Accumulate(const Evaluator& ev, AggOp op, const Mat& mat, const Groups& groups) {
  size_t nsteps = ev.steps(), ngroups = groups.labels.size();
  Val out;
  out.type = ValueType::kVector;
  if (ngroups * nsteps <= (size_t{1} << 22)) {
    // Fast path: walk each series once, into dense per-(group, step) accumulators.
    std::vector<Accumulator> cells(ngroups * nsteps);
    for (size_t si = 0; si < mat.size(); ++si) {
      Accumulator* row = cells.data() + groups.of_series[si] * nsteps;
      for (const auto& p : mat[si].pts) row[ev.StepOf(p.t)].Add(op, p.v);
    }
    for (size_t gi = 0; gi < ngroups; ++gi) {
      Series s;
      s.metric = groups.labels[gi];
      for (size_t i = 0; i < nsteps; ++i) {
        const Accumulator& c = cells[gi * nsteps + i];
        if (c.count != 0) s.pts.push_back({ev.TimeOf(i), c.Result(op)});
      }
      if (!s.pts.empty()) out.mat.push_back(std::move(s));
    }
    return out;
  }
  // Too many cells to hold at once: step by step, one accumulator per group.
  Columns cols(ev, mat);
  std::vector<Accumulator> acc(ngroups);
  std::vector<uint32_t> touched;
  out.mat.resize(ngroups);
  for (size_t gi = 0; gi < ngroups; ++gi) out.mat[gi].metric = groups.labels[gi];
  for (size_t i = 0; i < nsteps; ++i) {
    touched.clear();
    for (const Cell& c : cols.At(i)) {
      uint32_t gi = groups.of_series[c.series];
      if (acc[gi].count == 0) touched.push_back(gi);
      acc[gi].Add(op, c.v);
    }
    for (uint32_t gi : touched) {
      out.mat[gi].pts.push_back({ev.TimeOf(i), acc[gi].Result(op)});
      acc[gi] = Accumulator();
    }
  }
  DropEmpty(&out.mat);
  return out;
}

// topk, bottomk and quantile, which keep the inputs of a group at a step: the k best in a heap
// ordered as Prometheus's, or all values.
Val SelectOrQuantile(const Evaluator& ev, AggOp op, const Val& param, const Mat& mat, const Groups& groups) {
  bool selects = op == AggOp::kTopk || op == AggOp::kBottomk;
  auto less = op == AggOp::kTopk ? TopLess : BottomLess;
  struct Kept {
    std::vector<Cell> heap;
    std::vector<double> values;
    bool seen = false;
  };
  Columns cols(ev, mat);
  std::vector<Kept> kept(groups.labels.size());
  std::vector<uint32_t> order;
  std::vector<int32_t> sel_out(selects ? mat.size() : 0, -1);
  Val out;
  out.type = ValueType::kVector;
  if (!selects) {
    out.mat.resize(groups.labels.size());
    for (size_t g = 0; g < groups.labels.size(); ++g) out.mat[g].metric = groups.labels[g];
  }
  for (size_t i = 0; i < ev.steps(); ++i) {
    int64_t t = ev.TimeOf(i);
    int64_t k = 0;
    if (selects) {
      double f = param.sc[i];
      if (std::isnan(f) || f >= 9.223372036854775e18 || f <= -9.223372036854775e18) {
        Fail(Status::Execution(fmt::format("Scalar value {} overflows int64", FormatFloatG(f))));
      }
      k = static_cast<int64_t>(f);
      if (k < 1) continue;
    }
    order.clear();
    for (const Cell& c : cols.At(i)) {
      uint32_t gi = groups.of_series[c.series];
      Kept& g = kept[gi];
      if (!g.seen) {
        g.seen = true;
        order.push_back(gi);
        g.heap.clear();
        g.values.clear();
        if (selects) {
          g.heap.push_back(c);
        } else {
          g.values.push_back(c.v);
        }
        continue;
      }
      if (!selects) {
        g.values.push_back(c.v);
        continue;
      }
      bool better = op == AggOp::kTopk ? (g.heap[0].v < c.v) : (g.heap[0].v > c.v);
      if (static_cast<int64_t>(g.heap.size()) < k || better || std::isnan(g.heap[0].v)) {
        if (static_cast<int64_t>(g.heap.size()) == k) {
          if (k == 1) {
            g.heap[0] = c;
            continue;
          }
          HeapPop(&g.heap, less);
        }
        HeapPush(&g.heap, c, less);
      }
    }
    for (uint32_t gi : order) {
      Kept& g = kept[gi];
      g.seen = false;
      if (!selects) {
        out.mat[gi].pts.push_back({t, Quantile(param.sc[i], &g.values)});
        continue;
      }
      if (g.heap.size() > 1) SortReverse(&g.heap, less);
      for (const Cell& c : g.heap) {
        int32_t& oi = sel_out[c.series];
        if (oi < 0) {
          oi = static_cast<int32_t>(out.mat.size());
          out.mat.push_back(Series{mat[c.series].metric, {}});
        }
        out.mat[oi].pts.push_back({t, c.v});
      }
    }
  }
  // Quantile keeps Prometheus's group order for instant queries: first appearance at the first step.
  if (!selects) DropEmpty(&out.mat);
  return out;
}

// count_values: the grouping includes the value itself, so groups are made per step.
Val CountValues(const Evaluator& ev, const AggregateExpr& a, const std::string& value_label, const Mat& mat) {
  if (!model::IsValidLabelName(value_label)) {
    Fail(Status::Execution(fmt::format("invalid label name {}", Quote(value_label))));
  }
  std::vector<std::string> grouping = a.grouping;
  if (!a.without) grouping.push_back(value_label);
  Val out;
  out.type = ValueType::kVector;
  Columns cols(ev, mat);
  std::unordered_map<std::string, uint32_t> out_index;
  std::vector<double> counts;
  std::vector<uint32_t> order;
  for (size_t i = 0; i < ev.steps(); ++i) {
    order.clear();
    for (const Cell& c : cols.At(i)) {
      model::LabelsBuilder lb(mat[c.series].metric);
      std::string value_text;
      AppendFloatF(&value_text, c.v);  // Go 'f' format: 1e300 is "1" and 300 zeros, as Prometheus
      lb.Set(value_label, value_text);
      model::Labels g = GroupLabels(a.without, grouping, lb.Build());
      std::string key = LabelsString(g);
      auto [it, fresh] = out_index.emplace(key, static_cast<uint32_t>(out.mat.size()));
      if (fresh) {
        out.mat.push_back(Series{g, {}});
        counts.push_back(0);
      }
      if (counts[it->second]++ == 0) order.push_back(it->second);
    }
    for (uint32_t oi : order) {
      out.mat[oi].pts.push_back({ev.TimeOf(i), counts[oi]});
      counts[oi] = 0;
    }
  }
  return out;
}

}  // namespace

Val Evaluator::EvalAggregate(const AggregateExpr& a) {
  Val param;
  if (a.param) param = Eval(*a.param);
  Val in = Eval(*a.expr);
  switch (a.op) {
    case AggOp::kCountValues: return CountValues(*this, a, param.str, in.mat);
    case AggOp::kTopk:
    case AggOp::kBottomk:
    case AggOp::kQuantile: return SelectOrQuantile(*this, a.op, param, in.mat, GroupSeries(a, in.mat));
    default: return Accumulate(*this, a.op, in.mat, GroupSeries(a, in.mat));
  }
}

}  // namespace internal

// ---------------------------------------------------------------------------------------------
// Engine.

using internal::EvalError;
using internal::Evaluator;
using internal::QueryContext;
using internal::Val;

Engine::Engine(EngineOptions options) : options_(std::move(options)) {}

namespace {

Result<QueryResult> Run(const EngineOptions& opts, storage::Queryable& db, const Node& expr, int64_t start,
                        int64_t end, int64_t step, bool instant) {
  double t0 = MonotonicSeconds();
  QueryContext ctx;
  ctx.db = &db;
  ctx.opts = &opts;
  ctx.query_start = start;
  ctx.query_end = end;
  ctx.deadline = std::chrono::steady_clock::now() + opts.timeout;
  ctx.expr = &expr;
  ctx.step_ms = instant ? 0 : step;
  QueryResult res;
  try {
    if (!instant) {
      ValueType t = expr.type();
      if (t != ValueType::kScalar && t != ValueType::kVector) {
        return Status::InvalidArgument(fmt::format(
            "invalid expression type \"{}\" for range query, must be Scalar or instant Vector", ValueTypeName(t)));
      }
    }
    if (!instant && (end - start) / step >= static_cast<int64_t>(opts.max_samples)) {
      return Status::Execution("query processing would load too many samples into memory in query execution");
    }
    Evaluator ev(&ctx, start, end, instant ? 1 : step);
    Val v = ev.Eval(expr);
    switch (v.type) {
      case ValueType::kScalar:
        if (instant) {
          res.value = Scalar{start, v.sc[0]};
        } else {
          SeriesPoints sp;
          for (size_t i = 0; i < ev.steps(); ++i) sp.points.push_back({ev.TimeOf(i), v.sc[i]});
          res.value = Matrix{std::move(sp)};
        }
        break;
      case ValueType::kString: res.value = String{start, v.str}; break;
      case ValueType::kVector:
        if (instant) {
          Vector out;
          out.reserve(v.mat.size());
          for (auto& s : v.mat) {
            if (!s.pts.empty()) out.push_back(VectorSample{std::move(s.metric), start, s.pts[0].v});
          }
          res.value = std::move(out);
        } else {
          Matrix out;
          out.reserve(v.mat.size());
          for (auto& s : v.mat) {
            if (!s.pts.empty()) out.push_back(SeriesPoints{std::move(s.metric), std::move(s.pts)});
          }
          std::sort(out.begin(), out.end(),
                    [](const SeriesPoints& a, const SeriesPoints& b) { return a.metric < b.metric; });
          res.value = std::move(out);
        }
        break;
      case ValueType::kMatrix: {
        Matrix out;
        for (auto& s : v.mat) out.push_back(SeriesPoints{std::move(s.metric), std::move(s.pts)});
        std::sort(out.begin(), out.end(),
                  [](const SeriesPoints& a, const SeriesPoints& b) { return a.metric < b.metric; });
        res.value = std::move(out);
        break;
      }
      case ValueType::kNone: return Status::Internal("expression without a value");
    }
  } catch (const EvalError& e) {
    return e.status;
  }
  res.stats = ctx.stats;
  res.stats.exec_seconds = MonotonicSeconds() - t0;
  return res;
}

}  // namespace

Result<QueryResult> Engine::InstantQuery(storage::Queryable& db, std::string_view query, int64_t t_ms) {
  auto e = ParseExpr(query);
  if (!e.ok()) return e.status();
  return InstantQueryExpr(db, **e, t_ms);
}

Result<QueryResult> Engine::RangeQuery(storage::Queryable& db, std::string_view query, int64_t start_ms,
                                       int64_t end_ms, int64_t step_ms) {
  auto e = ParseExpr(query);
  if (!e.ok()) return e.status();
  return RangeQueryExpr(db, **e, start_ms, end_ms, step_ms);
}

Result<QueryResult> Engine::InstantQueryExpr(storage::Queryable& db, const Node& expr, int64_t t_ms) {
  return Run(options_, db, expr, t_ms, t_ms, 1, true);
}

Result<QueryResult> Engine::RangeQueryExpr(storage::Queryable& db, const Node& expr, int64_t start_ms,
                                           int64_t end_ms, int64_t step_ms) {
  if (step_ms <= 0) {
    return Status::InvalidArgument("zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if (end_ms < start_ms) return Status::InvalidArgument("end timestamp must not be before start time");
  return Run(options_, db, expr, start_ms, end_ms, step_ms, false);
}

}  // namespace sremon::promql
