// prometheus.yml: the scrape part of the Prometheus configuration file
// (https://prometheus.io/docs/prometheus/latest/configuration/configuration/), as read by
// VictoriaMetrics' -promscrape.config. Errors name the file and line:
// "prometheus.yml:12: scrape_configs[0]: unknown field \"scrape_intervall\"".
// Thread-safety: a parsed Config is an immutable value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/http.h"
#include "model/labels.h"
#include "scrape/relabel.h"
#include "util/status.h"

namespace sremon::scrape {

struct StaticConfig {
  std::vector<std::string> targets;
  model::Labels labels;
};

struct FileSdConfig {
  std::vector<std::string> files;  // absolute, or relative to the config file's directory
  int64_t refresh_interval_ms = 5 * 60 * 1000;
};

struct BasicAuth {
  std::string username;
  std::string password;
  std::string password_file;
};

struct ScrapeConfig {
  std::string job_name;
  int64_t scrape_interval_ms = 0;
  int64_t scrape_timeout_ms = 0;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  std::map<std::string, std::vector<std::string>> params;
  bool honor_labels = false;
  bool honor_timestamps = true;
  std::optional<BasicAuth> basic_auth;
  std::string bearer_token;
  std::string bearer_token_file;
  http::TlsOptions tls;  // tls_config, for scheme https; its files resolved like file_sd's
  std::vector<StaticConfig> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<RelabelConfig> relabel_configs;
  std::vector<RelabelConfig> metric_relabel_configs;
  uint64_t sample_limit = 0;  // 0 = no limit
  uint64_t label_limit = 0;
  // The job's YAML as written (after defaults are known): unchanged jobs keep their scrape
  // loops across reloads.
  std::string fingerprint;
};

struct Config {
  int64_t scrape_interval_ms = 60 * 1000;  // Prometheus defaults
  int64_t scrape_timeout_ms = 10 * 1000;
  model::Labels external_labels;
  std::vector<ScrapeConfig> scrape_configs;
  std::string base_dir;  // for relative file_sd paths
  // The YAML it was parsed from, re-emitted with every secret (passwords, tokens) replaced by
  // <secret>: what /api/v1/status/config serves, as VictoriaMetrics does.
  std::string masked_yaml;
  // A path of the file as written: relative ones are relative to the config file, as in Prometheus.
  std::string ResolvePath(const std::string& p) const {
    return p.empty() || p[0] == '/' || base_dir.empty() ? p : base_dir + "/" + p;
  }
};

// Parses YAML text. filename appears in errors. strict: unknown fields are errors
// (-promscrape.config.strictParse), otherwise they are ignored.
Result<Config> ParseConfig(const std::string& yaml, const std::string& filename, bool strict);
// Reads and parses a file.
Result<Config> LoadConfig(const std::string& path, bool strict);

}  // namespace sremon::scrape
