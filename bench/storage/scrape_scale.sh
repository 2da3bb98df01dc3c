#!/usr/bin/env bash
# Scrape at scale, ours then Debian's victoria-metrics scraping the same targets (docs/benchmarks.md,
# "Scrape at scale"; issue 14): TARGETS targets x SERIES series every INTERVAL for SECONDS, served
# by bench/storage/scrape-targets (values move on every scrape). Prints the server's CPU seconds
# over the run, its RSS at the end, and the targets up, for both, with ratios.
# Usage: bench/storage/scrape_scale.sh [BUILD_DIR]
#   env: TARGETS=100 SERIES=10000 INTERVAL=15s SECONDS=600 (the issue's workload; SECONDS=120 for a look)
# Build first: cmake -S . -B build -DSREMON_BENCH=ON && ./scripts/build.sh sremon scrape-targets
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
SREMON=${SREMON:-$BUILD/src/sremon}
TARGET_SERVER=$BUILD/bench/storage/scrape-targets
TARGETS=${TARGETS:-100}
SERIES=${SERIES:-10000}
INTERVAL=${INTERVAL:-15s}
SECONDS_RUN=${SECONDS:-600}
VM=$(command -v victoria-metrics || true)
[ -x "$SREMON" ] || { echo "missing $SREMON: ./scripts/build.sh sremon" >&2; exit 1; }
[ -x "$TARGET_SERVER" ] || { echo "missing $TARGET_SERVER: configure with -DSREMON_BENCH=ON, build scrape-targets" >&2; exit 1; }
[ -n "$VM" ] || { echo "victoria-metrics is not installed (scripts/deps.sh peers)" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" scrape-scale

TPORT=$(free_port)
"$TARGET_SERVER" "$TPORT" "$TARGETS" "$SERIES" >"$WORK/targets.log" 2>&1 &
PIDS+=($!)
sleep 0.5
CFG=$WORK/scrape.yml
{
  echo "global:"; echo "  scrape_interval: $INTERVAL"; echo "scrape_configs:"; echo "  - job_name: scale"
  echo "    static_configs:"
  for i in $(seq 0 $((TARGETS - 1))); do
    echo "      - targets: [\"127.0.0.1:$TPORT\"]"
    echo "        labels: {__metrics_path__: /metrics/$i, target: \"t$i\"}"
  done
} >"$CFG"

# run WHO CMD...: CPU seconds over the run, RSS MB and targets up at its end.
run() {
  local who=$1 port=$2; shift 2
  "$@" >"$WORK/$who.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  wait_health "$port" 30
  echo "$who: scraping $TARGETS x $SERIES every $INTERVAL for ${SECONDS_RUN}s ..." >&2
  local c0; c0=$(cpu_s $pid)
  sleep "$SECONDS_RUN"
  local cpu rss up
  cpu=$(echo "$(cpu_s $pid) - $c0" | bc -l)
  rss=$(rss_mb $pid)
  up=$(curl -s "http://127.0.0.1:$port/api/v1/targets" | grep -o '"health":"up"' | wc -l)
  kill $pid; wait $pid 2>/dev/null || true
  echo "$cpu $rss $up"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
P=$(free_port)
read -r O_CPU O_RSS O_UP < <(run ours "$P" "$SREMON" storage -httpListenAddr=127.0.0.1:$P \
  -storageDataPath="$WORK/ours" -promscrape.config="$CFG")
P=$(free_port)
read -r V_CPU V_RSS V_UP < <(run vm "$P" "$VM" -httpListenAddr=127.0.0.1:$P -storageDataPath="$WORK/vm" \
  -promscrape.config="$CFG" -loggerLevel=ERROR)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
ratio() { echo "scale=2; $1 / $2" | bc -l; }
echo "$TARGETS targets x $SERIES series every $INTERVAL for ${SECONDS_RUN}s; victoria-metrics $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null)"
printf "| %-24s | %10s | %16s | %7s |\n" figure sremon victoria-metrics ratio
printf "| %-24s | %10.1f | %16.1f | %6sx |\n" "server CPU seconds" "$O_CPU" "$V_CPU" "$(ratio "$O_CPU" "$V_CPU")"
printf "| %-24s | %10.1f | %16.1f | %6sx |\n" "RSS at the end, MB" "$O_RSS" "$V_RSS" "$(ratio "$O_RSS" "$V_RSS")"
printf "| %-24s | %10s | %16s | %7s |\n" "targets up at the end" "$O_UP" "$V_UP" ""
