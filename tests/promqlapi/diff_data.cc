#include "diff_data.h"

#include <cmath>
#include <map>
#include <random>

#include <fmt/format.h>

#include "util/go_compat.h"
#include "util/strings.h"

namespace sremon::difftest {
namespace {

constexpr int64_t kStep = 15'000;

// Rounds so that values print short; the comparison is on doubles anyway.
double Round3(double v) { return std::round(v * 1000) / 1000; }

}  // namespace

std::vector<GenSeries> GenerateData() {
  std::mt19937_64 rng(20231114);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<GenSeries> out;
  out.reserve(256);
  auto add = [&](model::Labels ls) -> GenSeries& {
    out.push_back({std::move(ls), {}});
    return out.back();
  };
  const char* instances[] = {"host-a:9100", "host-b:9100", "host-c:9100"};

  // Counters: node_cpu_seconds_total per instance, cpu, mode; one series resets mid-way.
  const char* modes[] = {"idle", "user", "system", "iowait"};
  for (int inst = 0; inst < 3; ++inst) {
    for (int cpu = 0; cpu < 2; ++cpu) {
      for (int m = 0; m < 4; ++m) {
        auto& s = add({{"__name__", "node_cpu_seconds_total"}, {"job", "node"}, {"instance", instances[inst]},
                       {"cpu", std::to_string(cpu)}, {"mode", modes[m]}});
        double v = 1000 * (m + 1) + 100 * inst;
        double rate = m == 0 ? 0.8 : 0.05 * (m + 1);
        bool resets = inst == 1 && cpu == 0 && m == 1;
        for (int64_t t = kDataStartMs; t <= kDataEndMs; t += kStep) {
          v += rate * 15 * (0.5 + unit(rng));
          if (resets && t == kDataStartMs + 3600'000) v = 3.5;
          s.samples.push_back({t, Round3(v)});
        }
      }
    }
  }
  // http_requests_total: irregular scrape times (jitter up to ±2 s), by code and method.
  const char* codes[] = {"200", "404", "500"};
  const char* methods[] = {"GET", "POST"};
  for (int inst = 0; inst < 2; ++inst) {
    for (const char* code : codes) {
      for (const char* method : methods) {
        auto& s = add({{"__name__", "http_requests_total"}, {"job", "app"}, {"instance", instances[inst]},
                       {"code", code}, {"method", method}});
        double v = 0;
        double rate = code[0] == '2' ? 20 : (code[0] == '4' ? 1 : 0.2);
        for (int64_t t = kDataStartMs; t <= kDataEndMs; t += kStep) {
          int64_t jitter = static_cast<int64_t>(unit(rng) * 4000) - 2000;
          v += std::floor(rate * 15 * unit(rng) * 2);
          s.samples.push_back({t + (t == kDataStartMs ? 0 : jitter), v});
        }
      }
    }
  }
  // A classic histogram: cumulative buckets, _sum and _count.
  const char* les[] = {"0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"};
  for (int inst = 0; inst < 2; ++inst) {
    // Indexes, not references: `add` may reallocate `out`.
    std::vector<size_t> idx;
    for (const char* le : les) {
      add({{"__name__", "http_request_duration_seconds_bucket"}, {"job", "app"}, {"instance", instances[inst]},
           {"le", le}});
      idx.push_back(out.size() - 1);
    }
    add({{"__name__", "http_request_duration_seconds_sum"}, {"job", "app"}, {"instance", instances[inst]}});
    size_t sum_i = out.size() - 1;
    add({{"__name__", "http_request_duration_seconds_count"}, {"job", "app"}, {"instance", instances[inst]}});
    size_t count_i = out.size() - 1;
    std::vector<double> cum(std::size(les), 0);
    double total_sum = 0;
    for (int64_t t = kDataStartMs; t <= kDataEndMs; t += kStep) {
      int n = 5 + static_cast<int>(unit(rng) * 20);
      for (int k = 0; k < n; ++k) {
        double d = std::exp(std::log(0.02) + unit(rng) * std::log(150.0)) * (inst + 1) * 0.5;
        total_sum += d;
        for (size_t b = 0; b < std::size(les); ++b) {
          double le = b + 1 == std::size(les) ? HUGE_VAL : std::stod(les[b]);
          if (d <= le) cum[b] += 1;
        }
      }
      for (size_t b = 0; b < idx.size(); ++b) out[idx[b]].samples.push_back({t, cum[b]});
      out[sum_i].samples.push_back({t, Round3(total_sum)});
      out[count_i].samples.push_back({t, cum.back()});
    }
  }
  // Gauges: memory with a 10-minute gap (longer than the lookback), temperatures going negative.
  for (int inst = 0; inst < 3; ++inst) {
    auto& mem = add({{"__name__", "node_memory_MemAvailable_bytes"}, {"job", "node"}, {"instance", instances[inst]}});
    double base = 4e9 * (inst + 1);
    for (int64_t t = kDataStartMs; t <= kDataEndMs; t += kStep) {
      if (inst == 2 && t > kDataStartMs + 1800'000 && t < kDataStartMs + 2400'000) continue;
      base += (unit(rng) - 0.5) * 5e7;
      mem.samples.push_back({t, std::round(base)});
    }
    auto& temp = add({{"__name__", "node_hwmon_temp_celsius"}, {"job", "node"}, {"instance", instances[inst]},
                      {"sensor", "temp1"}});
    for (int64_t t = kDataStartMs; t <= kDataEndMs; t += kStep) {
      double phase = static_cast<double>(t - kDataStartMs) / 3600'000.0 * 2 * M_PI;
      temp.samples.push_back({t, Round3(10 * std::sin(phase + inst) + 2 * unit(rng) - 3)});
    }
  }
  // up: one target down for a while; a series that stops half-way (goes absent).
  for (int inst = 0; inst < 3; ++inst) {
    auto& up = add({{"__name__", "up"}, {"job", "node"}, {"instance", instances[inst]}});
    for (int64_t t = kDataStartMs; t <= kDataEndMs; t += kStep) {
      bool down = inst == 1 && t >= kDataStartMs + 2000'000 && t < kDataStartMs + 2600'000;
      up.samples.push_back({t, down ? 0.0 : 1.0});
    }
  }
  auto& partial = add({{"__name__", "batch_job_last_success"}, {"job", "batch"}});
  for (int64_t t = kDataStartMs; t <= kDataStartMs + 3600'000; t += 60'000) {
    partial.samples.push_back({t, static_cast<double>(t / 1000 - 30)});
  }
  // Special values.
  auto& special = add({{"__name__", "special_values"}, {"job", "edge"}});
  const double specials[] = {0.0, -0.0, 1e-300, 1e300, HUGE_VAL, -HUGE_VAL, std::nan(""), 42};
  int k = 0;
  for (int64_t t = kDataStartMs; t <= kDataEndMs; t += 60'000) {
    special.samples.push_back({t, specials[k++ % std::size(specials)]});
  }
  return out;
}

std::string ToOpenMetrics(const std::vector<GenSeries>& data) {
  std::string out;
  std::string last_name;
  for (const auto& s : data) {
    std::string name(s.labels.MetricName());
    for (const auto& smp : s.samples) {
      out.append(name);
      bool first = true;
      for (const auto& l : s.labels) {
        if (l.name == model::kMetricName) continue;
        out.push_back(first ? '{' : ',');
        first = false;
        out.append(l.name);
        out.push_back('=');
        AppendJsonString(&out, l.value);  // label values here are plain ASCII: same escaping
      }
      if (!first) out.push_back('}');
      out.push_back(' ');
      AppendFloatG(&out, smp.v);
      out.append(fmt::format(" {}.{:03}\n", smp.t / 1000, smp.t % 1000));
    }
  }
  out.append("# EOF\n");
  return out;
}

std::vector<GenQuery> GenerateQueries() {
  std::vector<GenQuery> q;
  auto add = [&](std::string e, bool range_ok = true) { q.push_back({std::move(e), range_ok}); };
  const std::string cpu = "node_cpu_seconds_total";
  const std::string req = "http_requests_total";
  const std::string mem = "node_memory_MemAvailable_bytes";
  const std::string temp = "node_hwmon_temp_celsius";
  const std::string bucket = "http_request_duration_seconds_bucket";

  // Selectors, matchers, offset, @.
  for (const std::string& s : std::vector<std::string>
       {cpu, cpu + "{mode=\"idle\"}", cpu + "{mode!=\"idle\",cpu=\"1\"}", cpu + "{mode=~\"us.*|sys.*\"}",
        cpu + "{mode!~\"idle|iowait\"}", "{__name__=~\"node_.*\",job=\"node\"}", mem + " offset 5m",
        mem + " offset -5m", temp + " @ 1700003600", "up", "up == 0", "batch_job_last_success",
        "special_values", "{job=\"edge\"}", "nonexistent_metric"}) {
    add(s);
  }
  add(mem + "[5m]", false);
  add(req + "{code=\"200\"}[2m] offset 1m", false);
  // Range functions over counters and gauges.
  for (const std::string& f : std::vector<std::string>{"rate", "irate", "increase", "delta", "idelta", "resets", "changes", "deriv"}) {
    const std::string& m = (f == "delta" || f == "idelta" || f == "deriv") ? temp : cpu;
    add(f + "(" + m + "[5m])");
    add(f + "(" + req + "{code=\"500\"}[3m])");
  }
  add("rate(" + cpu + "[5m] offset 10m)");
  add("rate(" + cpu + "[1h])");
  add("increase(" + req + "[90s])");
  add("predict_linear(" + mem + "[10m], 600)");
  add("predict_linear(" + temp + "[15m], 3600)");
  add("holt_winters(" + temp + "[10m], 0.5, 0.5)");
  add("holt_winters(" + mem + "[20m], 0.1, 0.9)");
  for (const std::string& f : std::vector<std::string>{"avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
                               "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time"}) {
    add(f + "(" + temp + "[10m])");
    add(f + "(" + mem + "[1h])");
  }
  add("quantile_over_time(0.9, " + temp + "[10m])");
  add("quantile_over_time(0.5, " + mem + "[30m])");
  add("quantile_over_time(0, special_values[10m])");
  add("max_over_time(special_values[5m])");
  add("sum_over_time(special_values[5m])");
  add("absent(nonexistent_metric{job=\"x\"})");
  add("absent(up)");
  add("absent_over_time(batch_job_last_success[10m])");
  add("absent_over_time(nonexistent{a=\"b\"}[5m])");
  add("timestamp(" + mem + ")");
  add("timestamp(batch_job_last_success)");
  // Instant-vector math.
  for (const std::string& f : std::vector<std::string>{"abs", "ceil", "floor", "round", "exp", "ln", "log2", "log10", "sqrt", "sgn", "sin",
                               "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
                               "atanh", "deg", "rad"}) {
    add(f + "(" + temp + " / 20)");
  }
  add("exp(" + temp + ")");
  add("ln(special_values)");
  add("round(" + temp + ", 0.5)");
  add("round(" + temp + ", 3)");
  add("clamp(" + temp + ", -2, 5)");
  add("clamp(" + temp + ", 5, -2)");
  add("clamp_min(" + temp + ", 0)");
  add("clamp_max(" + temp + ", 0)");
  add("time()");
  add("vector(1)");
  add("vector(time())");
  add("scalar(up{instance=\"host-a:9100\"})");
  add("scalar(up)");
  add("sort(" + temp + ")", false);
  add("sort_desc(" + mem + ")", false);
  for (const std::string& f : std::vector<std::string>{"day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute",
                               "month", "year"}) {
    add(f + "()");
    add(f + "(batch_job_last_success)");
  }
  add("label_replace(" + mem + ", \"host\", \"$1\", \"instance\", \"(.*):.*\")");
  add("label_replace(" + mem + ", \"instance\", \"\", \"instance\", \".*\")");
  add("label_replace(up, \"x\", \"$2\", \"job\", \"(no)(match)\")");
  add("label_join(" + mem + ", \"joined\", \"-\", \"job\", \"instance\")");
  add("label_join(up, \"__name__\", \"\", \"job\")");
  add("histogram_quantile(0.9, rate(" + bucket + "[5m]))");
  add("histogram_quantile(0.5, sum by (le) (rate(" + bucket + "[5m])))");
  add("histogram_quantile(0.99, sum by (le, instance) (increase(" + bucket + "[10m])))");
  add("histogram_quantile(1.5, rate(" + bucket + "[5m]))");
  add("histogram_quantile(-1, rate(" + bucket + "[5m]))");
  // Aggregations.
  for (const std::string& a : std::vector<std::string>{"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count"}) {
    add(a + "(" + cpu + ")");
    add(a + " by (mode) (rate(" + cpu + "[5m]))");
    add(a + " without (cpu, mode) (rate(" + cpu + "[5m]))");
  }
  add("sum(rate(" + cpu + "[5m])) by (instance)");
  add("count_values(\"value\", up)");
  add("count_values by (job) (\"v\", round(" + temp + "))");
  add("topk(3, " + mem + ")");
  add("bottomk(2, rate(" + cpu + "[5m]))");
  add("topk by (mode) (1, rate(" + cpu + "[5m]))");
  add("quantile(0.5, " + temp + ")");
  add("quantile by (mode) (0.9, rate(" + cpu + "[5m]))");
  add("quantile(2, " + temp + ")");
  add("sum by (job) (up)");
  add("count by (job) (up)");
  add("avg(special_values)");
  add("sum(special_values)");
  add("max(special_values)");
  // Binary operators: vector/scalar, vector/vector, matching, comparisons, set operators.
  for (const std::string& op : std::vector<std::string>{"+", "-", "*", "/", "%", "^", "atan2"}) {
    add(temp + " " + op + " 3");
    add("2 " + op + " " + temp);
    add(mem + " " + op + " on(instance) " + temp);
  }
  for (const std::string& op : std::vector<std::string>{"==", "!=", ">", "<", ">=", "<="}) {
    add(temp + " " + op + " 0");
    add(temp + " " + op + " bool 0");
    add("up " + op + " on(instance, job) up");
  }
  add("1 + 2 * 3 ^ 2 ^ 0.5");
  add("-" + temp);
  add("+" + temp);
  add("(1 > bool 0) + 1");
  add("sum by (instance, mode) (rate(" + cpu + "[5m])) / ignoring(mode) group_left sum by (instance) (rate(" + cpu +
      "[5m]))");
  add("rate(" + cpu + "[5m]) * on(instance) group_left(sensor) " + temp);
  add("up * on(instance) group_right " + mem);
  add(mem + " and " + temp);
  add(mem + " and on(instance) up == 1");
  add(mem + " or " + temp);
  add(mem + " unless on(instance) up == 0");
  add("up or vector(0)");
  add("rate(" + req + "[5m]) > 0.5");
  add(cpu + " / " + cpu);
  add(cpu + " + ignoring(mode) group_left " + temp);  // many-to-many without the right labels: error
  add(mem + " + " + mem);
  add("up + on(job) up");  // many-to-one error on both sides
  // Subqueries.
  add("max_over_time(rate(" + cpu + "[5m])[30m:1m])");
  add("avg_over_time(" + temp + "[10m:])");
  add("rate(sum(" + req + ")[10m:30s])");
  add("min_over_time(deriv(" + temp + "[5m])[20m:2m] offset 5m)");
  add("max_over_time((" + temp + " > 0)[15m:1m])");
  add("sum_over_time(" + temp + "[10m:1m] @ 1700003600)");
  add(temp + " @ start()");
  add(temp + " @ end()");
  add("rate(" + cpu + "[5m] @ 1700002000)");
  // Edge cases: float formatting in labels, anchoring, empty ranges, duplicates, limits, NaN.
  add("count_values(\"v\", " + temp + ")");
  add("count_values(\"v\", special_values)");
  add("count_values(\"v\", " + mem + " / 1e9)");
  add("up{instance=~\"host-a\"}");
  add("up{instance=~\"host-a.*\"}");
  add("up{instance!~\"host-[ab].*\"}");
  add("{__name__=~\"node_cpu.*\", mode=\"idle\"} offset 1h");
  add("sum without () (up)");
  add("sum by () (up)");
  add("bottomk(0, " + temp + ")");
  add("topk(-1, " + temp + ")");
  add("topk(1.5, " + temp + ")");
  add("topk(2, special_values)");
  add("quantile(NaN, " + temp + ")");
  add("quantile(-1, " + temp + ")");
  add("holt_winters(" + temp + "[10m], 1.5, 0.5)");
  add("predict_linear(" + temp + "[10m] offset 20m, 300)");
  add("sgn(special_values)");
  add("label_join(up, \"job\", \",\", \"instance\", \"job\")");
  add("label_replace(up, \"instance\", \"x\", \"\", \"\")");  // duplicate series: error
  add("label_replace(up, \"1bad\", \"x\", \"\", \"\")");     // invalid label name: error
  add("scalar(vector(1) > 2)");
  add("vector(1) and on() vector(0)");
  add("max_over_time(up[1ms])");
  add("avg_over_time(" + temp + "[2h:5m])");
  add("deriv(" + cpu + "{instance=\"host-b:9100\",cpu=\"0\",mode=\"user\"}[20m])");
  add("resets(" + cpu + "[1h])");
  add("changes(up[30m])");
  add("irate(" + req + "[1m])");
  add("1 / (up - up)");
  add("-1 / (up - up)");
  add("(up - up) / (up - up)");
  add(temp + " % 0");
  add(temp + " ^ -1");
  add("(-2) ^ 0.5");
  add("-up offset 5m");
  add("timestamp(up offset 1m)");
  add("time() - timestamp(" + mem + ")");
  add("year(vector(1e10))");
  add("month(vector(-1e10))");
  add("count_over_time(up[1m:15s])");
  add("histogram_quantile(0.5, " + bucket + ")");
  add("histogram_quantile(0.5, " + bucket + "{le!=\"+Inf\"})");
  add("histogram_quantile(NaN, rate(" + bucket + "[5m]))");
  add("rate(" + cpu + "[5m]) * on(instance, cpu) group_left() count by (instance, cpu) (" + cpu + ")");
  add("up * on(instance) group_left(sensor, __name__) " + temp);
  add("absent(up{job=\"node\"} == 2)");
  add("absent(sum(nonexistent))");
  add("absent_over_time(" + temp + "[1m] offset 3h)");
  add("sort_desc(sum by (code) (rate(" + req + "[5m])))", false);
  add("stddev_over_time(special_values[10m])");
  add("min(special_values) + max(special_values)");
  add("count(" + cpu + " > 1e6) or vector(0)");
  add("last_over_time(batch_job_last_success[1h])");
  add("batch_job_last_success unless ignoring(job) up");
  add("max by (instance) (" + mem + ") and on(instance) max by (instance) (" + temp + " > 0)");
  add("round(rate(" + req + "[5m]), 0.1)");
  add("clamp_min(special_values, 1)");
  add("ceil(special_values) - floor(special_values)");
  add("exp(special_values)");
  add("sqrt(-" + temp + ")");
  add("ln(-1 * up)");
  add("acosh(" + temp + ")");
  add("rate(special_values[5m])");
  add("increase(" + cpu + "{mode=\"user\"}[2h])");
  add("delta(" + mem + "[1h])");
  add("sum(rate(" + cpu + "[5m] offset 1h @ 1700007200))");
  add("max_over_time(" + temp + "[30m:1m] offset 10m)");
  add("rate(" + req + "[5m:1m])");
  // Disagreements found by this suite (issue 13): absent_over_time over several metric names
  // with the same other labels, date functions outside the int64 range, and predict_linear under
  // @ in range queries (only the steps near @ have points in Prometheus 2.42).
  add("absent_over_time({job=\"node\",instance=\"host-a:9100\"}[5m])");
  add("absent_over_time({__name__=~\"up|" + mem + "\"}[1m])");
  for (const std::string& f : std::vector<std::string>{"year", "month", "day_of_month", "day_of_week", "day_of_year",
                                                       "days_in_month", "hour", "minute"}) {
    add(f + "(special_values)");
    add(f + "(vector(-9.2e18))");
  }
  add("year(vector(NaN))");
  add("predict_linear(" + temp + "[3m] @ 1700003600, -300)");
  add("predict_linear(" + mem + "[10m] @ 1700005000, 600)");
  return q;
}

}  // namespace sremon::difftest
