#!/usr/bin/env bash
# One command from a fresh clone to a running stack: installs missing Debian packages, builds
# sremon (Release) and runs `sremon up`, which prints the endpoints. Extra flags go to `sremon up`.
source "$(dirname "${BASH_SOURCE[0]}")/lib/errtrap.sh"
cd "$(dirname "$0")/.."
./scripts/deps.sh build
./scripts/build.sh sremon
exec "${SREMON_BUILD_DIR:-build}/src/sremon" up "$@"
