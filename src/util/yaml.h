// Positions in YAML files for error messages, one way for every config reader (rules,
// alertmanager, scrape): `file:line: message`, lines 1-based. Header-only, so that util itself
// does not link yaml-cpp: only the modules that read YAML include this.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "util/status.h"

namespace sremon {

// The 1-based line of a mark; 0 when unknown (a node built in code has the null mark).
inline int YamlLine(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 0; }
// The 1-based line of a node; 0 for a missing node (n["absent"]) or one without a position.
inline int YamlLine(const YAML::Node& node) { return node.IsDefined() ? YamlLine(node.Mark()) : 0; }

// "file:line: message", or "file: message" when line is 0.
inline std::string YamlMessage(std::string_view file, int line, std::string_view message) {
  if (line <= 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}: {}", file, line, message);
}
inline std::string YamlMessage(std::string_view file, const YAML::Node& node, std::string_view message) {
  return YamlMessage(file, YamlLine(node), message);
}
// The same as an InvalidArgument status (a bad config is the caller's input, not a bug).
inline Status YamlError(std::string_view file, const YAML::Node& node, std::string_view message) {
  return Status::InvalidArgument(YamlMessage(file, node, message));
}

}  // namespace sremon
