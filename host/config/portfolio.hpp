// portfolio.toml: name, optional cash, positions in equities and European or American options.
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
  bool american = false;     // options only: style = "american" (early exercise)
  std::string book;          // the [[books]] entry it belongs to ("" = the portfolio itself)
  long line = 0;
};

// A [[books]] entry: a node of the book hierarchy (firm -> desk -> book). Its positions are the
// ones that name it in `book`, and those of the books below it.
struct BookDef {
  std::string name;
  std::string parent;  // a book's name, or the portfolio's (the default: the top)
  double cash = 0.0;   // held by this book (the portfolio's `cash` is the top's own)
  long line = 0;
};

struct Portfolio {
  std::string file;
  std::string name;
  std::string as_of;  // optional date of the book ("" = not given); must be the market's
  double cash = 0.0;
  std::vector<Position> positions;
  // [[books]]: the hierarchy below the portfolio, whose name is the top node (empty: one book,
  // the portfolio). Names are unique (and not the portfolio's), parents known, no cycles.
  std::vector<BookDef> books;
};

// Parses and validates against the market (tickers must exist there); throws InputError. A
// path ending in .csv is a positions table (load_portfolio_csv), anything else TOML.
Portfolio load_portfolio(const std::string& path, const Market& market);

// One CSV line's fields, blanks around each trimmed: double quotes around a field allow commas,
// "" inside them is a quote (the positions table and --iv-file's quotes).
std::vector<std::string> csv_fields(const std::string& line);

// A positions table as a broker's or PMS's export gives it: CSV with a header naming some of
// ticker, quantity, type, strike, expiry, style, implied_vol, book (ticker and quantity required;
// any order; '#' comment lines; fields may be double-quoted). One position a row, empty cells
// absent; `expiry` a date (counted in NYSE trading days from the market's as_of) or a whole
// number of trading days. The book is named after the file, without cash; each `book` named
// is a book under it (a flat [[books]] hierarchy). Errors name the row's line and the column.
Portfolio load_portfolio_csv(const std::string& text, const std::string& name,
                             const Market& market);
// The same for the text of a portfolio file; `name` stands for the file in errors.
Portfolio load_portfolio_text(const std::string& text, const std::string& name,
                              const Market& market);

const char* position_type_name(PositionType t);

// Several portfolio files as one book hierarchy (run --portfolio repeated): the top is a new
// node `name` holding each file's portfolio as a book (its own [[books]] below it), positions in
// file order, cash in each file's top book. Throws InputError naming the file whose portfolio or
// book name repeats one already read.
Portfolio combine_portfolios(const std::vector<Portfolio>& parts, const std::string& name);

// The tickers the portfolio holds, in the market's order.
std::vector<std::string> held_tickers(const Market& market, const Portfolio& portfolio);

}  // namespace chipshock
