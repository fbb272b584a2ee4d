# Sourced by benchmarks that need Apple's reference lzfse (github.com/lzfse/lzfse), which is built
# locally and never vendored. build_lzfse_reference SRC DIR: SRC is a checkout or a bare git dir;
# the reference is built in DIR; sets ref (the `lzfse` CLI) and ref_lib (liblzfse.a).
build_lzfse_reference() {
  local src=$1 dir=$2
  mkdir -p "$dir"
  if [ -f "$src/Makefile" ]; then
    cp -r "$src"/. "$dir"/
  else
    git --git-dir="$src" archive HEAD | tar -x -C "$dir"
  fi
  make -C "$dir" -j2 \
    CFLAGS="-O3 -Wall -Wno-unknown-pragmas -Wno-unused-variable -DNDEBUG -D_POSIX_C_SOURCE -std=c99" >/dev/null
  ref=$dir/build/bin/lzfse ref_lib=$dir/build/bin/liblzfse.a
  [ -x "$ref" ] && [ -f "$ref_lib" ] || { echo "building the reference lzfse in $dir failed" >&2; return 2; }
}
