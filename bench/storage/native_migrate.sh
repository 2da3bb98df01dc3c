#!/usr/bin/env bash
# vmctl vm-native between Debian's victoria-metrics and sremon storage, both ways, on the same
# data: SERIES series x SAMPLES samples at 15 s (gauges, counters and constants, a third each),
# written into victoria-metrics through /api/v1/import. Prints the native export's size from each
# server (bytes per sample) and the wall and server CPU seconds of each migration.
# Usage: bench/storage/native_migrate.sh [BUILD_DIR]    env: SERIES=300 SAMPLES=5000
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
SREMON=${SREMON:-$BUILD/src/sremon}
SERIES=${SERIES:-300}
SAMPLES=${SAMPLES:-5000}
VM=$(command -v victoria-metrics || true)
[ -x "$SREMON" ] || { echo "missing $SREMON: ./scripts/build.sh sremon" >&2; exit 1; }
[ -n "$VM" ] && command -v vmctl >/dev/null || { echo "victoria-metrics and vmctl are needed (apt-get install victoria-metrics)" >&2; exit 1; }

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" native-bench
OURS=$(free_port)
THEIRS=$(free_port)
"$SREMON" storage -httpListenAddr=127.0.0.1:$OURS -storageDataPath="$WORK/ours" -retentionPeriod=100y \
  -maxInsertRequestSize=1GiB >>"$WORK/ours.log" 2>&1 &
PIDS+=($!)
OURS_PID=$!
"$VM" -httpListenAddr=127.0.0.1:$THEIRS -storageDataPath="$WORK/vm" -retentionPeriod=100y -loggerLevel=ERROR \
  >>"$WORK/vm.log" 2>&1 &
PIDS+=($!)
VM_PID=$!
wait_health "$OURS"
wait_health "$THEIRS"

START=$(( $(date +%s) - SAMPLES * 15 - 60 ))
python3 - "$SERIES" "$SAMPLES" "$START" >"$WORK/data.jsonl" <<'EOF'
import json, random, sys
series, samples, start = map(int, sys.argv[1:])
random.seed(1)
for s in range(series):
    kind = ("gauge", "counter", "const")[s % 3]
    # Scrape times with a few ms of jitter, as real scrapes have.
    ts = [(start + 15 * i) * 1000 + random.randint(0, 20) for i in range(samples)]
    if kind == "gauge":
        vs = [round(random.uniform(0, 100), 2) for _ in range(samples)]
    elif kind == "counter":
        vs, v = [], 0
        for _ in range(samples):
            v += random.randint(0, 500)
            vs.append(v)
    else:
        vs = [1] * samples
    print(json.dumps({"metric": {"__name__": f"bench_{kind}", "series": str(s)}, "values": vs, "timestamps": ts}))
EOF
curl -sf -XPOST --data-binary @"$WORK/data.jsonl" "http://127.0.0.1:$THEIRS/api/v1/import"
curl -sf "http://127.0.0.1:$THEIRS/internal/force_flush" >/dev/null
TOTAL=$((SERIES * SAMPLES))
echo "data: $SERIES series x $SAMPLES samples = $TOTAL samples ($(($(wc -c <"$WORK/data.jsonl") / 1024)) KiB of JSON lines)"

migrate() {  # SRC_PORT DST_PORT DST_PID LABEL
  local c0 c1 t0 t1
  c0=$(cpu_s "$3")
  t0=$(now)
  script -qec "vmctl vm-native --vm-native-src-addr=http://127.0.0.1:$1 --vm-native-dst-addr=http://127.0.0.1:$2 \
    --vm-native-filter-match='{__name__=~\"bench_.*\"}' --vm-native-filter-time-start=$((START - 60))" /dev/null \
    >>"$WORK/vmctl.log" 2>&1 </dev/null
  t1=$(now)
  c1=$(cpu_s "$3")
  printf '%-28s %6.2f s wall, receiver %6.2f CPU s, %8.0f samples/s\n' "$4" "$(echo "$t1 - $t0" | bc -l)" \
    "$(echo "$c1 - $c0" | bc -l)" "$(echo "$TOTAL / ($t1 - $t0)" | bc -l)"
}
migrate "$THEIRS" "$OURS" "$OURS_PID" "victoria-metrics -> sremon"
for p in "$OURS:sremon" "$THEIRS:victoria-metrics"; do
  n=$(curl -sf "http://127.0.0.1:${p%%:*}/api/v1/export/native?match[]=%7B__name__%3D~%22bench_.*%22%7D&start=$((START - 60))" | wc -c)
  printf '%-28s %9d bytes, %.2f bytes/sample\n' "native export of ${p#*:}" "$n" "$(echo "$n / $TOTAL" | bc -l)"
done
# The other way, into an empty victoria-metrics.
THEIRS=$(free_port)
"$VM" -httpListenAddr=127.0.0.1:$THEIRS -storageDataPath="$WORK/vm2" -retentionPeriod=100y -loggerLevel=ERROR \
  >>"$WORK/vm.log" 2>&1 &
PIDS+=($!)
VM_PID=$!
wait_health "$THEIRS"
migrate "$OURS" "$THEIRS" "$VM_PID" "sremon -> victoria-metrics"
