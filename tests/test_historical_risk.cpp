// Historical replay and historical-simulation VaR against hand-computed P&L on small price files.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/history/historical_risk.hpp"
#include "host/input_error.hpp"
#include "host/sim_spec.hpp"
#include "kernels/black_scholes.cuh"
#include "test_util.hpp"

using namespace chipshock;
using chipshock::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

const char* const kMarket = R"(currency = "USD"
rate = 0.03
as_of = 2024-01-10
[assets.A]
spot = 100.0
vol = 0.4
[assets.B]
spot = 50.0
vol = 0.3
[assets.C]
spot = 10.0
vol = 0.3
)";

// Ten trading days of closes (2024-01-01 .. 2024-01-12, weekdays); C starts on 2024-01-08.
std::string csv(const std::vector<std::pair<std::string, double>>& rows) {
  std::string s = "date,close\n";
  char line[64];
  for (const auto& [d, c] : rows) {
    std::snprintf(line, sizeof line, "%s,%.6f\n", d.c_str(), c);
    s += line;
  }
  return s;
}

const std::vector<std::string> kDates = {"2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04",
                                         "2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10",
                                         "2024-01-11", "2024-01-12"};
const std::vector<double> kA = {100, 101, 99, 95, 96, 97, 90, 92, 93, 94};
const std::vector<double> kB = {50, 50.5, 51, 52, 49, 50, 55, 54, 53, 52};

struct Files {
  TempDir dir;
  Market market;
  Portfolio book;
  std::string prices;
  explicit Files(const std::string& book_text) {
    std::vector<std::pair<std::string, double>> a, b, c;
    for (std::size_t i = 0; i < kDates.size(); ++i) {
      a.emplace_back(kDates[i], kA[i]);
      b.emplace_back(kDates[i], kB[i]);
      if (i >= 5) c.emplace_back(kDates[i], 10.0 + static_cast<double>(i));
    }
    std::filesystem::create_directories(dir.path() / "prices");
    dir.write("prices/A.csv", csv(a));
    dir.write("prices/B.csv", csv(b));
    dir.write("prices/C.csv", csv(c));
    prices = dir.file("prices");
    market = load_market(dir.write("m.toml", kMarket));
    book = load_portfolio(dir.write("p.toml", book_text), market);
  }
};

const char* const kEquityBook = R"(name = "eq"
cash = 500
[[positions]]
ticker = "A"
quantity = 10
[[positions]]
ticker = "B"
quantity = -4
)";

}  // namespace

TEST_CASE("a one-day replay applies that day's close-to-close returns to today's book",
          "[history][replay]") {
  Files f(kEquityBook);
  // 2024-01-09: A 97 -> 90, B 50 -> 55.
  const ScenarioResult r = replay_scenario(parse_replay("2024-01-09", false), f.market, f.book,
                                           f.prices, {0.95, 0.99});
  const double expect = 10 * 100.0 * (1 - 90.0 / 97.0) - 4 * 50.0 * (1 - 55.0 / 50.0);
  CHECK(r.name == "replay 2024-01-09");
  CHECK(r.kind == "replay");
  CHECK(r.paths == 1);
  CHECK(r.mean_loss == Approx(expect).epsilon(1e-12));
  REQUIRE(r.levels.size() == 2);
  for (const LevelRisk& l : r.levels) {
    CHECK(l.var == r.mean_loss);
    CHECK(l.es == r.mean_loss);
  }
  CHECK(r.prob_loss == 1.0);
  CHECK_THAT(r.notes.at(0), Contains("A -7.22%") && Contains("B +10.00%"));
}

TEST_CASE("a window replay compounds the returns and ages options by its trading days",
          "[history][replay]") {
  Files f(R"(name = "opt"
[[positions]]
ticker = "A"
quantity = 10
[[positions]]
ticker = "A"
type = "put"
quantity = 10
strike = 95
expiry_days = 20
implied_vol = 0.5
)");
  // 2024-01-04 .. 2024-01-09: from the close of 01-03 (99) to the close of 01-09 (90): 4 days.
  const ScenarioResult r = replay_scenario(parse_replay("2024-01-04:2024-01-09", true), f.market,
                                           f.book, f.prices, {0.99});
  const double s1 = 100.0 * 90.0 / 99.0;
  const double put0 = black_scholes(OptionKind::kPut, 100.0, 95.0, 20.0 / 252, 0.03, 0.5);
  const double put1 = black_scholes(OptionKind::kPut, s1, 95.0, 16.0 / 252, 0.03, 0.5);
  const double expect = 10 * (100.0 + put0) - 10 * (s1 + put1);
  CHECK(r.name == "replay 2024-01-04:2024-01-09");
  CHECK(r.mean_loss == Approx(expect).epsilon(1e-9));
  CHECK_THAT(r.description, Contains("4 trading days"));
}

TEST_CASE("replay skips held tickers without history on the day and lists them",
          "[history][replay]") {
  Files f("name = \"c\"\n[[positions]]\nticker = \"A\"\nquantity = 1\n[[positions]]\n"
          "ticker = \"C\"\nquantity = 100\n");
  const ScenarioResult r =
      replay_scenario(parse_replay("2024-01-04", false), f.market, f.book, f.prices, {0.99});
  CHECK(r.mean_loss == Approx(100.0 * (1 - 95.0 / 99.0)));
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("C (history starts 2024-01-08)") != std::string::npos;
  CHECK(noted);
  // The first day of C's file has no previous close.
  const ScenarioResult r2 =
      replay_scenario(parse_replay("2024-01-08", false), f.market, f.book, f.prices, {0.99});
  noted = false;
  for (const auto& n : r2.notes) noted |= n.find("C (no close before 2024-01-08)") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("bad replay requests are refused naming the option", "[history][replay][errors]") {
  Files f(kEquityBook);
  CHECK_THROWS_WITH(parse_replay("2024-13-01", false), Contains("--replay: '2024-13-01'"));
  CHECK_THROWS_WITH(parse_replay("2024-01-09", true), Contains("--replay-window") && Contains("FROM:TO"));
  CHECK_THROWS_WITH(parse_replay("2024-01-09:2024-01-02", true), Contains("TO is before FROM"));
  // A weekend: no ticker has a close.
  CHECK_THROWS_WITH(replay_scenario(parse_replay("2024-01-06", false), f.market, f.book, f.prices,
                                    {0.99}),
                    Contains("--replay: 2024-01-06 is not a trading day") &&
                        Contains("previous trading day 2024-01-05, next 2024-01-08"));
  // Before every held ticker's history.
  CHECK_THROWS_WITH(replay_scenario(parse_replay("2023-12-29", false), f.market, f.book, f.prices,
                                    {0.99}),
                    Contains("is not a trading day") && Contains("next 2024-01-01"));
  CHECK_THROWS_WITH(replay_scenario(parse_replay("2024-01-09", false), f.market, f.book,
                                    f.dir.file("nowhere"), {0.99}),
                    Contains("nowhere"));
}

TEST_CASE("historical simulation revalues the book under each window of real returns",
          "[history][historical]") {
  Files f(kEquityBook);
  // as_of 2024-01-10 (market), window 6: returns of 01-03 .. 01-10.
  HistoricalSettings hs;
  hs.window = 6;
  hs.horizon_days = 1;
  // 6 scenarios: the 0.8 level leaves a tail mass of 1.2 >= 1.
  const ScenarioResult r = historical_scenario(hs, f.market, f.book, f.prices, {0.8});
  std::vector<double> losses;
  for (std::size_t d = 2; d <= 7; ++d) {
    const double ra = kA[d] / kA[d - 1], rb = kB[d] / kB[d - 1];
    losses.push_back(10 * 100.0 * (1 - ra) - 4 * 50.0 * (1 - rb));
  }
  std::vector<double> sorted = losses;
  std::sort(sorted.begin(), sorted.end());
  CHECK(r.kind == "historical");
  CHECK(r.paths == 6);
  CHECK(r.levels.at(0).var == Approx(sorted[4]).epsilon(1e-9));  // ceil(6 * 0.8) = 5th smallest
  CHECK(r.worst_loss == Approx(sorted[5]).epsilon(1e-9));
  double mean = 0;
  for (double l : losses) mean += l / 6;
  CHECK(r.mean_loss == Approx(mean).epsilon(1e-9));
  CHECK_THAT(r.description, Contains("2024-01-03 to 2024-01-10"));

  // Two-day horizon: overlapping two-day moves, 5 of them.
  hs.horizon_days = 2;
  const ScenarioResult r2 = historical_scenario(hs, f.market, f.book, f.prices, {0.8});
  CHECK(r2.paths == 5);
  double worst = -1e300;
  for (std::size_t d = 2; d + 1 <= 7; ++d) {
    const double ra = kA[d + 1] / kA[d - 1], rb = kB[d + 1] / kB[d - 1];
    worst = std::max(worst, 10 * 100.0 * (1 - ra) - 4 * 50.0 * (1 - rb));
  }
  CHECK(r2.worst_loss == Approx(worst).epsilon(1e-9));
}

TEST_CASE("historical simulation refuses windows the history cannot fill",
          "[history][historical][errors]") {
  Files f("name = \"c\"\n[[positions]]\nticker = \"C\"\nquantity = 1\n");
  HistoricalSettings hs;
  hs.window = 6;
  CHECK_THROWS_WITH(historical_scenario(hs, f.market, f.book, f.prices, {0.8}),
                    Contains("--window: 6 daily returns ending 2024-01-10 are not available"));
  Files g(kEquityBook);
  hs.window = 20;
  CHECK_THROWS_WITH(historical_scenario(hs, g.market, g.book, g.prices, {0.8}),
                    Contains("--window"));
  hs.window = 6;
  CHECK_THROWS_WITH(historical_scenario(hs, g.market, g.book, g.prices, {0.99}),
                    Contains("no loss beyond"));
}
