// Internals of the evaluator shared by engine.cc and functions.cc. Not part of the module API.
//
// Evaluation is matrix-at-a-time, like Prometheus's rangeEval: every instant-vector expression
// evaluates to a Mat whose series carry one point per evaluation step (at the step's timestamp),
// so labels are computed once per series rather than once per step, and each selector is read
// from storage once per query. An instant query is a range evaluation with a single step.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "promql/ast.h"
#include "promql/engine.h"
#include "promql/value.h"
#include "storage/storage.h"

namespace sremon::promql::internal {

struct Series {
  model::Labels metric;
  std::vector<model::Sample> pts;  // increasing time
};
using Mat = std::vector<Series>;

// The value of an expression over all steps of an evaluator.
struct Val {
  ValueType type = ValueType::kNone;
  Mat mat;                 // kVector: points at step times; kMatrix: raw samples (instant queries only)
  std::vector<double> sc;  // kScalar: one value per step
  std::string str;         // kString
};

// Evaluation failure carried by exception inside the evaluator (STYLE.md allows this), turned into
// a Status at the Engine boundary.
struct EvalError {
  Status status;
};
[[noreturn]] void Fail(Status s);

// Per-query state shared by the top-level evaluator and the nested ones of subqueries.
struct QueryContext {
  storage::Queryable* db = nullptr;
  const EngineOptions* opts = nullptr;
  int64_t query_start = 0;  // for @ start() / @ end()
  int64_t query_end = 0;
  std::chrono::steady_clock::time_point deadline;
  const Node* expr = nullptr;  // the query, for error messages
  int64_t step_ms = 0;
  QueryStats stats;
  // Raw samples decoded so far, from every decoding thread (-search.maxSamplesPerQuery).
  std::atomic<size_t> samples_read{0};
  void CheckDeadline() const;
  void CountSamples(size_t n);  // into the stats
  // Adds the samples of one decoded series; fails the query past max_samples_per_query.
  // Thread-safe (the decoding threads call it).
  void CountRead(size_t n);
  // Fails the query when n samples would be held at once (-search.maxSamplesPerQuery). Counted
  // per node of the evaluation: a selector's buffers plus what it produces.
  void NotePeak(size_t n);
};

// The raw samples of a range-vector argument, and how to window them per step.
struct RangeInput {
  std::vector<model::Labels> metrics;
  std::vector<std::vector<model::Sample>> samples;  // no staleness markers
  size_t total = 0;                                 // samples held
  int64_t range_ms = 0;
  int64_t offset_ms = 0;
  bool fixed_ref = false;  // @ modifier: every step looks at the same window
  int64_t fixed_ref_ms = 0;
  bool streamed = false;  // the samples went to a SeriesSink: `samples` is empty
};

// Called with (series index, its samples) on the thread that decoded the series; the samples are
// valid during the call only.
using SeriesVisitor = std::function<void(size_t, std::span<const model::Sample>)>;

// Takes a matrix selector's series as they are decoded instead of keeping them all (a range
// function evaluates each series right away, from a buffer still in cache).
struct SeriesSink {
  // On the query's thread, before a batch is decoded: how many series there are so far (the
  // visitors of the batch get indices below it).
  std::function<void(size_t)> grow;
  // Called once per decoding thread and batch, for that thread's visitor.
  std::function<SeriesVisitor()> make_visitor;
};

class Evaluator {
 public:
  Evaluator(QueryContext* ctx, int64_t start, int64_t end, int64_t interval);

  Val Eval(const Node& n);

  size_t steps() const { return nsteps_; }
  int64_t TimeOf(size_t i) const { return start_ + static_cast<int64_t>(i) * interval_; }
  size_t StepOf(int64_t t) const { return static_cast<size_t>((t - start_) / interval_); }
  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  int64_t interval() const { return interval_; }
  QueryContext* ctx() const { return ctx_; }

  // Range-vector argument: a matrix selector or a subquery, loaded once for all steps.
  RangeInput EvalRangeInput(const Node& n);
  // The same into *out; with a sink, a matrix selector's series go to it (out->streamed) and only
  // their labels and counts stay in *out, which must outlive the call (visitors may read its
  // range parameters, set before the first series).
  void EvalRangeInput(const Node& n, const SeriesSink* sink, RangeInput* out);
  // Reference time of step i for a selector/subquery with these modifiers.
  int64_t RefTime(size_t i, int64_t offset_ms, AtModifier at, int64_t at_ms) const;
  int64_t AtTime(AtModifier at, int64_t at_ms) const;
  // The vector selector, with sample timestamps instead of values (for timestamp()).
  Val EvalVectorSelector(const VectorSelector& vs, bool timestamps);

 private:
  Val EvalMatrixTop(const Node& n);  // a range vector as a query result
  Val EvalAggregate(const AggregateExpr& a);
  Val EvalBinary(const BinaryExpr& b);
  Val EvalVectorVector(const BinaryExpr& b, Mat lhs, Mat rhs);
  Val EvalSetOp(const BinaryExpr& b, Mat lhs, Mat rhs);
  Mat EvalSubqueryRaw(const SubqueryExpr& sq, int64_t* ref_min, int64_t* ref_max);

  QueryContext* ctx_;
  int64_t start_, end_, interval_;
  size_t nsteps_;
};

// Per-step view of a Mat: for step i, the (series index, value) pairs present, in series order.
struct Cell {
  uint32_t series;
  double v;
};
class Columns {
 public:
  Columns(const Evaluator& ev, const Mat& m);
  std::span<const Cell> At(size_t step) const {
    return {cells_.data() + off_[step], cells_.data() + off_[step + 1]};
  }

 private:
  std::vector<uint32_t> off_;
  std::vector<Cell> cells_;
};

// Removes empty series and merges series with identical labels; two points at one timestamp
// for the same labels is Prometheus's "vector cannot contain metrics with the same labelset".
void Finalize(Mat* m);
// By value: callers that own the labels move them in and no label is copied.
model::Labels DropMetricName(model::Labels ls);
// Prometheus labels.Labels.String(): {__name__="x", a="b"}.
std::string LabelsString(const model::Labels& ls);

// Threads that share the work of one large query node, the query's own included.
inline constexpr unsigned kMaxQueryThreads = 4;

// Runs work(i) for every i in [0, n): on this thread alone, or, when `parallel`, also on up to
// kMaxQueryThreads - 1 helper threads (no more than the machine has cores), all taking indices
// from one counter. Each thread calls make_worker() once for its own `work` (its own buffers and
// function state). An exception (EvalError, bad_alloc) stops the others and is rethrown here.
template <typename MakeWorker>
void ParallelFor(size_t n, bool parallel, MakeWorker&& make_worker) {
  std::atomic<size_t> next{0};
  auto run = [&] {
    auto work = make_worker();
    for (size_t i; (i = next.fetch_add(1)) < n;) work(i);
  };
  unsigned helpers_wanted = parallel ? std::min(std::max(std::thread::hardware_concurrency(), 1u), kMaxQueryThreads) - 1 : 0;
  std::vector<std::thread> helpers;
  std::vector<std::exception_ptr> errors(helpers_wanted);
  for (unsigned h = 0; h < helpers_wanted; ++h) {
    try {
      helpers.emplace_back([&, h] {
        try {
          run();
        } catch (...) {
          errors[h] = std::current_exception();
          next = n;
        }
      });
    } catch (const std::system_error&) {
      break;  // no thread to be had (limits): the helpers started and this thread do the work
    }
  }
  std::exception_ptr mine;
  try {
    run();
  } catch (...) {
    mine = std::current_exception();
    next = n;
  }
  for (auto& t : helpers) t.join();
  if (mine) std::rethrow_exception(mine);
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

// functions.cc
Val EvalCall(Evaluator& ev, const Call& c);
// The names EvalCall implements: those of ast.h's Functions().
std::vector<std::string_view> FunctionCallNames();
// Go math.Max / math.Min (NaN wins, +0 > -0).
double GoMax(double a, double b);
double GoMin(double a, double b);
// Prometheus quantile() over values (sorts `values`).
double Quantile(double q, std::vector<double>* values);

}  // namespace sremon::promql::internal
