#!/usr/bin/env bash
# make_demo.sh BUILD_DIR OUT_DIR: the demo inputs of `./setup.sh demo` (three synthetic builds).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$2
mkdir -p "$out"
/usr/bin/env python3 "$here/make_demo_builds.py" "$out"
