// RequestMetrics::Observe: the whole per-request cost of instrumentation in `sremon app`
// (counter + histogram of the route). Threads > 1 hammer the same series, the worst case.
#include <benchmark/benchmark.h>

#include "app/app.h"
#include "app/request_metrics.h"

namespace {

void BM_Observe(benchmark::State& state) {
  static prometheus::Registry registry;
  static sremon::app::RequestMetrics metrics(registry, sremon::app::App::Routes());
  for (auto _ : state) metrics.Observe("GET", "/", 200, 0.0002);
}
BENCHMARK(BM_Observe)->Threads(1)->Threads(2)->UseRealTime();

void BM_ObserveUnknownPath(benchmark::State& state) {
  static prometheus::Registry registry;
  static sremon::app::RequestMetrics metrics(registry, sremon::app::App::Routes());
  for (auto _ : state) metrics.Observe("GET", "/some/made/up/path", 404, 0.0001);
}
BENCHMARK(BM_ObserveUnknownPath);

}  // namespace
