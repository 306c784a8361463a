// Calendar arithmetic on ISO dates "YYYY-MM-DD" (proleptic Gregorian), for gaps between trading
// days and for synthetic price series. Day numbers count from 1970-01-01 (H. Hinnant's
// days_from_civil / civil_from_days algorithms).
#pragma once

#include <cstdio>
#include <string>

namespace chipshock {

constexpr long days_from_civil(long y, long m, long d) {
  y -= m <= 2 ? 1 : 0;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Day number of a date already known to be valid (see valid_iso_date).
inline long day_number(const std::string& iso) {
  return days_from_civil(std::stol(iso.substr(0, 4)), std::stol(iso.substr(5, 2)),
                         std::stol(iso.substr(8, 2)));
}

inline std::string iso_date(long day) {
  day += 719468;
  const long era = (day >= 0 ? day : day - 146096) / 146097;
  const long doe = day - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  const long d = doy - (153 * mp + 2) / 5 + 1;
  const long m = mp < 10 ? mp + 3 : mp - 9;
  const long y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[64];  // room for any long, so the compiler sees no truncation
  std::snprintf(buf, sizeof buf, "%04ld-%02ld-%02ld", y, m, d);
  return buf;
}

// 0 = Monday ... 6 = Sunday.
inline int weekday(long day) { return static_cast<int>(((day % 7) + 10) % 7); }

}  // namespace chipshock
