#include "common.h"

#include <nlohmann/json.hpp>

namespace sremon::storage_e2e {

Proc StartStorage(const std::string& dir, std::vector<std::string> extra, int port) {
  Proc p;
  p.port = port ? port : testutil::FreePort();
  p.base = "http://127.0.0.1:" + std::to_string(p.port);
  std::vector<std::string> argv = {testutil::SremonBin(), "storage", "-httpListenAddr=127.0.0.1:" + std::to_string(p.port),
                                   "-storageDataPath=" + dir + "/data"};
  for (auto& e : extra) argv.push_back(e);
  p.child = std::make_unique<testutil::Child>(argv, dir + "/storage.log");
  if (!testutil::WaitHttpOk(p.base + "/health", std::chrono::milliseconds(15000))) p.child.reset();
  return p;
}

int PostStatus(const std::string& url, const std::string& body, std::string* resp_body) {
  auto r = http::Post(url, body, "text/plain");
  if (!r.ok()) return 0;
  if (resp_body) *resp_body = r->body;
  return r->status;
}

SampleMap ParseExport(const std::string& jsonl) {
  SampleMap out;
  size_t start = 0;
  while (start < jsonl.size()) {
    size_t nl = jsonl.find('\n', start);
    if (nl == std::string::npos) nl = jsonl.size();
    std::string line = jsonl.substr(start, nl - start);
    start = nl + 1;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    // nlohmann's object is a sorted map: dump() is a canonical key.
    std::string key = j["metric"].dump();
    auto& series = out[key];
    for (size_t i = 0; i < j["values"].size(); ++i) series[j["timestamps"][i].get<int64_t>()] = j["values"][i].get<double>();
  }
  return out;
}

SampleMap Export(const std::string& base, const std::string& selector) {
  auto r = http::Get(base + "/api/v1/export?match[]=" + http::UrlEncode(selector) + "&start=0");
  if (!r.ok() || r->status != 200) return {};
  return ParseExport(r->body);
}

}  // namespace sremon::storage_e2e
