// Naming builds: series order and the names a person types ("13.3.1 (a)", "22E261", "#3").
#include <algorithm>
#include <charconv>
#include <functional>

#include <fmt/format.h>

#include "impl.hpp"
#include "reports/model.hpp"

namespace upscope::catalog {

std::string label(const BuildRecord& b) {
  BuildInventory inv;
  inv.source = b.source;
  inv.product = b.product;
  inv.version = b.version;
  inv.build = b.build;
  inv.version_extra = b.version_extra;
  return reports::build_label(inv);
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "13.10" after "13.9", "22E772610a" after "22E261": runs of digits compare as numbers.
int natural_compare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      size_t i0 = i, j0 = j;
      while (i < a.size() && is_digit(a[i])) ++i;
      while (j < b.size() && is_digit(b[j])) ++j;
      std::string_view x = a.substr(i0, i - i0), y = b.substr(j0, j - j0);
      x.remove_prefix(std::min(x.find_first_not_of('0'), x.size()));
      y.remove_prefix(std::min(y.find_first_not_of('0'), y.size()));
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (int c = x.compare(y)) return c < 0 ? -1 : 1;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
      ++i;
      ++j;
    }
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

std::string join_words(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

std::optional<int64_t> parse_id(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

bool series_less(const BuildRecord& a, const BuildRecord& b) {
  if (int c = natural_compare(a.version, b.version)) return c < 0;
  if (int c = natural_compare(a.build, b.build)) return c < 0;
  return a.digest < b.digest;  // not the order they were added in: the same in every catalogue
}

Result<BuildRecord> Catalog::resolve(const std::string& name) {
  UPSCOPE_TRY(std::vector<BuildRecord> all, list());
  // The most specific way of naming wins: "13.3.1" means the build without a letter when there is
  // one, and any 13.3.1 only when there is not.
  const auto hash_id = name.size() > 1 && name[0] == '#' ? parse_id(std::string_view(name).substr(1)) : std::nullopt;
  const auto bare_id = parse_id(name);
  using Match = std::function<bool(const BuildRecord&)>;
  const Match tiers[] = {
      [&](const BuildRecord& b) {
        return (hash_id && b.id == *hash_id) || b.source == name || (!b.build.empty() && b.build == name) ||
               label(b) == name || (!b.version.empty() && (join_words({b.version, b.build}) == name ||
                                                           join_words({b.version, b.version_extra}) == name ||
                                                           join_words({b.version, b.version_extra, b.build}) == name ||
                                                           join_words({b.product, b.version, b.version_extra}) == name));
      },
      [&](const BuildRecord& b) { return b.version == name && b.version_extra.empty(); },
      [&](const BuildRecord& b) { return b.version == name; },
      [&](const BuildRecord& b) { return bare_id && b.id == *bare_id; },
  };
  for (const auto& match : tiers) {
    std::vector<const BuildRecord*> hits;
    for (const auto& b : all)
      if (match(b)) hits.push_back(&b);
    if (hits.size() == 1) return *hits[0];
    if (hits.size() > 1) {
      std::string list;
      for (const auto* b : hits) list += fmt::format("\n  #{} {} (added from {})", b->id, label(*b), b->source);
      Error e = make_error(ErrorCode::kInvalidArgument, "",
                           fmt::format("\"{}\" names {} builds; name one by its catalogue id:{}", name, hits.size(),
                                       list));
      e.file = path();
      return fail(std::move(e));
    }
  }
  Error e = make_error(ErrorCode::kNotFound, "",
                       fmt::format("no build named \"{}\" among the {} catalogued (see `upscope catalog ls`)", name,
                                   all.size()));
  e.file = path();
  return fail(std::move(e));
}

}  // namespace upscope::catalog
