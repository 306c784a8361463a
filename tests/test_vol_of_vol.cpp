// The implied vol as a simulated risk factor (issue 17, part 1; kernels/vol_factors.cuh): each
// path's own implied-vol shocks, vol_of_vol sqrt(1/252) a day, correlated across tickers by the
// market's implied_vol_correlation. Checked against the closed form of a call on a near-zero-vol
// asset (its loss moves with the vol alone), by recovering each path's factor from its line
// losses (variance, cross-correlation, antithetic pairs), and against the CPU's lanes.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "book_fixture.hpp"
#include "cli_util.hpp"
#include "host/analytics/greeks.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/input_error.hpp"
#include "host/pricing/american.hpp"
#include "host/risk_engine.hpp"
#include "host/stats/risk_measures.hpp"
#include "kernels/black_scholes.cuh"
#include "lanes_vs_reference.hpp"
#include "test_util.hpp"

using namespace chipshock;
using testing::Book;
using testing::paths_or_light;

namespace {

constexpr double kRate = 0.03, kAtm = 0.4, kNu = 0.9;

// X and Y: spot 100, a near-zero realised vol, a flat surface at 40% with vol-of-vol 0.9;
// `extra` is appended to the market's top level.
std::string market(const std::string& extra) {
  return "currency = \"USD\"\nrate = 0.03\n" + extra +
         "[assets.X]\nspot = 100.0\nvol = 0.000001\n"
         "implied_vol = { atm = 0.4, vol_of_vol = 0.9 }\n"
         "[assets.Y]\nspot = 100.0\nvol = 0.000001\n"
         "implied_vol = { atm = 0.4, vol_of_vol = 0.9 }\n";
}

std::string call(const char* ticker, double quantity) {
  return "[[positions]]\nticker = \"" + std::string(ticker) +
         "\"\ntype = \"call\"\nquantity = " + std::to_string(quantity) +
         "\nstrike = 100\nexpiry_days = 63\n";
}

// The implied vol at which a call (strike 100, tau years, spot s) is worth v: bisection in ln vol.
double implied_vol_of(double v, double s, double tau) {
  double lo = std::log(1e-4), hi = std::log(20.0);
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (black_scholes(OptionKind::kCall, s, 100, tau, kRate, std::exp(mid)) < v ? lo : hi) = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

// Path `path`'s factor values W (in sqrt-years) of the book's options, one per line, recovered
// from the line losses: the loss of q calls is q (C0 - C(vol_H e^(nu W))).
std::vector<double> factor_values(const SimSpec& spec, std::uint64_t seed, std::uint64_t path,
                                  int horizon) {
  const std::vector<PositionLine>& lines = spec.positions();
  std::vector<double> out(lines.size() + 1);
  reference_path_lines(spec, seed, path, out.data());
  const std::vector<float> x = reference_log_returns(spec, seed, path);
  const double tau_h = (63 - horizon) / 252.0;
  std::vector<double> w;
  for (std::size_t j = 0; j < lines.size(); ++j) {
    const PositionLine& l = lines[j];
    const double s = 100 * std::exp(static_cast<double>(x[static_cast<std::size_t>(l.asset)]));
    const double v = l.unit_value0 - out[j] / l.quantity;
    w.push_back(std::log(implied_vol_of(v, s, tau_h) / kAtm) / kNu);
  }
  return w;
}

}  // namespace

TEST_CASE(
    "vol-of-vol: the VaR of a long call on a near-zero-vol asset is q (C0 - C(vol "
    "e^(nu sqrt(T) z_(1-alpha))))",
    "[implied_vol][vol_of_vol][closed_form][issue17]") {
  // The spot stays at 100 (to 1e-6), so the loss falls in the path's factor W(T) ~ N(0, T): its
  // alpha-quantile is at W's (1 - alpha)-quantile. A 10-day horizon, 1000 calls struck at 100.
  const int h = 10;
  const double q = 1000, tau0 = 63 / 252.0, tau_h = (63 - h) / 252.0, t = h / 252.0;
  const Book b(market(""), "name = \"b\"\n" + call("X", q));
  const SimSpec spec(b.market, b.portfolio, SimSettings{h, 1});
  REQUIRE(spec.book().n_vol_factors == 1);
  REQUIRE(spec.book().options[0].vol_factor == 0);
  RunSettings s;
  s.paths = paths_or_light(1000000, 200000);
  s.seed = 41;
  const ScenarioResult res = simulate_scenario("baseline", spec, CpuBackend(), s);
  // the forward moneyness of a strike-100 call is r tau, so today's surface vol is 40% exactly
  const double c0 = black_scholes(OptionKind::kCall, 100, 100, tau0, kRate, kAtm);
  const double z[] = {1.6448536269514722, 1.959963984540054, 2.3263478740408408};
  REQUIRE(res.levels.size() == 3);
  for (std::size_t i = 0; i < res.levels.size(); ++i) {
    const LevelRisk& l = res.levels[i];
    const double vol = kAtm * std::exp(-kNu * std::sqrt(t) * z[i]);
    const double var = q * (c0 - black_scholes(OptionKind::kCall, 100, 100, tau_h, kRate, vol));
    const double se_var = (l.var_hi - l.var_lo) / (2 * kZ975);
    CAPTURE(l.confidence, l.var, var, se_var);
    CHECK(std::fabs(l.var - var) < 4 * se_var);
  }
  // The parametric cross-check's vega term: q vega vol nu sqrt(T), and its VaR near the Monte
  // Carlo's, above it: an at-the-money call's value is convex in ln vol, so the first-order term
  // overstates the loss when the vol falls.
  const ParametricRisk p = parametric_risk(b.market, spec, {0.95, 0.975, 0.99});
  const UnitGreeks g = black_scholes_greeks(OptionKind::kCall, 100, 100, tau_h, kRate, kAtm, 0.0);
  CHECK(p.vega_term == Approx(q * g.vega * kAtm * kNu * std::sqrt(t)).epsilon(1e-9));
  CHECK(p.stdev_loss == Approx(p.vega_term).epsilon(1e-3));  // the spot barely moves
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(p.levels[i].var > res.levels[i].var);
    CHECK(p.levels[i].var < 1.2 * res.levels[i].var);
  }
  // Without the vol-of-vol the same book loses only the time value: every path the same.
  const Book flat(
      "currency = \"USD\"\nrate = 0.03\n[assets.X]\nspot = 100.0\nvol = 0.000001\n"
      "implied_vol = { atm = 0.4 }\n",
      "name = \"b\"\n" + call("X", q));
  const SimSpec still(flat.market, flat.portfolio, SimSettings{h, 1});
  CHECK(still.book().n_vol_factors == 0);
  CHECK(still.book().options[0].vol_factor == -1);
}

TEST_CASE(
    "vol-of-vol: each path's factor has variance T, the tickers' factors the market's "
    "correlation, and antithetic pairs negate it",
    "[implied_vol][vol_of_vol][issue17]") {
  const int h = 5;
  const double t = h / 252.0, c = 0.64;
  const Book b(market("implied_vol_correlation = 0.64\n"),
               "name = \"b\"\n" + call("X", 10) + call("Y", 20));
  const SimSpec spec(b.market, b.portfolio, SimSettings{h, 1});
  REQUIRE(spec.book().n_vol_factors == 2);
  CHECK_THAT(implied_vol_note(spec), Catch::Contains("X spot_beta 0, vol_of_vol 0.9; Y") &&
                                         Catch::Contains("correlated 0.64"));
  const int n = static_cast<int>(paths_or_light(20000, 4000));
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (int k = 0; k < n; ++k) {
    const std::vector<double> w = factor_values(spec, 77, static_cast<std::uint64_t>(k), h);
    sx += w[0];
    sy += w[1];
    sxx += w[0] * w[0];
    syy += w[1] * w[1];
    sxy += w[0] * w[1];
  }
  const double mx = sx / n, my = sy / n;
  const double vx = sxx / n - mx * mx, vy = syy / n - my * my;
  const double corr = (sxy / n - mx * my) / std::sqrt(vx * vy);
  CAPTURE(mx, my, vx, vy, corr, t);
  // sd of a sample variance of n normals: T sqrt(2 / n); of a correlation: (1 - c^2) / sqrt(n)
  CHECK(std::fabs(mx) < 4 * std::sqrt(t / n));
  CHECK(std::fabs(vx - t) < 4 * t * std::sqrt(2.0 / n));
  CHECK(std::fabs(vy - t) < 4 * t * std::sqrt(2.0 / n));
  CHECK(std::fabs(corr - c) < 4 * (1 - c * c) / std::sqrt(n));

  // Another book on the same market (a what-if, a book of a hierarchy) sees Y's vol move as this
  // one does, though Y is its first factor here and its second there.
  const Book y_only(market("implied_vol_correlation = 0.64\n"), "name = \"y\"\n" + call("Y", 3));
  const SimSpec other(y_only.market, y_only.portfolio, SimSettings{h, 1});
  REQUIRE(other.book().n_vol_factors == 1);
  for (std::uint64_t k = 0; k < 20; ++k)
    CHECK(factor_values(other, 77, k, h)[0] ==
          Approx(factor_values(spec, 77, k, h)[1]).margin(1e-9));

  // Antithetic variates: path 2k+1's factors are path 2k's negated.
  SimSettings anti{h, 1};
  anti.antithetic = true;
  const SimSpec pairs(b.market, b.portfolio, anti);
  for (std::uint64_t k = 0; k < 40; k += 2) {
    const std::vector<double> even = factor_values(pairs, 77, k, h);
    const std::vector<double> odd = factor_values(pairs, 77, k + 1, h);
    CHECK(odd[0] == Approx(-even[0]).margin(1e-6));
    CHECK(odd[1] == Approx(-even[1]).margin(1e-6));
  }
}

TEST_CASE(
    "vol-of-vol: the CPU's lanes give the scalar reference's losses, and the factor "
    "path is the same at any number of steps a day",
    "[implied_vol][vol_of_vol][issue17]") {
  const int h = 7;
  const Book b(market("implied_vol_correlation = 0.3\n"),
               "name = \"b\"\n" + call("X", 10) + call("Y", -25) +
                   "[[positions]]\nticker = \"Y\"\ntype = \"put\"\nquantity = 5\nstrike = 90\n"
                   "expiry_days = 4\n");
  const SimSpec spec(b.market, b.portfolio, SimSettings{h, 1});
  REQUIRE(spec.book().n_expiring == 1);  // a settlement beside the factors
  const double worst = testing::lanes_worst_gap(spec, 9, 1003);
  CAPTURE(worst, spec.gross_exposure());
  CHECK(worst <= 1e-6 * spec.gross_exposure());
  // The factor is drawn per trading day: at 4 steps a day the spot is still near-constant and
  // the loss (the vol's move) is the same to the spot's tiny move.
  const SimSpec fine(b.market, b.portfolio, SimSettings{h, 4});
  for (std::uint64_t k = 0; k < 50; ++k)
    CHECK(reference_path_loss(fine, 9, k) == Approx(reference_path_loss(spec, 9, k)).margin(1e-3));
}

TEST_CASE("vol-of-vol: bad values and the refusals name the field",
          "[implied_vol][vol_of_vol][issue17]") {
  const auto error = [](const std::string& m, const std::string& p) {
    try {
      const Book b(m, p);
      SimSpec(b.market, b.portfolio, SimSettings{5, 1});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string book = "name = \"b\"\n" + call("X", 1);
  CHECK_THAT(
      error("currency = \"USD\"\nrate = 0.03\n[assets.X]\nspot = 100.0\nvol = 0.3\n"
            "implied_vol = { atm = 0.4, vol_of_vol = -0.1 }\n",
            book),
      Catch::Contains("m.toml:6: assets.X.implied_vol.vol_of_vol") && Catch::Contains("[0, 5]"));
  CHECK_THAT(error(market("implied_vol_correlation = 1.5\n"), book),
             Catch::Contains("implied_vol_correlation") && Catch::Contains("[0, 1]"));
  // A book hierarchy with a vol factor is refused by run's planning (host/app/run_plan.cpp).
}

TEST_CASE(
    "vol-of-vol and spot beta on American options: the revaluation is the American price "
    "at the path's vol, to 1e-4",
    "[implied_vol][vol_of_vol][american][issue17]") {
  // X moves (vol 35%) with a spot beta of -1.2 and a vol-of-vol of 0.9: an American put and an
  // American call (dividend yield 3%) at the path's spot and vol, the vol rebuilt here from the
  // path's log-return and its factor (kernels/vol_factors.cuh's draws).
  const int h = 10;
  const Book b(
      "currency = \"USD\"\nrate = 0.04\n[assets.X]\nspot = 100.0\nvol = 0.35\n"
      "dividend_yield = 0.03\n"
      "implied_vol = { atm = 0.4, spot_beta = -1.2, vol_of_vol = 0.9 }\n",
      "name = \"b\"\n[[positions]]\nticker = \"X\"\ntype = \"put\"\nquantity = 10\n"
      "strike = 105\nexpiry_days = 126\nstyle = \"american\"\n[[positions]]\n"
      "ticker = \"X\"\ntype = \"call\"\nquantity = -4\nstrike = 95\nexpiry_days = 40\n"
      "style = \"american\"\n");
  const SimSpec spec(b.market, b.portfolio, SimSettings{h, 1});
  const BookView bv = spec.book();
  REQUIRE(bv.options[0].american_nodes == kAmericanVolNodes);
  REQUIRE(bv.n_vol_factors == 1);
  const std::vector<PositionLine>& lines = spec.positions();
  double worst = 0;
  for (std::uint64_t path = 0; path < 300; ++path) {
    std::vector<Settlement> marks(static_cast<std::size_t>(path_marks(bv)));
    start_path_marks(bv, marks.data());
    for (int d = 0; d < h; ++d) move_vol_factors(bv, 3, path, 0, d, marks.data());
    const double shift = vol_factor_value(marks.data(), 0);
    const double x = static_cast<double>(reference_log_returns(spec, 3, path)[0]);
    const double s_h = 100 * std::exp(x);
    std::vector<double> out(lines.size() + 1);
    reference_path_lines(spec, 3, path, out.data());
    for (std::size_t j = 0; j < lines.size(); ++j) {
      const OptionView& o = bv.options[lines[j].option];
      const double vol = o.implied_vol * std::exp(-1.2 * x + shift);
      const double v = american_price(o.kind, s_h, o.strike, o.tau_at_horizon, 0.04, vol, 0.03);
      const double got = lines[j].unit_value0 - out[j] / lines[j].quantity;
      worst = std::max(worst, std::fabs(got - v) / v);
      CAPTURE(path, j, vol, got, v);
      CHECK(got == Approx(v).epsilon(1e-4));
    }
  }
  CAPTURE(worst);
  // the curve at the vol today still prices it today
  CHECK(lines[0].unit_value0 ==
        Approx(american_price(OptionKind::kPut, 100, 105, 126 / 252.0, 0.04, lines[0].vol0, 0.03))
            .epsilon(1e-12));
}

TEST_CASE("vol-of-vol on the command line: the report says which implied vols move and how",
          "[implied_vol][vol_of_vol][cli][issue17]") {
  testing::TempDir dir;
  const std::string m = dir.write("m.toml", market("implied_vol_correlation = 0.5\n"));
  const std::string p =
      dir.write("p.toml", "name = \"b\"\n" + call("X", 10) + call("Y", -5) +
                              "[[positions]]\nticker = \"Y\"\ntype = \"put\"\nquantity = 4\n"
                              "strike = 95\nexpiry_days = 50\nstyle = \"american\"\n");
  const testing::CliResult r = testing::run_chipshock(
      "run --market '" + m + "' --portfolio '" + p + "' --paths 20000 --horizon 5 --seed 3 " +
      "--backend cpu --out '" + dir.file("out") + "'");
  CAPTURE(r.err);
  REQUIRE(r.code == 0);
  // report.md wraps its notes; report.json keeps each on one line
  CHECK_THAT(testing::slurp_file(dir.file("out/report.md")),
             Catch::Contains("Implied vols move along each path"));
  CHECK_THAT(testing::slurp_file(dir.file("out/report.json")),
             Catch::Contains("Implied vols move along each path") &&
                 Catch::Contains("X spot_beta 0, vol_of_vol 0.9") &&
                 Catch::Contains("correlated 0.5") &&
                 Catch::Contains("exercise curves at 17 vols"));
}
