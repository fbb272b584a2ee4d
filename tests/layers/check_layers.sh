#!/usr/bin/env bash
# The layers (README, "Design"): tools -> catalog -> reports -> analysis -> formats -> core. Fails when a
# source file includes a header of a layer above its own, or when the build gives a lower layer's
# target the include path of a higher one (so such an include would compile).
# Usage: check_layers.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
fail=0

# forbid DIR REGEX WHY: no #include under DIR matches REGEX
forbid() {
  local dir=$1 re=$2 why=$3 hits
  hits=$(grep -rnE --include='*.cpp' --include='*.hpp' "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]($re)" "$src/$dir" || true)
  if [ -n "$hits" ]; then
    echo "layers: $why:" >&2
    echo "$hits" | sed "s|$src/||" >&2
    fail=1
  fi
}

formats_dirs=$(cd "$src/formats" && ls -d */ | tr -d / | paste -sd'|')
forbid libinspect/core "analysis/|reports/|catalog/|($formats_dirs)/" "the core includes a header of a layer above it"
forbid formats "analysis/|reports/|catalog/" "a reader includes an analysis, report or catalogue header"
forbid libinspect/analysis "reports/|catalog/" "analysis includes a report or catalogue header"
forbid reports "catalog/" "a renderer includes a catalogue header"
# A format's raw on-disk structs are its own: nothing outside formats/<fmt>/ includes them.
for dir in tools reports catalog libinspect/analysis; do
  forbid "$dir" "[a-z_0-9]+/structs\.hpp" "a raw on-disk struct header included outside its format"
done
# Nor through another header: a format's header that includes its structs.hpp (directly or through
# its other headers) is private to the format.
private_leaks=$(python3 - "$src" <<'PY'
import os, re, sys
src = sys.argv[1]
inc = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
def includes(path):
    with open(path, errors="replace") as f:
        return inc.findall(f.read())
private = set()
fmt_root = os.path.join(src, "formats")
for fmt in sorted(os.listdir(fmt_root)):
    d = os.path.join(fmt_root, fmt)
    if not os.path.isdir(d):
        continue
    heads = {f"{fmt}/{h}": includes(os.path.join(d, h)) for h in os.listdir(d) if h.endswith(".hpp")}
    leaking = {f"{fmt}/structs.hpp"}
    while True:
        more = {h for h, incs in heads.items() if h not in leaking and any(i in leaking for i in incs)}
        if not more:
            break
        leaking |= more
    private |= leaking
for top in ("tools", "reports", "catalog", "libinspect"):  # readers may share a sibling's layouts (kc: Mach-O)
    for root, _, files in os.walk(os.path.join(src, top)):
        for name in files:
            if not name.endswith((".cpp", ".hpp")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            for i in includes(path):
                if i in private and not rel.startswith("formats/" + i.split("/")[0] + "/"):
                    print(f"{rel}: {i}")
PY
)
if [ -n "$private_leaks" ]; then
  echo "layers: a header that exposes a format's raw structs is included outside that format:" >&2
  echo "$private_leaks" >&2
  fail=1
fi

# The build graph: the readers' and the core's objects are compiled without the analysis headers
# (or any higher layer's) on their include path.
ninja_file=$build/build.ninja
if [ ! -f "$ninja_file" ]; then
  echo "layers: $ninja_file not found (not a Ninja build): the include-path check is skipped" >&2
else
  bad=$(awk -v root="$src" '
    /^build (formats|libinspect\/core)\/CMakeFiles\/(upscope_formats|libinspect)\.dir\/.*\.o:/ { inlow = 1; obj = $2; next }
    /^build / { inlow = 0 }
    inlow && /^[[:space:]]+INCLUDES =/ {
      if (index($0, "/libinspect/analysis/include") || index($0, "/reports/include") || index($0, "/catalog/include"))
        print obj
    }' "$ninja_file")
  if [ -n "$bad" ]; then
    echo "layers: these reader/core objects are compiled with a higher layer's include path:" >&2
    echo "$bad" | head -5 >&2
    fail=1
  fi
  # A unity build (CMAKE_UNITY_BUILD, what setup.sh configures) compiles several sources per object:
  # count the sources its generated Unity/*.cxx files include.
  n=$(grep -cE '^build (formats|libinspect/core)/CMakeFiles/(upscope_formats|libinspect)\.dir/.*\.o:' "$ninja_file" || true)
  unity=$(cat "$build"/formats/CMakeFiles/upscope_formats.dir/Unity/*.cxx \
              "$build"/libinspect/core/CMakeFiles/libinspect.dir/Unity/*.cxx 2>/dev/null | grep -c '^#include' || true)
  [ "$unity" -gt "$n" ] && n=$unity
  if [ "$n" -lt 50 ]; then
    echo "layers: only $n reader/core sources found in $ninja_file: the check looked at the wrong rules" >&2
    fail=1
  fi
fi
[ "$fail" -eq 0 ] && echo "layers: every include points down; formats and core compile without higher layers' headers"
exit "$fail"
