// Alertmanager's matcher syntax (pkg/labels of v0.25): `name="value"`, `name=~"re"`, `!=`, `!~`,
// values optionally quoted, lists `{a="b", c=~"d"}` or `a=b,c=d`. Used by the config
// (`matchers:`), the API (`filter=`) and amtool.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/labels.h"
#include "util/status.h"

namespace sremon::alertmanager {

using Matchers = std::vector<model::Matcher>;

// One matcher: `name op value`. Errors as upstream: "bad matcher format: ...".
Result<model::Matcher> ParseMatcher(std::string_view s);
// A comma-separated list, optionally in braces.
Result<Matchers> ParseMatchers(std::string_view s);

// Alertmanager's string forms: name="value" (Go %q quoting), and {a="b",c=~"d"}.
std::string MatcherString(const model::Matcher& m);
std::string MatchersString(const Matchers& ms);
// Upstream order (name, value, type) used for route keys.
void SortMatchers(Matchers* ms);
// All matchers match the labels (absent labels read as "").
bool MatchesAll(const Matchers& ms, const model::Labels& labels);

}  // namespace sremon::alertmanager
