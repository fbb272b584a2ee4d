// Generated build inventories for measuring the catalogue (bench/catalog_bench.cpp) and testing
// what it stores (tests/unit/test_catalog_storage.cpp): a series of builds of `components` Mach-O
// dylibs each, in which every step changes about `permille` per thousand of them (new UUID, code
// hash, content hash, version and one function's hash). Deterministic: build k is the same in every
// process, so concurrent writers can each add their own builds of one series.
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "analysis/model.hpp"

namespace upscope::gen {

inline uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline std::string hex(uint64_t a, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0, size_t words = 1) {
  std::string out = fmt::format("{:016x}", a);
  if (words > 1) out += fmt::format("{:016x}", b);
  if (words > 2) out += fmt::format("{:016x}{:016x}", c, d);
  return out;
}

struct SeriesShape {
  size_t components = 1000;
  unsigned permille = 10;  // changed per step, per thousand components
  size_t functions = 8;    // per component
  size_t symbols = 4;      // per component
};

// How many of steps 1..k changed component i.
inline uint64_t revision(const SeriesShape& s, size_t k, size_t i) {
  uint64_t rev = 0;
  for (size_t step = 1; step <= k; ++step)
    if (mix(step * 0x100000001ULL + i) % 1000 < s.permille) ++rev;
  return rev;
}

// Build k (0-based) of the series: version "14.k", build "23A<1000+k>".
inline BuildInventory series_build(const SeriesShape& s, size_t k) {
  BuildInventory inv;
  inv.source = fmt::format("generated/build-{:03}", k);
  inv.product = "macOS";
  inv.version = fmt::format("14.{}", k);
  inv.build = fmt::format("23A{}", 1000 + k);
  inv.platform = "macos";
  inv.arch = "arm64e";
  inv.components.reserve(s.components);
  for (size_t i = 0; i < s.components; ++i) {
    const uint64_t rev = revision(s, k, i);
    const uint64_t h = mix(i * 0x10000ULL + rev);
    Component c;
    c.id = fmt::format("/System/Library/Generated/lib{:06}.dylib", i);
    c.kind = ComponentKind::kMachO;
    c.space = Space::kUser;
    c.location = Location::kSystemVolume;
    c.path = c.id;
    c.version = fmt::format("{}.{}", 100 + i % 7, rev);
    const std::string u = hex(h, mix(h), 0, 0, 2);
    c.uuid = fmt::format("{}-{}-{}-{}-{}", u.substr(0, 8), u.substr(8, 4), u.substr(12, 4), u.substr(16, 4),
                         u.substr(20, 12));
    for (char& ch : c.uuid)
      if (ch >= 'a' && ch <= 'f') ch = static_cast<char>(ch - 'a' + 'A');
    c.size = 16384 + (i % 97) * 4096 + rev * 16;
    c.hashes["sha256"] = hex(mix(h + 1), mix(h + 2), mix(h + 3), mix(h + 4), 4);
    c.code_hash = hex(mix(h + 5), mix(h + 6), 0, 0, 2);
    for (size_t j = 0; j < s.symbols; ++j) c.symbols.push_back(fmt::format("_gen_{:06}_{}", i, j));
    for (size_t j = 0; j < s.functions; ++j)
      c.functions[fmt::format("_gen_{:06}_f{}", i, j)] = hex(mix(i * 131 + j + (j == 0 ? rev << 32 : 0)));
    c.facts["code/text"] = c.code_hash;
    c.facts["signature/cdhash"] = hex(mix(h + 7), mix(h + 8), 0, 0, 2).substr(0, 40);
    inv.components.push_back(std::move(c));
  }
  return inv;
}

}  // namespace upscope::gen
