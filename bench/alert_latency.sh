#!/usr/bin/env bash
# Alert latency (issue #5): the time from stopping the app to the firing AppDown notification at a
# webhook, for sremon's stack (sremon storage + rules + alertmanager) and for the upstream one
# (Debian's victoria-metrics + vmalert + prometheus-alertmanager), measured in the same run.
# Settings: scrape and evaluation every 1s, `for: 5s`, group_wait 1s; the configured minimum is
# therefore 6s (for + group_wait) and "overhead" is what each stack adds beyond it.
# Both stacks scrape their own `sremon app` and use the shipped prometheus/alert_rules.yml with
# only the interval and `for` changed. Each round starts both stacks fresh.
#
# Usage: bench/alert_latency.sh [ROUNDS]     (default 3; SREMON_BIN defaults to build/src/sremon)
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/errtrap.sh"
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SREMON=${SREMON_BIN:-$PWD/build/src/sremon}
for p in victoria-metrics vmalert prometheus-alertmanager python3; do
  command -v "$p" >/dev/null || { echo "missing $p (Debian package)"; exit 2; }
done
[ -x "$SREMON" ] || { echo "build sremon first (scripts/build.sh sremon)"; exit 2; }

WORK=$(mktemp -d /tmp/alert-latency.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
start() { local log=$1; shift; "$@" >"$log" 2>&1 & PIDS+=($!); echo $!; }
wait_http() { for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1"; return 1; }
# Writes "<arrival ms> <body>" per POST to the given file.
webhook() {
  python3 - "$1" "$2" <<'PY' &
import http.server, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        with open(out, "a") as f:
            f.write("%d %s\n" % (time.time() * 1000, body.replace("\n", " ")))
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
  PIDS+=($!)
}
scrape_config() {  # target file
  printf 'global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: "sre_app"\n    static_configs:\n      - targets: ["%s"]\n' "$1"
}
am_config() {  # webhook url
  printf 'route:\n  receiver: hook\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: %s\n        send_resolved: true\n' "$1"
}
up_is() {  # storage url, value
  curl -sf "$1/api/v1/query?query=up%7Bjob%3D%22sre_app%22%7D" | grep -q "\"$2\"\]"
}
first_firing_ms() {  # webhook log, after ms
  [ -f "$1" ] && awk -v t="$2" '$1 >= t && /"status":"firing"/ && /AppDown/ { print $1; exit }' "$1" || true
}

sed -e 's/interval: 15s/interval: 1s/' -e 's/for: 30s/for: 5s/' prometheus/alert_rules.yml >"$WORK/rules.yml"
declare -a OURS THEIRS
for round in $(seq 1 "$ROUNDS"); do
  R="$WORK/r$round"; mkdir -p "$R"
  for s in ours up; do
    eval "APP_$s=$(port) ST_$s=$(port) RU_$s=$(port) AM_$s=$(port) HK_$s=$(port)"
  done
  webhook "$HK_ours" "$R/hook_ours.log"; webhook "$HK_up" "$R/hook_up.log"
  APPPID_ours=$(start "$R/app_ours.log" "$SREMON" app -httpListenAddr=127.0.0.1:$APP_ours)
  APPPID_up=$(start "$R/app_up.log" "$SREMON" app -httpListenAddr=127.0.0.1:$APP_up)
  scrape_config "127.0.0.1:$APP_ours" >"$R/scrape_ours.yml"; scrape_config "127.0.0.1:$APP_up" >"$R/scrape_up.yml"
  am_config "http://127.0.0.1:$HK_ours/webhook" >"$R/am_ours.yml"; am_config "http://127.0.0.1:$HK_up/webhook" >"$R/am_up.yml"
  # sremon's stack.
  start "$R/storage.log" "$SREMON" storage -httpListenAddr=127.0.0.1:$ST_ours -storageDataPath="$R/st" -promscrape.config="$R/scrape_ours.yml" >/dev/null
  start "$R/am_ours.log" "$SREMON" alertmanager --config.file="$R/am_ours.yml" --storage.path="$R/am_ours" --web.listen-address=127.0.0.1:$AM_ours >/dev/null
  start "$R/rules.log" "$SREMON" rules -rule="$WORK/rules.yml" -datasource.url=http://127.0.0.1:$ST_ours -notifier.url=http://127.0.0.1:$AM_ours -evaluationInterval=1s -httpListenAddr=127.0.0.1:$RU_ours >/dev/null
  # The upstream stack.
  # -search.latencyOffset defaults to 30s, which would hide the last 30s of samples from vmalert.
  start "$R/vm.log" victoria-metrics -httpListenAddr=127.0.0.1:$ST_up -storageDataPath="$R/vm" -promscrape.config="$R/scrape_up.yml" -search.latencyOffset=1s >/dev/null
  start "$R/am_up.log" prometheus-alertmanager --config.file="$R/am_up.yml" --storage.path="$R/am_up" --web.listen-address=127.0.0.1:$AM_up --cluster.listen-address= >/dev/null
  start "$R/vmalert.log" vmalert -rule="$WORK/rules.yml" -datasource.url=http://127.0.0.1:$ST_up -notifier.url=http://127.0.0.1:$AM_up -evaluationInterval=1s -httpListenAddr=127.0.0.1:$RU_up >/dev/null
  for u in http://127.0.0.1:$ST_ours/health http://127.0.0.1:$AM_ours/-/ready http://127.0.0.1:$RU_ours/health \
           http://127.0.0.1:$ST_up/health http://127.0.0.1:$AM_up/-/ready http://127.0.0.1:$RU_up/health; do wait_http "$u"; done
  # Both stores must see the app up before the drill.
  for _ in $(seq 1 300); do
    up_is http://127.0.0.1:$ST_ours 1 && up_is http://127.0.0.1:$ST_up 1 && break; sleep 0.1
  done
  up_is http://127.0.0.1:$ST_ours 1 || { echo "round $round: sremon storage never saw the app up"; exit 1; }
  up_is http://127.0.0.1:$ST_up 1 || { echo "round $round: victoria-metrics never saw the app up"; exit 1; }
  sleep 2
  T0=$(now_ms)
  kill "$APPPID_ours" "$APPPID_up"
  PIDS=("${PIDS[@]}")
  ours="" theirs=""
  for _ in $(seq 1 1200); do
    [ -z "$ours" ] && ours=$(first_firing_ms "$R/hook_ours.log" "$T0")
    [ -z "$theirs" ] && theirs=$(first_firing_ms "$R/hook_up.log" "$T0")
    [ -n "$ours" ] && [ -n "$theirs" ] && break
    sleep 0.05
  done
  o=$([ -n "$ours" ] && echo $((ours - T0)) || echo "timeout")
  t=$([ -n "$theirs" ] && echo $((theirs - T0)) || echo "timeout")
  echo "round $round: sremon ${o} ms, upstream ${t} ms"
  OURS+=("$o"); THEIRS+=("$t")
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; PIDS=()
done
python3 - "${OURS[*]}" "${THEIRS[*]}" <<'PY'
import statistics, sys
def stats(s):
    v = [int(x) for x in s.split() if x != "timeout"]
    return (statistics.median(v), min(v), max(v), len(s.split()) - len(v)) if v else None
o, t = stats(sys.argv[1]), stats(sys.argv[2])
MIN = 6000
print("| stack | median ms | min | max | overhead beyond 6 s (median) | timeouts |")
print("|---|---|---|---|---|---|")
for name, s in (("sremon storage + rules + alertmanager", o), ("victoria-metrics + vmalert + prometheus-alertmanager", t)):
    print("| %s | %s |" % (name, " | ".join(map(str, [s[0], s[1], s[2], s[0] - MIN, s[3]])) if s else "no data | | | |"))
if o and t:
    print("\nsremon overhead %.0f ms vs upstream %.0f ms: %s" % (o[0] - MIN, t[0] - MIN, "OK" if o[0] - MIN <= t[0] - MIN else "WORSE than upstream"))
PY
