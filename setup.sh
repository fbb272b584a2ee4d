#!/usr/bin/env bash
# upscope set-up on Debian 12, as root (or with sudo):
#   ./setup.sh demo   install the Debian packages, build, and run upscope on generated demo inputs
#   ./setup.sh test   the same set-up, then the whole test suite, then the same suite again in an
#                     AddressSanitizer + UndefinedBehaviorSanitizer build: what CI runs
#   ./setup.sh asan   only the sanitizer build and its test run
# Real samples are read from UPSCOPE_SAMPLES (default: ../shared/samples when it exists).
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-demo}
jobs=$(nproc 2>/dev/null || echo 2)

# What the build and the demo need (the demo's inputs are written by Python scripts using only the
# standard library). Catch2 is found when the build is configured, so it is here too.
BUILD_PACKAGES=(
  g++ cmake ninja-build pkg-config make python3
  libcapstone-dev libarchive-dev nlohmann-json3-dev libfmt-dev catch2 libcli11-dev libplist-dev
  zlib1g-dev libbz2-dev liblzma-dev libzstd-dev liblz4-dev libssl-dev libxxhash-dev libsqlite3-dev
  libdeflate-dev libpq-dev
)
# What the test suite adds: tools its tests run, the independent oracles, services. Keep in one place.
TEST_PACKAGES=(
  python3-jsonschema xz-utils bzip2 gzip zstd lz4 file
  python3-cryptography  # samples/gen/make_aea.py: HKDF, AES-CTR, ECDSA/ECDH P-256, scrypt
  # independent readers the tests check our readers and writers against
  7zip llvm-16 python3-fsapfs libfsapfs-utils libfshfs-utils bsdiff
  # renders the HTML report for its screenshot test
  chromium
  # peers for bench/
  hyperfine dmg2img
  # the catalogue's PostgreSQL backend is tested against a server, and ingest through a Slurm job array
  postgresql slurm-wlm munge
)

install_packages() {  # install_packages PACKAGE...: those not installed yet
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Optimised without debug info: -g costs a third of the compile time (tools/cmd_diff.cpp: 24 s with it,
# 17 s without) and neither the demo nor the test run reads it. A unity build (CMake compiles the
# sources of each library in batches of eight) parses the heavy headers (nlohmann/json, CLI11, fmt) and
# instantiates their templates once per batch instead of once per file: the demo's build took 377
# CPU-seconds instead of 1,428 (README). `cmake -B build` alone still gives RelWithDebInfo,
# file by file (CMakeLists.txt), for working on upscope.
build() {  # build DIR TARGET [cmake options...]; TARGET "all" for everything
  local dir=$1 target=$2; shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" -DUPSCOPE_WERROR=ON -DCMAKE_UNITY_BUILD=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs" --target "$target"
}

# The whole suite (the regression corpus replay included) again under ASan + UBSan.
run_asan() {
  echo "== the whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer"
  # -O1 without debug info: sanitizer builds compile several times faster that way, and the suite's
  # inputs are small; ASan still reports file:line through the symbol table.
  build build-asan all -DUPSCOPE_SANITIZE=ON -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O1
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
}

if [ -z "${UPSCOPE_SAMPLES:-}" ] && [ -d ../shared/samples ]; then
  UPSCOPE_SAMPLES=$(cd ../shared/samples && pwd)
  export UPSCOPE_SAMPLES
fi

if [ "$mode" = demo ]; then install_packages "${BUILD_PACKAGES[@]}"
else install_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"; fi
# The demo needs only the upscope binary; the tests need everything.
if [ "$mode" = demo ]; then build build upscope; else build build all; fi

case "$mode" in
  demo)
    demo=build/demo
    rm -rf "$demo"
    samples/gen/make_demo.sh build "$demo"
    up=build/tools/upscope
    run() {  # run EXPECTED_EXIT upscope-args...: show the command and its output, check the exit code
      local want=$1; shift
      echo "\$ upscope $*"
      local rc=0
      "$up" "$@" || rc=$?
      [ "$rc" -eq "$want" ] || { echo "setup: expected exit $want, got $rc" >&2; exit 1; }
      echo
    }
    run 1 verdict "$demo/13.3" "$demo/13.3.1"       # a full update: kernel and a kext changed too
    run 0 verdict "$demo/13.3.1" "$demo/13.3.1-a"   # an RSR: only WebKit in the OS cryptex changed
    run 0 verdict "$demo/rsr-13.3.1-a.zip"          # the RSR package alone: what its patches touch
    run 1 report "$demo/13.3" "$demo/13.3.1" -o "$demo/report.html"
    echo "HTML report: $demo/report.html"
    ;;
  test)
    echo "== unit, CLI, schema and fuzz-replay tests"
    ctest --test-dir build --output-on-failure -j "$jobs"
    run_asan
    ;;
  asan)
    run_asan
    ;;
  *)
    echo "usage: ./setup.sh demo|test|asan" >&2
    exit 2
    ;;
esac
