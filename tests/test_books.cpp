// Books as users hold them (issue 19, part 5): positions from a CSV export, option expiries as
// dates counted with the shipped NYSE calendar, and a book dated differently from its market.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "cli_util.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/config/trading_calendar.hpp"
#include "host/input_error.hpp"
#include "test_util.hpp"

using namespace chipshock;
using Catch::Matchers::Contains;
using chipshock::testing::CliResult;
using chipshock::testing::run_chipshock;
using chipshock::testing::TempDir;

namespace {

Market sample_market() { return load_market(testing::source_path("scenarios/market/ai_chips.toml")); }

// The InputError a CSV book's text raises ("" fields when it loads).
InputError csv_error(const std::string& text) {
  try {
    load_portfolio_csv(text, "book.csv", sample_market());
  } catch (const InputError& e) {
    return e;
  }
  FAIL("the book loaded: " << text);
  return InputError("", 0, "", "");
}

}  // namespace

TEST_CASE("the NYSE calendar's trading days are exactly the shipped history's dates",
          "[books][calendar]") {
  const TradingCalendar& nyse = TradingCalendar::nyse();
  CHECK(nyse.first_year() <= 2020);
  CHECK(nyse.last_year() >= 2035);
  // SPY traded on every NYSE trading day from 2020-01-02 to 2026-07-31 and on no other day.
  std::ifstream in(testing::source_path("scenarios/data/prices/SPY.csv"));
  std::string line;
  std::set<std::string> traded;
  while (std::getline(in, line))
    if (line.rfind("20", 0) == 0) traded.insert(line.substr(0, 10));
  REQUIRE(traded.size() > 1600);
  for (const std::string& d : traded) CHECK(nyse.is_trading_day(d));
  CHECK(nyse.trading_days_between(*traded.begin(), *traded.rbegin()) ==
        static_cast<long>(traded.size()) - 1);
  // Some closures by name: Good Friday 2025, Juneteenth 2023, the 2025-01-09 day of mourning;
  // a Saturday New Year's Day (2022) is not made up on the Friday before.
  for (const char* closed : {"2025-04-18", "2023-06-19", "2025-01-09", "2026-09-07", "2026-11-26"})
    CHECK_FALSE(nyse.is_trading_day(closed));
  CHECK(nyse.is_trading_day("2021-12-31"));
  // 2026-07-31 (a Friday) to 2026-10-29: 63 trading days (Labor Day 2026-09-07 closed).
  CHECK(nyse.trading_days_between("2026-07-31", "2026-10-29") == 63);
  CHECK(nyse.trading_days_between("2026-07-31", "2026-09-30") == 42);
  CHECK(nyse.trading_days_between("2026-07-31", "2026-07-31") == 0);
  CHECK_THROWS_AS(nyse.trading_days_between("2026-07-31", "2099-01-02"), std::out_of_range);
}

TEST_CASE("a CSV positions table is the same book as its TOML file", "[books][csv]") {
  const Market m = sample_market();
  const Portfolio csv = load_portfolio(testing::source_path("scenarios/portfolio/hedged_book.csv"), m);
  const Portfolio toml = load_portfolio(testing::source_path("scenarios/portfolio/hedged_book.toml"), m);
  REQUIRE(csv.positions.size() == toml.positions.size());
  CHECK(csv.name == "hedged_book");
  for (std::size_t k = 0; k < csv.positions.size(); ++k) {
    CAPTURE(k);
    const Position& a = csv.positions[k];
    const Position& b = toml.positions[k];
    CHECK(a.ticker == b.ticker);
    CHECK(a.type == b.type);
    CHECK(a.quantity == b.quantity);
    CHECK(a.strike == b.strike);
    CHECK(a.expiry_days == b.expiry_days);  // the dates count to the TOML's trading days
    CHECK(a.implied_vol == b.implied_vol);
  }
  // The same losses from the CLI (the CSV has no cash, which cancels in a loss).
  const std::string args = "run --market scenarios/market/ai_chips.toml --paths 20k --horizon 5 "
                           "--seed 2 --backend cpu --json --scenario export_restrictions "
                           "--portfolio scenarios/portfolio/hedged_book.";
  const CliResult a = run_chipshock(args + "csv"), b = run_chipshock(args + "toml");
  REQUIRE(a.code == 0);
  REQUIRE(b.code == 0);
  const auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(ja["scenarios"][k]["var"] == jb["scenarios"][k]["var"]);
    CHECK(ja["scenarios"][k]["es"] == jb["scenarios"][k]["es"]);
  }
  // Quoted fields, upper-case names, blank lines and columns in any order load too.
  const Portfolio q = load_portfolio_csv(
      "Quantity,Ticker,Type,Strike,Expiry\n\n\"1,000\",NVDA,,,\n-5,\"NVDA\",CALL,210,21\n", "q.csv", m);
  REQUIRE(q.positions.size() == 2);
}

TEST_CASE("a CSV book's errors name its line and column", "[books][csv]") {
  struct Case {
    std::string text;
    long line;
    std::string field, message;
  };
  const std::vector<Case> cases = {
      {"ticker,quantity\nNVDA,ten\n", 2, "quantity", "'ten' is not a number"},
      {"ticker,quantity\nNVDA,10\nNOPE,5\n", 3, "ticker", "unknown ticker 'NOPE'"},
      {"ticker,quantity,colour\nNVDA,1,red\n", 1, "header", "unknown column 'colour'"},
      {"ticker,type\nNVDA,put\n", 1, "header", "no 'quantity' column"},
      {"ticker,quantity,type,strike,expiry\nNVDA,1,put,180,2026-07-30\n", 2, "expiry",
       "the option has expired"},
      {"ticker,quantity,type,strike,expiry\nNVDA,1,put,180,2026-13-01\n", 2, "expiry",
       "expected a date"},
      {"ticker,quantity,type,strike,expiry,style\nNVDA,1,put,180,2026-10-29,bermudan\n", 2,
       "style", "unknown style 'bermudan'"},
      {"ticker,quantity,type,strike\nNVDA,1,put,180\n", 2, "expiry", "required: expiry"},
      {"ticker,quantity,strike\nNVDA,1,180\n", 2, "strike", "only options"},
      {"ticker,quantity\nNVDA,1,2\n", 2, "", "3 fields, the header has 2"},
      {"# nothing\n", 0, "header", "empty"},
      {"ticker,quantity\n", 0, "", "no positions"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    const InputError e = csv_error(c.text);
    CHECK(e.file() == "book.csv");
    CHECK(e.line() == c.line);
    CHECK(e.field() == c.field);
    CHECK_THAT(e.message(), Contains(c.message));
  }
  // Through the CLI: exit 2 with file:line: column.
  TempDir dir;
  const std::string book = dir.write("b.csv", "ticker,quantity\nNVDA,10\nAMD,lots\n");
  const CliResult r = run_chipshock("run --market scenarios/market/ai_chips.toml --portfolio '" +
                                    book + "' --paths 1000");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains(book + ":3: quantity: 'lots' is not a number"));
}

TEST_CASE("TOML books take expiry dates and an as_of that must be the market's", "[books]") {
  const Market m = sample_market();
  const Portfolio p = load_portfolio_text(
      "name = \"x\"\nas_of = 2026-07-31\n[[positions]]\nticker = \"NVDA\"\ntype = \"put\"\n"
      "quantity = 1\nstrike = 180\nexpiry = 2026-10-29\n",
      "x.toml", m);
  CHECK(p.positions[0].expiry_days == 63);
  CHECK(p.positions[0].expiry_date == "2026-10-29");
  try {
    load_portfolio_text("name = \"x\"\nas_of = 2026-07-30\n[[positions]]\nticker = \"NVDA\"\n"
                        "quantity = 1\n",
                        "x.toml", m);
    FAIL("a book as of another day was accepted");
  } catch (const InputError& e) {
    CHECK(e.line() == 2);
    CHECK(e.field() == "as_of");
    CHECK_THAT(e.message(), Contains("the book is as of 2026-07-30") && Contains("as of 2026-07-31"));
  }
  try {
    load_portfolio_text("name = \"x\"\n[[positions]]\nticker = \"NVDA\"\ntype = \"call\"\n"
                        "quantity = 1\nstrike = 180\nexpiry = 2026-10-29\nexpiry_days = 63\n",
                        "x.toml", m);
    FAIL("expiry and expiry_days together were accepted");
  } catch (const InputError& e) {
    CHECK_THAT(e.message(), Contains("not both"));
  }
}
