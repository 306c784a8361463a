// Euler allocation (host/component_risk.hpp), the ES interval, and runs to a target
// error: components add up to ES exactly, component VaR to VaR within its error, both match
// the closed form of a Gaussian book, the ES interval covers the true ES about 95% of the time,
// and a run to a target error equals a plain run with the same paths.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <string>

#include "host/component_risk.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/risk_engine.hpp"
#include "book_fixture.hpp"
#include "test_util.hpp"

using namespace chipshock;
using testing::Book;

namespace {

double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }

// Two correlated Gaussian assets (vols 0.2 and 0.3, correlation 0.5), three lines.
const char* const kTwoAssets = R"(currency = "USD"
rate = 0.0
[assets.AAA]
spot = 100.0
vol = 0.2
sector = "chips"
[assets.BBB]
spot = 50.0
vol = 0.3
sector = "cloud"
[correlation]
tickers = ["AAA", "BBB"]
matrix = [[1.0, 0.5], [0.5, 1.0]]
)";
const char* const kTwoLines = R"(name = "two"
[[positions]]
ticker = "AAA"
quantity = 1000.0
[[positions]]
ticker = "BBB"
quantity = 3000.0
[[positions]]
ticker = "AAA"
quantity = -200.0
)";

}  // namespace

TEST_CASE("component ES adds up to ES exactly, component VaR to VaR within its error",
          "[components]") {
  const Market market = load_market(testing::source_path("scenarios/market/ai_chips_t.toml"));
  const Portfolio portfolio =
      load_portfolio(testing::source_path("scenarios/portfolio/hedged_book.toml"), market);
  const SimSpec spec(market, portfolio, SimSettings{5, 1});
  RunSettings s;
  s.paths = 100000;
  s.seed = 11;
  s.components = true;
  const ScenarioResult r = simulate_scenario("baseline", spec, CpuBackend(2), s);
  REQUIRE(r.allocation.levels.size() == s.confidences.size());
  REQUIRE(r.components.size() == s.confidences.size() * portfolio.positions.size());
  for (std::size_t k = 0; k < r.levels.size(); ++k) {
    const LevelRisk& l = r.levels[k];
    const AllocationLevel& a = r.allocation.levels[k];
    long double es_sum = 0, var_sum = 0;
    for (const PositionContribution& c : r.components)
      if (c.confidence == l.confidence) {
        es_sum += c.es_contribution;
        var_sum += c.var_contribution;
      }
    CAPTURE(l.confidence, l.es, a.es_resimulated, es_sum, l.var, a.var_window_mean, var_sum,
            a.var_window_se, l.var_lo, l.var_hi);
    // Exact by construction (to the rounding of the sums).
    CHECK(std::fabs(static_cast<double>(es_sum) - a.es_resimulated) <= 1e-12 * std::fabs(l.es));
    // The same paths simulated again by the scalar function: float rounding only.
    CHECK(std::fabs(a.es_resimulated - l.es) <= 1e-6 * std::fabs(l.es));
    CHECK(std::fabs(a.var_resimulated - l.var) <= 1e-6 * std::fabs(l.var));
    CHECK(std::fabs(static_cast<double>(var_sum) - a.var_window_mean) <= 1e-9 * std::fabs(l.var));
    // Component VaR adds up to the window's mean loss: inside the window, and within VaR's own
    // Monte Carlo error (the half-width of its 95% interval).
    CHECK(a.var_window_lo <= a.var_window_mean);
    CHECK(a.var_window_mean <= a.var_window_hi);
    CHECK(std::fabs(a.var_window_mean - l.var) <= 0.5 * (l.var_hi - l.var_lo));
    CHECK(a.var_window_paths == 2 * var_window_half_width(tail_mass(r.paths - r.non_finite,
                                                                    l.confidence)) + 1);
  }
}

TEST_CASE("component VaR and ES match the closed form of a Gaussian book", "[components]") {
  const Book b(kTwoAssets, kTwoLines);
  const SimSpec spec(b.market, b.portfolio, SimSettings{1, 1});
  RunSettings s;
  s.paths = 400000;
  s.seed = 3;
  s.confidences = {0.99};
  s.components = true;
  const ScenarioResult r = simulate_scenario("baseline", spec, CpuBackend(2), s);
  // Linearised: loss ~ -sum w_i X_i, X ~ N(0, Sigma) daily; Euler components of a Gaussian
  // loss: w_i (Sigma w)_i / sigma_p times z (VaR) or phi(z) / (1 - alpha) (ES).
  const double dt = 1.0 / 252, s1 = 0.2 * std::sqrt(dt), s2 = 0.3 * std::sqrt(dt), rho = 0.5;
  const double w[3] = {1000.0 * 100, 3000.0 * 50, -200.0 * 100};
  const double wa = w[0] + w[2], wb = w[1];
  const double sa = wa * s1 * s1 + wb * rho * s1 * s2, sb = wb * s2 * s2 + wa * rho * s1 * s2;
  const double sigma_p = std::sqrt(wa * sa + wb * sb);
  const double z = 2.3263478740408408, es_factor = normal_pdf(z) / 0.01;
  const double beta[3] = {w[0] * sa / sigma_p, w[1] * sb / sigma_p, w[2] * sa / sigma_p};
  const AllocationLevel& a = r.allocation.levels.at(0);
  for (int i = 0; i < 3; ++i) {
    const PositionContribution& c = r.components.at(static_cast<std::size_t>(i));
    const double es_expected = beta[i] * es_factor, var_expected = beta[i] * z;
    CAPTURE(i, c.position, c.es_contribution, es_expected, c.var_contribution, var_expected,
            c.var_contribution_se);
    // Shares of the total: the lognormal's curvature and MC noise, well under 2 points.
    CHECK(std::fabs(c.es_contribution / a.es_resimulated - es_expected / (sigma_p * es_factor)) <
          0.02);
    CHECK(std::fabs(c.var_contribution / a.var_window_mean - var_expected / (sigma_p * z)) < 0.03);
    CHECK(std::fabs(c.var_contribution - var_expected) <
          4 * c.var_contribution_se + 0.03 * std::fabs(var_expected));
  }
  // Repeated lines on one instrument share the marginal ES per unit.
  CHECK(r.components[0].marginal_es() == Approx(r.components[2].marginal_es()).epsilon(1e-9));
  CHECK(r.components[0].sector == "chips");
  CHECK(r.components[2].position == "AAA #2");
}

TEST_CASE("the 95% ES interval covers the true ES about 95% of the time", "[components][ci]") {
  // One lognormal asset: L = V0 (1 - e^X), X ~ N(-s^2/2, s^2), s = 0.3 sqrt(1/252). At level
  // a: ES = V0 (1 - Phi(Phi^-1(1 - a) - s) / (1 - a)).
  const Book b("currency = \"USD\"\nrate = 0.0\n[assets.AAA]\nspot = 100.0\nvol = 0.3\n",
               "name = \"one\"\n[[positions]]\nticker = \"AAA\"\nquantity = 1000.0\n");
  const SimSpec spec(b.market, b.portfolio, SimSettings{1, 1});
  const double sd = 0.3 * std::sqrt(1.0 / 252), v0 = 100000.0;
  const double es_true = v0 * (1.0 - normal_cdf(-kZ975 - sd) / 0.025);
  RunSettings s;
  s.paths = 20000;
  s.confidences = {0.975};
  s.histogram_bins = 0;
  const int reps = 200;
  int covered = 0, var_covered = 0;
  const double var_true = v0 * (1.0 - std::exp(-0.5 * sd * sd - kZ975 * sd));
  for (int k = 0; k < reps; ++k) {
    s.seed = 1000 + static_cast<std::uint64_t>(k);
    const LevelRisk l = simulate_scenario("baseline", spec, CpuBackend(2), s).levels[0];
    covered += l.es_lo <= es_true && es_true <= l.es_hi;
    var_covered += l.var_lo <= var_true && var_true <= l.var_hi;
  }
  const double rate = static_cast<double>(covered) / reps;
  const double binomial_sd = std::sqrt(0.95 * 0.05 / reps);
  std::printf("ES interval coverage %d/%d = %.3f (VaR interval %d/%d), true ES %.2f\n", covered,
              reps, rate, var_covered, reps, es_true);
  CAPTURE(covered, var_covered, es_true, binomial_sd);
  CHECK(std::fabs(rate - 0.95) <= 3 * binomial_sd);
}

TEST_CASE("a run to a target error stops at the first doubling that meets it and equals a "
          "plain run with as many paths",
          "[components][target]") {
  const Book b(kTwoAssets, kTwoLines);
  const SimSpec spec(b.market, b.portfolio, SimSettings{2, 1});
  RunSettings s;
  s.paths = 65536;  // the histogram pilot's full size: the bins match a plain run's
  s.seed = 21;
  s.components = true;
  s.target_rel_error = 0.006;
  s.max_paths = 4000000;
  s.batch_paths = 50000;
  const ScenarioResult t = simulate_scenario("baseline", spec, CpuBackend(2), s);
  REQUIRE(t.target_met);
  REQUIRE(t.convergence.size() >= 2);
  CHECK(t.convergence.back().paths == t.paths);
  const auto half = [&](const std::vector<LevelRisk>& levels) {
    for (const LevelRisk& l : levels)
      if (l.confidence == 0.975) return 0.5 * (l.es_hi - l.es_lo) / l.es;
    return 1.0;
  };
  CAPTURE(t.paths, half(t.levels));
  CHECK(half(t.levels) <= s.target_rel_error);
  CHECK(half(t.convergence[t.convergence.size() - 2].levels) > s.target_rel_error);
  for (std::size_t k = 0; k + 1 < t.convergence.size(); ++k)
    CHECK(t.convergence[k + 1].paths == 2 * t.convergence[k].paths);

  RunSettings plain = s;
  plain.target_rel_error = 0;
  plain.paths = t.paths;
  plain.batch_paths = 77777;
  const ScenarioResult p = simulate_scenario("baseline", spec, CpuBackend(1), plain);
  CHECK(p.paths == t.paths);
  CHECK(p.mean_loss == t.mean_loss);
  CHECK(p.stdev_loss == t.stdev_loss);
  CHECK(p.worst_loss == t.worst_loss);
  CHECK(p.histogram.counts() == t.histogram.counts());
  REQUIRE(p.tail_curve.size() == t.tail_curve.size());
  for (std::size_t k = 0; k < p.tail_curve.size(); ++k) CHECK(p.tail_curve[k].loss == t.tail_curve[k].loss);
  REQUIRE(p.levels.size() == t.levels.size());
  for (std::size_t k = 0; k < p.levels.size(); ++k) {
    CHECK(p.levels[k].var == t.levels[k].var);
    CHECK(p.levels[k].es == t.levels[k].es);
    CHECK(p.levels[k].var_lo == t.levels[k].var_lo);
    CHECK(p.levels[k].es_lo == t.levels[k].es_lo);
    CHECK(p.levels[k].es_hi == t.levels[k].es_hi);
  }
  REQUIRE(p.components.size() == t.components.size());
  for (std::size_t k = 0; k < p.components.size(); ++k) {
    CHECK(p.components[k].es_contribution == t.components[k].es_contribution);
    CHECK(p.components[k].var_contribution == t.components[k].var_contribution);
  }
  // The plain run's own convergence rows are its halvings, each equal to a plain run there.
  const std::vector<ConvergencePoint>& rows = p.convergence;
  REQUIRE(rows.size() >= 2);
  plain.paths = rows[rows.size() - 2].paths;
  const ScenarioResult half_run = simulate_scenario("baseline", spec, CpuBackend(2), plain);
  CHECK(half_run.levels[1].es == rows[rows.size() - 2].levels[1].es);
  CHECK(half_run.levels[1].es_lo == rows[rows.size() - 2].levels[1].es_lo);
}

TEST_CASE("a run to a target error keeps the tail its target level needs, above every confidence",
          "[components][target]") {
  // --confidence 0.999 with the target's ES at 0.975 (the default): the tail must hold 2.5% of
  // the paths at the stops, not the 0.1% the confidence alone needs (the stops' test read past
  // the kept tail before).
  const Book b(kTwoAssets, kTwoLines);
  const SimSpec spec(b.market, b.portfolio, SimSettings{2, 1});
  RunSettings s;
  s.paths = 4000;
  s.seed = 8;
  s.confidences = {0.999};
  s.target_rel_error = 1e-9;  // never met: the run goes to its cap
  s.max_paths = 64000;
  const ScenarioResult t = simulate_scenario("baseline", spec, CpuBackend(1), s);
  CHECK_FALSE(t.target_met);
  CHECK(t.paths == 64000);
  CHECK(t.convergence.size() == 5);
}

