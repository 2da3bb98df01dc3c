// Shared by the storage end-to-end suites: start `sremon storage` on free ports (victoria-metrics:
// testutil::VictoriaMetrics), post bodies, export and compare samples.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http/http.h"
#include "testutil/testutil.h"

namespace sremon::storage_e2e {

// A running server process and its base URL.
struct Proc {
  std::unique_ptr<testutil::Child> child;
  std::string base;  // http://127.0.0.1:port
  int port = 0;
};

// Starts `sremon storage` with -httpListenAddr on port (0 = a free one) and -storageDataPath=dir,
// plus extra flags; waits for /health. Empty child when it did not come up (the test fails).
Proc StartStorage(const std::string& dir, std::vector<std::string> extra = {}, int port = 0);

// POST body to base+path; returns the status (0 when the request failed).
int PostStatus(const std::string& url, const std::string& body, std::string* resp_body = nullptr);

// series (labels as the export's metric JSON, dumped sorted) → timestamp → value.
using SampleMap = std::map<std::string, std::map<int64_t, double>>;
// Parses VictoriaMetrics JSON-lines export output.
SampleMap ParseExport(const std::string& jsonl);
// GET base/api/v1/export?match[]=selector&start=0 and parse it.
SampleMap Export(const std::string& base, const std::string& selector);

}  // namespace sremon::storage_e2e
