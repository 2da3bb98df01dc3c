#!/usr/bin/env bash
# Installs what the tests need, builds everything and runs every test suite with ctest.
# Extra arguments go to ctest (e.g. -L unit, -R storage).
source "$(dirname "${BASH_SOURCE[0]}")/lib/errtrap.sh"
cd "$(dirname "$0")/.."
start=$(date +%s)
./scripts/deps.sh test
# A build dir first configured by up.sh (before the test packages were there) has no test
# suites: configure it again now that GoogleTest is installed.
if [ -f "${SREMON_BUILD_DIR:-build}/CMakeCache.txt" ]; then
  cmake -S . -B "${SREMON_BUILD_DIR:-build}" -DSREMON_TESTS=ON >/dev/null
fi
./scripts/build.sh
cd "${SREMON_BUILD_DIR:-build}"
status=0
ctest --output-on-failure -j "${SREMON_TEST_JOBS:-2}" "$@" || status=$?
echo "test.sh: finished in $(( $(date +%s) - start ))s, $([ $status -eq 0 ] && echo PASS || echo FAIL)"
exit $status
