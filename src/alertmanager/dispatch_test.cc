// The dispatcher and the notification pipeline in process, on a manual clock: group_wait,
// group_interval and repeat_interval, grouping and `continue`, resolved alerts, the dedup
// decisions read from the notification log, silences, inhibition and time intervals. Real
// parts throughout: the store, silences, log, inhibitor and webhook integrations post to a
// webhook receiver on 127.0.0.1. The clock moves only when a test moves it, so "nothing was
// sent yet" holds however slow the machine is; only "it was sent" waits (up to 10 s).
#include "alertmanager/dispatch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "http/http.h"
#include "util/strings.h"

namespace sremon::alertmanager {
namespace {

using json = nlohmann::json;
constexpr int64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute;

// Records every POST: its path (one per receiver) and body.
class Receiver {
 public:
  Receiver() {
    http::ServerOptions o;
    o.name = "receiver";
    o.listen_addr = "127.0.0.1:0";
    o.io_threads = 1;
    server_ = std::make_unique<http::Server>(o);
    server_->RoutePrefix("POST", "/", [this](http::Request& req, http::Response& resp) {
      {
        std::lock_guard lock(mu_);
        posts_.push_back({req.path, json::parse(req.body, nullptr, false)});
      }
      resp.SetText(200, "");
    });
    EXPECT_TRUE(server_->Start().ok());
  }
  ~Receiver() { server_->Stop(std::chrono::milliseconds(100)); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  struct Post {
    std::string path;
    json body;
  };
  std::vector<Post> posts() const {
    std::lock_guard lock(mu_);
    return posts_;
  }
  // Waits (real time) until there are n posts; false after 10 s.
  bool WaitFor(size_t n) const {
    for (int i = 0; i < 1000; ++i) {
      if (posts().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  std::unique_ptr<http::Server> server_;
  mutable std::mutex mu_;
  std::vector<Post> posts_;
};

// An alert's labels: alertname, and an instance when given.
model::Labels L(const std::string& name, const std::string& instance = "") {
  model::LabelsBuilder b;
  b.Set("alertname", name);
  if (!instance.empty()) b.Set("instance", instance);
  return b.Build();
}

// "A/1=firing,..." of one webhook body (alertname/instance=status), in the order sent.
std::string Summary(const json& body) {
  std::vector<std::string> out;
  for (const auto& a : body["alerts"]) {
    std::string name = a["labels"]["alertname"];
    if (a["labels"].contains("instance")) name += "/" + a["labels"]["instance"].get<std::string>();
    out.push_back(name + "=" + a["status"].get<std::string>());
  }
  return Join(out, ",");
}

// One alertmanager's worth of state on a manual clock, built from a config whose receivers'
// URLs are written as RECEIVER/path.
class Stack {
 public:
  explicit Stack(const std::string& yaml, int64_t start) : now_(start) {
    std::string text = yaml;
    for (size_t at; (at = text.find("RECEIVER")) != std::string::npos;)
      text.replace(at, 8, receiver_.url(""));
    auto c = ParseConfig(text, "am.yml");
    EXPECT_TRUE(c.ok()) << c.status().message();
    config_ = *c;
    EXPECT_TRUE(store_.Open("").ok());
    EXPECT_TRUE(silences_.Open("", kHour).ok());
    EXPECT_TRUE(nflog_.Open("").ok());
    route_ = Route::Build(config_->route);
    inhibitor_ = std::make_unique<Inhibitor>(config_->inhibit_rules, &store_);
    PipelineDeps deps;
    deps.config = config_;
    deps.silences = &silences_;
    deps.inhibitor = inhibitor_.get();
    deps.nflog = &nflog_;
    deps.external_url = "http://am";
    deps.clock = clock();
    pipeline_ = std::make_unique<Pipeline>(std::move(deps));
  }
  ~Stack() {
    if (dispatcher_) dispatcher_->Stop();
  }
  void StartDispatcher() {
    DispatcherOptions o;
    o.workers = 2;
    o.clock = clock();
    o.max_sleep_ms = 5;
    dispatcher_ = std::make_unique<Dispatcher>(route_.get(), &store_, pipeline_.get(), o);
    dispatcher_->Start();
  }

  Clock clock() {
    return [this] { return now_.load(); };
  }
  int64_t now() const { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }
  // Puts firing alerts that started `age` ago.
  void Fire(const std::vector<model::Labels>& labels, int64_t age = 0) {
    std::vector<Alert> alerts;
    for (const auto& l : labels) alerts.push_back(MakeAlert(l, age));
    store_.Put(alerts);
  }
  void Resolve(const model::Labels& labels) {
    Alert a = MakeAlert(labels, 0);
    a.ends_at = now();
    store_.Put({a});
  }
  Alert MakeAlert(const model::Labels& labels, int64_t age) const {
    Alert a;
    a.labels = labels;
    a.starts_at = now() - age;
    a.updated_at = now();
    return a;
  }
  // Runs one flush of the route's group through the pipeline directly (no dispatcher).
  bool Notify(const model::Labels& route_labels, std::vector<Alert> alerts) {
    const Route* r = route_->Match(route_labels).at(0);
    return pipeline_->Notify(r->opts(), r->key() + ":{}", {}, std::move(alerts), NowMs() + 10000, nullptr);
  }
  // Real time for the scheduler to look at the (unchanged) clock many times.
  void Settle() const { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }

  Receiver receiver_;
  std::atomic<int64_t> now_;
  std::shared_ptr<const Config> config_;
  AlertStore store_;
  Silences silences_{clock()};
  NotificationLog nflog_{clock()};
  std::unique_ptr<Route> route_;
  std::unique_ptr<Inhibitor> inhibitor_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

constexpr int64_t kWednesday10h = 1704276000000;  // 2024-01-03T10:00:00Z

constexpr const char* kOneRoute = R"(
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
receivers:
- name: hook
  webhook_configs: [{url: 'RECEIVER/hook'}]
)";

TEST(Dispatch, GroupWaitThenGroupInterval) {
  Stack s(kOneRoute, kWednesday10h);
  s.StartDispatcher();
  s.Fire({L("A", "1")});
  s.Advance(30 * kSecond - 1);
  s.Settle();
  EXPECT_EQ(s.receiver_.posts().size(), 0u) << "flushed before group_wait";
  s.Advance(1);
  ASSERT_TRUE(s.receiver_.WaitFor(1));
  EXPECT_EQ(Summary(s.receiver_.posts()[0].body), "A/1=firing");
  EXPECT_EQ(s.receiver_.posts()[0].body["groupKey"], R"({}:{alertname="A"})");

  // A new group waits its own group_wait; an alert joining a flushed group waits for that
  // group's next group_interval tick, 5 min after its first flush.
  s.Fire({L("B")});
  s.Advance(10 * kSecond);
  s.Fire({L("A", "2")});
  s.Advance(5 * kMinute - 10 * kSecond - 1);
  ASSERT_TRUE(s.receiver_.WaitFor(2));
  s.Settle();
  ASSERT_EQ(s.receiver_.posts().size(), 2u);
  EXPECT_EQ(Summary(s.receiver_.posts()[1].body), "B=firing");
  s.Advance(1);
  ASSERT_TRUE(s.receiver_.WaitFor(3));
  EXPECT_EQ(Summary(s.receiver_.posts()[2].body), "A/1=firing,A/2=firing");
  // The ticks go on, but nothing changed and repeat_interval (1h) has not passed.
  s.Advance(5 * kMinute);
  s.Settle();
  EXPECT_EQ(s.receiver_.posts().size(), 3u);
}

// repeat_interval counts from the last notification the log holds, strictly after it, and is
// checked only at group_interval ticks.
TEST(Dispatch, RepeatIntervalResendsAnUnchangedGroup) {
  Stack s(kOneRoute, kWednesday10h);
  s.StartDispatcher();
  s.Fire({L("A")});
  s.Advance(30 * kSecond);
  ASSERT_TRUE(s.receiver_.WaitFor(1));
  for (int tick = 1; tick < 12; ++tick) s.Advance(5 * kMinute);  // 55 min of ticks at once
  s.Settle();
  EXPECT_EQ(s.receiver_.posts().size(), 1u);
  s.Advance(5 * kMinute);  // the tick at exactly 1h after the first notification: not yet
  s.Settle();
  EXPECT_EQ(s.receiver_.posts().size(), 1u);
  s.Advance(5 * kMinute);
  ASSERT_TRUE(s.receiver_.WaitFor(2));
  EXPECT_EQ(Summary(s.receiver_.posts()[1].body), "A=firing");
}

TEST(Dispatch, AnAlertOlderThanGroupWaitIsSentAtOnce) {
  Stack s(kOneRoute, kWednesday10h);
  s.StartDispatcher();
  s.Fire({L("Old")}, 31 * kSecond);
  ASSERT_TRUE(s.receiver_.WaitFor(1));  // without moving the clock
  s.Fire({L("Young")}, 29 * kSecond);
  s.Settle();
  EXPECT_EQ(s.receiver_.posts().size(), 1u);
}

// A resolved alert is notified once (send_resolved) and then leaves its group; the group's
// other alerts stay.
TEST(Dispatch, ResolvedAlertsAreSentOnceAndLeaveTheGroup) {
  Stack s(kOneRoute, kWednesday10h);
  s.StartDispatcher();
  s.Fire({L("A", "1"), L("A", "2")});
  s.Advance(30 * kSecond);
  ASSERT_TRUE(s.receiver_.WaitFor(1));
  s.Resolve(L("A", "1"));
  s.Advance(5 * kMinute);
  ASSERT_TRUE(s.receiver_.WaitFor(2));
  EXPECT_EQ(Summary(s.receiver_.posts()[1].body), "A/1=resolved,A/2=firing");
  EXPECT_EQ(s.receiver_.posts()[1].body["status"], "firing");
  auto groups = s.dispatcher_->Groups();
  for (int i = 0; i < 500 && !(groups.size() == 1 && groups[0].alerts.size() == 1); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the flush's tail runs after the POST
    groups = s.dispatcher_->Groups();
  }
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].alerts.size(), 1u);
  EXPECT_EQ(groups[0].alerts[0].labels, L("A", "2"));
  s.Resolve(L("A", "2"));
  s.Advance(5 * kMinute);
  ASSERT_TRUE(s.receiver_.WaitFor(3));
  EXPECT_EQ(Summary(s.receiver_.posts()[2].body), "A/2=resolved");
  EXPECT_EQ(s.receiver_.posts()[2].body["status"], "resolved");
  s.Advance(5 * kMinute);
  s.Settle();
  EXPECT_EQ(s.receiver_.posts().size(), 3u);
}

TEST(Dispatch, ContinueAndGroupByAllMakeGroupsPerRoute) {
  Stack s(R"(
route:
  receiver: default
  group_wait: 1s
  routes:
  - matchers: [team=x]
    receiver: every
    group_by: ['...']
    continue: true
  - matchers: [team=x]
    receiver: byname
    group_by: [alertname]
receivers:
- {name: default, webhook_configs: [{url: 'RECEIVER/default'}]}
- {name: every, webhook_configs: [{url: 'RECEIVER/every'}]}
- {name: byname, webhook_configs: [{url: 'RECEIVER/byname'}]}
)",
          kWednesday10h);
  s.StartDispatcher();
  model::Labels a1{{"alertname", "A"}, {"instance", "1"}, {"team", "x"}};
  model::Labels a2{{"alertname", "A"}, {"instance", "2"}, {"team", "x"}};
  s.Fire({a1, a2, L("Other")});
  s.Advance(kSecond);
  ASSERT_TRUE(s.receiver_.WaitFor(4));
  s.Settle();
  std::multiset<std::string> got;
  for (const auto& p : s.receiver_.posts()) got.insert(p.path + " " + Summary(p.body));
  EXPECT_EQ(got, (std::multiset<std::string>{"/every A/1=firing", "/every A/2=firing",
                                             "/byname A/1=firing,A/2=firing", "/default Other=firing"}));
  EXPECT_EQ(s.dispatcher_->Groups().size(), 4u);
}

constexpr const char* kDedupRoute = R"(
route:
  receiver: hook
  repeat_interval: 1h
receivers:
- name: hook
  webhook_configs: [{url: 'RECEIVER/resolved'}, {url: 'RECEIVER/quiet', send_resolved: false}]
)";

// The dedup stage, per integration, against the notification log (upstream DedupStage
// needsUpdate): one integration with send_resolved, one without.
TEST(PipelineDedup, SendsWhatChangedForEachIntegration) {
  Stack s(kDedupRoute, kWednesday10h);
  auto firing = [&](const model::Labels& l) { return s.MakeAlert(l, 0); };
  auto resolved = [&](const model::Labels& l) {
    Alert a = s.MakeAlert(l, kMinute);
    a.ends_at = s.now();
    return a;
  };
  auto flush = [&](std::vector<Alert> alerts) {
    size_t before = s.receiver_.posts().size();
    EXPECT_TRUE(s.Notify({}, std::move(alerts)));
    std::vector<std::string> sent;
    auto posts = s.receiver_.posts();
    for (size_t i = before; i < posts.size(); ++i)
      sent.push_back(posts[i].path + " " + Summary(posts[i].body));
    std::sort(sent.begin(), sent.end());
    s.Advance(kMinute);
    return Join(sent, "; ");
  };
  // Notify returns after every integration answered: what it sent has arrived.
  EXPECT_EQ(flush({firing(L("A"))}), "/quiet A=firing; /resolved A=firing");
  EXPECT_EQ(flush({firing(L("A"))}), "");  // nothing new
  EXPECT_EQ(flush({firing(L("A")), firing(L("B"))}), "/quiet A=firing,B=firing; /resolved A=firing,B=firing");
  EXPECT_EQ(flush({firing(L("B"))}), "");  // fewer firing alerts: nothing to say
  // A resolved: news for the integration that sends resolved alerts only.
  EXPECT_EQ(flush({resolved(L("A")), firing(L("B"))}), "/resolved A=resolved,B=firing");
  // All resolved: sent where resolved alerts are, only logged where they are not.
  EXPECT_EQ(flush({resolved(L("A")), resolved(L("B"))}), "/resolved A=resolved,B=resolved");
  EXPECT_EQ(flush({resolved(L("A")), resolved(L("B"))}), "");
  // The log forgot the firing alerts in both cases, so a new firing is news for both.
  EXPECT_EQ(flush({firing(L("B"))}), "/quiet B=firing; /resolved B=firing");
  // Only resolved alerts the receivers never heard of firing: nothing.
  Stack fresh(kDedupRoute, kWednesday10h);
  Alert gone = fresh.MakeAlert(L("Gone"), kMinute);
  gone.ends_at = fresh.now();
  EXPECT_TRUE(fresh.Notify({}, {gone}));
  EXPECT_EQ(fresh.receiver_.posts().size(), 0u);
  EXPECT_EQ(fresh.nflog_.size(), 0u);
}

TEST(PipelineDedup, RepeatIntervalAndLogEntries) {
  Stack s(kDedupRoute, kWednesday10h);
  Alert a = s.MakeAlert(L("A"), 0);
  ASSERT_TRUE(s.Notify({}, {a}));
  ASSERT_EQ(s.receiver_.posts().size(), 2u);
  NflogEntry e;
  ASSERT_TRUE(s.nflog_.Query("hook/webhook/1", "{}:{}", &e));
  EXPECT_EQ(e.firing, std::set<uint64_t>{a.Fingerprint()});
  EXPECT_EQ(e.timestamp, s.now());
  EXPECT_EQ(e.expires_at, s.now() + 120 * kHour);  // upstream's default retention
  s.Advance(kHour);
  ASSERT_TRUE(s.Notify({}, {a}));
  EXPECT_EQ(s.receiver_.posts().size(), 2u);
  s.Advance(1);
  ASSERT_TRUE(s.Notify({}, {a}));
  EXPECT_EQ(s.receiver_.posts().size(), 4u);
}

// Silenced and inhibited alerts are left out of the notification; a group left empty sends
// nothing (upstream's stage order: inhibition, time intervals, silences).
TEST(Pipeline, SilencedAndInhibitedAlertsAreLeftOut) {
  Stack s(R"(
route: {receiver: hook}
inhibit_rules:
- source_matchers: [alertname=Outage]
  target_matchers: [alertname=Slow]
receivers:
- {name: hook, webhook_configs: [{url: 'RECEIVER/hook'}]}
)",
          kWednesday10h);
  Silence sil;
  sil.matchers = *ParseMatchers(R"(alertname=~"Noisy|Flappy")");
  sil.starts_at = s.now();
  sil.ends_at = s.now() + kHour;
  ASSERT_TRUE(s.silences_.Set(sil).ok());
  s.Fire({L("Outage")});  // the inhibiting source lives in the store
  ASSERT_TRUE(
      s.Notify({}, {s.MakeAlert(L("Slow"), 0), s.MakeAlert(L("Noisy"), 0), s.MakeAlert(L("Real"), 0)}));
  ASSERT_EQ(s.receiver_.posts().size(), 1u);
  EXPECT_EQ(Summary(s.receiver_.posts()[0].body), "Real=firing");
  ASSERT_TRUE(s.Notify({}, {s.MakeAlert(L("Slow"), 0), s.MakeAlert(L("Flappy"), 0)}));
  EXPECT_EQ(s.receiver_.posts().size(), 1u);
  s.Advance(kHour);  // the silence ended
  ASSERT_TRUE(s.Notify({}, {s.MakeAlert(L("Slow"), 0), s.MakeAlert(L("Flappy"), 0)}));
  ASSERT_EQ(s.receiver_.posts().size(), 2u);
  EXPECT_EQ(Summary(s.receiver_.posts()[1].body), "Flappy=firing");
}

// mute_time_intervals mute a route while the clock is inside one of them, active_time_intervals
// while it is outside all of them; muted flushes neither send nor log.
TEST(Pipeline, MuteAndActiveTimeIntervals) {
  Stack s(R"(
route:
  receiver: hook
  routes:
  - matchers: [when=office]
    mute_time_intervals: [office]
  - matchers: [when=weekend]
    active_time_intervals: [weekend]
time_intervals:
- name: office
  time_intervals: [{weekdays: ['monday:friday'], times: [{start_time: '09:00', end_time: '17:00'}]}]
- name: weekend
  time_intervals: [{weekdays: [saturday, sunday]}]
receivers:
- {name: hook, webhook_configs: [{url: 'RECEIVER/hook'}]}
)",
          kWednesday10h);
  model::Labels office{{"alertname", "Office"}, {"when", "office"}};
  model::Labels weekend{{"alertname", "Weekend"}, {"when", "weekend"}};
  EXPECT_TRUE(s.Notify(office, {s.MakeAlert(office, 0)}));
  EXPECT_TRUE(s.Notify(weekend, {s.MakeAlert(weekend, 0)}));
  EXPECT_EQ(s.receiver_.posts().size(), 0u);
  EXPECT_EQ(s.nflog_.size(), 0u);
  s.Advance(7 * kHour);  // Wednesday 17:00, the end is exclusive
  EXPECT_TRUE(s.Notify(office, {s.MakeAlert(office, 0)}));
  ASSERT_EQ(s.receiver_.posts().size(), 1u);
  s.Advance(3 * 24 * kHour);  // Saturday
  EXPECT_TRUE(s.Notify(weekend, {s.MakeAlert(weekend, 0)}));
  ASSERT_EQ(s.receiver_.posts().size(), 2u);
  EXPECT_EQ(Summary(s.receiver_.posts()[1].body), "Weekend=firing");
}
}  // namespace
}  // namespace sremon::alertmanager
