// The alertmanager's web pages as functions of their data (ui.cc), apart from the server's
// handlers that gather the data, so that they can be rendered and checked on their own.
// Every value is escaped for HTML and sits in element text or a double-quoted attribute; no
// value is ever placed inside a script (scripts read data-* attributes).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/config.h"
#include "alertmanager/history.h"
#include "alertmanager/silences.h"

namespace sremon::alertmanager::ui {

struct AlertRow {
  Alert alert;
  bool suppressed = false;  // silenced or inhibited
};
struct AlertGroupRows {
  std::string receiver;
  model::Labels labels;          // the group's labels; empty = one group for the route
  std::vector<AlertRow> alerts;  // firing ones, in display order
};
// "/": the firing alerts by group. Groups without alerts are left out.
std::string AlertsPage(const std::vector<AlertGroupRows>& groups);

// "/silences": every silence in the order given, with its state at `now`.
std::string SilencesPage(const std::vector<Silence>& silences, int64_t now);

struct SilenceForm {
  std::string id;  // "" = a new silence
  std::string matchers, starts_at, ends_at, created_by, comment;
};
// "/silences/new": the form that creates or edits a silence through the v2 API.
std::string SilenceFormPage(const SilenceForm& form);

// "/history": the filter form (alertname, receiver) and the records found.
std::string HistoryPage(std::string_view alertname, std::string_view receiver,
                        const std::vector<HistoryRecord>& records);

// "/status": start time, receivers (with their test buttons) and the config as dumped.
std::string StatusPage(int64_t start_ms, const Config& config);

// "/ui/parse-matchers": the form's matcher text as the v2 API's matcher objects (a JSON array),
// or a JSON string with the parse error and *http_status 400.
std::string ParseMatchersJson(std::string_view text, int* http_status);

}  // namespace sremon::alertmanager::ui
