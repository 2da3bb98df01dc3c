#include "dashboards/provisioning.h"

#include <yaml-cpp/yaml.h>

#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "dashboards/auth.h"
#include "util/json.h"
#include "util/strings.h"

namespace sremon::dashboards {
namespace fs = std::filesystem;

std::string ExpandEnv(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name;
    size_t end = i;
    if (text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        out += c;
        continue;
      }
      name = std::string(text.substr(i + 2, close - i - 2));
      end = close;
    } else {
      size_t j = i + 1;
      while (j < text.size() && is_name(text[j])) ++j;
      if (j == i + 1) {
        out += c;
        continue;
      }
      name = std::string(text.substr(i + 1, j - i - 1));
      end = j - 1;
    }
    if (const char* v = std::getenv(name.c_str())) out += v;
    i = end;
  }
  return out;
}

std::string DerivedUid(std::string_view text) {
  std::string digest = TokenDigest(text);
  return digest.substr(0, 14);
}

static Result<YAML::Node> LoadYaml(std::string_view yaml, std::string_view file) {
  try {
    return YAML::Load(ExpandEnv(yaml));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("cannot parse {}: {}", file, e.what()));
  }
}

template <typename T>
static T Get(const YAML::Node& n, const char* key, T def) {
  if (!n[key] || n[key].IsNull()) return def;
  return n[key].as<T>();
}

// The elements of the top-level list `key` of a provisioning file (none when it is absent), each
// read by item(node) -> Result<T>. Errors name the file.
template <typename T, typename Item>
static Result<std::vector<T>> ParseList(std::string_view yaml, std::string_view file, const char* key, Item&& item) {
  auto root = LoadYaml(yaml, file);
  if (!root.ok()) return root.status();
  std::vector<T> out;
  try {
    if (!root->IsMap() && !root->IsNull()) return Status::InvalidArgument(fmt::format("{}: expected a map at the top", file));
    const YAML::Node list = (*root)[key];
    if (!list) return out;
    if (!list.IsSequence()) return Status::InvalidArgument(fmt::format("{}: {} must be a list", file, key));
    for (const auto& n : list) {
      auto v = item(n);
      if (!v.ok()) return v.status();
      out.push_back(std::move(*v));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}: {}", file, e.what()));
  }
  return out;
}

Result<std::vector<Datasource>> ParseDatasources(std::string_view yaml, std::string_view file) {
  return ParseList<Datasource>(yaml, file, "datasources", [&](const YAML::Node& n) -> Result<Datasource> {
    Datasource d;
    d.name = Get<std::string>(n, "name", "");
    if (d.name.empty()) return Status::InvalidArgument(fmt::format("{}: datasource without a name", file));
    d.uid = Get<std::string>(n, "uid", "");
    d.type = Get<std::string>(n, "type", "prometheus");
    d.access = Get<std::string>(n, "access", "proxy");
    d.url = Get<std::string>(n, "url", "");
    d.is_default = Get<bool>(n, "isDefault", false);
    d.editable = Get<bool>(n, "editable", false);
    if (Get<bool>(n, "basicAuth", false)) {
      d.basic_auth_user = Get<std::string>(n, "basicAuthUser", "");
      if (n["secureJsonData"]) d.basic_auth_password = Get<std::string>(n["secureJsonData"], "basicAuthPassword", "");
    }
    if (n["jsonData"] && n["jsonData"].IsMap()) {
      for (const auto& kv : n["jsonData"]) {
        d.json_data[kv.first.as<std::string>()] = kv.second.IsScalar() ? kv.second.as<std::string>() : "";
      }
    }
    if (d.uid.empty()) d.uid = DerivedUid("datasource:" + d.name);
    if (d.url.empty() && d.type == "prometheus") {
      return Status::InvalidArgument(fmt::format("{}: datasource {} has no url", file, d.name));
    }
    return d;
  });
}

Result<std::vector<DashboardProvider>> ParseDashboardProviders(std::string_view yaml, std::string_view file) {
  return ParseList<DashboardProvider>(yaml, file, "providers", [&](const YAML::Node& n) -> Result<DashboardProvider> {
    DashboardProvider p;
    p.name = Get<std::string>(n, "name", "");
    p.folder = Get<std::string>(n, "folder", "");
    p.folder_uid = Get<std::string>(n, "folderUid", "");
    p.type = Get<std::string>(n, "type", "file");
    p.update_interval_s = Get<int>(n, "updateIntervalSeconds", 10);
    p.allow_ui_updates = Get<bool>(n, "allowUiUpdates", false);
    p.disable_deletion = Get<bool>(n, "disableDeletion", false);
    if (n["options"]) p.path = Get<std::string>(n["options"], "path", "");
    if (p.type != "file") return Status::InvalidArgument(fmt::format("{}: provider {}: unsupported type {}", file, p.name, Quote(p.type)));
    if (p.path.empty()) return Status::InvalidArgument(fmt::format("{}: provider {}: options.path is required", file, p.name));
    if (p.update_interval_s < 1) p.update_interval_s = 10;
    return p;
  });
}

static Result<std::string> ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

static std::vector<fs::path> YamlFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yml" || ext == ".yaml")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<Provisioning> LoadProvisioning(const std::string& dir) {
  Provisioning prov;
  for (const auto& f : YamlFiles(fs::path(dir) / "datasources")) {
    auto text = ReadAll(f);
    if (!text.ok()) return text.status();
    auto ds = ParseDatasources(*text, f.string());
    if (!ds.ok()) return ds.status();
    for (auto& d : *ds) prov.datasources.push_back(std::move(d));
  }
  for (const auto& f : YamlFiles(fs::path(dir) / "dashboards")) {
    auto text = ReadAll(f);
    if (!text.ok()) return text.status();
    auto ps = ParseDashboardProviders(*text, f.string());
    if (!ps.ok()) return ps.status();
    for (auto& p : *ps) {
      // A relative path is relative to the provisioning files' parent, not to the cwd: the
      // reference's absolute /etc/grafana/provisioning/dashboards is mapped to dir/dashboards.
      if (p.path.starts_with("/etc/grafana/provisioning/")) {
        p.path = (fs::path(dir) / p.path.substr(std::string_view("/etc/grafana/provisioning/").size())).string();
      }
      // Grafana resolves a relative path against its working directory; when that does not
      // hold it, try the directory holding grafana/provisioning (the repository root), so
      // GF_PATHS_PROVISIONING=/x/grafana/provisioning works from any directory.
      std::error_code ec;
      if (fs::path(p.path).is_relative() && !fs::exists(p.path, ec)) {
        fs::path root = fs::absolute(dir, ec).lexically_normal().parent_path().parent_path();
        if (fs::exists(root / p.path, ec)) p.path = (root / p.path).string();
      }
      prov.providers.push_back(std::move(p));
    }
  }
  std::set<std::string> uids;
  bool has_default = false;
  for (size_t i = 0; i < prov.datasources.size(); ++i) {
    auto& d = prov.datasources[i];
    d.id = static_cast<int64_t>(i + 1);
    if (!uids.insert(d.uid).second) return Status::InvalidArgument("datasource uid " + d.uid + " is used twice");
    if (d.is_default) {
      if (has_default) return Status::InvalidArgument("datasource " + d.name + ": only one datasource can be the default");
      has_default = true;
    }
  }
  if (!has_default && !prov.datasources.empty()) prov.datasources.front().is_default = true;
  return prov;
}

void ResolveInputs(nlohmann::json* dashboard, const std::string& default_ds_uid,
                   const std::map<std::string, std::string>& values) {
  if (!dashboard->is_object()) return;
  std::map<std::string, std::string> repl;
  std::set<std::string> variables;
  if (auto t = dashboard->find("templating"); t != dashboard->end() && t->is_object()) {
    if (auto l = t->find("list"); l != t->end() && l->is_array()) {
      for (const auto& v : *l) {
        if (v.is_object() && v.contains("name") && v["name"].is_string()) variables.insert(v["name"].get<std::string>());
      }
    }
  }
  if (auto in = dashboard->find("__inputs"); in != dashboard->end() && in->is_array()) {
    for (const auto& i : *in) {
      if (!i.is_object() || !i.contains("name") || !i["name"].is_string()) continue;
      std::string name = i["name"];
      std::string type = i.value("type", "");
      if (auto v = values.find(name); v != values.end()) {
        repl[name] = v->second;
      } else if (type == "datasource") {
        repl[name] = default_ds_uid;
      } else if (type == "constant") {
        repl[name] = i.contains("value") && i["value"].is_string() ? i["value"].get<std::string>() : "";
      }
    }
  }
  std::function<void(nlohmann::json&)> walk = [&](nlohmann::json& j) {
    if (j.is_object() || j.is_array()) {
      for (auto& c : j) walk(c);
      return;
    }
    if (!j.is_string()) return;
    std::string s = j.get<std::string>();
    if (s.find("${") == std::string::npos) return;
    std::string out;
    size_t pos = 0;
    while (true) {
      size_t open = s.find("${", pos);
      if (open == std::string::npos) break;
      size_t close = s.find('}', open);
      if (close == std::string::npos) break;
      std::string name = s.substr(open + 2, close - open - 2);
      out.append(s, pos, open - pos);
      if (auto r = repl.find(name); r != repl.end()) {
        out += r->second;
      } else if (name.starts_with("DS_") && !variables.count(name)) {
        out += default_ds_uid;
      } else {
        out.append(s, open, close - open + 1);
      }
      pos = close + 1;
    }
    out.append(s, pos);
    j = out;
  };
  for (auto& [key, value] : dashboard->items()) {
    if (key != "__inputs") walk(value);
  }
  dashboard->erase("__inputs");
  dashboard->erase("__requires");
  dashboard->erase("__elements");
}

std::string CanonicalModel(nlohmann::json model) {
  model.erase("id");
  model.erase("version");
  return model.dump();
}

const DashboardProvider* DashboardProvisioner::Provider(const std::string& name) const {
  for (const auto& p : providers_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Status DashboardProvisioner::SyncOnce() {
  std::lock_guard lock(mu_);
  for (const auto& p : providers_) {
    Status st = SyncProvider(p);
    if (!st.ok()) spdlog::warn("dashboards provider {}: {}", Quote(p.name), st.message());
  }
  return Status::Ok();
}

Status DashboardProvisioner::SyncProvider(const DashboardProvider& p) {
  std::string folder_uid;
  if (!p.folder.empty()) {
    auto f = store_->FolderByTitle(p.folder);
    if (!f.ok()) f = store_->CreateFolder(p.folder_uid.empty() ? DerivedUid("folder:" + p.folder) : p.folder_uid, p.folder);
    if (!f.ok()) return f.status();
    folder_uid = f->uid;
  }
  std::set<std::string> present;
  std::error_code ec;
  if (!fs::is_directory(p.path, ec)) return Status::NotFound("options.path " + p.path + " is not a directory");
  for (auto it = fs::recursive_directory_iterator(p.path, fs::directory_options::follow_directory_symlink, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file() || it->path().extension() != ".json") continue;
    std::string path = it->path().string();
    present.insert(path);
    int64_t mtime = it->last_write_time().time_since_epoch().count();
    uintmax_t size = it->file_size();
    auto seen = seen_.find(path);
    if (seen != seen_.end() && seen->second == std::make_pair(mtime, size)) continue;
    seen_[path] = {mtime, size};
    auto text = ReadAll(it->path());
    if (!text.ok()) {
      spdlog::warn("provisioning: {}", text.status().message());
      continue;
    }
    auto parsed = ParseJson(*text);
    if (!parsed.ok() || !parsed->is_object()) {
      spdlog::warn("provisioning: {} is not a dashboard JSON object{}", path,
                   parsed.ok() ? "" : ": " + parsed.status().message());
      continue;
    }
    nlohmann::json model = std::move(*parsed);
    // Grafana also accepts the API's {"dashboard": {...}} wrapper.
    if (model.contains("dashboard") && model["dashboard"].is_object()) model = model["dashboard"];
    ResolveInputs(&model, default_ds_uid_);
    std::string uid = model.value("uid", "");
    if (uid.empty() || !model["uid"].is_string()) uid = DerivedUid("dashboard:" + path);
    model["uid"] = uid;
    std::string data = CanonicalModel(model);
    auto old = store_->DashboardByUid(uid);
    if (old.ok() && old->data == data && old->folder_uid == folder_uid && old->provision_path == path) continue;
    SaveDashboard save;
    save.uid = uid;
    save.title = model.value("title", uid);
    save.folder_uid = folder_uid;
    save.data = data;
    save.tags_json = model.contains("tags") && model["tags"].is_array() ? model["tags"].dump() : "[]";
    save.message = "provisioned from " + path;
    save.created_by = "provisioning";
    save.provisioner = p.name;
    save.provision_path = path;
    auto r = store_->Save(save);
    if (!r.ok()) {
      spdlog::warn("provisioning: cannot save {}: {}", path, r.status().message());
    } else {
      spdlog::info("provisioned dashboard {} (uid {}) from {}", Quote(save.title), uid, path);
    }
  }
  if (p.disable_deletion) return Status::Ok();
  auto all = store_->ListDashboards();
  if (!all.ok()) return all.status();
  for (const auto& d : *all) {
    if (d.provisioner == p.name && !present.count(d.provision_path)) {
      spdlog::info("provisioning: {} was removed, deleting dashboard {}", d.provision_path, d.uid);
      (void)store_->DeleteDashboard(d.uid);
      seen_.erase(d.provision_path);
    }
  }
  return Status::Ok();
}

Status DashboardProvisioner::WriteBack(const Dashboard& dashboard, const nlohmann::json& model) {
  std::lock_guard lock(mu_);
  nlohmann::json out = model;
  out.erase("id");
  out.erase("version");
  std::string tmp = dashboard.provision_path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Status::IOError("cannot write " + tmp);
    f << out.dump(2) << "\n";
    if (!f.flush()) return Status::IOError("cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, dashboard.provision_path, ec);
  if (ec) return Status::IOError("cannot replace " + dashboard.provision_path + ": " + ec.message());
  // The next scan sees a changed file whose model equals the stored one, and skips it.
  return Status::Ok();
}

void DashboardProvisioner::Start() {
  if (providers_.empty() || thread_.joinable()) return;
  int interval = 3600;
  for (const auto& p : providers_) interval = std::min(interval, std::max(1, p.update_interval_s));
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, std::chrono::seconds(interval), [this] { return stop_; })) {
      lock.unlock();
      (void)SyncOnce();
      lock.lock();
    }
  });
}

void DashboardProvisioner::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sremon::dashboards
