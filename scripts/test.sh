#!/usr/bin/env bash
# Installs what the tests need, builds everything and runs every test suite with ctest.
# Extra arguments go to ctest (e.g. -L unit, -R storage).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
./scripts/deps.sh test
./scripts/build.sh
cd build
status=0
ctest --output-on-failure -j "${SREMON_TEST_JOBS:-2}" "$@" || status=$?
echo "test.sh: finished in $(( $(date +%s) - start ))s, $([ $status -eq 0 ] && echo PASS || echo FAIL)"
exit $status
