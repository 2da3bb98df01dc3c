#!/usr/bin/env bash
# The README's AppDown drill, timed: the whole stack with the shipped configs (15 s scrapes and
# evaluations, `for: 30s`, group_wait 10s) on free ports, `sremon stop app`, then the APIs polled
# once a second: when AppDown is pending and firing in the rules API, in the Alertmanager API and
# in the inbox; then `sremon start app` and when it resolves and the resolved notification arrives.
# Usage: bench/appdown_drill.sh   (SREMON_BIN defaults to build/src/sremon; takes about 3 minutes)
set -uo pipefail
cd "$(dirname "$0")/.."
S=${SREMON_BIN:-$PWD/build/src/sremon}
W=$(mktemp -d /tmp/sremon-drill.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A P
for s in app storage inbox alertmanager rules dashboards; do P[$s]=$(free_port); done
mkdir -p "$W/config"; cp -r prometheus grafana "$W/config/"
sed -i "s/localhost:8080/localhost:${P[app]}/; s/localhost:8428/localhost:${P[storage]}/" \
  "$W/config/prometheus/prometheus.yml" "$W/config/grafana/provisioning/datasources/datasource.yml"
sed -i "s/localhost:5001/localhost:${P[inbox]}/" "$W/config/prometheus/alertmanager.yml"
A=(--state-dir "$W/state" --data-dir "$W/data" --config-dir "$W/config"
   --ports "app=${P[app]},storage=${P[storage]},inbox=${P[inbox]},alertmanager=${P[alertmanager]},rules=${P[rules]},dashboards=${P[dashboards]}")
trap '"$S" down "${A[@]}" >/dev/null 2>&1; rm -rf "$W"' EXIT
"$S" up "${A[@]}" >/dev/null
echo "stack up; letting it scrape for 40 s..." >&2
sleep 40
rules=http://127.0.0.1:${P[rules]}/api/v1/alerts
am=http://127.0.0.1:${P[alertmanager]}/api/v2/alerts
inbox=http://127.0.0.1:${P[inbox]}/api/notifications
t0=$(date +%s); "$S" stop app "${A[@]}" >/dev/null
pend=- fire=- in_am=- in_inbox=-
while [ $(( $(date +%s) - t0 )) -lt 180 ]; do
  now=$(( $(date +%s) - t0 ))
  st=$(curl -s "$rules" | grep -o '"state":"[a-z]*"' | head -1)
  [ "$pend" = - ] && echo "$st" | grep -q pending && pend=$now
  [ "$fire" = - ] && echo "$st" | grep -q firing && fire=$now
  [ "$in_am" = - ] && curl -s "$am" | grep -q AppDown && in_am=$now
  [ "$in_inbox" = - ] && curl -s "$inbox" | grep -q AppDown && in_inbox=$now
  [ "$in_inbox" != - ] && break
  sleep 1
done
echo "after stop app: pending ${pend}s, firing ${fire}s, in the Alertmanager ${in_am}s, in the inbox ${in_inbox}s"
t1=$(date +%s); "$S" start app "${A[@]}" >/dev/null
resolved=- notified=-
while [ $(( $(date +%s) - t1 )) -lt 120 ]; do
  now=$(( $(date +%s) - t1 ))
  [ "$resolved" = - ] && ! curl -s "$rules" | grep -q AppDown && resolved=$now
  [ "$notified" = - ] && curl -s "$inbox" | grep -q resolved && notified=$now
  [ "$resolved" != - ] && [ "$notified" != - ] && break
  sleep 1
done
echo "after start app: gone from the rules API ${resolved}s, resolved notification in the inbox ${notified}s"
