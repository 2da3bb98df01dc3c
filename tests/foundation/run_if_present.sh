#!/bin/sh
# Runs TOOL ARGS..., or exits 77 (ctest: skipped) when TOOL is not installed.
# Usage: run_if_present.sh TOOL [ARGS...]
if ! command -v "$1" >/dev/null 2>&1; then
  echo "SKIP: $1 is not installed (scripts/deps.sh test installs it)"
  exit 77
fi
exec "$@"
