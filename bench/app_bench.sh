#!/usr/bin/env bash
# Throughput and latency of `sremon app` on GET / with keep-alive, measured with wrk, with and
# without request instrumentation (-instrumentation=false), alternating runs so both see the
# same machine load. Prints each run, the medians and the cost of instrumentation.
#
# Usage: bench/app_bench.sh [SREMON_BIN]
# Env:   DURATION (10s) CONNECTIONS (64) WRK_THREADS (1) APP_THREADS (2) RUNS (3)
# Needs: wrk (Debian package, installed by scripts/deps.sh test).
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/errtrap.sh"
cd "$(dirname "$0")/.."
bin=${1:-build/src/sremon}
duration=${DURATION:-10s}
conns=${CONNECTIONS:-64}
wrk_threads=${WRK_THREADS:-1}
app_threads=${APP_THREADS:-2}
runs=${RUNS:-3}
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/deps.sh test)"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/
app_pid=
trap '[ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true' EXIT

# wrk's "50%    384.00us" → microseconds
to_us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1e6; else print n }'; }

run() {  # $1 = true|false (instrumentation) → "rps p50_us p99_us"
  "$bin" app -httpListenAddr=127.0.0.1:"$port" -instrumentation="$1" -http.ioThreads="$app_threads" 2>/dev/null &
  app_pid=$!
  for _ in $(seq 100); do curl -fs "$url" >/dev/null 2>&1 && break; sleep 0.05; done
  out=$(wrk --latency -t"$wrk_threads" -c"$conns" -d"$duration" "$url")
  # CPU time the app used (utime + stime, clock ticks), to get CPU per request: unlike req/s
  # it hardly depends on what else the machine runs.
  ticks=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$app_pid/stat")
  kill "$app_pid"; wait "$app_pid" 2>/dev/null || true; app_pid=
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(to_us "$(echo "$out" | awk '$1 == "50%" {print $2}')")
  p99=$(to_us "$(echo "$out" | awk '$1 == "99%" {print $2}')")
  total=$(echo "$out" | awk '/requests in/ {print $1}')
  cpu_us=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$total" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  echo "$rps $p50 $p99 $cpu_us $errors"
}

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

echo "sremon app benchmark: wrk -t$wrk_threads -c$conns -d$duration --latency $url (app: $app_threads I/O threads)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %-16s %12s %10s %10s %12s %s\n' run instrumentation req/s p50_us p99_us cpu_us/req notes
declare -a on_rps on_p50 on_p99 on_cpu off_rps off_p50 off_p99 off_cpu
for i in $(seq "$runs"); do
  for mode in true false; do
    read -r rps p50 p99 cpu notes < <(run "$mode")
    printf '%-4s %-16s %12s %10s %10s %12s %s\n' "$i" "$mode" "$rps" "$p50" "$p99" "$cpu" "${notes:-}"
    if [ "$mode" = true ]; then on_rps+=("$rps"); on_p50+=("$p50"); on_p99+=("$p99"); on_cpu+=("$cpu");
    else off_rps+=("$rps"); off_p50+=("$p50"); off_p99+=("$p99"); off_cpu+=("$cpu"); fi
  done
done
m_on=$(printf '%s\n' "${on_rps[@]}" | median); m_off=$(printf '%s\n' "${off_rps[@]}" | median)
echo
printf 'median with instrumentation:    %10.0f req/s  p50 %s us  p99 %s us\n' "$m_on" \
  "$(printf '%s\n' "${on_p50[@]}" | median)" "$(printf '%s\n' "${on_p99[@]}" | median)"
printf 'median without instrumentation: %10.0f req/s  p50 %s us  p99 %s us\n' "$m_off" \
  "$(printf '%s\n' "${off_p50[@]}" | median)" "$(printf '%s\n' "${off_p99[@]}" | median)"
awk -v on="$m_on" -v off="$m_off" 'BEGIN { printf "cost of instrumentation: %.1f%% of throughput (goal < 10%%); floor 30000 req/s: %s\n", (off - on) / off * 100, (on >= 30000) ? "met" : "MISSED" }'
m_on_cpu=$(printf '%s\n' "${on_cpu[@]}" | median); m_off_cpu=$(printf '%s\n' "${off_cpu[@]}" | median)
awk -v on="$m_on_cpu" -v off="$m_off_cpu" 'BEGIN { printf "app CPU per request (load-independent): %.2f us with, %.2f us without instrumentation: %.1f%% more\n", on, off, (on - off) / off * 100 }'
