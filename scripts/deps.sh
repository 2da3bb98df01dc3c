#!/usr/bin/env bash
# Installs the Debian packages sremon needs, only when some are missing (idempotent, quiet).
# Usage: scripts/deps.sh build|test|peers
source "$(dirname "${BASH_SOURCE[0]}")/lib/errtrap.sh"
BUILD_PKGS=(build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libyaml-cpp-dev libre2-dev libprotobuf-dev protobuf-compiler
  libsnappy-dev libzstd-dev zlib1g-dev libsqlite3-dev libcli11-dev libspdlog-dev libfmt-dev
  libsodium-dev nlohmann-json3-dev libssl-dev libcrypt-dev)
TEST_PKGS=(libgtest-dev libgmock-dev libbenchmark-dev clang curl wrk python3 python3-influxdb collectd-core docker-compose)
# Upstream programs used as oracles and interop peers by the test suites.
PEER_PKGS=(victoria-metrics prometheus prometheus-alertmanager prometheus-node-exporter prometheus-pushgateway chromium chromium-driver)

missing=()
want=()
case "${1:-build}" in
  build) want=("${BUILD_PKGS[@]}") ;;
  test) want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${PEER_PKGS[@]}") ;;
  peers) want=("${PEER_PKGS[@]}") ;;
  *) echo "usage: $0 build|test|peers" >&2; exit 2 ;;
esac
# One dpkg-query for every package (fast even on a busy machine); absent ones are not listed.
# dpkg-query exits 1 when any named package is unknown, which is exactly the fresh-machine case:
# its exit code says nothing we need, so it must not abort the script.
installed=$( (dpkg-query -W -f='${Package} ${Status}\n' "${want[@]}" 2>/dev/null || true) |
  awk '/ install ok installed$/ {print $1}')
for p in "${want[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
# Node.js builds the dashboards' web app; a machine may already have a newer one with npm bundled.
if [ "${1:-build}" != peers ] && ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
