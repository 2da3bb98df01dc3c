// Test helper (header-only, for tests of what writes to storage: scrape, ingest): an Appendable that records every
// committed sample, so tests check exactly what a component wrote, and a Queryable over them that
// stores as VictoriaMetrics does (any order; the last write of a series at a time wins), for the
// write endpoints' export. The one test appendable of the tree.
// Thread-safety: all methods lock.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/mem_storage.h"
#include "storage/storage.h"

namespace sremon::storage::testing {

class RecordingAppendable : public storage::Appendable, public storage::Queryable {
 public:
  struct Rec {
    model::Labels labels;
    int64_t t;
    double v;
  };

  std::unique_ptr<storage::Appender> NewAppender() override { return std::make_unique<App>(this); }

  std::vector<Rec> Samples() const {
    std::lock_guard<std::mutex> l(mu_);
    return committed_;
  }
  // What a store keeps of the committed samples: the last value of each series at each time.
  std::map<std::pair<model::Labels, int64_t>, double> Stored() const {
    std::map<std::pair<model::Labels, int64_t>, double> out;
    for (auto& r : Samples()) out[{r.labels, r.t}] = r.v;
    return out;
  }
  // A snapshot of Stored() (a MemStorage filled in time order, so it refuses nothing).
  Result<std::unique_ptr<storage::Querier>> NewQuerier(int64_t mint, int64_t maxt) override {
    storage::MemStorage mem;
    auto app = mem.NewAppender();
    for (auto& [key, v] : Stored()) SREMON_RETURN_IF_ERROR(app->Append(key.first, key.second, v));
    SREMON_RETURN_IF_ERROR(app->Commit());
    return mem.NewQuerier(mint, maxt);
  }
  // Samples of one series (labels as ToString()) in commit order.
  std::vector<Rec> Series(const std::string& labels) const {
    std::vector<Rec> out;
    for (auto& r : Samples()) {
      if (r.labels.ToString() == labels) out.push_back(r);
    }
    return out;
  }
  void Clear() {
    std::lock_guard<std::mutex> l(mu_);
    committed_.clear();
  }
  // Makes Commit() fail with this status (e.g. Unavailable for a full disk).
  void FailCommits(Status st) {
    std::lock_guard<std::mutex> l(mu_);
    commit_error_ = std::move(st);
  }
  int commits() const {
    std::lock_guard<std::mutex> l(mu_);
    return commits_;
  }

 private:
  class App : public storage::Appender {
   public:
    explicit App(RecordingAppendable* p) : p_(p) {}
    Status Append(const model::Labels& labels, int64_t t, double v) override {
      if (labels.MetricName().empty()) return Status::InvalidArgument("missing metric name");
      pending_.push_back({labels, t, v});
      return Status::Ok();
    }
    Status Commit() override {
      std::lock_guard<std::mutex> l(p_->mu_);
      if (!p_->commit_error_.ok()) return p_->commit_error_;
      ++p_->commits_;
      for (auto& r : pending_) p_->committed_.push_back(std::move(r));
      pending_.clear();
      return Status::Ok();
    }
    void Rollback() override { pending_.clear(); }

   private:
    RecordingAppendable* p_;
    std::vector<Rec> pending_;
  };

  mutable std::mutex mu_;
  std::vector<Rec> committed_;
  Status commit_error_;
  int commits_ = 0;
};

}  // namespace sremon::storage::testing
