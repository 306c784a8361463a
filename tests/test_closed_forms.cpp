// Monte Carlo VaR and ES against closed forms, and option books against no-arbitrage bounds.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "host/risk_engine.hpp"
#include "host/cpu/reference_backend.hpp"
#include "kernels/black_scholes.cuh"
#include "book_fixture.hpp"
#include "test_util.hpp"

using namespace chipshock;
using testing::Book;
using testing::kOneAsset;
using testing::kOneAssetBook;

namespace {


ScenarioResult run(const Book& b, int horizon, int steps, std::uint64_t paths) {
  const SimSpec spec(b.market, b.portfolio, SimSettings{horizon, steps});
  RunSettings s;
  s.paths = paths;
  s.seed = 17;
  return simulate_scenario("baseline", spec, CpuBackend(), s);
}

}  // namespace

TEST_CASE("Black-Scholes matches textbook values and put-call parity", "[closed_form]") {
  // Hull's example: S = K = 100, r = 5%, sigma = 20%, T = 1.
  const double c = black_scholes(OptionKind::kCall, 100, 100, 1, 0.05, 0.2);
  const double p = black_scholes(OptionKind::kPut, 100, 100, 1, 0.05, 0.2);
  CHECK(c == Approx(10.450583572185565).epsilon(1e-12));
  CHECK(p == Approx(5.573526022256971).epsilon(1e-12));
  for (double s : {50.0, 90.0, 130.0}) {
    const double cs = black_scholes(OptionKind::kCall, s, 100, 0.3, 0.04, 0.5);
    const double ps = black_scholes(OptionKind::kPut, s, 100, 0.3, 0.04, 0.5);
    CHECK(cs - ps == Approx(s - 100 * std::exp(-0.04 * 0.3)).epsilon(1e-12));
  }
  CHECK(black_scholes(OptionKind::kPut, 80, 100, 0.0, 0.04, 0.5) == 20.0);  // expiry: payoff
}

TEST_CASE("Black-Scholes-Merton with a dividend yield: parity, the dividend-adjusted spot, and "
          "the discounted payoff integrated", "[closed_form][issue17]") {
  const double r = 0.04, q = 0.03, vol = 0.35;
  for (double s : {60.0, 100.0, 140.0})
    for (double tau : {0.1, 0.75, 2.0}) {
      CAPTURE(s, tau);
      const double c = black_scholes(OptionKind::kCall, s, 100, tau, r, vol, q);
      const double p = black_scholes(OptionKind::kPut, s, 100, tau, r, vol, q);
      // parity with dividends: C - P = S e^-qT - K e^-rT
      CHECK(c - p == Approx(s * std::exp(-q * tau) - 100 * std::exp(-r * tau)).epsilon(1e-12));
      // the same as the non-dividend formula at the spot net of the dividends
      CHECK(c == Approx(black_scholes(OptionKind::kCall, s * std::exp(-q * tau), 100, tau, r, vol))
                     .epsilon(1e-12));
      // independently: e^-rT E[(S_T - K)+], S_T lognormal with drift r - q, by quadrature
      double integral = 0;
      const int n = 40000;
      const double lo = -12, h = 24.0 / n;
      for (int i = 0; i <= n; ++i) {
        const double z = lo + i * h;
        const double st = s * std::exp((r - q - 0.5 * vol * vol) * tau + vol * std::sqrt(tau) * z);
        const double w = (i == 0 || i == n) ? 0.5 : 1.0;  // trapezoid
        integral += w * std::max(st - 100, 0.0) * std::exp(-0.5 * z * z);
      }
      integral *= h / std::sqrt(2 * M_PI) * std::exp(-r * tau);
      CHECK(c == Approx(integral).epsilon(1e-6).margin(1e-7));  // trapezoid over the kink
      // a dividend lowers the call and raises the put
      CHECK(c < black_scholes(OptionKind::kCall, s, 100, tau, r, vol));
      CHECK(p > black_scholes(OptionKind::kPut, s, 100, tau, r, vol));
    }
  // q = 0 is the non-dividend formula bit for bit
  CHECK(black_scholes(OptionKind::kCall, 97, 100, 0.5, r, vol, 0.0) ==
        black_scholes(OptionKind::kCall, 97, 100, 0.5, r, vol));
}

TEST_CASE("single-asset VaR and ES match the lognormal closed form", "[closed_form]") {
  const double q = 1000, s0 = 100, sigma = 0.30, mu = 0.08;
  const Book b(kOneAsset, kOneAssetBook);
  // Log-Euler is exact for GBM, so the step count must not matter.
  for (const auto& [horizon, steps] : {std::pair<int, int>{10, 1}, {5, 4}}) {
    const std::uint64_t n = 1000000;
    const ScenarioResult r = run(b, horizon, steps, n);
    const double t = horizon / 252.0, sd = sigma * std::sqrt(t);
    const double z[] = {1.6448536269514722, 1.959963984540054, 2.3263478740408408};
    for (std::size_t k = 0; k < r.levels.size(); ++k) {
      const LevelRisk& l = r.levels[k];
      const double alpha = l.confidence;
      const double var = q * s0 * (1 - std::exp((mu - 0.5 * sigma * sigma) * t - sd * z[k]));
      const double phi = 0.5 * std::erfc((z[k] + sd) / std::sqrt(2.0));  // Phi(-z - sd)
      const double es = q * s0 * (1 - std::exp(mu * t) * phi / (1 - alpha));
      const double se_var = (l.var_hi - l.var_lo) / (2 * kZ975);
      CAPTURE(horizon, steps, alpha, l.var, var, se_var, l.var_lo, l.var_hi, l.es, es);
      CHECK(std::fabs(l.var - var) < 4 * se_var);
      CHECK(l.var_lo <= l.var);
      CHECK(l.var <= l.var_hi);
      CHECK(l.es == Approx(es).epsilon(0.01));
      CHECK(l.es > l.var);
    }
    const double mean = q * s0 * (1 - std::exp(mu * t));
    const double sdev = q * s0 * std::exp(mu * t) * std::sqrt(std::exp(sd * sd) - 1);
    CHECK(std::fabs(r.mean_loss - mean) < 4.5 * sdev / std::sqrt(double(n)));
    CHECK(r.stdev_loss == Approx(sdev).epsilon(0.005));
  }
}

TEST_CASE("a protective put bounds the loss as no-arbitrage says", "[closed_form][options]") {
  const double k = 95, cash = 500;
  const std::string pf = "name = \"married put\"\ncash = 500\n[[positions]]\nticker = \"X\"\n"
                         "quantity = 10\n[[positions]]\nticker = \"X\"\ntype = \"put\"\n"
                         "quantity = 10\nstrike = 95\nexpiry_days = %EXP%\n";
  SECTION("put expiring at the horizon: value >= strike, so loss <= V0 - 10 K") {
    std::string text = pf;
    text.replace(text.find("%EXP%"), 5, "10");
    const Book b(kOneAsset, text);
    const ScenarioResult r = run(b, 10, 1, 200000);
    const double p0 = black_scholes(OptionKind::kPut, 100, k, 10 / 252.0, 0.03, 0.30);
    const double bound = 10 * (100 + p0) + cash - (10 * k + cash);
    CAPTURE(r.worst_loss, bound, r.levels.back().var);
    CHECK(r.worst_loss <= bound + 1e-9);
    // The stock ends below the strike on about a fifth of paths: 95%+ VaR sits on the bound.
    CHECK(r.levels.front().var == Approx(bound).epsilon(1e-12));
  }
  SECTION("put with time left: S + P >= K exp(-r tau), so loss <= V0 - 10 K exp(-r tau)") {
    std::string text = pf;
    text.replace(text.find("%EXP%"), 5, "63");
    const Book b(kOneAsset, text);
    const ScenarioResult r = run(b, 10, 2, 200000);
    const double p0 = black_scholes(OptionKind::kPut, 100, k, 63 / 252.0, 0.03, 0.30);
    const double bound = 10 * (100 + p0) - 10 * k * std::exp(-0.03 * 53 / 252.0);
    CAPTURE(r.worst_loss, bound);
    CHECK(r.worst_loss <= bound + 1e-9);
    CHECK(r.worst_loss > 0.5 * bound);  // and the bound is approached, not vacuous
  }
}

TEST_CASE("an option on a dividend-paying asset is priced with its yield, today and at the "
          "horizon, on the SIMD kernel as on the scalar reference", "[closed_form][issue17]") {
  std::string market = kOneAsset;
  market.replace(market.find("vol = 0.30"), 10, "vol = 0.30\ndividend_yield = 0.04");
  const Book b(market, "name = \"calls\"\n[[positions]]\nticker = \"X\"\ntype = \"call\"\n"
                       "quantity = 1000\nstrike = 105.0\nexpiry_days = 126\nimplied_vol = 0.3\n");
  const SimSpec spec(b.market, b.portfolio, SimSettings{10, 1});
  const double tau0 = 126 / 252.0;
  CHECK(spec.book().value0 ==
        Approx(1000 * black_scholes(OptionKind::kCall, 100, 105, tau0, b.market.rate, 0.3, 0.04))
            .epsilon(1e-12));
  CHECK(spec.book().options[0].dividend_yield == 0.04);
  const std::uint64_t count = 64;
  std::vector<double> losses(count);
  CpuBackend(2).simulate_losses(spec, 5, 0, count, losses.data());
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::vector<float> x = reference_log_returns(spec, 5, k);
    const double s_t = 100 * std::exp(static_cast<double>(x[0]));
    const double want =
        spec.book().value0 -
        1000 * black_scholes(OptionKind::kCall, s_t, 105, tau0 - 10 / 252.0, b.market.rate, 0.3, 0.04);
    CHECK(losses[k] == Approx(want).epsilon(1e-5).margin(1e-6 * spec.gross_exposure()));
  }
}
