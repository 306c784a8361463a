// portfolio.toml: name, optional cash, positions in equities and European options.
#pragma once

#include <string>
#include <vector>

#include "host/config/market.hpp"

namespace chipshock {

enum class PositionType { kEquity, kCall, kPut };

struct Position {
  std::string ticker;
  PositionType type = PositionType::kEquity;
  double quantity = 0.0;     // shares, or options on one share each; negative = short
  double strike = 0.0;       // options only
  long expiry_days = 0;      // options only: trading days to expiry
  std::string expiry_date;   // options given `expiry = DATE`: that date ("" = expiry_days given)
  long expiry_line = 0;
  double implied_vol = 0.0;  // options only: 0 = use the asset's vol
  long line = 0;
};

struct Portfolio {
  std::string file;
  std::string name;
  std::string as_of;  // optional date of the book ("" = not given); must be the market's
  double cash = 0.0;
  std::vector<Position> positions;
};

// Parses and validates against the market (tickers must exist there); throws InputError. A
// path ending in .csv is a positions table (load_portfolio_csv), anything else TOML.
Portfolio load_portfolio(const std::string& path, const Market& market);
// A positions table as a broker's or PMS's export gives it: CSV with a header naming some of
// ticker, quantity, type, strike, expiry, style, implied_vol (ticker and quantity required;
// any order; '#' comment lines; fields may be double-quoted). One position a row, empty cells
// absent; `expiry` a date (counted in NYSE trading days from the market's as_of) or a whole
// number of trading days. The book is named after the file, without cash. Errors name the
// row's line and the column.
Portfolio load_portfolio_csv(const std::string& text, const std::string& name,
                             const Market& market);
// The same for the text of a portfolio file; `name` stands for the file in errors.
Portfolio load_portfolio_text(const std::string& text, const std::string& name,
                              const Market& market);

const char* position_type_name(PositionType t);

// The tickers the portfolio holds, in the market's order.
std::vector<std::string> held_tickers(const Market& market, const Portfolio& portfolio);

}  // namespace chipshock
