// The remote_write 1.0 request body (snappy-compressed prompb.WriteRequest) as every sender in
// sremon builds it: the storage's forwarder (-remoteWrite.url) and the rules service's writer.
// A library of its own so that senders need only the protobuf-lite code, not the ingest service.
#pragma once

#include <string>
#include <vector>

#include "model/labels.h"

namespace sremon::ingest {

struct SeriesSamples {
  model::Labels labels;
  std::vector<model::Sample> samples;  // in time order
};

// Encodes series as a snappy-compressed WriteRequest.
std::string EncodeRemoteWrite(const std::vector<SeriesSamples>& series);

}  // namespace sremon::ingest
