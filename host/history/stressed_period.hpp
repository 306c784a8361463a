// The stressed period of a book, as FRTB's stressed expected shortfall chooses it (BCBS d457,
// MAR33.5-33.8): in the price history, the window of `window` consecutive daily returns over
// which today's book would have had its largest 1-day historical ES at `confidence`.
// `chipshock calibrate --stressed` estimates a market over that window (host/cli/calibrate_command)
// and `chipshock run --stressed FILE` reports the book under it beside the current market.
#pragma once

#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/history/price_history.hpp"

namespace chipshock {

struct StressedSearch {
  int window = 250;           // daily returns per window (FRTB: 12 months)
  double confidence = 0.975;  // the ES level windows are ranked by
};

struct StressedPeriod {
  std::string first, last;  // the chosen window's first and last return dates
  double es = 0, var = 0;   // the book's 1-day historical ES and VaR over it
  std::string current_first, current_last;  // the last `window` returns up to as_of
  double current_es = 0, current_var = 0;
  int windows = 0;                          // windows compared (each ending on a trading day)
  std::string searched_first, searched_last;  // the returns searched
};

// Today's book (its positions at the market's spots; options one trading day older) under each
// day's real log-returns of its held tickers in h, every window of s.window returns ending on or
// before as_of ("" = the history's last date) ranked by the ES of those daily losses (the
// estimators of host/stats/risk_measures.hpp). Windows with the same ES (neighbours sharing their
// largest losses) are ranked by their sum of squared losses, then the later wins. h must hold every
// held ticker (InputError naming the ticker otherwise) and at least s.window returns up to as_of
// (InputError naming --stressed-window).
StressedPeriod find_stressed_period(const Market& market, const Portfolio& portfolio,
                                    const PriceHistory& h, const std::string& as_of,
                                    const StressedSearch& s);

}  // namespace chipshock
