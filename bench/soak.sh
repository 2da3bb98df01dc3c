#!/usr/bin/env bash
# Soak (issue #8): the whole stack under a steady load of the app and 100 extra scrape targets
# (100 series each, served by bench/storage/scrape-targets) for DURATION seconds. Prints the RSS
# of every service at start, middle and end, and counts error lines in the logs. A benchmark, not
# a CI test.
# Usage: bench/soak.sh [DURATION_SECONDS]   (default 600)
# Build first: cmake -S . -B build -DSREMON_BENCH=ON && ./scripts/build.sh sremon scrape-targets
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/errtrap.sh"
cd "$(dirname "$0")/.."
DURATION=${1:-600}
SREMON=$PWD/build/src/sremon
TARGETS=${SCRAPE_TARGETS:-$PWD/build/bench/storage/scrape-targets}
[ -x "$TARGETS" ] || { echo "missing $TARGETS: cmake -S . -B build -DSREMON_BENCH=ON && ./scripts/build.sh scrape-targets" >&2; exit 2; }
WORK=$(mktemp -d /tmp/sremon-soak-XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A P
for s in app storage inbox alertmanager rules dashboards; do P[$s]=$(free_port); done
TPORT=$(free_port)
ports="app=${P[app]},storage=${P[storage]},inbox=${P[inbox]},alertmanager=${P[alertmanager]},rules=${P[rules]},dashboards=${P[dashboards]}"
flags=(--state-dir "$WORK/state" --data-dir "$WORK/data" --config-dir "$WORK/config" --ports "$ports")
cleanup() { "$SREMON" down "${flags[@]}" >/dev/null 2>&1 || true; kill "$tpid" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

mkdir -p "$WORK/config"
cp -r prometheus grafana "$WORK/config/"
sed -i "s/localhost:8428/localhost:${P[storage]}/" "$WORK/config/grafana/provisioning/datasources/datasource.yml"
sed -i "s/localhost:5001/localhost:${P[inbox]}/" "$WORK/config/prometheus/alertmanager.yml"
{
  echo "global:"; echo "  scrape_interval: 15s"
  echo "scrape_configs:"
  echo "  - job_name: sre_app"; echo "    static_configs:"; echo "      - targets: [\"localhost:${P[app]}\"]"
  for i in $(seq 0 99); do
    echo "  - job_name: extra_$i"; echo "    metrics_path: /metrics/$i"
    echo "    static_configs:"; echo "      - targets: [\"localhost:$TPORT\"]"
  done
} > "$WORK/config/prometheus/prometheus.yml"

"$TARGETS" "$TPORT" 100 100 >/dev/null 2>&1 & tpid=$!
"$SREMON" up "${flags[@]}" >/dev/null
rss() { for s in app storage inbox alertmanager rules dashboards; do
          printf '%s=%s ' "$s" "$(awk '/^VmRSS/{printf "%.1f", $2/1024}' "/proc/$(head -1 "$WORK/state/$s.pid")/status")"; done; }
echo "t=0s     RSS MB: $(rss)"
# Steady traffic on the app for the whole soak: 10 req/s, a mix of paths.
"$SREMON" load "http://127.0.0.1:${P[app]}" --rate 10 --duration "${DURATION}s" --path /=8 --path /health=1 \
  --path /nope=1 --quiet > "$WORK/load.txt" 2>&1 &
lpid=$!
start=$(date +%s)
while kill -0 "$lpid" 2>/dev/null; do
  sleep 60
  echo "t=$(( $(date +%s) - start ))s RSS MB: $(rss)"
done
series=$(curl -s "http://127.0.0.1:${P[storage]}/api/v1/query?query=count(%7B__name__%21%3D%22%22%7D)" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
up=$(curl -s "http://127.0.0.1:${P[storage]}/api/v1/query?query=sum(up)" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
echo "series in storage: $series; targets up: $up of 101"
echo "load: $(tail -3 "$WORK/load.txt" | tr '\n' ' ')"
echo "error lines in the logs:"
for s in app storage inbox alertmanager rules dashboards; do
  printf '  %-13s %s\n' "$s" "$(grep -ciE ' (error|critical) ' "$WORK/state/logs/$s.log" || true)"
done
