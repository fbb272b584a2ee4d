#!/usr/bin/env bash
# Golden outputs: the documents users and scripts read (verdict, diff, inventory, report, ls, inspect)
# on generated builds and images, and on a real dmg when the samples are there, compared byte for
# byte with tests/golden/expected/. A refactoring that changes any of them fails here; a deliberate
# change is recorded with --update and reviewed in the diff of expected/.
# Usage: check_golden.sh UPSCOPE SOURCE_DIR [--update]
set -euo pipefail
up=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
update=${3:-}
expected=$src/tests/golden/expected
work=$(mktemp -d "${TMPDIR:-/tmp}/upscope-golden.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"  # every path in a command is relative, so outputs do not name the machine
"$src/samples/gen/make_demo.sh" "$src" demo >/dev/null
python3 "$src/samples/gen/make_hfs.py" h.hfs --lzbitmap >/dev/null
have_samples=0
if [ -n "${UPSCOPE_SAMPLES:-}" ] && [ -f "$UPSCOPE_SAMPLES/jb_test.dmg" ]; then
  ln -s "$UPSCOPE_SAMPLES/jb_test.dmg" jb_test.dmg
  have_samples=1
fi
mkdir -p got
run() {  # run NAME ARGS...: stdout then the exit code
  local name=$1; shift
  local rc=0
  "$up" "$@" >"got/$name.out" 2>/dev/null || rc=$?
  echo "exit $rc" >>"got/$name.out"
}
run verdict-full verdict demo/13.3 demo/13.3.1
run verdict-rsr --json verdict demo/13.3.1 demo/13.3.1-a
run verdict-package verdict demo/rsr-13.3.1-a.zip
run diff-full --json diff demo/13.3 demo/13.3.1
run diff-full-text diff demo/13.3 demo/13.3.1
run inventory --json inventory demo/13.3.1
run report-md --format md report demo/13.3 demo/13.3.1
run ls-hfs ls h.hfs --hash sha256
run ls-hfs-json --json ls h.hfs --hash xxh3
if [ $have_samples = 1 ]; then
  run ls-apfs ls jb_test.dmg --hash sha256
  run ls-apfs-json --json ls jb_test.dmg
  run inspect-udif inspect jb_test.dmg
fi
if [ "$update" = --update ]; then
  mkdir -p "$expected"
  cp got/*.out "$expected/"
  echo "updated $(ls got | wc -l) golden outputs in tests/golden/expected"
  exit 0
fi
status=0
for f in got/*.out; do
  name=$(basename "$f")
  if ! diff -u "$expected/$name" "$f" >"$work/diff.txt" 2>&1; then
    echo "golden output changed: $name"
    head -40 "$work/diff.txt"
    status=1
  fi
done
[ $have_samples = 1 ] || echo "SKIPPED (part): UPSCOPE_SAMPLES is not set: the outputs on jb_test.dmg were not compared"
[ $status = 0 ] && echo "$(ls got | wc -l) golden outputs identical"
exit $status
