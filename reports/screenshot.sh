#!/usr/bin/env bash
# Renders an upscope HTML report with Debian's headless Chromium and saves a PNG screenshot, to check
# by eye (and in tests/unit/test_reports.cpp when chromium is installed) that the self-contained
# report renders: `apt-get install chromium`, then
#   reports/screenshot.sh report.html report.png [WIDTHxHEIGHT]
set -euo pipefail
html=${1:?usage: screenshot.sh REPORT.html OUT.png [WIDTHxHEIGHT]}
png=${2:?usage: screenshot.sh REPORT.html OUT.png [WIDTHxHEIGHT]}
size=${3:-1280x1600}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "screenshot.sh: chromium is not installed (apt-get install chromium)" >&2; exit 77; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: CI runs as root; the report is our own file and has no script.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --window-size="${size/x/,}" --screenshot="$(realpath -m "$png")" "file://$(realpath "$html")" >/dev/null 2>&1
[ -s "$png" ] || { echo "screenshot.sh: no screenshot written" >&2; exit 1; }
echo "$png"
