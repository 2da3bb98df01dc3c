#!/usr/bin/env bash
# The install step on a simulated fresh machine, the only way a machine that already has every
# package (CI's) can see a bootstrap that fails before installing anything. The PATH holds only
# a few real tools plus a dpkg-query that knows no package (it exits 1, as Debian's does when a
# named package is not installed), an apt-get that records its arguments, and no npm.
# scripts/deps.sh SET must exit 0 and ask apt-get, after an update, for every package of SET.
# Usage: deps_fresh_machine.sh SOURCE_DIR
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/errtrap.sh"
src=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/bin
mkdir -p "$bin"
for tool in bash env cat dirname awk grep id mkdir date rm; do
  ln -s "$(command -v "$tool")" "$bin/$tool"
done
cat >"$bin/dpkg-query" <<'FAKE'
#!/usr/bin/env bash
for p in "${@:4}"; do echo "dpkg-query: no packages found matching $p" >&2; done
exit 1
FAKE
cat >"$bin/apt-get" <<FAKE
#!/usr/bin/env bash
echo "\$*" >>"$tmp/apt-get.log"
FAKE
chmod +x "$bin/dpkg-query" "$bin/apt-get"

# The package lists, read from the script itself so the test follows it.
packages() { bash -c "source <(sed -n '/^BUILD_PKGS=(/,/^PEER_PKGS=.*)$/p' '$src/scripts/deps.sh'); echo \${$1[*]}"; }
build=$(packages BUILD_PKGS)
test=$(packages TEST_PKGS)
peers=$(packages PEER_PKGS)
for must in build-essential cmake ninja-build libboost1.81-dev; do
  [[ " $build " == *" $must "* ]] || fail "BUILD_PKGS lost $must: $build"
done

check() {
  local set=$1 want=$2 out
  rm -f "$tmp/apt-get.log"
  out=$(env -i PATH="$bin" HOME="$tmp" bash "$src/scripts/deps.sh" "$set" 2>&1) ||
    fail "scripts/deps.sh $set exited $? on a fresh machine: $out"
  [ -f "$tmp/apt-get.log" ] || fail "scripts/deps.sh $set never called apt-get: $out"
  grep -qx "update -qq" "$tmp/apt-get.log" || fail "no apt-get update before installing: $(cat "$tmp/apt-get.log")"
  local asked
  asked=$(grep '^install ' "$tmp/apt-get.log") || fail "no apt-get install: $(cat "$tmp/apt-get.log")"
  for p in $want; do
    [[ " $asked " == *" $p "* ]] || fail "scripts/deps.sh $set did not ask apt-get for $p: $asked"
  done
  echo "ok: scripts/deps.sh $set on a fresh machine asked apt-get for $(wc -w <<<"$want") packages"
}
check build "$build nodejs npm"
check test "$build $test $peers nodejs npm"
check peers "$peers"

# A failing step names itself instead of exiting silently.
cat >"$bin/apt-get" <<'FAKE'
#!/usr/bin/env bash
[ "$1" = update ] && exit 100
FAKE
out=$(env -i PATH="$bin" HOME="$tmp" bash "$src/scripts/deps.sh" build 2>&1) && fail "deps.sh ignored a failed apt-get update"
grep -q "apt-get update" <<<"$out" || fail "a failed apt-get update exited without saying so: $out"
echo "ok: a failed apt-get is named: $(tail -1 <<<"$out")"
