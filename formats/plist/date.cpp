#include "plist/date.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

namespace upscope::plist {

namespace {
// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil, inverted).
void civil(int64_t days, int64_t& y, unsigned& m, unsigned& d) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}
constexpr int64_t kUnixTo2001 = 978307200;  // seconds from 1970-01-01 to 2001-01-01
}  // namespace

std::string date_text(double seconds_since_2001, bool iso) {
  // libplist hands out 32-bit seconds, so the value is far inside int64 range; clamp anyway.
  const double s = std::isfinite(seconds_since_2001) ? std::floor(std::fmax(-1e15, std::fmin(1e15, seconds_since_2001))) : 0;
  const int64_t unix_s = static_cast<int64_t>(s) + kUnixTo2001;
  int64_t days = unix_s / 86400, rem = unix_s % 86400;
  if (rem < 0) rem += 86400, --days;
  int64_t y;
  unsigned m, d;
  civil(days, y, m, d);
  const auto hh = rem / 3600, mm = rem / 60 % 60, ss = rem % 60;
  return iso ? fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, hh, mm, ss)
             : fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} +0000", y, m, d, hh, mm, ss);
}

}  // namespace upscope::plist
