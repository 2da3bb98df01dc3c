#!/usr/bin/env bash
# Builds every libFuzzer target with clang (+ASan) into ./build-fuzz and runs each for a while.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 30 s, every target)
# Corpora grow in build-fuzz/corpus/TARGET; a crash leaves build-fuzz/crash-* and fails the run.
source "$(dirname "${BASH_SOURCE[0]}")/lib/errtrap.sh"
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-30}
shift || true
./scripts/deps.sh test
export CCACHE_BASEDIR=$PWD
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSREMON_FUZZ=ON -DSREMON_TESTS=OFF -DSREMON_WEB=OFF >/dev/null
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(grep -rhoE 'sremon_fuzzer\([a-z_0-9]+' --include=CMakeLists.txt src tests | sed 's/sremon_fuzzer(//' | sort)
fi
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}"
failed=0
for t in "${targets[@]}"; do
  bin=$(find build-fuzz -type f -name "$t" -perm -u+x | head -1)
  mkdir -p "build-fuzz/corpus/$t"
  echo "== $t (${SECONDS_PER_TARGET}s)"
  if ! (cd build-fuzz && "$PWD/${bin#build-fuzz/}" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
        "corpus/$t" 2>&1 | grep -E "^(stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)"); then
    :
  fi
  if ls build-fuzz/crash-* >/dev/null 2>&1; then echo "!! $t crashed: $(ls build-fuzz/crash-*)"; failed=1; break; fi
done
exit $failed
