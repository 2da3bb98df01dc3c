#include "testutil/stack_config.h"

#include <filesystem>

#include "testutil/testutil.h"

namespace sremon::testutil {

void WriteFastStackConfig(const std::string& dir, int app_port, int storage_port, int inbox_port) {
  namespace fs = std::filesystem;
  fs::create_directories(dir + "/prometheus");
  fs::create_directories(dir + "/grafana/provisioning/datasources");
  fs::create_directories(dir + "/grafana/provisioning/dashboards");
  WriteFile(dir + "/prometheus/prometheus.yml",
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: sre_app\n"
            "    metrics_path: /metrics\n    static_configs:\n      - targets: [\"127.0.0.1:" +
                std::to_string(app_port) + "\"]\n");
  WriteFile(dir + "/prometheus/alert_rules.yml", R"(groups:
  - name: sre_app_alerts
    interval: 1s
    rules:
      - alert: AppDown
        expr: up{job="sre_app"} == 0
        for: 3s
        labels:
          severity: critical
        annotations:
          summary: "App SRE está DOWN"
          description: "A aplicação {{ $labels.job }} está fora do ar há mais de 30 segundos."
      - alert: HighRequestRate
        expr: rate(app_requests_total[10s]) > 5
        for: 3s
        labels:
          severity: warning
        annotations:
          summary: "Taxa de requisições alta"
          description: "A aplicação está recebendo mais de 5 req/s."
)");
  WriteFile(dir + "/prometheus/alertmanager.yml",
            "route:\n  receiver: default\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n"
            "  repeat_interval: 1h\nreceivers:\n  - name: default\n    webhook_configs:\n"
            "      - url: http://127.0.0.1:" + std::to_string(inbox_port) + "/webhook\n        send_resolved: true\n");
  WriteFile(dir + "/grafana/provisioning/datasources/datasource.yml",
            "apiVersion: 1\ndatasources:\n  - name: sremon\n    type: prometheus\n    access: proxy\n"
            "    url: http://127.0.0.1:" + std::to_string(storage_port) + "\n    isDefault: true\n");
}

}  // namespace sremon::testutil
