#include "inspect/limits.hpp"

#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>

#include "inspect/text.hpp"

namespace upscope {

namespace {
std::atomic<uint64_t> g_limit{kNoMemoryLimit};
}  // namespace

void set_memory_limit(uint64_t bytes) { g_limit.store(bytes == 0 ? kNoMemoryLimit : bytes, std::memory_order_relaxed); }

uint64_t memory_limit() { return g_limit.load(std::memory_order_relaxed); }

Status check_memory(uint64_t bytes, std::string_view structure, std::optional<uint64_t> offset) {
  uint64_t lim = memory_limit();
  if (bytes <= lim) return {};
  return fail(make_error(ErrorCode::kLimit, std::string(structure),
                         "needs " + human_size(bytes) + " of memory, over the --max-memory limit of " + human_size(lim),
                         offset));
}

Error memory_limit_error(std::string_view structure, std::optional<uint64_t> offset) {
  return make_error(ErrorCode::kLimit, std::string(structure),
                    "needs more than the --max-memory limit of " + human_size(memory_limit()) + " of memory", offset);
}

Result<uint64_t> parse_byte_size(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorCode::kInvalidArgument, "size",
                "\"" + std::string(text) + "\" is not a size like 512M, 2G or 1048576");
  };
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return bad();
  double value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + i, value);
  if (ec != std::errc{} || p != text.data() + i || !std::isfinite(value)) return bad();
  std::string unit;
  for (char c : text.substr(i)) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double mul = 1;
  if (!unit.empty() && unit != "B") {
    static constexpr std::string_view kUnits = "KMGT";
    size_t u = kUnits.find(unit[0]);
    std::string_view rest = std::string_view(unit).substr(1);
    if (u == std::string_view::npos || !(rest.empty() || rest == "B" || rest == "IB")) return bad();
    mul = std::ldexp(1.0, 10 * static_cast<int>(u + 1));
  }
  double bytes = value * mul;
  if (bytes < 1 || bytes >= 18446744073709551616.0) return bad();
  return static_cast<uint64_t>(bytes);
}

}  // namespace upscope
