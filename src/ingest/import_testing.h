// Test helper (header-only, for the ingest unit tests): one import call against a fresh
// RecordingAppendable, committed, and what it stored as text to compare whole.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "ingest/decode.h"
#include "storage/recording_appendable.h"

namespace sremon::ingest::testing {

struct Imported {
  ImportResult result;
  std::string samples;  // one "labels value @ms" line per committed sample, in append order
};

// Runs import(appender) and commits.
inline Imported Import(const std::function<ImportResult(storage::Appender*)>& import) {
  storage::testing::RecordingAppendable store;
  auto app = store.NewAppender();
  Imported out{import(app.get()), ""};
  EXPECT_TRUE(app->Commit().ok());
  for (const auto& r : store.Samples()) {
    out.samples += r.labels.ToString() + " " + std::to_string(r.v) + " @" + std::to_string(r.t) + "\n";
  }
  return out;
}

}  // namespace sremon::ingest::testing
