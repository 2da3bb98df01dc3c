#include "obs/metrics.h"

#include "obs/process_metrics.h"
#include "version.h"

namespace sremon::obs {

prometheus::Registry& Registry() {
  static auto* registry = new prometheus::Registry();
  return *registry;
}

std::string RenderMetrics() {
  static prometheus::Family<prometheus::Gauge>& build_info =
      prometheus::BuildGauge()
          .Name("sremon_build_info")
          .Help("A metric with a constant '1' value labeled by the version and revision of sremon.")
          .Register(Registry());
  static bool once = [] {
    build_info.Add({{"version", kVersion}, {"revision", kRevision}}).Set(1);
    return true;
  }();
  (void)once;
  prometheus::TextSerializer serializer;
  std::string out = serializer.Serialize(Registry().Collect());
  AppendProcessMetrics(&out);
  return out;
}

}  // namespace sremon::obs
