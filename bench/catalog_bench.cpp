// Catalogue ingest benchmark: adds builds of the generated series (bench/catalog_series.hpp) to a
// catalogue through catalog::Catalog::add, the same call `upscope catalog add` makes once it has read
// a build, and times each add (the series' generation is not timed).
//
//   catalog_bench DB FIRST COUNT STRIDE COMPONENTS PERMILLE
//
// adds builds FIRST, FIRST+STRIDE, ... (COUNT of them) of a series of COMPONENTS components per build
// that changes PERMILLE per thousand of them per step; several processes with the same series and
// different FIRST are concurrent writers. Prints one line per build and a total in component rows
// per second (every component of an added build counts, stored or found already there).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "catalog/catalog.hpp"
#include "catalog_series.hpp"

int main(int argc, char** argv) {
  using namespace upscope;
  if (argc != 7) {
    std::fprintf(stderr, "usage: catalog_bench DB FIRST COUNT STRIDE COMPONENTS PERMILLE\n");
    return 2;
  }
  const std::string db = argv[1];
  const size_t first = std::strtoul(argv[2], nullptr, 10), count = std::strtoul(argv[3], nullptr, 10),
               stride = std::strtoul(argv[4], nullptr, 10);
  gen::SeriesShape shape;
  shape.components = std::strtoul(argv[5], nullptr, 10);
  shape.permille = static_cast<unsigned>(std::strtoul(argv[6], nullptr, 10));
  auto cat = catalog::Catalog::open(db, catalog::Catalog::Mode::kCreate);
  if (!cat) {
    std::fprintf(stderr, "%s\n", cat.error().message().c_str());
    return 1;
  }
  double total = 0;
  size_t rows = 0;
  for (size_t n = 0; n < count; ++n) {
    const size_t k = first + n * stride;
    BuildInventory inv = gen::series_build(shape, k);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = cat->add(inv);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r) {
      std::fprintf(stderr, "build %zu: %s\n", k, r.error().message().c_str());
      return 1;
    }
    total += s;
    rows += inv.components.size();
    std::printf("build %zu: %s, %zu components in %.3f s: %.0f rows/s\n", k,
                r->status == catalog::AddStatus::kAdded ? "added" : "already present", inv.components.size(), s,
                inv.components.size() / s);
    std::fflush(stdout);
  }
  std::printf("total: %zu component rows in %.3f s: %.0f rows/s\n", rows, total, rows / total);
  return 0;
}
