// A stressed market's window (market.toml's [stressed] table, written by `chipshock calibrate
// --stressed`, host/history/stressed_period.hpp): the model was estimated over the window of the
// price history where a book's 1-day historical ES was highest; the spots are today's.
#pragma once

#include <string>

namespace chipshock {

struct StressedWindow {
  std::string first, last;  // the window's first and last return dates; "" = not stressed
  int returns = 0;          // daily returns in it
  double confidence = 0;    // the ES level the window was chosen at
  double es = 0;            // the book's 1-day historical ES over the window
  double current_es = 0;    // the same over the last `returns` returns to the market's as_of
  std::string portfolio;    // the book's name
  long line = 0;            // of the table in its file
};

}  // namespace chipshock
