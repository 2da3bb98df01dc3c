# Sourced by the storage benchmarks (compare.sh, cardinality.sh, limits.sh): a work directory and
# the servers started, both removed at exit; free ports; waiting for /health; a process's RSS
# and CPU. Usage: source lib.sh NAME   (WORK=/tmp/sremon-NAME.XXXXXX; append server pids to PIDS)
WORK=$(mktemp -d "/tmp/sremon-$1.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
# wait_health PORT [SECONDS]: default 10 s; a restart at a million series needs minutes.
wait_health() {
  local deadline=$(( $(date +%s) + ${2:-10} ))
  until curl -sf "http://127.0.0.1:$1/health" >/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "server on port $1 did not come up" >&2; return 1; fi
    sleep 0.05
  done
}
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
cpu_s() { echo "$(awk '{print $14+$15}' "/proc/$1/stat") / $(getconf CLK_TCK)" | bc -l; }
