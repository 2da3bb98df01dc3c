// The routing tree (dispatch/route.go): options inherited from the parent, matching in order
// with `continue`, and the route key used in group keys ("{}/{severity=\"page\"}").
// Thread-safety: immutable after construction.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alertmanager/config.h"

namespace sremon::alertmanager {

struct RouteOpts {
  std::string receiver;
  std::vector<std::string> group_by;
  bool group_by_all = false;
  int64_t group_wait = 30000, group_interval = 300000, repeat_interval = 4 * 3600000LL;
  std::vector<std::string> mute_time_intervals, active_time_intervals;
};

class Route {
 public:
  // Builds the tree for a validated config.
  static std::unique_ptr<Route> Build(const RouteConfig& root);

  // Leaf-most matching routes, in order (several when `continue` is used).
  std::vector<const Route*> Match(const model::Labels& labels) const;
  const std::string& key() const { return key_; }
  const RouteOpts& opts() const { return opts_; }
  const Matchers& matchers() const { return matchers_; }
  bool continue_matching() const { return continue_; }
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }
  // The group labels of an alert under this route.
  model::Labels GroupLabels(const model::Labels& labels) const;

 private:
  static std::unique_ptr<Route> Make(const RouteConfig& c, const Route* parent);
  RouteOpts opts_;
  Matchers matchers_;
  bool continue_ = false;
  std::string key_;
  std::vector<std::unique_ptr<Route>> routes_;
};

// "{alertname=\"x\", job=\"y\"}" as Go's model.LabelSet.String() prints group labels.
std::string LabelSetString(const model::Labels& labels);

}  // namespace sremon::alertmanager
