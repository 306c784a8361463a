// Path-dependent risk: drawdown and stop-loss breaches on any day, checked on a deterministic
// jump-and-recovery path and against the reflection principle for a driftless log-price.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include "host/analytics/path_risk.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/input_error.hpp"
#include "host/scenario/scenario.hpp"
#include "test_util.hpp"

using namespace chipshock;
using chipshock::testing::TempDir;

namespace {

std::string market(double vol) {
  // drift = vol^2 / 2 makes the log-price driftless.
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "currency = \"USD\"\nrate = 0.0\n[assets.A]\nspot = 100.0\nvol = %.17g\ndrift = %.17g\n",
                vol, 0.5 * vol * vol);
  return buf;
}

const char* const kBook = "name = \"a\"\n[[positions]]\nticker = \"A\"\nquantity = 1\n";


}  // namespace

TEST_CASE("a jump that partly recovers breaches on day 1 but not at the horizon",
          "[analytics][path_risk]") {
  TempDir dir;
  const Market m = load_market(dir.write("m.toml", market(1e-4)));
  const Portfolio p = load_portfolio(dir.write("p.toml", kBook), m);
  const Scenario sc = load_scenario(dir.write(
      "s.toml", "name = \"s\"\ndescription = \"x\"\n[[jumps]]\nday = 1\nreturns = { A = -0.2 }\n"
                "recovery = { fraction = 0.5, days = 2 }\n"));
  SimSettings sim;
  sim.horizon_days = 3;
  const PathRisk r = path_dependent_risk(m, p, sim, {sc}, CpuBackend(2), 1, 5000, 15.0);
  REQUIRE(r.scenarios.size() == 2);
  const PathRiskResult& base = r.scenarios[0];
  CHECK(base.prob_breach == 0.0);
  CHECK(base.drawdown_p99 < 0.1);
  const PathRiskResult& s = r.scenarios[1];
  CHECK(s.prob_breach == 1.0);
  CHECK(s.first_breach.at(0) == 1.0);
  CHECK(s.prob_breach_at_horizon == 0.0);  // 100 * (1 - 0.8^0.5) = 10.6 < 15
  CHECK(s.drawdown_p50 == Approx(20.0).margin(0.1));
}

TEST_CASE("breaches on any day follow the reflection principle with a discrete-monitoring "
          "correction",
          "[analytics][path_risk]") {
  TempDir dir;
  const double vol = 0.4;
  const Market m = load_market(dir.write("m.toml", market(vol)));
  const Portfolio p = load_portfolio(dir.write("p.toml", kBook), m);
  SimSettings sim;
  sim.horizon_days = 20;
  const double stop = 10.0;  // loss of 10 on a 100 share: log-price at or below ln(0.9)
  const PathRisk r = path_dependent_risk(m, p, sim, {}, CpuBackend(2), 7, 100000, stop);
  const PathRiskResult& b = r.scenarios.at(0);
  const double dt = 1.0 / 252, t = 20 * dt, s = vol * std::sqrt(t);
  const double barrier = -std::log(0.9);
  const double at_end = normal_cdf(-barrier / s);
  // Broadie, Glasserman and Kou (1997): daily monitoring ~ a continuous barrier moved out by
  // 0.5826 sigma sqrt(dt).
  const double shifted = barrier + 0.5826 * vol * std::sqrt(dt);
  const double any_day = 2 * normal_cdf(-shifted / s);
  const double n = static_cast<double>(r.paths);
  CHECK(std::fabs(b.prob_breach_at_horizon - at_end) < 4.5 * std::sqrt(at_end * (1 - at_end) / n));
  CHECK(b.prob_breach == Approx(any_day).epsilon(0.03));
  CHECK(b.prob_breach > b.prob_breach_at_horizon);
  // The first-breach distribution adds up to the probability of a breach.
  const double total = std::accumulate(b.first_breach.begin(), b.first_breach.end(), 0.0);
  CHECK(total == Approx(b.prob_breach).epsilon(1e-12));
  CHECK(b.drawdown_p99 >= b.drawdown_p95);
  CHECK(b.drawdown_p95 >= b.drawdown_p50);
}

TEST_CASE("path-risk path counts shrink with the horizon within their bounds",
          "[analytics][path_risk]") {
  CHECK(path_risk_paths(1000000, 10, 1, 16) == kMaxPathRiskPaths);
  CHECK(path_risk_paths(5000, 10, 1, 16) == 5000);
  // One pass over the horizon a path: the budget's asset-steps over (days x steps x assets).
  CHECK(path_risk_paths(1000000, 252, 1, 16) == kMaxPathRiskPaths);
  const std::uint64_t long_run = path_risk_paths(1000000, 2520, 1, 16);
  CHECK(long_run == static_cast<std::uint64_t>(kPathRiskBudget / (2520.0 * 16)));
  CHECK(long_run < kMaxPathRiskPaths);
  CHECK(path_risk_paths(1000000, 2520, 390, 16) == kMinPathRiskPaths);
  TempDir dir;
  const Market m = load_market(dir.write("m.toml", market(0.3)));
  const Portfolio p = load_portfolio(dir.write("p.toml", kBook), m);
  CHECK_THROWS_AS(path_dependent_risk(m, p, SimSettings{}, {}, CpuBackend(1), 1, 1000, -5),
                  InputError);
}
