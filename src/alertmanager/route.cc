#include "alertmanager/route.h"

#include "util/strings.h"

namespace sremon::alertmanager {

std::unique_ptr<Route> Route::Build(const RouteConfig& root) { return Make(root, nullptr); }

std::unique_ptr<Route> Route::Make(const RouteConfig& c, const Route* parent) {
  auto r = std::make_unique<Route>();
  if (parent) r->opts_ = parent->opts_;
  // As upstream: the time intervals are the route's own, never inherited (a parent's mute
  // does not mute its children).
  r->opts_.mute_time_intervals = c.mute_time_intervals;
  r->opts_.active_time_intervals = c.active_time_intervals;
  if (!c.receiver.empty()) r->opts_.receiver = c.receiver;
  // As upstream, `group_by: []` is no list at all: the parent's grouping holds.
  if (c.group_by && !c.group_by->empty()) {
    r->opts_.group_by.clear();
    r->opts_.group_by_all = false;
    for (const auto& l : *c.group_by) {
      if (l == "...") {
        r->opts_.group_by_all = true;
      } else {
        r->opts_.group_by.push_back(l);
      }
    }
  }
  if (c.group_wait) r->opts_.group_wait = *c.group_wait;
  if (c.group_interval) r->opts_.group_interval = *c.group_interval;
  if (c.repeat_interval) r->opts_.repeat_interval = *c.repeat_interval;
  r->matchers_ = c.matchers;
  r->continue_ = c.continue_matching;
  r->key_ = (parent ? parent->key_ + "/" : "") + MatchersString(r->matchers_);
  for (const auto& child : c.routes) r->routes_.push_back(Make(child, r.get()));
  return r;
}

std::vector<const Route*> Route::Match(const model::Labels& labels) const {
  if (!MatchesAll(matchers_, labels)) return {};
  std::vector<const Route*> all;
  for (const auto& child : routes_) {
    auto matches = child->Match(labels);
    all.insert(all.end(), matches.begin(), matches.end());
    if (!matches.empty() && !child->continue_) break;
  }
  if (all.empty()) all.push_back(this);
  return all;
}

model::Labels Route::GroupLabels(const model::Labels& labels) const {
  if (opts_.group_by_all) return labels;
  model::LabelsBuilder b;
  for (const auto& name : opts_.group_by) {
    auto v = labels.Get(name);
    if (!v.empty()) b.Set(name, v);
  }
  return b.Build();
}

std::string LabelSetString(const model::Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out += ", ";
    first = false;
    out += l.name + "=" + Quote(l.value);
  }
  return out + "}";
}

}  // namespace sremon::alertmanager
