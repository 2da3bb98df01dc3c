// Reading one JSON record of the alertmanager's journals (journal.h: alerts, silences, the
// notification log, history), with one shape of error for every kind of record.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "util/json.h"
#include "util/status.h"

namespace sremon::alertmanager {

// decode(object) -> Result<T> for a record that is a JSON object. A record that is not one, or
// whose member decode reads is missing or of another type (nlohmann throws), is
// Corruption("bad <what> record: <why>").
template <typename T, typename Decode>
Result<T> FromRecord(const std::string& text, std::string_view what, Decode&& decode) {
  auto parsed = ParseJson(text);
  if (!parsed.ok()) return Status::Corruption(fmt::format("bad {} record: {}", what, parsed.status().message()));
  if (!parsed->is_object()) return Status::Corruption(fmt::format("bad {} record: not a JSON object", what));
  try {
    return decode(*parsed);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(fmt::format("bad {} record: {}", what, e.what()));
  }
}

// A Journal::Open callback: each record decoded by decode(text) -> Result<T> and handed to
// use(T&&); a record that does not decode is skipped with a warning naming `what`.
template <typename Decode, typename Use>
auto SkipBadRecords(std::string what, Decode decode, Use use) {
  return [what = std::move(what), decode, use](const std::string& text) {
    auto r = decode(text);
    if (!r.ok()) {
      spdlog::warn("skipping {} record: {}", what, r.status().message());
      return;
    }
    use(std::move(*r));
  };
}

}  // namespace sremon::alertmanager
