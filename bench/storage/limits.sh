#!/usr/bin/env bash
# How fast limits refuse at production cardinality, ours beside Debian's victoria-metrics
# (docs/benchmarks.md, "Limits at 1M series"): SERIES series of card_test{host,pod,region}
# (pod unique per series), one sample each, imported in 20,000-series bodies; then, with every
# limit at its default, the time to refuse
#   count(card_test)                                  -search.maxUniqueTimeseries (300,000)
#   /api/v1/series?match[]={__name__=~".+"}           -search.maxSeries (30,000)
#   /api/v1/label/host/values?match[]=card_test       ours: -search.maxLabelsAPISeries (1e6) only
#                                                     when SERIES > 1e6; VM 1.79: maxUniqueTimeseries
# and the answer of count(card_test{host="h7"}) as a query under the limit. Median of RUNS.
# Usage: bench/storage/limits.sh [BUILD_DIR]     env: SERIES=1000000 RUNS=5
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
SREMON=${SREMON:-$BUILD/src/sremon}
SERIES=${SERIES:-1000000}
RUNS=${RUNS:-5}
VM=$(command -v victoria-metrics || true)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" limits-bench

run_one() {  # name, then the command line (listening on $PORT)
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  wait_health "$PORT" 20
  python3 - "$PORT" "$SERIES" "$RUNS" "$name" <<'PY'
import statistics, sys, time, urllib.request, urllib.parse
port, series, runs, name = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base = f"http://127.0.0.1:{port}"
now = int(time.time() * 1000) - 60_000
t0 = time.time()
for first in range(0, series, 20000):
    body = "".join(f'card_test{{host="h{i % 1000}",pod="pod-{i}",region="r{i % 10}"}} {i} {now}\n'
                   for i in range(first, min(series, first + 20000)))
    urllib.request.urlopen(base + "/api/v1/import/prometheus", data=body.encode()).read()
print(f"{name}: import of {series} series: {time.time() - t0:.1f} s", flush=True)
time.sleep(3)  # VictoriaMetrics makes imports searchable within a second or two
def ask(path):
    t = time.time()
    try:
        r = urllib.request.urlopen(base + path, timeout=600); status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    return (time.time() - t) * 1000, status, body
q = urllib.parse.quote
for what, path in [("count(card_test)", "/api/v1/query?query=" + q("count(card_test)")),
                   ('series {__name__=~".+"}', "/api/v1/series?match[]=" + q('{__name__=~".+"}')),
                   ("label host values, match[]=card_test", "/api/v1/label/host/values?match[]=card_test"),
                   ('count(card_test{host="h7"})', "/api/v1/query?query=" + q('count(card_test{host="h7"})'))]:
    times = []
    for _ in range(runs):
        ms, status, body = ask(path)
        times.append(ms)
    print(f"{name}: {what}: {status} in {statistics.median(times):.1f} ms (median of {runs}): {body[:160].decode(errors='replace')}", flush=True)
PY
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
}

PORT=$(free_port)
run_one sremon "$SREMON" storage -httpListenAddr=127.0.0.1:$PORT -storageDataPath="$WORK/ours" -loggerLevel=warn
if [ -n "$VM" ]; then
  PORT=$(free_port)
  run_one victoria-metrics "$VM" -httpListenAddr=127.0.0.1:$PORT -storageDataPath="$WORK/vm" -search.latencyOffset=0s \
    -search.disableCache -loggerLevel=ERROR
fi
