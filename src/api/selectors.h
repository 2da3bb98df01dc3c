// Series selectors from request parameters (match[], VictoriaMetrics's extra_label and
// extra_filters[]) and their application to a parsed query.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "http/http.h"
#include "model/labels.h"
#include "promql/ast.h"
#include "util/status.h"

namespace sremon::api {

// Every match[] selector parsed; each set must have a matcher that does not match "".
// Errors are the parser's, or "match[] must contain at least one non-empty matcher".
Result<std::vector<std::vector<model::Matcher>>> ParseMatchSets(const std::vector<std::string>& selectors);

// VictoriaMetrics's extra_label=name=value and extra_filters[]={...}: matchers to add to every
// selector of the request. More than one extra_filters[] (VictoriaMetrics ORs them) is rejected.
Result<std::vector<model::Matcher>> ParseExtraMatchers(const http::Request& req);

// Adds `extra` to every vector selector of the expression (VictoriaMetrics's extra_label).
void AddMatchersToSelectors(promql::Node& expr, const std::vector<model::Matcher>& extra);

// Whether the expression selects any series (query_exemplars answers nothing otherwise).
bool HasSelectors(const promql::Node& expr);

}  // namespace sremon::api
