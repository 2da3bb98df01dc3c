#include "scrape/config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "util/time.h"
#include "util/yaml.h"

namespace sremon::scrape {
namespace {

// Carries the file name for "file:line: message" errors.
struct Ctx {
  const std::string& file;
  bool strict;

  Status Err(const YAML::Node& n, const std::string& msg) const { return YamlError(file, n, msg); }

  // Unknown keys: an error in strict mode, otherwise ignored.
  Status CheckKeys(const YAML::Node& map, const std::set<std::string>& known, const std::string& where) const {
    if (!map.IsMap()) return Err(map, fmt::format("{}: expected a mapping", where));
    if (!strict) return Status::Ok();
    for (const auto& kv : map) {
      std::string key = kv.first.as<std::string>("");
      if (!known.count(key)) {
        return Err(kv.first, fmt::format("{}: unknown field \"{}\" (set -promscrape.config.strictParse=false to ignore "
                                         "unsupported fields)",
                                         where, key));
      }
    }
    return Status::Ok();
  }

  Status Str(const YAML::Node& n, std::string* out, const std::string& what) const {
    if (!n.IsScalar()) return Err(n, fmt::format("{}: expected a string", what));
    *out = n.Scalar();
    return Status::Ok();
  }

  Status Bool(const YAML::Node& n, bool* out, const std::string& what) const {
    std::string s = n.IsScalar() ? n.Scalar() : "";
    if (s == "true") {
      *out = true;
    } else if (s == "false") {
      *out = false;
    } else {
      return Err(n, fmt::format("{}: expected true or false, got \"{}\"", what, s));
    }
    return Status::Ok();
  }

  Status Uint(const YAML::Node& n, uint64_t* out, const std::string& what) const {
    try {
      *out = n.as<uint64_t>();
    } catch (const YAML::Exception&) {
      return Err(n, fmt::format("{}: expected a non-negative integer", what));
    }
    return Status::Ok();
  }

  Status Duration(const YAML::Node& n, int64_t* out, const std::string& what) const {
    if (!n.IsScalar()) return Err(n, fmt::format("{}: expected a duration", what));
    auto d = ParseDurationMs(n.Scalar());
    if (!d.ok()) return Err(n, fmt::format("{}: {}", what, d.status().message()));
    if (*d <= 0) return Err(n, fmt::format("{}: duration must be positive", what));
    *out = *d;
    return Status::Ok();
  }

  Status LabelMap(const YAML::Node& n, model::Labels* out, const std::string& what) const {
    if (!n.IsMap()) return Err(n, fmt::format("{}: expected a mapping of label names to values", what));
    std::vector<model::Label> ls;
    for (const auto& kv : n) {
      std::string name = kv.first.as<std::string>("");
      if (!model::IsValidLabelName(name)) return Err(kv.first, fmt::format("{}: invalid label name \"{}\"", what, name));
      if (!kv.second.IsScalar()) return Err(kv.second, fmt::format("{}: label \"{}\" needs a string value", what, name));
      ls.push_back({name, kv.second.Scalar()});
    }
    *out = model::Labels(std::move(ls));
    return Status::Ok();
  }

  Status StrList(const YAML::Node& n, std::vector<std::string>* out, const std::string& what) const {
    if (!n.IsSequence()) return Err(n, fmt::format("{}: expected a list", what));
    for (const auto& item : n) {
      if (!item.IsScalar()) return Err(item, fmt::format("{}: expected a string item", what));
      out->push_back(item.Scalar());
    }
    return Status::Ok();
  }

  Status Relabel(const YAML::Node& n, std::vector<RelabelConfig>* out, const std::string& what) const {
    if (!n.IsSequence()) return Err(n, fmt::format("{}: expected a list", what));
    int i = 0;
    for (const auto& item : n) {
      std::string w = fmt::format("{}[{}]", what, i++);
      SREMON_RETURN_IF_ERROR(CheckKeys(item, {"source_labels", "separator", "target_label", "regex", "modulus",
                                              "replacement", "action"},
                                       w));
      RelabelConfig rc;
      if (item["source_labels"]) SREMON_RETURN_IF_ERROR(StrList(item["source_labels"], &rc.source_labels, w));
      if (item["separator"]) SREMON_RETURN_IF_ERROR(Str(item["separator"], &rc.separator, w));
      if (item["target_label"]) SREMON_RETURN_IF_ERROR(Str(item["target_label"], &rc.target_label, w));
      if (item["regex"]) SREMON_RETURN_IF_ERROR(Str(item["regex"], &rc.regex, w));
      if (item["modulus"]) SREMON_RETURN_IF_ERROR(Uint(item["modulus"], &rc.modulus, w));
      if (item["replacement"]) SREMON_RETURN_IF_ERROR(Str(item["replacement"], &rc.replacement, w));
      if (item["action"]) {
        std::string a;
        SREMON_RETURN_IF_ERROR(Str(item["action"], &a, w));
        auto action = ParseRelabelAction(a);
        if (!action.ok()) return Err(item["action"], fmt::format("{}: {}", w, action.status().message()));
        rc.action = *action;
      }
      Status st = rc.Compile();
      if (!st.ok()) return Err(item, fmt::format("{}: {}", w, st.message()));
      out->push_back(std::move(rc));
    }
    return Status::Ok();
  }

  Status Job(const YAML::Node& n, const Config& global, ScrapeConfig* job, const std::string& what) const {
    // Fields Prometheus knows but we do not implement: listed so that strict mode can say so.
    static const std::set<std::string> kKnown = {
        "job_name", "scrape_interval", "scrape_timeout", "metrics_path", "scheme", "params", "honor_labels",
        "honor_timestamps", "basic_auth", "bearer_token", "bearer_token_file", "static_configs", "file_sd_configs",
        "relabel_configs", "metric_relabel_configs", "sample_limit", "label_limit", "tls_config"};
    SREMON_RETURN_IF_ERROR(CheckKeys(n, kKnown, what));
    if (!n["job_name"]) return Err(n, fmt::format("{}: job_name is missing", what));
    SREMON_RETURN_IF_ERROR(Str(n["job_name"], &job->job_name, what));
    if (job->job_name.empty()) return Err(n["job_name"], fmt::format("{}: job_name is empty", what));
    std::string w = fmt::format("scrape_configs \"{}\"", job->job_name);
    job->scrape_interval_ms = global.scrape_interval_ms;
    job->scrape_timeout_ms = std::min(global.scrape_timeout_ms, job->scrape_interval_ms);
    bool timeout_set = false;
    if (n["scrape_interval"]) {
      SREMON_RETURN_IF_ERROR(Duration(n["scrape_interval"], &job->scrape_interval_ms, w + ": scrape_interval"));
      job->scrape_timeout_ms = std::min(global.scrape_timeout_ms, job->scrape_interval_ms);
    }
    if (n["scrape_timeout"]) {
      SREMON_RETURN_IF_ERROR(Duration(n["scrape_timeout"], &job->scrape_timeout_ms, w + ": scrape_timeout"));
      timeout_set = true;
    }
    if (timeout_set && job->scrape_timeout_ms > job->scrape_interval_ms) {
      return Err(n["scrape_timeout"], fmt::format("{}: scrape_timeout {} is greater than scrape_interval {}", w,
                                                  FormatDurationMs(job->scrape_timeout_ms),
                                                  FormatDurationMs(job->scrape_interval_ms)));
    }
    if (n["metrics_path"]) SREMON_RETURN_IF_ERROR(Str(n["metrics_path"], &job->metrics_path, w + ": metrics_path"));
    if (n["scheme"]) {
      SREMON_RETURN_IF_ERROR(Str(n["scheme"], &job->scheme, w + ": scheme"));
      if (job->scheme != "http" && job->scheme != "https") {
        return Err(n["scheme"], fmt::format("{}: scheme must be http or https, got \"{}\"", w, job->scheme));
      }
    }
    if (n["params"]) {
      const YAML::Node& p = n["params"];
      if (!p.IsMap()) return Err(p, w + ": params: expected a mapping of names to lists");
      for (const auto& kv : p) {
        std::vector<std::string> vals;
        SREMON_RETURN_IF_ERROR(StrList(kv.second, &vals, w + ": params"));
        job->params[kv.first.as<std::string>("")] = std::move(vals);
      }
    }
    if (n["honor_labels"]) SREMON_RETURN_IF_ERROR(Bool(n["honor_labels"], &job->honor_labels, w + ": honor_labels"));
    if (n["honor_timestamps"]) {
      SREMON_RETURN_IF_ERROR(Bool(n["honor_timestamps"], &job->honor_timestamps, w + ": honor_timestamps"));
    }
    if (n["basic_auth"]) {
      const YAML::Node& b = n["basic_auth"];
      SREMON_RETURN_IF_ERROR(CheckKeys(b, {"username", "password", "password_file"}, w + ": basic_auth"));
      BasicAuth auth;
      if (b["username"]) SREMON_RETURN_IF_ERROR(Str(b["username"], &auth.username, w + ": basic_auth"));
      if (b["password"]) SREMON_RETURN_IF_ERROR(Str(b["password"], &auth.password, w + ": basic_auth"));
      if (b["password_file"]) SREMON_RETURN_IF_ERROR(Str(b["password_file"], &auth.password_file, w + ": basic_auth"));
      if (!auth.password.empty() && !auth.password_file.empty()) {
        return Err(b, w + ": basic_auth: at most one of password and password_file");
      }
      job->basic_auth = auth;
    }
    if (n["bearer_token"]) SREMON_RETURN_IF_ERROR(Str(n["bearer_token"], &job->bearer_token, w + ": bearer_token"));
    if (n["bearer_token_file"]) {
      SREMON_RETURN_IF_ERROR(Str(n["bearer_token_file"], &job->bearer_token_file, w + ": bearer_token_file"));
    }
    if (job->basic_auth && (!job->bearer_token.empty() || !job->bearer_token_file.empty())) {
      return Err(n, w + ": at most one of basic_auth and bearer_token may be set");
    }
    if (const YAML::Node& t = n["tls_config"]; t && !t.IsNull()) {
      std::string tw = w + ": tls_config";
      SREMON_RETURN_IF_ERROR(
          CheckKeys(t, {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"}, tw));
      http::TlsOptions& tls = job->tls;
      if (t["ca_file"]) SREMON_RETURN_IF_ERROR(Str(t["ca_file"], &tls.ca_file, tw));
      if (t["cert_file"]) SREMON_RETURN_IF_ERROR(Str(t["cert_file"], &tls.cert_file, tw));
      if (t["key_file"]) SREMON_RETURN_IF_ERROR(Str(t["key_file"], &tls.key_file, tw));
      if (t["server_name"]) SREMON_RETURN_IF_ERROR(Str(t["server_name"], &tls.server_name, tw));
      if (t["insecure_skip_verify"]) {
        SREMON_RETURN_IF_ERROR(Bool(t["insecure_skip_verify"], &tls.insecure_skip_verify, tw));
      }
      if (tls.cert_file.empty() != tls.key_file.empty()) {
        return Err(t, tw + ": cert_file and key_file must be given together");
      }
    }
    if (n["static_configs"]) {
      const YAML::Node& sc = n["static_configs"];
      if (!sc.IsSequence()) return Err(sc, w + ": static_configs: expected a list");
      for (const auto& item : sc) {
        SREMON_RETURN_IF_ERROR(CheckKeys(item, {"targets", "labels"}, w + ": static_configs"));
        StaticConfig s;
        if (item["targets"]) SREMON_RETURN_IF_ERROR(StrList(item["targets"], &s.targets, w + ": targets"));
        if (item["labels"]) SREMON_RETURN_IF_ERROR(LabelMap(item["labels"], &s.labels, w + ": labels"));
        job->static_configs.push_back(std::move(s));
      }
    }
    if (n["file_sd_configs"]) {
      const YAML::Node& fs = n["file_sd_configs"];
      if (!fs.IsSequence()) return Err(fs, w + ": file_sd_configs: expected a list");
      for (const auto& item : fs) {
        SREMON_RETURN_IF_ERROR(CheckKeys(item, {"files", "refresh_interval"}, w + ": file_sd_configs"));
        FileSdConfig f;
        if (!item["files"]) return Err(item, w + ": file_sd_configs: files is missing");
        SREMON_RETURN_IF_ERROR(StrList(item["files"], &f.files, w + ": file_sd_configs: files"));
        if (item["refresh_interval"]) {
          SREMON_RETURN_IF_ERROR(Duration(item["refresh_interval"], &f.refresh_interval_ms, w + ": refresh_interval"));
        }
        job->file_sd_configs.push_back(std::move(f));
      }
    }
    if (n["relabel_configs"]) {
      SREMON_RETURN_IF_ERROR(Relabel(n["relabel_configs"], &job->relabel_configs, w + ": relabel_configs"));
    }
    if (n["metric_relabel_configs"]) {
      SREMON_RETURN_IF_ERROR(
          Relabel(n["metric_relabel_configs"], &job->metric_relabel_configs, w + ": metric_relabel_configs"));
    }
    if (n["sample_limit"]) SREMON_RETURN_IF_ERROR(Uint(n["sample_limit"], &job->sample_limit, w + ": sample_limit"));
    if (n["label_limit"]) SREMON_RETURN_IF_ERROR(Uint(n["label_limit"], &job->label_limit, w + ": label_limit"));
    YAML::Emitter e;
    e << n;
    job->fingerprint = fmt::format("{}|{}|{}", e.c_str(), job->scrape_interval_ms, job->scrape_timeout_ms);
    return Status::Ok();
  }
};

}  // namespace

namespace {

// Replaces the values of secret-holding keys, anywhere in the tree (in place).
void MaskSecrets(YAML::Node node) {
  static const std::set<std::string> kSecretKeys = {"password", "bearer_token", "credentials", "client_secret",
                                                    "secret_key", "access_key", "api_key", "key"};
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->second.IsScalar() && kSecretKeys.count(it->first.as<std::string>(""))) {
        it->second = "<secret>";
      } else {
        MaskSecrets(it->second);
      }
    }
  } else if (node.IsSequence()) {
    for (auto child : node) MaskSecrets(child);
  }
}

}  // namespace

Result<Config> ParseConfig(const std::string& yaml, const std::string& filename, bool strict) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(YamlMessage(filename, YamlLine(e.mark), "cannot parse YAML: " + e.msg));
  }
  Ctx ctx{filename, strict};
  Config cfg;
  if (auto slash = filename.rfind('/'); slash != std::string::npos) cfg.base_dir = filename.substr(0, slash);
  if (root.IsNull()) return cfg;  // an empty file scrapes nothing
  try {
    // rule_files, alerting... belong to other services; a Prometheus file must load unchanged.
    SREMON_RETURN_IF_ERROR(ctx.CheckKeys(root, {"global", "scrape_configs", "rule_files", "alerting", "remote_write",
                                                "remote_read", "storage", "tracing"},
                                         "top level"));
    if (const YAML::Node& g = root["global"]) {
      SREMON_RETURN_IF_ERROR(ctx.CheckKeys(g, {"scrape_interval", "scrape_timeout", "external_labels",
                                               "evaluation_interval", "query_log_file"},
                                           "global"));
      if (g["scrape_interval"]) {
        SREMON_RETURN_IF_ERROR(ctx.Duration(g["scrape_interval"], &cfg.scrape_interval_ms, "global: scrape_interval"));
      }
      if (g["scrape_timeout"]) {
        SREMON_RETURN_IF_ERROR(ctx.Duration(g["scrape_timeout"], &cfg.scrape_timeout_ms, "global: scrape_timeout"));
        if (cfg.scrape_timeout_ms > cfg.scrape_interval_ms) {
          return ctx.Err(g["scrape_timeout"], "global: scrape_timeout is greater than scrape_interval");
        }
      }
      if (g["external_labels"]) {
        SREMON_RETURN_IF_ERROR(ctx.LabelMap(g["external_labels"], &cfg.external_labels, "global: external_labels"));
      }
    }
    if (const YAML::Node& sc = root["scrape_configs"]) {
      if (!sc.IsSequence() && !sc.IsNull()) return ctx.Err(sc, "scrape_configs: expected a list");
      std::set<std::string> names;
      int i = 0;
      for (const auto& item : sc) {
        ScrapeConfig job;
        SREMON_RETURN_IF_ERROR(ctx.Job(item, cfg, &job, fmt::format("scrape_configs[{}]", i++)));
        if (!names.insert(job.job_name).second) {
          return ctx.Err(item, fmt::format("found multiple scrape configs with job name \"{}\"", job.job_name));
        }
        for (std::string* f : {&job.tls.ca_file, &job.tls.cert_file, &job.tls.key_file}) *f = cfg.ResolvePath(*f);
        cfg.scrape_configs.push_back(std::move(job));
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(YamlMessage(filename, YamlLine(e.mark), e.msg));
  }
  YAML::Node masked = YAML::Clone(root);
  MaskSecrets(masked);
  YAML::Emitter emitter;
  emitter << masked;
  cfg.masked_yaml = std::string(emitter.c_str()) + "\n";
  return cfg;
}

Result<Config> LoadConfig(const std::string& path, bool strict) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument(fmt::format("cannot read config file {}", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path, strict);
}

}  // namespace sremon::scrape
