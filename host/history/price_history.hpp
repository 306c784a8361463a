// Daily close history from a folder of <TICKER>.csv files (header `date,close`), inner-joined
// on date: the input of calibration, historical replay and historical-simulation VaR.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace chipshock {

struct PriceHistory {
  std::string dir;
  std::vector<std::string> tickers;  // in the order asked
  std::vector<std::string> dates;    // "YYYY-MM-DD", ascending, common to all tickers (inner join)
  std::vector<double> closes;        // [date_index * tickers.size() + ticker_index]
  std::vector<std::string> notes;    // dates dropped by the join per ticker, gaps > 5 days, ...
  std::vector<std::string> file_first_dates;  // per ticker: the first date in its own file

  double close(std::size_t date, std::size_t ticker) const {
    return closes[date * tickers.size() + ticker];
  }
  int index_of_date(const std::string& d) const;  // -1 if absent
};

// Calendar gaps longer than this between consecutive common dates are noted.
constexpr long kMaxQuietGapDays = 5;

// Tickers with a <TICKER>.csv file in dir (names a market file accepts), sorted. Throws
// InputError when dir is not a readable folder.
std::vector<std::string> available_tickers(const std::string& dir);
// The same, for a folder read as "every CSV in it": a .csv whose name is not a ticker, or that is
// not a regular file, is refused (InputError naming it) instead of skipped.
std::vector<std::string> every_ticker_file(const std::string& dir);

// Path of a ticker's file: dir/<TICKER>.csv.
std::string price_file(const std::string& dir, const std::string& ticker);

// Loads and inner-joins the files of `tickers` (all available ones when empty). Throws
// InputError(file, line, field, message, hint) for a missing folder or file, a bad header, a
// malformed line, a bad, unsorted or duplicate date, a non-positive or non-finite close, or an
// empty join.
PriceHistory load_price_history(const std::string& dir, const std::vector<std::string>& tickers);

}  // namespace chipshock
