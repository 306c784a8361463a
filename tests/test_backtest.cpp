// VaR backtesting: the coverage statistics against independently computed values, the Basel
// zones, and the daily forecast loop on synthetic and shipped history.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "host/backtest/coverage_tests.hpp"
#include "host/backtest/var_backtest.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/input_error.hpp"
#include "host/report/backtest_report.hpp"
#include "test_util.hpp"

using namespace chipshock;
using chipshock::testing::TempDir;
using Catch::Matchers::Contains;

TEST_CASE("chi-square survival functions and the binomial CDF", "[backtest]") {
  CHECK(chi2_1_survival(3.841458820694124) == Approx(0.05).epsilon(1e-9));
  CHECK(chi2_2_survival(5.991464547107979) == Approx(0.05).epsilon(1e-9));
  CHECK(chi2_1_survival(0) == 1.0);
  // Values from the exact binomial sum (Python math.comb) for 250 days at 99%.
  CHECK(binomial_cdf(4, 250, 0.01) == Approx(0.8921876269036233).epsilon(1e-10));
  CHECK(binomial_cdf(5, 250, 0.01) == Approx(0.9588168159301496).epsilon(1e-10));
  CHECK(binomial_cdf(9, 250, 0.01) == Approx(0.9997498099312573).epsilon(1e-10));
  CHECK(binomial_cdf(250, 250, 0.01) == 1.0);
}

TEST_CASE("Kupiec and Christoffersen statistics match an independent computation",
          "[backtest]") {
  // Six exceedances in 250 days at 99%, two clusters: days 10-12 and 100-101, plus day 200.
  std::vector<bool> ex(250, false);
  for (int d : {10, 11, 12, 100, 101, 200}) ex[static_cast<std::size_t>(d)] = true;
  const CoverageTests t = coverage_tests(ex, 0.99);
  // Reference values computed separately (Python, same formulas).
  CHECK(t.exceedances == 6);
  CHECK(t.expected == Approx(2.5));
  CHECK(t.lr_pof == Approx(3.5553547710617437).epsilon(1e-10));
  CHECK(t.p_pof == Approx(0.059353618972289114).epsilon(1e-9));
  CHECK(t.n00 == 240);
  CHECK(t.n01 == 3);
  CHECK(t.n10 == 3);
  CHECK(t.n11 == 3);
  CHECK(t.lr_ind == Approx(15.915296651119725).epsilon(1e-9));
  CHECK(t.p_ind == Approx(6.624118722214457e-05).epsilon(1e-6));
  CHECK(t.lr_cc == Approx(19.47065142218147).epsilon(1e-9));
  CHECK(t.p_cc == Approx(5.915640371558237e-05).epsilon(1e-6));
  CHECK(t.zone == "yellow");
}

TEST_CASE("Basel traffic-light zones for 250 days at 99%", "[backtest]") {
  auto zone = [](int x) {
    std::vector<bool> ex(250, false);
    for (int i = 0; i < x; ++i) ex[static_cast<std::size_t>(i * 20)] = true;
    return coverage_tests(ex, 0.99).zone;
  };
  CHECK(zone(0) == "green");
  CHECK(zone(4) == "green");
  CHECK(zone(5) == "yellow");
  CHECK(zone(9) == "yellow");
  CHECK(zone(10) == "red");
  // No exceedances at all: Kupiec rejects nothing at 250 days (LR = 5.03, p = 0.025).
  const CoverageTests none = coverage_tests(std::vector<bool>(250, false), 0.99);
  CHECK(none.lr_pof == Approx(-2 * 250 * std::log(0.99)));
  CHECK(none.lr_ind == 0.0);
}

namespace {

// Synthetic closes: GBM with constant daily vol for two tickers, 700 weekdays from 2020-01-01.
void write_gbm(const TempDir& dir, double daily_vol_a, double daily_vol_b, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  std::filesystem::create_directories(dir.path() / "prices");
  std::string a = "date,close\n", b = "date,close\n";
  double pa = 100, pb = 50;
  int y = 2020, m = 1, d = 1, wd = 3;  // 2020-01-01 was a Wednesday
  static const int days_in[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int k = 0; k < 700;) {
    if (wd < 5) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d,", y, m, d);
      const double e1 = z(rng), e2 = 0.5 * e1 + std::sqrt(0.75) * z(rng);
      pa *= std::exp(daily_vol_a * e1 - 0.5 * daily_vol_a * daily_vol_a);
      pb *= std::exp(daily_vol_b * e2 - 0.5 * daily_vol_b * daily_vol_b);
      a += std::string(buf) + std::to_string(pa) + "\n";
      b += std::string(buf) + std::to_string(pb) + "\n";
      ++k;
    }
    wd = (wd + 1) % 7;
    const bool leap = y % 4 == 0;
    if (++d > (m == 2 && !leap ? 28 : days_in[m - 1])) {
      d = 1;
      if (++m > 12) {
        m = 1;
        ++y;
      }
    }
  }
  dir.write("prices/A.csv", a);
  dir.write("prices/B.csv", b);
}

const char* const kUniverse =
    "currency = \"USD\"\nrate = 0.02\n[assets.A]\nspot = 1\nvol = 0.2\n[assets.B]\nspot = 1\n"
    "vol = 0.2\n";

}  // namespace

TEST_CASE("on a GBM history the model's exceedance rate is what it should be", "[backtest]") {
  TempDir dir;
  write_gbm(dir, 0.02, 0.03, 42);
  const Market u = load_market(dir.write("u.toml", kUniverse));
  const Portfolio p = load_portfolio(
      dir.write("p.toml", "name = \"ab\"\n[[positions]]\nticker = \"A\"\nquantity = 100\n"
                          "[[positions]]\nticker = \"B\"\nquantity = -50\n"),
      u);
  BacktestSettings s;
  s.from = "2020-12-01";
  s.to = "2022-12-31";
  s.window = 200;
  s.confidences = {0.95, 0.99};
  s.paths = 20000;
  s.rate = u.rate;
  const BacktestResult r = run_backtest(s, u, p, dir.file("prices"));
  REQUIRE(r.days.size() > 300);
  // The data follow the model: exceedance counts within 4.5 binomial standard errors, and the
  // conditional-coverage test does not reject at 0.1%.
  for (const CoverageTests& t : r.tests) {
    const double sd = std::sqrt(static_cast<double>(t.days) * (1 - t.confidence) * t.confidence);
    CHECK(std::fabs(static_cast<double>(t.exceedances) - t.expected) < 4.5 * sd);
    CHECK(t.p_cc > 0.001);
  }
  // The realised loss of a day is the book's change from the previous close.
  const BacktestDay& d = r.days.at(10);
  CHECK(d.value_before > 0);
  CHECK(std::isfinite(d.realised_loss));
  CHECK(d.var.at(1) > d.var.at(0));
  // Reports: the CSV has one row per day, the HTML an SVG with the exceedance markers.
  const std::string csv = backtest_csv(r);
  CHECK(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) == r.days.size() + 1);
  const std::string html = backtest_html(r, "test");
  CHECK_THAT(html, Contains("<svg") && Contains("<polyline") && Contains("</html>"));
  CHECK(html.find("nan") == std::string::npos);
  // No external resources: the only URL is the SVG namespace.
  std::string rest = html;
  for (std::size_t at; (at = rest.find("http://www.w3.org/2000/svg")) != std::string::npos;)
    rest.erase(at, 26);
  CHECK(rest.find("http") == std::string::npos);
}

TEST_CASE("backtest periods the history cannot cover are refused", "[backtest][errors]") {
  TempDir dir;
  write_gbm(dir, 0.02, 0.03, 1);
  const Market u = load_market(dir.write("u.toml", kUniverse));
  const Portfolio p =
      load_portfolio(dir.write("p.toml", "name = \"a\"\n[[positions]]\nticker = \"A\"\nquantity = 1\n"), u);
  BacktestSettings s;
  s.from = "2020-02-01";
  s.to = "2020-12-31";
  s.window = 250;
  CHECK_THROWS_WITH(run_backtest(s, u, p, dir.file("prices")),
                    Contains("--from") && Contains("needs 250 returns"));
  s.from = "2030-01-01";
  s.to = "2030-12-31";
  CHECK_THROWS_WITH(run_backtest(s, u, p, dir.file("prices")), Contains("no common trading day"));
  s.from = "2021-13-01";
  CHECK_THROWS_WITH(run_backtest(s, u, p, dir.file("prices")), Contains("--from"));
}
