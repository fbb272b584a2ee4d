#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan+UBSan) and runs each one.
#   tests/fuzz/run_fuzzers.sh [--runs N] [--seconds S] [TARGET...]
# Default: each target until 10,000,000 executions or 1800 s, whichever comes first. One fuzzing
# process per invocation (start one invocation per core, each with its own targets: they share the
# build under a lock); on a shared machine run it as `nice -n 19 tests/fuzz/run_fuzzers.sh ...` and set
# FUZZ_BUILD_JOBS (default: nproc) to limit the build. UBSan reports stop the run (halt_on_error),
# so undefined behaviour counts as a finding like a crash. Prints a Markdown table per target.
# Seeds: the real samples (UPSCOPE_SAMPLES), generated fixtures (make_seeds.sh, into build-fuzz/seeds)
# and the regression corpus. Findings (crash-*, leak-*,
# timeout-*, oom-*) land in build-fuzz/findings/<target>/: copy each reproducer into
# tests/fuzz/regressions/<target>/ once fixed, so the normal test suite replays it.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=10000000 seconds=1800 targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
command -v clang++ >/dev/null || { echo "run_fuzzers: needs clang and libclang-rt-14-dev (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
# Two of these may run at once (one per core): the build takes a lock so their ninjas never share build-fuzz.
mkdir -p build-fuzz
(
  flock 9
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUPSCOPE_FUZZ=ON -DUPSCOPE_TESTS=OFF >/dev/null
  cmake --build build-fuzz -j "${FUZZ_BUILD_JOBS:-$(nproc)}" --target fuzzers
) 9>build-fuzz/.build-lock
[ -d build-fuzz/seeds ] || tests/fuzz/make_seeds.sh build-fuzz/seeds
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/fuzz/ubsan.supp}
if [ ${#targets[@]} -eq 0 ]; then
  for f in build-fuzz/tests/fuzz/fuzz_*; do targets+=("$(basename "$f" | sed 's/^fuzz_//')"); done
fi
samples=${UPSCOPE_SAMPLES:-../shared/samples}
echo "| target | executions | seconds | cpu seconds | exec/s | findings |"
echo "|---|---:|---:|---:|---:|---|"
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t findings=build-fuzz/findings/$t
  mkdir -p "$corpus" "$findings"
  [ -d "$samples" ] && find "$samples" -type f -size -4M -exec cp -n {} "$corpus/" \; 2>/dev/null || true
  [ -d "build-fuzz/seeds/$t" ] && cp -n "build-fuzz/seeds/$t"/* "$corpus/" 2>/dev/null || true
  [ -d "tests/fuzz/regressions/$t" ] && cp -n "tests/fuzz/regressions/$t"/* "$corpus/" 2>/dev/null || true
  log=build-fuzz/findings/$t.log
  start=$(date +%s)
  set +e
  # CPU seconds next to wall seconds: on a shared machine at nice 19 a target may get far less than its wall time.
  timer=() cpu=?; rm -f "$findings.time"
  command -v /usr/bin/time >/dev/null && timer=(/usr/bin/time -f '%U %S' -o "$findings.time")
  "${timer[@]}" "build-fuzz/tests/fuzz/fuzz_$t" "$corpus" -runs="$runs" -max_total_time="$seconds" -max_len=1048576 \
    -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1
  set -e
  elapsed=$(( $(date +%s) - start ))
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  [ -s "$findings.time" ] && cpu=$(awk 'END {printf "%d", $1 + $2}' "$findings.time")
  found=$(ls "$findings" 2>/dev/null | tr '\n' ' ')
  rate=$(( ${execs:-0} / (elapsed > 0 ? elapsed : 1) ))
  echo "| $t | ${execs:-?} | $elapsed | $cpu | $rate | ${found:-none} |"
done
