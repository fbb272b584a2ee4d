#!/usr/bin/env bash
# identify vs file(1) (libmagic) on every real sample: the same question, "what is this file?".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
upscope=${UPSCOPE:-$here/../build/tools/upscope}
samples=${UPSCOPE_SAMPLES:-$here/../../shared/samples}
command -v file >/dev/null || { echo "bench_identify: file(1) is not installed; skipped" >&2; exit 0; }
files=$(find "$samples" -type f | sort | tr '\n' ' ')
"$here/compare.sh" "identify: $(echo $files | wc -w) samples vs file(1)" 20 "$upscope identify $files" "file $files"
