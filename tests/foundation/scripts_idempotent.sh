#!/usr/bin/env bash
# scripts/deps.sh and scripts/up.sh are no-ops when everything is done already: deps.sh
# installs nothing and returns fast, the build has nothing to do (never a real build inside
# ctest: stale sources fail the test instead), and a second up.sh starts nothing new.
# Usage: scripts_idempotent.sh SOURCE_DIR BUILD_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"
src=$1
build=$2
cd "$src"
fail() { echo "FAIL: $*" >&2; exit 1; }

for set in build test; do
  start=$(date +%s%N)
  out=$(./scripts/deps.sh "$set" 2>&1) || fail "scripts/deps.sh $set exited $?: $out"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ -z "$out" ] || fail "scripts/deps.sh $set printed something on a second run (it should be quiet): $out"
  [ "$ms" -lt 10000 ] || fail "scripts/deps.sh $set took ${ms} ms with everything installed"
  echo "ok: scripts/deps.sh $set is a quiet no-op (${ms} ms)"
done

# up.sh's build step: nothing to rebuild for the sremon target. Never a real build here: when
# a source is newer than the binary the test fails instead of building.
newer=$(find src -path src/testutil -prune -o \( -name '*.cc' -o -name '*.h' \) ! -name '*_test.cc' \
  -newer "$SREMON_BIN" -print | head -3)
[ -z "$newer" ] || fail "sources changed since sremon was built (run scripts/build.sh first): $newer"
out=$(SREMON_BUILD_DIR="$build" ./scripts/build.sh sremon 2>&1) || fail "scripts/build.sh sremon failed: $out"
echo "$out" | grep -q "no work to do" || fail "scripts/build.sh sremon did work on a second run: $out"
echo "ok: scripts/build.sh sremon has no work to do"

# scripts/up.sh itself, twice, on a free port with temporary dirs: the second run installs
# nothing, builds nothing and starts nothing.
tmp=$(mktemp -d)
trap '"$SREMON_BIN" down --state-dir "$tmp/state" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
flags=(--state-dir "$tmp/state" --data-dir "$tmp/data" --ports "app=$port" app)
export SREMON_BUILD_DIR=$build
out=$(./scripts/up.sh "${flags[@]}" 2>&1) || fail "first scripts/up.sh failed: $out"
echo "$out" | grep -q "\[OK\] *app" || fail "first scripts/up.sh did not start the app: $out"
pid=$(head -1 "$tmp/state/app.pid")
start=$(date +%s%N)
out=$(./scripts/up.sh "${flags[@]}" 2>&1) || fail "second scripts/up.sh failed: $out"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$out" | grep -q "already running (pid $pid)" || fail "second scripts/up.sh did not find the running app: $out"
echo "$out" | grep -qi "installing\|Building\|Linking" && fail "second scripts/up.sh installed or built something: $out"
[ "$(head -1 "$tmp/state/app.pid")" = "$pid" ] || fail "second scripts/up.sh replaced the app"
echo "ok: a second scripts/up.sh installs nothing, builds nothing, starts nothing (${ms} ms)"
