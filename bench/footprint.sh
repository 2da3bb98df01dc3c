#!/usr/bin/env bash
# The stack against the upstream stack, in one run (issue #8): time from start to every service
# healthy, and resident memory of each service after a minute idle with the app being scraped.
#   (a) ours: `sremon up` (app, storage, inbox, alertmanager, rules, dashboards)
#   (b) upstream, natively from Debian's packages with the same configs: victoria-metrics, vmalert,
#       prometheus-alertmanager. Grafana is not packaged by Debian, so it has no column; the
#       upstream side scrapes our C++ app (the reference's Flask app is not packaged either).
# Usage: bench/footprint.sh [IDLE_SECONDS]   (default 60; needs ./build/src/sremon)
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/errtrap.sh"
cd "$(dirname "$0")/.."
IDLE=${1:-60}
SREMON=$PWD/build/src/sremon
WORK=$(mktemp -d /tmp/sremon-footprint-XXXXXX)
trap 'cleanup' EXIT
pids=()
cleanup() {
  "$SREMON" down --state-dir "$WORK/ours/state" >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ms_now() { date +%s%3N; }
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# Proportional set size: pages shared with other processes (our six share one binary and its
# shared libraries) count once across them, so the column adds up to the memory really used.
pss_kb() { awk '/^Pss:/{print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
wait_healthy() {  # URL... : waits until every URL answers 200
  for url in "$@"; do
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do sleep 0.005; done
  done
}

# ---- (a) ours -------------------------------------------------------------------------------
declare -A P
for s in app storage inbox alertmanager rules dashboards; do P[$s]=$(free_port); done
ports="app=${P[app]},storage=${P[storage]},inbox=${P[inbox]},alertmanager=${P[alertmanager]},rules=${P[rules]},dashboards=${P[dashboards]}"
mkdir -p "$WORK/ours/config"
cp -r prometheus grafana "$WORK/ours/config/"
sed -i "s/localhost:8080/localhost:${P[app]}/; s/localhost:8428/localhost:${P[storage]}/" \
  "$WORK/ours/config/prometheus/prometheus.yml" "$WORK/ours/config/grafana/provisioning/datasources/datasource.yml"
sed -i "s/localhost:5001/localhost:${P[inbox]}/" "$WORK/ours/config/prometheus/alertmanager.yml"
t0=$(ms_now)
"$SREMON" up --state-dir "$WORK/ours/state" --data-dir "$WORK/ours/data" --config-dir "$WORK/ours/config" \
  --ports "$ports" >/dev/null
ours_ms=$(( $(ms_now) - t0 ))

# ---- (b) upstream ---------------------------------------------------------------------------
UP_APP=$(free_port); UP_VM=$(free_port); UP_VMALERT=$(free_port); UP_AM=$(free_port); UP_INBOX=$(free_port)
mkdir -p "$WORK/up"
cp prometheus/alert_rules.yml "$WORK/up/"
sed "s/localhost:8080/localhost:$UP_APP/" prometheus/prometheus.yml > "$WORK/up/prometheus.yml"
sed "s/localhost:5001/localhost:$UP_INBOX/" prometheus/alertmanager.yml > "$WORK/up/alertmanager.yml"
"$SREMON" app -httpListenAddr=127.0.0.1:$UP_APP >/dev/null 2>&1 & pids+=($!)
wait_healthy "http://127.0.0.1:$UP_APP/health"
t0=$(ms_now)
victoria-metrics -httpListenAddr=127.0.0.1:$UP_VM -storageDataPath="$WORK/up/vm" -retentionPeriod=30d \
  -promscrape.config="$WORK/up/prometheus.yml" >"$WORK/up/vm.log" 2>&1 & pids+=($!); vm_pid=$!
prometheus-alertmanager --config.file="$WORK/up/alertmanager.yml" --storage.path="$WORK/up/am" \
  --web.listen-address=127.0.0.1:$UP_AM --cluster.listen-address= >"$WORK/up/am.log" 2>&1 & pids+=($!); am_pid=$!
vmalert -rule="$WORK/up/alert_rules.yml" -datasource.url=http://127.0.0.1:$UP_VM \
  -remoteRead.url=http://127.0.0.1:$UP_VM -remoteWrite.url=http://127.0.0.1:$UP_VM \
  -notifier.url=http://127.0.0.1:$UP_AM -evaluationInterval=15s -httpListenAddr=127.0.0.1:$UP_VMALERT \
  >"$WORK/up/vmalert.log" 2>&1 & pids+=($!); vmalert_pid=$!
wait_healthy "http://127.0.0.1:$UP_VM/health" "http://127.0.0.1:$UP_AM/-/healthy" "http://127.0.0.1:$UP_VMALERT/health"
up_ms=$(( $(ms_now) - t0 ))

echo "both stacks healthy; idling ${IDLE}s with the app scraped every 15 s..." >&2
sleep "$IDLE"

# ---- report ---------------------------------------------------------------------------------
declare -A OURS OURS_PSS
for s in app storage inbox alertmanager rules dashboards; do
  pid=$(head -1 "$WORK/ours/state/$s.pid")
  OURS[$s]=$(rss_kb "$pid"); OURS_PSS[$s]=$(pss_kb "$pid")
done
VM_RSS=$(rss_kb $vm_pid); AM_RSS=$(rss_kb $am_pid); VMALERT_RSS=$(rss_kb $vmalert_pid)
VM_PSS=$(pss_kb $vm_pid); AM_PSS=$(pss_kb $am_pid); VMALERT_PSS=$(pss_kb $vmalert_pid)
mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2fx", a/b; else print "-" }'; }
ours_total=0; ours_pss_total=0
for s in "${!OURS[@]}"; do ours_total=$(( ours_total + OURS[$s] )); ours_pss_total=$(( ours_pss_total + OURS_PSS[$s] )); done
up_total=$(( VM_RSS + AM_RSS + VMALERT_RSS )); up_pss_total=$(( VM_PSS + AM_PSS + VMALERT_PSS ))
ours_cmp=$(( OURS[storage] + OURS[rules] + OURS[alertmanager] ))
ours_cmp_pss=$(( OURS_PSS[storage] + OURS_PSS[rules] + OURS_PSS[alertmanager] ))
row() {  # name ours_rss ours_pss upstream_name up_rss up_pss
  if [ -n "${5:-}" ]; then
    echo "| $1 | $(mb $2) | $(mb $3) | $4 | $(mb $5) | $(mb $6) | $(ratio $2 $5) | $(ratio $3 $6) |"
  else
    echo "| $1 | $(mb $2) | $(mb $3) | $4 | - | - | - | - |"
  fi
}
cat <<TABLE
| service | sremon RSS (MB) | sremon PSS (MB) | upstream | upstream RSS (MB) | upstream PSS (MB) | RSS ratio | PSS ratio |
|---|---|---|---|---|---|---|---|
$(row storage ${OURS[storage]} ${OURS_PSS[storage]} "victoria-metrics $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null)" $VM_RSS $VM_PSS)
$(row rules ${OURS[rules]} ${OURS_PSS[rules]} "vmalert (same package)" $VMALERT_RSS $VMALERT_PSS)
$(row alertmanager ${OURS[alertmanager]} ${OURS_PSS[alertmanager]} "prometheus-alertmanager $(dpkg-query -W -f='${Version}' prometheus-alertmanager 2>/dev/null)" $AM_RSS $AM_PSS)
$(row dashboards ${OURS[dashboards]} ${OURS_PSS[dashboards]} "Grafana (not packaged by Debian)")
$(row app ${OURS[app]} ${OURS_PSS[app]} "(the same C++ app on both sides)")
$(row inbox ${OURS[inbox]} ${OURS_PSS[inbox]} "(the reference has none)")
$(row "**the three with a counterpart**" $ours_cmp $ours_cmp_pss "" $up_total $up_pss_total)
$(row "**whole sremon stack (6 services)**" $ours_total $ours_pss_total "")

| start to every service healthy | sremon (6 services) | upstream (3 services) |
|---|---|---|
| milliseconds | $ours_ms | $up_ms |
TABLE
