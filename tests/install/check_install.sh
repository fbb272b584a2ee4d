#!/usr/bin/env bash
# cmake --install into a temporary prefix, then what a user of the install does: run the binary, read
# the man page, and build the example consumer (tests/install/consumer) with the CMake package and
# with pkg-config, checking its output against sha256sum. Exit 77 (skipped) in sanitizer builds: their
# library needs the sanitizer runtimes, which a consumer does not link.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
if grep -q '^UPSCOPE_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "SKIPPED: a sanitizer build's library needs the sanitizer runtimes; the release build checks the install"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/upscope-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
"$prefix/bin/upscope" --version
for f in include/inspect/byte_reader.hpp share/man/man1/upscope.1; do
  [ -f "$prefix/$f" ] || { echo "missing from the install: $f"; exit 1; }
done
libdir=$(dirname "$(find "$prefix" -name upscope-inspect.pc)")/..
[ -f "$libdir/libinspect.a" ] || { echo "missing from the install: libinspect.a"; exit 1; }
if command -v man >/dev/null; then
  MANPATH=$prefix/share/man man -P cat upscope 2>/dev/null | grep -q "EXIT STATUS" || { echo "man upscope: no EXIT STATUS"; exit 1; }
fi

input=$src/README.md
want="$(stat -c %s "$input") $(sha256sum "$input" | cut -d' ' -f1) $(head -c1 "$input" | od -An -tu1 | tr -d ' ') refused"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$src/tests/install/consumer" -B "$work/cmake-build" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; exit 1; }
cmake --build "$work/cmake-build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
got=$("$work/cmake-build/consumer" "$input")
[ "$got" = "$want" ] || { echo "CMake consumer: got '$got', want '$want'"; exit 1; }
echo "CMake package: find_package(upscope) + upscope::inspect: ok"

export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2046
c++ -O1 -o "$work/pc-consumer" "$src/tests/install/consumer/main.cpp" $(pkg-config --cflags --libs --static upscope-inspect)
got=$("$work/pc-consumer" "$input")
[ "$got" = "$want" ] || { echo "pkg-config consumer: got '$got', want '$want'"; exit 1; }
echo "pkg-config: upscope-inspect: ok"
