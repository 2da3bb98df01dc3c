#!/usr/bin/env bash
# Storage at production cardinality, ours then Debian's victoria-metrics on fresh data dirs, in
# one run (docs/benchmarks.md, "Cardinality"; issue 14's table):
#   SERIES series card_test{host,pod,container,region} (pod unique per series, host one of 1,000)
#   x 4 samples, imported through /api/v1/import/prometheus in 20,000-series bodies over 2
#   connections; /internal/force_flush; RSS; each index query and aggregation 5 times (median);
#   restart after kill -9 until every series answers; SIGTERM until exit. The server's CPU
#   seconds (/proc/PID/stat) are printed beside the wall times of import, flush and restart: on a
#   shared machine they move far less with the load than wall times do.
# Usage: bench/storage/cardinality.sh [BUILD_DIR]     env: SERIES=1000000 (4000000: the stretch run)
# Both servers run with -search.maxUniqueTimeseries=10000000 and -search.maxQueryDuration=10m
# (at 4M series victoria-metrics' count(card_test) takes ~28 s, next to the default 30 s), and ours with
# -search.maxMemoryPerQuery=0 (VictoriaMetrics' default; ours is 256 MiB, which refuses the
# aggregations over 4M series). Prints one line per figure:
#   figure | ours | victoria-metrics | ratio
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
SERIES=${SERIES:-1000000}
SREMON=${SREMON:-$BUILD/src/sremon}
VM=$(command -v victoria-metrics || true)
[ -x "$SREMON" ] || { echo "missing $SREMON: ./scripts/build.sh sremon" >&2; exit 1; }
[ -n "$VM" ] || { echo "victoria-metrics is not installed (scripts/deps.sh peers)" >&2; exit 1; }
BODY=20000
T0=1700000000  # seconds; samples at T0, +15, +30, +45; queries at T0+60
QT=$((T0 + 60))

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" cardinality
since() { echo "$(now) - $1" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "generating $SERIES series x 4 samples in $BODY-series bodies ..." >&2
mkdir -p "$WORK/gen"
python3 - "$SERIES" "$BODY" "$T0" "$WORK/gen" <<'EOF'
import sys
n, body, t0, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) * 1000, sys.argv[4]
for f in range(0, n, body):
    lines = []
    for i in range(f, min(n, f + body)):
        ls = 'card_test{host="h%d",pod="pod-%d",container="c%d",region="r%d"}' % (i % 1000, i, (i // 3) % 20, (i // 7) % 10)
        for k in range(4):
            lines.append('%s %d %d\n' % (ls, i + k, t0 + k * 15000))
    with open('%s/%08d.prom' % (out, f // body), 'w') as fh:
        fh.write(''.join(lines))
EOF

start_ours() {  # DIR PORT
  "$SREMON" storage -httpListenAddr=127.0.0.1:$2 -storageDataPath="$1" -retentionPeriod=100y \
    -search.maxUniqueTimeseries=10000000 -search.maxQueryDuration=10m -search.maxMemoryPerQuery=0 >>"$WORK/ours.log" 2>&1 &
}
start_vm() {  # DIR PORT
  "$VM" -httpListenAddr=127.0.0.1:$2 -storageDataPath="$1" -retentionPeriod=100y -loggerLevel=ERROR \
    -search.maxUniqueTimeseries=10000000 -search.maxQueryDuration=10m >>"$WORK/vm.log" 2>&1 &
}
# q PORT PATH-AND-QUERY: median seconds of 5 runs (the first one warms caches and is included).
q() {
  for _ in 1 2 3 4 5; do
    curl -s -o "$WORK/last.json" -w '%{time_total}\n' "http://127.0.0.1:$1$2"
  done | median
}
count_series() {  # PORT: count(card_test) at QT, or 0
  curl -s "http://127.0.0.1:$1/api/v1/query?query=count(card_test)&time=$QT" | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)
except Exception:
    print(0)'
}

QUERIES=(
  "pod|/api/v1/query?query=card_test%7Bpod%3D%22pod-123457%22%7D&time=$QT"
  "pod_regex|/api/v1/query?query=count(card_test%7Bpod%3D~%22pod-12345.*%22%7D)&time=$QT"
  "series_host|/api/v1/series?match%5B%5D=card_test%7Bhost%3D%22h7%22%7D&start=$T0&end=$QT"
  "values_host|/api/v1/label/host/values"
  "values_pod|/api/v1/label/pod/values"
  "count|/api/v1/query?query=count(card_test)&time=$QT"
  "count_by_host|/api/v1/query?query=count%20by%20(host)(card_test)&time=$QT"
  "sum_rate_region|/api/v1/query?query=sum%20by%20(region)(rate(card_test%5B5m%5D))&time=$QT"
)

run() {  # WHO
  local who=$1 port pid t0 c0
  port=$(free_port)
  "start_$who" "$WORK/$who" "$port"
  pid=$!; PIDS+=($pid)
  wait_health "$port" 600
  echo "$who: importing ..." >&2
  c0=$(cpu_s $pid); t0=$(now)
  ls "$WORK"/gen/*.prom | xargs -P 2 -I{} curl -sf -o /dev/null -X POST --data-binary @{} \
    "http://127.0.0.1:$port/api/v1/import/prometheus"
  echo "import_wall $(since "$t0")" >>"$WORK/$who.res"
  echo "import_cpu $(echo "$(cpu_s $pid) - $c0" | bc -l)" >>"$WORK/$who.res"
  sleep 3
  echo "rss_mb $(rss_mb $pid)" >>"$WORK/$who.res"
  echo "$who: force_flush ..." >&2
  c0=$(cpu_s $pid); t0=$(now)
  curl -sf -o /dev/null "http://127.0.0.1:$port/internal/force_flush"
  echo "force_flush $(since "$t0")" >>"$WORK/$who.res"
  echo "force_flush_cpu $(echo "$(cpu_s $pid) - $c0" | bc -l)" >>"$WORK/$who.res"
  [ "$who" = vm ] && sleep 2  # VictoriaMetrics makes flushed rows searchable asynchronously
  local got
  got=$(count_series "$port")
  [ "$got" = "$SERIES" ] || echo "WARNING: $who answers count(card_test)=$got, want $SERIES" >&2
  for entry in "${QUERIES[@]}"; do
    echo "${entry%%|*} $(q "$port" "${entry#*|}")" >>"$WORK/$who.res"
  done
  echo "$who: restart after kill -9 ..." >&2
  # VictoriaMetrics writes searchable in-memory parts to disk every few seconds: give both the
  # same time, so the restart measures reading flushed data, not losing unflushed data.
  sleep 6
  kill -9 $pid; wait $pid 2>/dev/null || true
  t0=$(now)
  "start_$who" "$WORK/$who" "$port"
  pid=$!; PIDS+=($pid)
  wait_health "$port" 600
  local deadline=$(( $(date +%s) + ${RESTART_WAIT:-600} ))
  # Until the answer counting every series arrives (the count's own time included, as in the
  # issue's measurement; at 4M series it takes seconds, longer on victoria-metrics).
  until got=$(count_series "$port"); [ "$got" = "$SERIES" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "WARNING: $who answers count(card_test)=$got of $SERIES ${RESTART_WAIT:-600} s after the restart" >&2
      break
    fi
    sleep 0.2
  done
  echo "restart $(since "$t0")" >>"$WORK/$who.res"
  echo "restart_cpu $(cpu_s $pid)" >>"$WORK/$who.res"  # the new process: all of its CPU
  echo "rss_after_restart_mb $(rss_mb $pid)" >>"$WORK/$who.res"
  t0=$(now)
  kill -TERM $pid; wait $pid 2>/dev/null || true
  echo "sigterm_exit $(since "$t0")" >>"$WORK/$who.res"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
run ours
run vm
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "SERIES=$SERIES; victoria-metrics $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null || echo "?")"
printf '%-22s %12s %12s %9s\n' figure ours vm ratio
while read -r name ours; do
  vm=$(awk -v n="$name" '$1 == n {print $2}' "$WORK/vm.res")
  ratio=$(echo "$ours / $vm" | bc -l 2>/dev/null || echo nan)
  printf '%-22s %12.3f %12.3f %8.2fx\n' "$name" "$ours" "$vm" "$ratio"
done <"$WORK/ours.res"
echo "(times in seconds, memory in MB; queries: median of 5)"
