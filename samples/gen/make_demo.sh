#!/usr/bin/env bash
# make_demo.sh BUILD_DIR OUT_DIR: the demo inputs of `./setup.sh demo`: three synthetic builds
# (13.3, 13.3.1, 13.3.1-a) and the RSR package that turns 13.3.1 into 13.3.1 (a).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$2
mkdir -p "$out"
/usr/bin/env python3 "$here/make_demo_builds.py" "$out"
/usr/bin/env python3 "$here/make_ota.py" rsr "$out/rsr-13.3.1-a.zip" >/dev/null
