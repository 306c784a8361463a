// Each scenario primitive's effect, measured on simulated paths. The scenario runs use the
// baseline's random numbers (same seed, same path index), so many effects are checked path by
// path: a deterministic jump shifts every path's log-return by exactly the jump.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/sim_spec.hpp"
#include "test_util.hpp"

using namespace chipshock;
using chipshock::testing::TempDir;

namespace {

const char* const kMarket = R"(currency = "USD"
rate = 0.0
[assets.A]
spot = 100.0
vol = 0.30
drift = 0.05
exposures = { f = 2.0 }
[assets.B]
spot = 50.0
vol = 0.20
sector = "tech"
[correlation]
tickers = ["A", "B"]
matrix = [[1.0, 0.3], [0.3, 1.0]]
)";

const char* const kBook = R"(name = "one share of A"
[[positions]]
ticker = "A"
quantity = 1
)";

const char* const kHeader = "name = \"s\"\ndescription = \"test\"\n";

// A market, a book and (optionally) a scenario, with the specs built from them.
struct Setup {
  TempDir dir;
  Market market;
  Portfolio book;
  std::unique_ptr<SimSpec> base, scen;
  Setup(const std::string& scenario_body, int horizon, const std::string& market_text = kMarket,
        const std::string& book_text = kBook) {
    market = load_market(dir.write("m.toml", market_text));
    book = load_portfolio(dir.write("p.toml", book_text), market);
    SimSettings s;
    s.horizon_days = horizon;
    base = std::make_unique<SimSpec>(market, book, s);
    const Scenario sc = load_scenario(dir.write("s.toml", kHeader + scenario_body));
    scen = std::make_unique<SimSpec>(market, book, s, apply_scenario(sc, market, horizon));
  }
};

std::vector<double> losses(const SimSpec& spec, std::uint64_t n, std::uint64_t seed = 11) {
  std::vector<double> out(n);
  CpuBackend(2).simulate_losses(spec, seed, 0, n, out.data());
  return out;
}

}  // namespace

TEST_CASE("a day-1 jump of -17% with probability 1 shifts every path exactly",
          "[scenario][effects]") {
  Setup s("[[jumps]]\nday = 1\nreturns = { A = -0.17 }\n", 1);
  const std::uint64_t n = 20000;
  const std::vector<double> lb = losses(*s.base, n), ls = losses(*s.scen, n);
  const double v0 = 100.0;
  double worst = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    // value at the horizon scales by 0.83 on every path
    const double expect = v0 - 0.83 * (v0 - lb[i]);
    worst = std::max(worst, std::fabs(ls[i] - expect) / v0);
  }
  CHECK(worst < 2e-6);  // float rounding of the log-price
  // Per-path log-returns (scalar reference): shifted by ln(0.83) for A, unchanged for B.
  for (std::uint64_t p = 0; p < 200; ++p) {
    const auto xb = reference_log_returns(*s.base, 11, p);
    const auto xs = reference_log_returns(*s.scen, 11, p);
    CHECK(xs[0] - xb[0] == Approx(std::log(0.83)).margin(1e-6));
    CHECK(xs[1] == xb[1]);
  }
}

TEST_CASE("a jump with probability p puts mass p in the jump's cluster", "[scenario][effects]") {
  const double p = 0.03;
  Setup s("[[jumps]]\nday = 1\nprobability = 0.03\nreturns = { A = -0.5 }\n", 1);
  const std::uint64_t n = 200000;
  const std::vector<double> ls = losses(*s.scen, n);
  // 1-day vol 1.9%: without the jump a loss above 25 (25%) is a 13-sigma event.
  std::uint64_t hit = 0;
  for (double l : ls) hit += l > 25.0;
  const double frac = static_cast<double>(hit) / static_cast<double>(n);
  const double se = std::sqrt(p * (1 - p) / static_cast<double>(n));
  CHECK(std::fabs(frac - p) < 4.5 * se);
  // The 99% VaR then lies in the jump cluster (about a 50% loss), the 95% VaR does not.
  RunSettings rs;
  rs.paths = n;
  rs.seed = 11;
  rs.confidences = {0.95, 0.99};
  const ScenarioResult r = simulate_scenario("s", *s.scen, CpuBackend(2), rs);
  CHECK(r.levels[1].var == Approx(50.0).margin(3.0));
  CHECK(r.levels[0].var < 5.0);
  CHECK(r.prob_loss > 0.5);
}

TEST_CASE("a recovery reverts its fraction of the jump over its days", "[scenario][effects]") {
  // Day 1: -20%; half of the log-jump reverts over days 2 and 3. Horizon 3: net 0.5 * ln(0.8).
  Setup s("[[jumps]]\nday = 1\nreturns = { A = -0.2 }\nrecovery = { fraction = 0.5, days = 2 }\n",
          3);
  for (std::uint64_t p = 0; p < 200; ++p) {
    const auto xb = reference_log_returns(*s.base, 11, p);
    const auto xs = reference_log_returns(*s.scen, 11, p);
    CHECK(xs[0] - xb[0] == Approx(0.5 * std::log(0.8)).margin(2e-6));
  }
  // Horizon 2: only the first of the two recovery days has passed.
  Setup s2("[[jumps]]\nday = 1\nreturns = { A = -0.2 }\nrecovery = { fraction = 0.5, days = 2 }\n",
           2);
  for (std::uint64_t p = 0; p < 50; ++p) {
    const auto xb = reference_log_returns(*s2.base, 11, p);
    const auto xs = reference_log_returns(*s2.scen, 11, p);
    CHECK(xs[0] - xb[0] == Approx(0.75 * std::log(0.8)).margin(2e-6));
  }
}

TEST_CASE("a random day in a window lands in the horizon with the right frequency",
          "[scenario][effects]") {
  // Days 1-4 uniform, horizon 2: half the paths see the jump.
  Setup s("[[jumps]]\ndays = [1, 4]\nreturns = { A = -0.2 }\n", 2);
  const int n = 20000;
  int jumped = 0;
  for (int p = 0; p < n; ++p) {
    const auto xb = reference_log_returns(*s.base, 3, static_cast<std::uint64_t>(p));
    const auto xs = reference_log_returns(*s.scen, 3, static_cast<std::uint64_t>(p));
    const double d = xs[0] - xb[0];
    const bool hit = std::fabs(d - std::log(0.8)) < 1e-5;
    CHECK((hit || std::fabs(d) < 1e-5));
    jumped += hit;
  }
  CHECK(std::fabs(jumped / double(n) - 0.5) < 4.5 * std::sqrt(0.25 / n));
}

TEST_CASE("random jump sizes have the stated mean and spread", "[scenario][effects]") {
  for (const char* dist : {"{ distribution = \"normal\", sd = 0.5 }",
                           "{ distribution = \"student_t\", sd = 0.5, dof = 5 }"}) {
    CAPTURE(dist);
    Setup s(std::string("[[jumps]]\nday = 1\nreturns = { A = -0.1 }\nsize = ") + dist + "\n", 1);
    const int n = 40000;
    const double j = std::log(0.9);
    double sum = 0, sum2 = 0;
    for (int p = 0; p < n; ++p) {
      const auto xb = reference_log_returns(*s.base, 5, static_cast<std::uint64_t>(p));
      const auto xs = reference_log_returns(*s.scen, 5, static_cast<std::uint64_t>(p));
      const double m = (xs[0] - xb[0]) / j;  // the size multiplier of this path
      sum += m;
      sum2 += m * m;
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    CHECK(std::fabs(mean - 1.0) < 4.5 * 0.5 / std::sqrt(n));
    // sd 0.5 within 5% (the Student-t sample variance is noisier: kurtosis 9 at dof 5)
    CHECK(std::sqrt(var) == Approx(0.5).epsilon(0.05));
  }
}

TEST_CASE("factor and sector shocks move tickers by their loadings and sector defaults",
          "[scenario][effects]") {
  // A: loading 2 on f -> 2 * -0.05 = -10%; B: sector default -4%.
  Setup s("[[jumps]]\nday = 1\nfactors = { f = -0.05 }\nsectors = { tech = -0.04 }\n", 1);
  for (std::uint64_t p = 0; p < 100; ++p) {
    const auto xb = reference_log_returns(*s.base, 1, p);
    const auto xs = reference_log_returns(*s.scen, 1, p);
    CHECK(xs[0] - xb[0] == Approx(std::log(0.9)).margin(1e-6));
    CHECK(xs[1] - xb[1] == Approx(std::log(0.96)).margin(1e-6));
  }
}

TEST_CASE("regimes scale vols, override drifts and stress correlations as stated",
          "[scenario][effects]") {
  // Day 1 of 2: vols x2, drift -1.0 a year, correlation halfway to 1 (0.3 -> 0.65).
  Setup s("[[regimes]]\ndays = [1, 1]\nvol_scale = 2.0\ndrift = -1.0\n"
          "correlation = { toward = \"ones\", weight = 0.5 }\n",
          2);
  const int n = 100000;
  const double dt = 1.0 / 252;
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (int p = 0; p < n; ++p) {
    const auto x = reference_log_returns(*s.scen, 9, static_cast<std::uint64_t>(p));
    sa += x[0];
    sb += x[1];
    saa += double(x[0]) * x[0];
    sbb += double(x[1]) * x[1];
    sab += double(x[0]) * x[1];
  }
  const double ma = sa / n, mb = sb / n;
  const double va = saa / n - ma * ma, vb = sbb / n - mb * mb, cab = sab / n - ma * mb;
  // Day 1: sigma 0.6 / 0.4, drift -1; day 2: sigma 0.3 / 0.2, drift 0.05 / 0.
  const double va_exp = (0.36 + 0.09) * dt, vb_exp = (0.16 + 0.04) * dt;
  const double ma_exp = (-1.0 - 0.18) * dt + (0.05 - 0.045) * dt;
  const double mb_exp = (-1.0 - 0.08) * dt + (0.0 - 0.02) * dt;
  CHECK(va == Approx(va_exp).epsilon(4.5 * std::sqrt(2.0 / n)));
  CHECK(vb == Approx(vb_exp).epsilon(4.5 * std::sqrt(2.0 / n)));
  CHECK(std::fabs(ma - ma_exp) < 4.5 * std::sqrt(va_exp / n));
  CHECK(std::fabs(mb - mb_exp) < 4.5 * std::sqrt(vb_exp / n));
  const double cov_exp = (0.65 * 0.6 * 0.4 + 0.3 * 0.3 * 0.2) * dt;
  CHECK(cab == Approx(cov_exp).epsilon(0.03));
}

TEST_CASE("the SIMD backend matches the scalar reference with every scenario feature on",
          "[scenario][effects]") {
  const std::string t_market = std::string(kMarket).replace(0, 0, "dof = 4.5\n");
  Setup s(R"([[jumps]]
days = [1, 3]
probability = 0.6
returns = { A = -0.15, B = 0.05 }
size = { distribution = "student_t", sd = 0.3, dof = 4 }
recovery = { fraction = 0.4, days = 2 }
[[jumps]]
day = 2
factors = { f = -0.02 }
sectors = { tech = -0.03 }
[[regimes]]
days = [2, 3]
vol_scale = { A = 1.7 }
drift = { B = -0.4 }
correlation = { toward = "ones", weight = 0.3 }
)",
          4, t_market,
          "name = \"b\"\ncash = 10\n[[positions]]\nticker = \"A\"\nquantity = 3\n"
          "[[positions]]\nticker = \"B\"\ntype = \"put\"\nquantity = 5\nstrike = 48\n"
          "expiry_days = 20\n");
  const std::uint64_t n = 3000;
  const std::vector<double> simd = losses(*s.scen, n, 21);
  double worst = 0;
  for (std::uint64_t p = 0; p < n; ++p) {
    const double ref = reference_path_loss(*s.scen, 21, p);
    worst = std::max(worst, std::fabs(simd[p] - ref) / s.scen->gross_exposure());
  }
  CHECK(worst < 1e-6);
  // Bit-identical for any thread count.
  std::vector<double> one(n);
  CpuBackend(1).simulate_losses(*s.scen, 21, 0, n, one.data());
  CHECK(one == simd);
}
