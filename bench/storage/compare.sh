#!/usr/bin/env bash
# Storage service vs Debian's victoria-metrics, on the same data in one run (docs/benchmarks.md,
# section "Storage service"):
#   1. ingest of the node_exporter-like workload (bench/gen) through /api/v1/import/prometheus:
#      samples/s, bytes per sample on disk after flush + merge, RSS after ingest, and our WAL
#      replay time after kill -9;
#   2. scrape: TARGETS targets x SERIES series at a 1 s interval for SCRAPE_SECONDS, CPU seconds.
# Usage: bench/storage/compare.sh [BUILD_DIR]
#   env: HOSTS=20 HOURS=2 SCRAPE_SECONDS=60 TARGETS=200 SERIES=1000 PARALLEL=2 RUNS=3
# Build first: cmake -S . -B build -DSREMON_BENCH=ON && ./scripts/build.sh sremon sremon-nodegen scrape-targets
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
HOSTS=${HOSTS:-20}
HOURS=${HOURS:-2}
SCRAPE_SECONDS=${SCRAPE_SECONDS:-60}
TARGETS=${TARGETS:-200}
SERIES=${SERIES:-1000}
PARALLEL=${PARALLEL:-2}
SREMON=${SREMON:-$BUILD/src/sremon}  # env SREMON: another build of the binary (e.g. the static Release one)
NODEGEN=$BUILD/bench/sremon-nodegen
TARGET_SERVER=$BUILD/bench/storage/scrape-targets
VM=$(command -v victoria-metrics || true)
for b in "$SREMON" "$NODEGEN" "$TARGET_SERVER"; do
  [ -x "$b" ] || { echo "missing $b: build with -DSREMON_BENCH=ON (see the header)" >&2; exit 1; }
done
[ -n "$VM" ] || { echo "victoria-metrics is not installed (apt-get install victoria-metrics)" >&2; exit 1; }

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" storage-bench

echo "generating the workload: $HOSTS hosts, ${HOURS}h at 15s ..." >&2
mkdir -p "$WORK/gen"
"$NODEGEN" -hosts="$HOSTS" -hours="$HOURS" -interval=15 -out="$WORK/gen" -steps-per-file=20 >/dev/null
SAMPLES=$(cat "$WORK"/gen/*.prom | grep -vc '^#')
BYTES=$(cat "$WORK"/gen/*.prom | wc -c)
echo "workload: $SAMPLES samples, $((BYTES / 1024 / 1024)) MiB of text in $(ls "$WORK"/gen | wc -l) files" >&2

# ingest PORT PID: posts every file, PARALLEL at a time; prints "seconds cpu_seconds" (the
# server's CPU from /proc, which moves far less with the machine's load than wall time does).
ingest() {
  local port=$1 pid=$2 t0 t1 c0 c1
  c0=$(cpu_s "$pid")
  t0=$(now)
  ls "$WORK"/gen/*.prom | xargs -P "$PARALLEL" -I{} curl -sf -o /dev/null -X POST -H 'Content-Type: text/plain' --data-binary @{} \
    "http://127.0.0.1:$port/api/v1/import/prometheus"
  t1=$(now)
  c1=$(cpu_s "$pid")
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "$c1 - $c0" | bc -l)"
}
start_ours() {  # DIR PORT
  "$SREMON" storage -httpListenAddr=127.0.0.1:$2 -storageDataPath="$1" -retentionPeriod=100y >>"$WORK/ours.log" 2>&1 &
}
start_vm() {  # DIR PORT
  "$VM" -httpListenAddr=127.0.0.1:$2 -storageDataPath="$1" -retentionPeriod=100y -loggerLevel=ERROR >>"$WORK/vm.log" 2>&1 &
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# ---- ingest: RUNS rounds, ours and VM alternating on fresh data directories; medians ----
RUNS=${RUNS:-3}
for run in $(seq 1 "$RUNS"); do
  for who in ours vm; do
    PORT=$(free_port)
    rm -rf "$WORK/$who"
    "start_$who" "$WORK/$who" $PORT
    PID=$!; PIDS+=($PID)
    wait_health $PORT
    read -r secs cpu < <(ingest $PORT $PID)
    sleep 3  # let the allocator / GC settle before reading RSS
    echo "$secs" >>"$WORK/$who.secs"; echo "$cpu" >>"$WORK/$who.cpu"; rss_mb $PID >>"$WORK/$who.rss"; echo >>"$WORK/$who.rss"
    echo "run $run, $who: $(printf '%.2f' "$secs") s, $(printf '%.2f' "$cpu") CPU s, $(rss_mb $PID) MiB" >&2
    if [ "$run" = "$RUNS" ] && [ $who = ours ]; then
      # Time our WAL replay: kill -9 with everything in the WAL, restart.
      kill -9 $PID; wait $PID 2>/dev/null || true
      start_ours "$WORK/ours" $PORT
      PID=$!; PIDS+=($PID)
      wait_health $PORT
      REPLAY=$(grep -o 'WAL replay done.*' "$WORK/ours.log" | tail -1)
      OURS_CHECK=$(curl -s "http://127.0.0.1:$PORT/api/v1/query?query=count(%7B__name__%3D~%22.%2B%22%7D)&time=$(awk -v h="$HOURS" 'BEGIN{printf "%d", 1700000000 + h * 3600 - 60}')" | grep -o '"value":\[[^]]*\]' || true)
    fi
    if [ "$run" = "$RUNS" ]; then
      curl -sf "http://127.0.0.1:$PORT/internal/force_flush" >/dev/null
      curl -sf "http://127.0.0.1:$PORT/internal/force_merge" >/dev/null || true
      [ $who = vm ] && sleep 5  # VictoriaMetrics merges in the background
      du -sb "$WORK/$who" | cut -f1 >"$WORK/$who.disk"
    fi
    kill $PID; wait $PID 2>/dev/null || true
  done
done
OURS_SECS=$(median <"$WORK/ours.secs"); VM_SECS=$(median <"$WORK/vm.secs")
OURS_ICPU=$(median <"$WORK/ours.cpu"); VM_ICPU=$(median <"$WORK/vm.cpu")
OURS_RSS=$(grep . "$WORK/ours.rss" | median); VM_RSS=$(grep . "$WORK/vm.rss" | median)
OURS_DISK=$(cat "$WORK/ours.disk"); VM_DISK=$(cat "$WORK/vm.disk")

# ---- scrape ----
TPORT=$(free_port)
"$TARGET_SERVER" $TPORT "$TARGETS" "$SERIES" &
TPID=$!; PIDS+=($TPID)
sleep 0.5
CFG=$WORK/scrape.yml
{
  echo "global:"; echo "  scrape_interval: 1s"; echo "scrape_configs:"; echo "  - job_name: bench"; echo "    static_configs:"
  for i in $(seq 0 $((TARGETS - 1))); do
    echo "      - targets: [\"127.0.0.1:$TPORT\"]"
    echo "        labels: {__metrics_path__: /metrics/$i, target: \"t$i\"}"
  done
} >"$CFG"

# scrape_cpu NAME CMD...: starts the scraper, warms up 5 s, returns CPU seconds over SCRAPE_SECONDS.
scrape_cpu() {
  local port=$1; shift
  "$@" >"$WORK/scrape-$port.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  wait_health $port
  sleep 5
  local c0 c1
  c0=$(cpu_s $pid)
  sleep "$SCRAPE_SECONDS"
  c1=$(cpu_s $pid)
  local up
  up=$(curl -s "http://127.0.0.1:$port/api/v1/targets" | grep -o '"health":"up"' | wc -l)
  kill $pid; wait $pid 2>/dev/null || true
  echo "$(echo "$c1 - $c0" | bc -l) $up"
}
PORT=$(free_port)
read -r OURS_CPU OURS_UP < <(scrape_cpu $PORT "$SREMON" storage -httpListenAddr=127.0.0.1:$PORT \
  -storageDataPath="$WORK/ours-scrape" -promscrape.config="$CFG")
PORT=$(free_port)
read -r VM_CPU VM_UP < <(scrape_cpu $PORT "$VM" -httpListenAddr=127.0.0.1:$PORT -storageDataPath="$WORK/vm-scrape" \
  -promscrape.config="$CFG" -loggerLevel=ERROR)

ratio() { echo "scale=2; $1 / $2" | bc -l; }
OURS_RATE=$(echo "$SAMPLES / $OURS_SECS" | bc -l)
VM_RATE=$(echo "$SAMPLES / $VM_SECS" | bc -l)
OURS_BPS=$(echo "$OURS_DISK / $SAMPLES" | bc -l)
VM_BPS=$(echo "$VM_DISK / $SAMPLES" | bc -l)
echo
echo "Storage service vs victoria-metrics $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null) — $SAMPLES samples ($HOSTS hosts, ${HOURS}h, 15s), $(nproc) cores; ingest figures are medians of $RUNS runs"
printf "| %-34s | %14s | %14s | %8s |\n" "metric" "sremon" "victoria-metrics" "ratio"
printf "|%s|%s|%s|%s|\n" "------------------------------------" "----------------" "----------------" "----------"
printf "| %-34s | %14.0f | %14.0f | %7sx |\n" "ingest, samples/s (higher better)" "$OURS_RATE" "$VM_RATE" "$(ratio "$OURS_RATE" "$VM_RATE")"
printf "| %-34s | %14.3f | %14.3f | %7sx |\n" "bytes per sample after merge" "$OURS_BPS" "$VM_BPS" "$(ratio "$OURS_BPS" "$VM_BPS")"
printf "| %-34s | %14.2f | %14.2f | %7sx |\n" "ingest, server CPU seconds" "$OURS_ICPU" "$VM_ICPU" "$(ratio "$OURS_ICPU" "$VM_ICPU")"
printf "| %-34s | %14s | %14s | %7sx |\n" "RSS after ingest, MiB" "$OURS_RSS" "$VM_RSS" "$(ratio "$OURS_RSS" "$VM_RSS")"
printf "| %-34s | %14.2f | %14.2f | %7sx |\n" "scrape CPU s, ${TARGETS}x${SERIES} @1s, ${SCRAPE_SECONDS}s" "$OURS_CPU" "$VM_CPU" "$(ratio "$OURS_CPU" "$VM_CPU")"
printf "| %-34s | %14s | %14s | %8s |\n" "targets up at the end" "$OURS_UP" "$VM_UP" ""
echo
echo "ours, WAL replay after kill -9: $REPLAY"
echo "ours, series count at the end of the data (check): $OURS_CHECK"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
