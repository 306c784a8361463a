// The NYSE trading calendar: weekdays that are not full-day closures, from the shipped table
// scenarios/data/calendars/nyse_holidays.csv (scripts/make_nyse_calendar.py; checked against
// every date of the shipped price history). Options' expiry dates are counted with it.
#pragma once

#include <set>
#include <string>

namespace chipshock {

class TradingCalendar {
 public:
  // The shipped NYSE table, read once (found like the built-in scenarios: data_root()). Throws
  // InputError naming the file when it is missing or malformed.
  static const TradingCalendar& nyse();
  // A table at `file` (CSV `date,holiday`, '#' comments with "covers = FIRST-LAST").
  explicit TradingCalendar(const std::string& file);

  bool is_trading_day(const std::string& iso_date) const;
  // Trading days in (from, to]: 0 when to <= from. Throws std::out_of_range (with the years
  // covered in its message) when a date is outside the table's years.
  long trading_days_between(const std::string& from, const std::string& to) const;
  int first_year() const { return first_year_; }
  int last_year() const { return last_year_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::set<std::string> closed_;
  int first_year_ = 0, last_year_ = 0;
};

}  // namespace chipshock
