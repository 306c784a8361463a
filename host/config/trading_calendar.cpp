#include "host/config/trading_calendar.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "host/config/toml_reader.hpp"
#include "host/input_error.hpp"
#include "host/scenario/scenario_library.hpp"

namespace chipshock {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

std::string civil_from_days(long z) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long y = static_cast<long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  char out[48];
  std::snprintf(out, sizeof out, "%04ld-%02u-%02u", y + (m <= 2), m, d);
  return out;
}

long day_number(const std::string& iso) {
  return days_from_civil(std::stoi(iso.substr(0, 4)), static_cast<unsigned>(std::stoi(iso.substr(5, 2))),
                         static_cast<unsigned>(std::stoi(iso.substr(8, 2))));
}

}  // namespace

TradingCalendar::TradingCalendar(const std::string& file) : file_(file) {
  std::ifstream in(file);
  if (!in)
    throw InputError(file, 0, "", "cannot open the trading calendar",
                     "set CHIPSHOCK_DATA_DIR to the project's scenarios/ folder");
  std::string line;
  long n = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '#') {
      const std::size_t at = line.find("covers = ");
      if (at != std::string::npos) {
        first_year_ = std::stoi(line.substr(at + 9, 4));
        last_year_ = std::stoi(line.substr(at + 14, 4));
      }
      continue;
    }
    if (!header) {
      if (line != "date,holiday") throw InputError(file, n, "header", "expected 'date,holiday'");
      header = true;
      continue;
    }
    const std::string date = line.substr(0, line.find(','));
    if (!valid_iso_date(date)) throw InputError(file, n, "date", "'" + date + "' is not a date");
    closed_.insert(date);
  }
  if (!header || first_year_ == 0 || last_year_ < first_year_)
    throw InputError(file, 0, "header", "no 'date,holiday' table with a 'covers = FIRST-LAST' line");
}

const TradingCalendar& TradingCalendar::nyse() {
  static const TradingCalendar calendar(
      (std::filesystem::path(data_root()) / "data" / "calendars" / "nyse_holidays.csv").string());
  return calendar;
}

bool TradingCalendar::is_trading_day(const std::string& iso) const {
  const long weekday = ((day_number(iso) % 7) + 7 + 3) % 7;  // 0 = Monday (1970-01-01: Thursday)
  return weekday < 5 && closed_.count(iso) == 0;
}

long TradingCalendar::trading_days_between(const std::string& from, const std::string& to) const {
  for (const std::string* d : {&from, &to}) {
    const int year = std::stoi(d->substr(0, 4));
    if (year < first_year_ || year > last_year_)
      throw std::out_of_range(*d + " is outside the NYSE calendar's years " +
                              std::to_string(first_year_) + "-" + std::to_string(last_year_) +
                              " (" + file_ + ")");
  }
  long count = 0;
  for (long day = day_number(from) + 1, end = day_number(to); day <= end; ++day)
    count += is_trading_day(civil_from_days(day));
  return count;
}

}  // namespace chipshock
