#include "tsdb/db.h"

namespace sremon::tsdb {

DB::~DB() = default;

Result<std::unique_ptr<DB>> DB::Open(const Options& options) {
  return Status::Internal("tsdb: not implemented yet");
}

}  // namespace sremon::tsdb
