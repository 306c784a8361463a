// Market and portfolio files: the samples load; every malformed or inconsistent file is refused
// with an InputError that names the file, the line and the field.
#include <catch2/catch.hpp>
#include <string>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/input_error.hpp"
#include "host/sim_spec.hpp"
#include "test_util.hpp"

using namespace chipshock;
using chipshock::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

const char* const kMarket = R"(currency = "USD"
rate = 0.04
[assets.NVDA]
spot = 120.0
vol = 0.5
[assets.AMD]
spot = 110.0
vol = 0.55
drift = 0.05
exposures = { ai_capex = 1.2 }
[correlation]
tickers = ["NVDA", "AMD"]
matrix = [[1.0, 0.6],
          [0.6, 1.0]]
)";

const char* const kPortfolio = R"(name = "test"
cash = 1000.0
[[positions]]
ticker = "NVDA"
quantity = 10
[[positions]]
ticker = "AMD"
type = "put"
quantity = 5
strike = 100
expiry_days = 21
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const std::size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

// Loads market (and portfolio) and returns the error message, or "" if they load.
std::string market_error(const std::string& market_text) {
  TempDir dir;
  try {
    load_market(dir.write("m.toml", market_text));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string portfolio_error(const std::string& portfolio_text, int horizon = 1) {
  TempDir dir;
  try {
    const Market m = load_market(dir.write("m.toml", kMarket));
    const Portfolio p = load_portfolio(dir.write("p.toml", portfolio_text), m);
    SimSpec spec(m, p, SimSettings{horizon, 1});
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the sample markets and portfolios load", "[config]") {
  for (const char* mf : {"scenarios/market/ai_chips.toml", "scenarios/market/ai_chips_t.toml"}) {
    const Market m = load_market(testing::source_path(mf));
    CHECK(m.size() >= 12);
    CHECK(m.currency == "USD");
    CHECK(m.assets.front().ticker == "NVDA");  // file order, not alphabetical
    for (const char* pf : {"scenarios/portfolio/ai_book.toml", "scenarios/portfolio/hedged_book.toml"}) {
      const Portfolio p = load_portfolio(testing::source_path(pf), m);
      CHECK(!p.positions.empty());
    }
  }
  CHECK(load_market(testing::source_path("scenarios/market/ai_chips_t.toml")).dof > 2);
}

TEST_CASE("a valid market parses into the model's fields", "[config]") {
  TempDir dir;
  const Market m = load_market(dir.write("m.toml", kMarket));
  REQUIRE(m.size() == 2);
  CHECK(m.assets[1].ticker == "AMD");
  CHECK(m.assets[1].drift == 0.05);
  CHECK(m.assets[1].exposures.at("ai_capex") == 1.2);
  CHECK(m.assets[1].sector.empty());
  CHECK(m.as_of.empty());
  CHECK(m.correlation == std::vector<double>{1.0, 0.6, 0.6, 1.0});
  const auto l = correlation_cholesky(m);
  CHECK(l[2] == Approx(0.6));
  CHECK(l[3] == Approx(0.8));
}

TEST_CASE("a market may give its as-of date and each asset's sector", "[config]") {
  TempDir dir;
  for (const std::string date : {"as_of = 2025-01-24", "as_of = \"2025-01-24\""}) {
    const Market m = load_market(dir.write(
        "m.toml", replace(replace(kMarket, "rate = 0.04", "rate = 0.04\n" + date), "vol = 0.5",
                          "vol = 0.5\nsector = \"semiconductors\"")));
    CHECK(m.as_of == "2025-01-24");
    CHECK(m.assets[0].sector == "semiconductors");
  }
}

TEST_CASE("bad market files name the file, the line and the field", "[config][errors]") {
  struct Case {
    std::string text, expect1, expect2;
  };
  const std::vector<Case> cases = {
      {replace(kMarket, "spot = 120.0", "spot = -1"), "m.toml:4: assets.NVDA.spot", "positive"},
      {replace(kMarket, "spot = 120.0", "spot = 0"), "m.toml:4: assets.NVDA.spot", "positive"},
      {replace(kMarket, "vol = 0.5", "vol = 0"), "m.toml:5: assets.NVDA.vol", "positive"},
      {replace(kMarket, "vol = 0.5", "vol = 45"), "assets.NVDA.vol", "percent"},
      {replace(kMarket, "vol = 0.5", "vol = nan"), "assets.NVDA.vol", "finite"},
      {replace(kMarket, "vol = 0.5", "vol = 0.5\ndividend_yield = -0.01"),
       "m.toml:6: assets.NVDA.dividend_yield", "[0, 0.5]"},
      {replace(kMarket, "vol = 0.5", "vol = 0.5\ndividend_yield = 0.9"),
       "assets.NVDA.dividend_yield", "[0, 0.5]"},
      {replace(kMarket, "vol = 0.5", "vol = \"high\""), "assets.NVDA.vol", "expected a number"},
      {replace(kMarket, "vol = 0.5\n", ""), "assets.NVDA.vol", "missing"},
      {replace(kMarket, "spot = 110.0", "spot = 110.0\nspott = 1"), "m.toml:8: assets.AMD.spott",
       "unknown key"},
      {replace(kMarket, "currency = \"USD\"\n", ""), "m.toml", "currency: missing"},
      {replace(kMarket, "rate = 0.04", "rate = 0.04\ndof = 2"), "m.toml:3: dof", "> 2"},
      {replace(kMarket, "matrix = [[1.0, 0.6],", "matrix = [[1.0, 0.6, 0.1],"),
       "correlation.matrix[0]", "3 entries"},
      {replace(kMarket, "[0.6, 1.0]]", "[0.5, 1.0]]"), "correlation.matrix", "not symmetric"},
      {replace(kMarket, "[[1.0, 0.6]", "[[0.9, 0.6]"), "correlation.matrix[0][0]", "diagonal"},
      {replace(replace(kMarket, "[[1.0, 0.6]", "[[1.0, 1.6]"), "[0.6, 1.0]]", "[1.6, 1.0]]"),
       "correlation.matrix[0][1]", "[-1, 1]"},
      {replace(kMarket, "tickers = [\"NVDA\", \"AMD\"]", "tickers = [\"NVDA\", \"INTC\"]"),
       "m.toml:12: correlation.tickers[1]", "unknown ticker 'INTC'"},
      {replace(kMarket, "tickers = [\"NVDA\", \"AMD\"]", "tickers = [\"NVDA\", \"NVDA\"]"),
       "correlation.tickers[1]", "duplicate"},
      {"currency = \"USD\"\nrate = 0.0\n[assets.A]\nspot = 1\nvol = 0.1\n[assets.B]\nspot = 1\n"
       "vol = 0.1\n[assets.C]\nspot = 1\nvol = 0.1\n[correlation]\ntickers = [\"A\", \"B\", \"C\"]\n"
       "matrix = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]\n",
       "m.toml:12: correlation.matrix", "not positive definite: smallest eigenvalue -0.8"},
      {"currency = \"USD\"\nrate = 0.0\n[assets]\n", "assets", "no assets"},
      {"currency = \"USD\"\nrate = 0.0\n[assets.NVDA\nspot = 1\n", "m.toml:3", "TOML syntax error"},
      {"", "m.toml", "currency: missing"},
      {replace(kMarket, "spot = 120.0", "spot = 0x7FFFFFFFFFFFFFFF"), "assets.NVDA.spot",
       "[1e-6, 1e9]"},
      {replace(kMarket, "spot = 120.0", "spot = 1e61"), "assets.NVDA.spot", "[1e-6, 1e9]"},
      {replace(kMarket, "rate = 0.04", "rate = 0.04\ndof = 2.0000001"), "m.toml:3: dof", "2.001"},
      {replace(kMarket, "[[1.0, 0.6]", "[[1.0000000000000002, 0.6]"), "matrix[0][0]", "diagonal"},
      {"x" + [] { std::string k; for (int i = 0; i < 100000; ++i) k += ".a"; return k; }() + " = 1\n",
       "m.toml:1", "nested too deep"},
      {std::string("\x00\xff\xfe garbage", 12), "m.toml", "syntax error"},
      {replace(kMarket, "rate = 0.04", "rate = 0.04\nas_of = \"2025-02-30\""), "m.toml:3: as_of",
       "YYYY-MM-DD"},
      {replace(kMarket, "rate = 0.04", "rate = 0.04\nas_of = 20250124"), "m.toml:3: as_of",
       "expected a date"},
      {replace(kMarket, "vol = 0.5", "vol = 0.5\nsector = \"semis & more\""),
       "m.toml:6: assets.NVDA.sector", "letters"},
      {replace(kMarket, "ai_capex = 1.2", "ai_capex = \"big\""), "assets.AMD.exposures.ai_capex",
       "expected a number"},
      {replace(kMarket, "ai_capex = 1.2", "ai_capex = 1e9"), "assets.AMD.exposures.ai_capex",
       "plausible"},
  };
  for (const Case& c : cases) {
    const std::string err = market_error(c.text);
    CAPTURE(c.text, err);
    CHECK_THAT(err, Contains(c.expect1));
    CHECK_THAT(err, Contains(c.expect2));
  }
}

TEST_CASE("bad portfolio files name the file, the line and the field", "[config][errors]") {
  struct Case {
    std::string text, expect1, expect2;
  };
  const std::vector<Case> cases = {
      {replace(kPortfolio, "ticker = \"NVDA\"", "ticker = \"XXX\""),
       "p.toml:4: positions[0].ticker", "unknown ticker 'XXX'"},
      {replace(kPortfolio, "quantity = 10", "quantity = \"ten\""), "positions[0].quantity",
       "expected a number"},
      {replace(kPortfolio, "type = \"put\"", "type = \"future\""), "positions[1].type",
       "unknown position type"},
      {replace(kPortfolio, "strike = 100", "strike = -5"), "p.toml:10: positions[1].strike",
       "positive"},
      {replace(kPortfolio, "strike = 100\n", ""), "positions[1].strike", "missing"},
      {replace(kPortfolio, "expiry_days = 21", "expiry_days = 2.5"), "positions[1].expiry_days",
       "whole number"},
      {replace(kPortfolio, "quantity = 10", "quantity = 10\nstrike = 3"), "positions[0].strike",
       "only options"},
      {replace(kPortfolio, "name = \"test\"", "nme = \"test\""), "p.toml", "name: missing"},
      {"name = \"x\"\npositions = []\n", "positions", "no positions"},
      {replace(kPortfolio, "quantity = 10", "quantity = 9007199254740993"), "positions[0].quantity",
       "1e12"},
      {replace(kPortfolio, "cash = 1000.0", "cash = 1e300"), "p.toml:2: cash", "1e15"},
  };
  for (const Case& c : cases) {
    const std::string err = portfolio_error(c.text);
    CAPTURE(c.text, err);
    CHECK_THAT(err, Contains(c.expect1));
    CHECK_THAT(err, Contains(c.expect2));
  }
  // an option expiring inside the horizon is settled on the path's days (kernels/expiry.cuh)
  CHECK(portfolio_error(kPortfolio, 30).empty());
  // at most kMaxExpiring of them a book: the one past it is named
  std::string many = kPortfolio;
  for (int k = 0; k < kMaxExpiring; ++k)
    many += "[[positions]]\nticker = \"AMD\"\ntype = \"call\"\nquantity = 1\nstrike = " +
            std::to_string(100 + k) + "\nexpiry_days = 5\n";
  const std::string err = portfolio_error(many, 30);
  CHECK_THAT(err, Contains("p.toml:" + std::to_string(11 + 6 * (kMaxExpiring - 1) + 6) +
                           ": positions[" + std::to_string(kMaxExpiring + 1) + "].expiry_days"));
  CHECK_THAT(err, Contains("more than 64 options of the book expire inside the 30-day horizon"));
  CHECK(portfolio_error(many, 4).empty());  // none expires inside 4 days
}

TEST_CASE("missing and unreadable files are input errors", "[config][errors]") {
  CHECK_THROWS_WITH(load_market("/nonexistent/market.toml"),
                    Contains("/nonexistent/market.toml") && Contains("cannot open"));
  TempDir dir;
  CHECK_THROWS_AS(load_market(dir.path().string()), InputError);
}
