#include "storage/storage.h"

#include <fmt/format.h>

#include <cstdlib>

namespace sremon::storage {

Status TooManySeries(size_t limit) {
  return Status::ResourceExhausted(fmt::format(
      "the number of matching timeseries exceeds {}; either narrow down the search or increase -search.max* "
      "command-line flag values at vmselect; see https://docs.victoriametrics.com/#resource-usage-limits",
      limit));
}

namespace {

class ErrorSet final : public SeriesSet {
 public:
  explicit ErrorSet(Status err) : err_(std::move(err)) {}
  bool Next() override { return false; }
  const Series& At() const override { std::abort(); }  // REQUIRES Next() true: never
  Status Err() const override { return err_; }

 private:
  Status err_;
};

}  // namespace

std::unique_ptr<SeriesSet> ErrorSeriesSet(Status err) { return std::make_unique<ErrorSet>(std::move(err)); }

}  // namespace sremon::storage
