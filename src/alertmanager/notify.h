// Receivers' integrations (webhook, email, slack) and the notification pipeline of one flush:
// inhibition → active/mute time intervals → silences → per integration: dedup against the
// notification log → send with retries and back-off → log (notify/notify.go of v0.25).
// Thread-safety: Pipeline::Notify may run concurrently for different groups.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/config.h"
#include "alertmanager/history.h"
#include "alertmanager/inhibit.h"
#include "alertmanager/nflog.h"
#include "alertmanager/route.h"
#include "alertmanager/silences.h"
#include "util/time.h"

namespace sremon::alertmanager {

// What one notification is about (template.Data's inputs).
struct NotifyData {
  std::string receiver;
  std::string group_key;
  model::Labels group_labels;
  std::vector<Alert> alerts;  // firing alerts carry ends_at = 0
  std::string external_url;
  int64_t now = 0;

  bool AnyFiring() const;
  model::Labels CommonLabels() const;
  Annotations CommonAnnotations() const;
};

struct SendResult {
  Status status;
  bool retry = false;   // worth trying again (network error, 5xx)
  std::string payload;  // what was sent
  std::string target;
  int http_status = 0;
  std::string response;
};

// Renders a notification template (email/slack fields) against the data.
using TemplateFn = std::function<Result<std::string>(const std::string& text, const NotifyData& data)>;

class Integration {
 public:
  virtual ~Integration() = default;
  virtual const char* name() const = 0;  // "webhook", "email", "slack"
  virtual bool send_resolved() const = 0;
  // timeout_ms bounds the attempt.
  virtual SendResult Send(const NotifyData& data, int64_t timeout_ms) = 0;
  int index = 0;
};

std::vector<std::unique_ptr<Integration>> BuildIntegrations(const Receiver& r, TemplateFn tmpl);

// The webhook body (version 4), max_alerts applied.
std::string WebhookPayload(const NotifyData& data, int max_alerts);

// Dependencies of the pipeline, owned elsewhere and alive while it runs.
struct PipelineDeps {
  std::shared_ptr<const Config> config;
  const Silences* silences = nullptr;
  const Inhibitor* inhibitor = nullptr;
  NotificationLog* nflog = nullptr;
  History* history = nullptr;
  std::string external_url;
  TemplateFn tmpl;
  // Time of the dedup decisions, time intervals, silences and log entries. Retries and their
  // back-off run on the wall clock (the flush deadline is real time).
  Clock clock = NowMs;
};

class Pipeline {
 public:
  explicit Pipeline(PipelineDeps deps);
  // One flush of a group. Returns true when every integration succeeded or had nothing to do.
  // Retries until deadline_ms or until *stop becomes true.
  bool Notify(const RouteOpts& opts, const std::string& group_key, const model::Labels& group_labels,
              std::vector<Alert> alerts, int64_t deadline_ms, const std::atomic<bool>* stop);
  // Sends straight to one receiver (test-receiver): no dedup, no log, one attempt per
  // integration; records the attempts in history as tests.
  std::vector<SendResult> SendTest(const std::string& receiver, const NotifyData& data);

 private:
  bool NotifyIntegration(Integration* in, const RouteOpts& opts, const NotifyData& data, int64_t deadline_ms,
                         const std::atomic<bool>* stop);
  // Adds the attempt to the notification's history record, creating it (and setting
  // *history_id) on the first attempt.
  void Record(const Integration& in, const NotifyData& data, const SendResult& r, int64_t start, double seconds,
              bool test, uint64_t* history_id);

  PipelineDeps deps_;
  std::map<std::string, std::vector<std::unique_ptr<Integration>>> integrations_;  // by receiver
};

}  // namespace sremon::alertmanager
