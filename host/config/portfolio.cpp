#include "host/config/portfolio.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "host/config/toml_reader.hpp"
#include "host/config/trading_calendar.hpp"

namespace chipshock {

const char* position_type_name(PositionType t) {
  switch (t) {
    case PositionType::kCall: return "call";
    case PositionType::kPut: return "put";
    default: return "equity";
  }
}

std::vector<std::string> held_tickers(const Market& market, const Portfolio& portfolio) {
  std::vector<std::string> out;
  for (const Asset& a : market.assets)
    for (const Position& p : portfolio.positions)
      if (p.ticker == a.ticker) {
        out.push_back(a.ticker);
        break;
      }
  return out;
}

namespace {

constexpr long kMaxPositions = 100000;
constexpr long kMaxExpiryDays = 252 * 30;

Position read_position(const std::string& file, std::size_t k, const toml::node& node,
                       const Market& market) {
  const std::string prefix = "positions[" + std::to_string(k) + "].";
  if (!node.is_table())
    throw InputError(file, node_line(node), "positions[" + std::to_string(k) + "]",
                     "expected a table ([[positions]])");
  TomlReader r(*node.as_table(), file, prefix);
  Position p;
  p.line = r.line();
  p.ticker = r.string("ticker");
  if (market.index_of(p.ticker) < 0)
    r.fail("ticker", "unknown ticker '" + echo_text(p.ticker) + "'",
           "the market file " + market.file + " has no [assets." + echo_text(p.ticker) + "]");
  p.quantity = r.number("quantity");
  if (std::fabs(p.quantity) > 1e12) r.fail("quantity", "magnitude above 1e12 is not plausible");
  const std::string type = r.optional_string("type").value_or("equity");
  if (type == "equity") {
    p.type = PositionType::kEquity;
  } else if (type == "call") {
    p.type = PositionType::kCall;
  } else if (type == "put") {
    p.type = PositionType::kPut;
  } else {
    r.fail("type", "unknown position type '" + type + "'", "use equity, call or put");
  }
  if (const auto book = r.optional_string("book")) {
    if (book->empty()) r.fail("book", "empty: name a [[books]] entry, or leave the key out");
    p.book = *book;
  }
  if (p.type == PositionType::kEquity) {
    for (const char* key : {"strike", "expiry_days", "expiry", "style", "implied_vol"})
      if (r.has(key)) r.fail(key, "only options (type = \"call\" or \"put\") take this key");
  } else {
    p.strike = r.number("strike");
    if (!(p.strike > 0)) r.fail("strike", "must be positive");
    if (p.strike < 1e-6 || p.strike > 1e9) r.fail("strike", "must lie in [1e-6, 1e9]");
    const std::string style = r.optional_string("style").value_or("european");
    if (style != "european" && style != "american")
      r.fail("style", "unknown style '" + echo_text(style) + "'", "use european or american");
    p.american = style == "american";
    const bool by_date = r.has("expiry");
    if (by_date == r.has("expiry_days"))
      r.fail(by_date ? "expiry" : "expiry_days",
             by_date ? "give expiry (a date) or expiry_days, not both"
                     : "required: expiry (a date, e.g. 2025-03-21) or expiry_days (trading days)");
    if (by_date) {
      p.expiry_date = read_date(r, "expiry");
      p.expiry_line = r.line_of("expiry");
      if (market.as_of.empty())
        r.fail("expiry", "an expiry date is counted in trading days from the market's as_of, "
                         "and " + market.file + " has none",
               "set as_of in the market file, or give expiry_days");
      try {
        p.expiry_days =
            TradingCalendar::nyse().trading_days_between(market.as_of, p.expiry_date);
      } catch (const std::out_of_range& e) {
        r.fail("expiry", e.what());
      }
      if (p.expiry_days < 1)
        r.fail("expiry", p.expiry_date + " is not after the market's as_of " + market.as_of +
                             " (no NYSE trading day in between): the option has expired");
    } else {
      p.expiry_days = static_cast<long>(r.integer("expiry_days"));
      p.expiry_line = r.line_of("expiry_days");
    }
    if (p.expiry_days < 1 || p.expiry_days > kMaxExpiryDays)
      r.fail(by_date ? "expiry" : "expiry_days",
             "must be between 1 and " + std::to_string(kMaxExpiryDays) + " trading days" +
                 (by_date ? " away (" + std::to_string(p.expiry_days) + ")" : std::string()));
    if (const auto iv = r.optional_number("implied_vol")) {
      if (!(*iv > 0) || *iv > 10) r.fail("implied_vol", "must be in (0, 10] (annualised)");
      p.implied_vol = *iv;
    }
  }
  r.finish();
  return p;
}

constexpr long kMaxBooks = 1000;

// The suffix of the leaf that holds a parent's own positions (host/analytics/books.hpp).
constexpr const char* kOwnPositionsSuffix = " (own positions)";

// A book's name: 1-200 characters, none of them a control character, not ending like the leaf
// of a parent's own positions.
bool valid_book_name(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  const std::string own = kOwnPositionsSuffix;
  if (name.size() >= own.size() && name.compare(name.size() - own.size(), own.size(), own) == 0)
    return false;
  for (const unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

BookDef read_book(const std::string& file, std::size_t k, const toml::node& node) {
  const std::string where = "books[" + std::to_string(k) + "]";
  if (!node.is_table()) throw InputError(file, node_line(node), where, "expected a table ([[books]])");
  TomlReader r(*node.as_table(), file, where + ".");
  BookDef b;
  b.line = r.line();
  b.name = r.string("name");
  if (!valid_book_name(b.name))
    r.fail("name", "a book's name is 1 to 200 characters, none of them a control character, "
                   "and does not end in \" (own positions)\" (the name of a parent's own "
                   "positions' book)");
  if (const auto parent = r.optional_string("parent")) {
    if (parent->empty()) r.fail("parent", "empty: name a book, or leave the key out (the top)");
    b.parent = *parent;
  }
  b.cash = r.optional_number("cash").value_or(0.0);
  if (std::fabs(b.cash) > 1e15) r.fail("cash", "magnitude above 1e15 is not plausible");
  r.finish();
  return b;
}

// Book names unique, parents known, no cycle, each position's book declared.
void check_books(Portfolio& pf) {
  std::map<std::string, std::size_t> index;
  for (std::size_t k = 0; k < pf.books.size(); ++k) {
    BookDef& b = pf.books[k];
    const std::string field = "books[" + std::to_string(k) + "].name";
    if (b.name == pf.name)
      throw InputError(pf.file, b.line, field,
                       "'" + echo_text(b.name) + "' is the portfolio's own name (the top book)",
                       "give the book another name");
    if (!index.emplace(b.name, k).second)
      throw InputError(pf.file, b.line, field, "a second book named '" + echo_text(b.name) + "'",
                       "book names must be unique");
    if (b.parent.empty()) b.parent = pf.name;
  }
  for (std::size_t k = 0; k < pf.books.size(); ++k) {
    const BookDef& b = pf.books[k];
    if (b.parent != pf.name && index.count(b.parent) == 0)
      throw InputError(pf.file, b.line, "books[" + std::to_string(k) + "].parent",
                       "unknown book '" + echo_text(b.parent) + "'",
                       "name a [[books]] entry or the portfolio ('" + echo_text(pf.name) + "')");
    // up the parents: the top within as many steps as there are books, else a cycle
    std::string at = b.parent;
    for (std::size_t steps = 0; at != pf.name; ++steps) {
      if (at == b.name || steps > pf.books.size())
        throw InputError(pf.file, b.line, "books[" + std::to_string(k) + "].parent",
                         "the books' parents form a cycle through '" + echo_text(b.name) + "'",
                         "every chain of parents must end at the portfolio ('" +
                             echo_text(pf.name) + "')");
      at = pf.books[index.at(at)].parent;
    }
  }
  for (std::size_t k = 0; k < pf.positions.size(); ++k) {
    const Position& p = pf.positions[k];
    if (!p.book.empty() && p.book != pf.name && index.count(p.book) == 0)
      throw InputError(pf.file, p.line, "positions[" + std::to_string(k) + "].book",
                       "unknown book '" + echo_text(p.book) + "'",
                       pf.books.empty() ? "declare it in a [[books]] table (name, parent)"
                                        : "name a [[books]] entry or the portfolio");
  }
}

Portfolio portfolio_from_toml(const toml::table& root, const std::string& path,
                              const Market& market) {
  Portfolio pf;
  pf.file = path;
  TomlReader r(root, path, "");
  pf.name = r.string("name");
  if (r.has("as_of")) {
    pf.as_of = read_date(r, "as_of");
    if (!market.as_of.empty() && pf.as_of != market.as_of)
      r.fail("as_of", "the book is as of " + pf.as_of + ", the market " + market.file +
                          " as of " + market.as_of,
             "value the book and the market on the same day");
  }
  pf.cash = r.optional_number("cash").value_or(0.0);
  if (std::fabs(pf.cash) > 1e15) r.fail("cash", "magnitude above 1e15 is not plausible");
  const toml::array& positions = r.array("positions");
  if (positions.empty()) r.fail("positions", "no positions");
  if (static_cast<long>(positions.size()) > kMaxPositions)
    r.fail("positions", "more than " + std::to_string(kMaxPositions) + " positions");
  for (std::size_t k = 0; k < positions.size(); ++k)
    pf.positions.push_back(read_position(path, k, positions[k], market));
  if (r.has("books")) {
    const toml::array& books = r.array("books");
    if (static_cast<long>(books.size()) > kMaxBooks)
      throw InputError(path, node_line(books[static_cast<std::size_t>(kMaxBooks)]),
                       "books[" + std::to_string(kMaxBooks) + "]",
                       "more than " + std::to_string(kMaxBooks) + " books",
                       "group positions into fewer books");
    for (std::size_t k = 0; k < books.size(); ++k) pf.books.push_back(read_book(path, k, books[k]));
  }
  r.finish();
  check_books(pf);
  return pf;
}

bool is_whole_number(const std::string& s) {
  return !s.empty() && s.size() < 10 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

// One CSV line's fields (double quotes around a field allow commas; "" is a quote).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  for (std::string& f : out) {  // surrounding blanks
    const std::size_t a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
    f = a == std::string::npos ? "" : f.substr(a, b - a + 1);
  }
  return out;
}

Portfolio load_portfolio_csv(const std::string& text, const std::string& name,
                             const Market& market) {
  static const std::vector<std::string> kColumns = {"ticker", "quantity", "type", "strike",
                                                    "expiry", "style", "implied_vol", "book"};
  Portfolio pf;
  pf.file = name;
  pf.name = std::filesystem::path(name).stem().string();
  std::istringstream in(text);
  std::string line;
  long n = 0;
  std::vector<std::string> header;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t,") == std::string::npos || line[0] == '#') continue;
    const std::vector<std::string> fields = csv_fields(line);
    if (header.empty()) {
      for (const std::string& f : fields) {
        std::string column = f;
        std::transform(column.begin(), column.end(), column.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (std::find(kColumns.begin(), kColumns.end(), column) == kColumns.end())
          throw InputError(name, n, "header",
                           "unknown column '" + echo_text(f) + "'",
                           "columns: ticker, quantity, type, strike, expiry, style, implied_vol, "
                           "book");
        if (std::find(header.begin(), header.end(), column) != header.end())
          throw InputError(name, n, "header", "column '" + column + "' given twice");
        header.push_back(column);
      }
      for (const char* required : {"ticker", "quantity"})
        if (std::find(header.begin(), header.end(), required) == header.end())
          throw InputError(name, n, "header", std::string("no '") + required + "' column",
                           "the header names ticker, quantity and, for options, type, strike, "
                           "expiry (and optionally style, implied_vol)");
      continue;
    }
    if (fields.size() != header.size())
      throw InputError(name, n, "", std::to_string(fields.size()) + " fields, the header has " +
                                        std::to_string(header.size()));
    if (static_cast<long>(pf.positions.size()) >= kMaxPositions)
      throw InputError(name, n, "", "more than " + std::to_string(kMaxPositions) + " positions");
    // The row as a position table, validated as a TOML position is; its errors then name this
    // line and the column at fault.
    toml::table row;
    for (std::size_t c = 0; c < header.size(); ++c) {
      const std::string& column = header[c];
      const std::string& v = fields[c];
      if (v.empty()) continue;
      if (column == "quantity" || column == "strike" || column == "implied_vol") {
        // "1,000" and "-12,345.5" as exports write them: thousands separators, only where they
        // group digits by three.
        static const std::regex kGrouped(R"(^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$)");
        std::string number = v;
        if (std::regex_match(v, kGrouped)) number.erase(std::remove(number.begin(), number.end(), ','), number.end());
        char* end = nullptr;
        const double x = std::strtod(number.c_str(), &end);
        if (end != number.c_str() + number.size() || !std::isfinite(x))
          throw InputError(name, n, column, "'" + echo_text(v) + "' is not a number");
        row.insert(column, x);
      } else if (column == "expiry" && is_whole_number(v)) {
        row.insert("expiry_days", static_cast<std::int64_t>(std::stol(v)));
      } else {
        std::string value = v;
        if (column == "type" || column == "style")
          std::transform(value.begin(), value.end(), value.begin(),
                         [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        row.insert(column, value);
      }
    }
    try {
      pf.positions.push_back(read_position(name, pf.positions.size(), row, market));
    } catch (const InputError& e) {
      std::string column = e.field();
      const std::size_t dot = column.find("].");
      if (dot != std::string::npos) column = column.substr(dot + 2);
      if (column == "expiry_days") column = "expiry";
      throw InputError(name, n, column, e.message(), e.hint());
    }
    pf.positions.back().line = n;
    if (pf.positions.back().expiry_line > 0 || !pf.positions.back().expiry_date.empty())
      pf.positions.back().expiry_line = n;
  }
  if (header.empty()) throw InputError(name, 0, "header", "empty: no header and no positions");
  if (pf.positions.empty()) throw InputError(name, 0, "", "no positions");
  // A `book` column: each book it names (other than the file's own) is a book under the top,
  // declared by its first row.
  for (const Position& p : pf.positions) {
    if (p.book.empty() || p.book == pf.name) continue;
    bool known = false;
    for (const BookDef& b : pf.books) known = known || b.name == p.book;
    if (known) continue;
    if (!valid_book_name(p.book))
      throw InputError(name, p.line, "book",
                       "a book's name is 1 to 200 characters, none of them a control character, "
                       "and does not end in \" (own positions)\"");
    if (static_cast<long>(pf.books.size()) >= kMaxBooks)
      throw InputError(name, p.line, "book", "more than " + std::to_string(kMaxBooks) + " books",
                       "group positions into fewer books");
    pf.books.push_back({p.book, pf.name, 0.0, p.line});
  }
  check_books(pf);
  return pf;
}

Portfolio load_portfolio(const std::string& path, const Market& market) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".csv" || ext == ".CSV") {
    return load_portfolio_csv(read_input_file(path, std::uintmax_t{64} << 20, "a positions table"),
                              path, market);
  }
  return portfolio_from_toml(parse_toml_file(path), path, market);
}

Portfolio combine_portfolios(const std::vector<Portfolio>& parts, const std::string& name) {
  Portfolio all;
  all.name = name;
  std::map<std::string, std::string> seen;  // book name -> its file
  seen[name] = "";
  const auto claim = [&](const std::string& book, const Portfolio& part, long line,
                         const std::string& field) {
    const auto [at, fresh] = seen.emplace(book, part.file);
    if (!fresh)
      throw InputError(part.file, line, field,
                       "the book name '" + echo_text(book) + "' is taken" +
                           (at->second.empty() ? " (the top of the books of every --portfolio)"
                                               : " by " + at->second),
                       "every portfolio and book needs its own name across the --portfolio files");
  };
  for (const Portfolio& part : parts) {
    if (all.as_of.empty()) all.as_of = part.as_of;
    claim(part.name, part, 1, "name");
    if (static_cast<long>(all.books.size() + 1 + part.books.size()) > kMaxBooks)
      throw InputError(part.file, 0, "--portfolio",
                       "the --portfolio files up to this one hold more than " +
                           std::to_string(kMaxBooks) + " books",
                       "group positions into fewer books");
    all.books.push_back({part.name, name, part.cash, 1});
    for (std::size_t k = 0; k < part.books.size(); ++k) {
      claim(part.books[k].name, part, part.books[k].line, "books[" + std::to_string(k) + "].name");
      all.books.push_back(part.books[k]);
    }
    for (Position p : part.positions) {
      if (p.book.empty()) p.book = part.name;
      all.positions.push_back(p);
    }
  }
  return all;
}

Portfolio load_portfolio_text(const std::string& text, const std::string& name,
                              const Market& market) {
  return portfolio_from_toml(parse_toml_text(text, name), name, market);
}

}  // namespace chipshock
