#include "ingest/remote_write_codec.h"

#include <snappy.h>

#include "ingest/remote_write.pb.h"

namespace sremon::ingest {

std::string EncodeRemoteWrite(const std::vector<SeriesSamples>& series) {
  prompb::WriteRequest req;
  for (const auto& s : series) {
    auto* ts = req.add_timeseries();
    for (const auto& l : s.labels) {
      auto* pl = ts->add_labels();
      pl->set_name(l.name);
      pl->set_value(l.value);
    }
    for (const auto& smp : s.samples) {
      auto* ps = ts->add_samples();
      ps->set_value(smp.v);
      ps->set_timestamp(smp.t);
    }
  }
  std::string raw = req.SerializeAsString();
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

}  // namespace sremon::ingest
