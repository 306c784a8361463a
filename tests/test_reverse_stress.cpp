// Reverse stress test: the bisection finds the smallest factor shock whose ES reaches the target,
// ES grows monotonically with the shock, and impossible requests are refused.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <string>

#include "host/analytics/reverse_stress.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/input_error.hpp"
#include "test_util.hpp"

using namespace chipshock;
using chipshock::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

const char* const kMarket = R"(currency = "USD"
rate = 0.0
[assets.A]
spot = 100.0
vol = 0.3
exposures = { f = 2.0 }
[assets.B]
spot = 100.0
vol = 0.2
exposures = { f = 0.5, g = 1.0 }
[correlation]
tickers = ["A", "B"]
matrix = [[1.0, 0.5], [0.5, 1.0]]
)";

const char* const kBook = "name = \"ab\"\n[[positions]]\nticker = \"A\"\nquantity = 100\n"
                          "[[positions]]\nticker = \"B\"\nquantity = 100\n";

}  // namespace

TEST_CASE("reverse stress finds the smallest shock that lifts ES to the target",
          "[analytics][reverse]") {
  TempDir dir;
  const Market m = load_market(dir.write("m.toml", kMarket));
  const Portfolio p = load_portfolio(dir.write("p.toml", kBook), m);
  ReverseSettings s;
  s.factor = "f";
  s.target_loss = 4000;  // 20% of the 20,000 book
  s.paths = 40000;
  s.seed = 3;
  const ReverseResult r = reverse_stress(s, m, p, CpuBackend(2));
  CHECK(r.direction == "down");
  CHECK(r.shock < 0);
  CHECK(r.at_solution.es >= s.target_loss);
  CHECK(r.shock_lo <= r.shock);
  CHECK(r.shock_hi >= r.shock);
  // Roughly: a jump of 2s on A and 0.5s on B loses 100*100*(1-(1+2s)) + ... = -25000 s at first
  // order; with a 1-day 99% ES of the diffusion near 900 the shock is near -(4000-900)/25000.
  CHECK(r.shock == Approx(-0.124).margin(0.02));
  // Monotone: along the bisection, a larger fall never gives a smaller ES.
  auto points = r.evaluations;
  std::sort(points.begin(), points.end(),
            [](const ReversePoint& a, const ReversePoint& b) { return a.shock > b.shock; });
  for (std::size_t i = 1; i < points.size(); ++i)
    if (points[i].shock <= 0 && points[i - 1].shock <= 0) CHECK(points[i].es >= points[i - 1].es);
  // Minimal: a shock one tolerance smaller in magnitude does not reach the target.
  bool below = false;
  for (const ReversePoint& q : r.evaluations)
    below |= std::fabs(q.shock - (r.shock + s.tolerance)) < 1.5 * s.tolerance && q.es < s.target_loss;
  CHECK(below);
}

TEST_CASE("reverse stress: a target the baseline reaches, and refusals", "[analytics][reverse]") {
  TempDir dir;
  const Market m = load_market(dir.write("m.toml", kMarket));
  const Portfolio p = load_portfolio(dir.write("p.toml", kBook), m);
  ReverseSettings s;
  s.factor = "f";
  s.paths = 20000;
  s.target_loss = 10;
  CHECK(reverse_stress(s, m, p, CpuBackend(1)).reached_at_zero);
  s.target_loss = 1e9;
  CHECK_THROWS_WITH(reverse_stress(s, m, p, CpuBackend(1)), Contains("--target-loss: not reached"));
  s.target_loss = 4000;
  s.factor = "h";
  CHECK_THROWS_WITH(reverse_stress(s, m, p, CpuBackend(1)), Contains("unknown factor 'h'"));
  const Portfolio only_a =
      load_portfolio(dir.write("a.toml", "name = \"a\"\n[[positions]]\nticker = \"A\"\nquantity = 1\n"), m);
  s.factor = "g";
  CHECK_THROWS_WITH(reverse_stress(s, m, only_a, CpuBackend(1)), Contains("no position"));
}
