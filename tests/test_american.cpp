// American options (issue 17, part 5): the curve of host/pricing/american.hpp against a
// 2,000-step binomial tree over a grid of moneyness, maturity, vol, rate and dividend yield; its
// shape (exercise boundary, smooth pasting, continuity where the fit ends); and the option in a
// run: each backend's loss is the curve's price, the position's greeks and its errors.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "book_fixture.hpp"
#include "host/analytics/greeks.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/cpu_isa.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/input_error.hpp"
#include "host/pricing/american.hpp"
#include "host/sim_spec.hpp"
#include "kernels/american.cuh"
#include "kernels/black_scholes.cuh"
#include "test_util.hpp"

using namespace chipshock;
using namespace chipshock::testing;

namespace {

// Cox-Ross-Rubinstein tree with n steps, early exercise at every node.
double crr(OptionKind kind, double s, double k, double tau, double r, double q, double vol, int n) {
  const double dt = tau / n, up = std::exp(vol * std::sqrt(dt));
  const double p = (std::exp((r - q) * dt) - 1.0 / up) / (up - 1.0 / up);
  const double df = std::exp(-r * dt);
  const bool call = kind == OptionKind::kCall;
  std::vector<double> spot(2 * static_cast<std::size_t>(n) + 1);
  for (int i = -n; i <= n; ++i) spot[static_cast<std::size_t>(i + n)] = s * std::pow(up, i);
  auto payoff = [&](int level) {
    const double x = spot[static_cast<std::size_t>(level + n)];
    return std::max(call ? x - k : k - x, 0.0);
  };
  std::vector<double> v(static_cast<std::size_t>(n) + 1);
  for (int i = 0; i <= n; ++i) v[static_cast<std::size_t>(i)] = payoff(2 * i - n);
  for (int m = n - 1; m >= 0; --m)
    for (int i = 0; i <= m; ++i) {
      const double cont =
          df * (p * v[static_cast<std::size_t>(i) + 1] + (1 - p) * v[static_cast<std::size_t>(i)]);
      v[static_cast<std::size_t>(i)] = std::max(cont, payoff(2 * i - m));
    }
  return v[0];
}

const char* kind_name(OptionKind k) { return k == OptionKind::kCall ? "call" : "put"; }

}  // namespace

TEST_CASE("American prices agree with a 2,000-step binomial tree over a grid", "[american]") {
  // 1,080 options: put and call x moneyness x maturity x vol x rate x dividend yield. The tree is
  // the mean of the 2,000- and 2,001-step trees (a CRR tree's price oscillates between odd and
  // even step counts by more than the tolerance at short maturities; the mean cancels most of
  // it). Tolerance: 1e-3 of the tree's price, or of 0.5% of the strike where the price is
  // below that (the tree's own error on a price of a few cents is larger than 1e-3 of it:
  // there our price is the Black-Scholes price itself, q = 0 calls, see the next test).
  // The sanitizer job (CHIPSHOCK_TEST_LIGHT=1, test code at -O0, where the trees take 0.4 s an
  // option) checks every 20th option; the release build all of them.
  const int every = testing::light_tests() ? 20 : 1;
  const double k = 100;
  double worst = 0, worst_premium = 0;  // of all; of those with an early-exercise premium
  std::string worst_case;
  int n = 0;
  for (const OptionKind kind : {OptionKind::kPut, OptionKind::kCall})
    for (double m : {0.7, 0.85, 1.0, 1.15, 1.3})
      for (double tau : {0.05, 0.25, 1.0, 3.0})
        for (double vol : {0.15, 0.4, 0.8})
          for (double r : {0.01, 0.05, 0.1})
            for (double q : {0.0, 0.03, 0.08}) {
              if (n++ % every != 0) continue;
              const double s = k * m;
              const double ours = american_price(kind, s, k, tau, r, vol, q);
              const double tree = 0.5 * (crr(kind, s, k, tau, r, q, vol, 2000) +
                                         crr(kind, s, k, tau, r, q, vol, 2001));
              const double err = std::fabs(ours - tree) / std::max(tree, 0.005 * k);
              if (!american_curve(kind, k, tau, r, vol, q).european)
                worst_premium = std::max(worst_premium, err);
              if (err > worst) {
                worst = err;
                worst_case = std::string(kind_name(kind)) + " S=" + std::to_string(s) +
                             " T=" + std::to_string(tau) + " vol=" + std::to_string(vol) +
                             " r=" + std::to_string(r) + " q=" + std::to_string(q) +
                             " ours=" + std::to_string(ours) + " tree=" + std::to_string(tree);
              }
              // never below the European price nor the exercise value
              const double european = black_scholes(kind, s, k, tau, r, vol, q);
              CHECK(ours >= european - 1e-12 * k);
              CHECK(ours >= std::max(kind == OptionKind::kCall ? s - k : k - s, 0.0) - 1e-12 * k);
            }
  INFO((n + every - 1) / every << " of " << n << " options checked; worst relative error " << worst
                               << ": " << worst_case
                               << "; worst of those with an early-exercise premium "
                               << worst_premium);
  CHECK(n == 1080);
  CHECK(worst <= 1e-3);
}

TEST_CASE("American options without an early-exercise premium are the European price",
          "[american]") {
  // a call on a stock without dividends, a put at a rate <= 0, an expired option
  for (double s : {60.0, 100.0, 150.0}) {
    CAPTURE(s);
    CHECK(american_price(OptionKind::kCall, s, 100, 1.0, 0.05, 0.3, 0.0) ==
          black_scholes(OptionKind::kCall, s, 100, 1.0, 0.05, 0.3, 0.0));
    CHECK(american_price(OptionKind::kPut, s, 100, 1.0, -0.01, 0.3, 0.02) ==
          black_scholes(OptionKind::kPut, s, 100, 1.0, -0.01, 0.3, 0.02));
    CHECK(american_price(OptionKind::kPut, s, 100, 0.0, 0.05, 0.3, 0.0) == std::max(100 - s, 0.0));
  }
  // McDonald-Schroder symmetry: the call (spot S, strike K, rate r, yield q) is the put (spot
  // K, strike S, rate q, yield r)
  const double call = american_price(OptionKind::kCall, 110, 100, 1.0, 0.02, 0.35, 0.07);
  const double put = american_price(OptionKind::kPut, 100, 110, 1.0, 0.07, 0.35, 0.02);
  CHECK(call == Approx(put).epsilon(1e-9));
}

TEST_CASE("the American put's exercise boundary and its value there", "[american]") {
  const double k = 100, r = 0.06, q = 0.02, vol = 0.3;
  // below the strike, falling with the time to expiry, toward K min(1, r/q) at expiry
  double previous = k;
  for (double tau : {0.001, 0.01, 0.1, 0.5, 1.0, 3.0}) {
    const double b = american_put_boundary(k, tau, r, vol, q);
    CAPTURE(tau, b);
    CHECK(b < k);
    CHECK(b > 0);
    CHECK(b < previous);
    previous = b;
  }
  CHECK(american_put_boundary(k, 1e-6, r, vol, q) == Approx(k).epsilon(2e-3));
  // with q > r the boundary at expiry is K r / q
  CHECK(american_put_boundary(k, 1e-6, 0.02, vol, 0.05) == Approx(40.0).epsilon(5e-3));

  const AmericanCurve c = american_curve(OptionKind::kPut, k, 1.0, r, vol, q);
  const double b = c.boundary;
  CHECK(b == Approx(american_put_boundary(k, 1.0, r, vol, q)).epsilon(1e-12));
  // exercised at and below the boundary; value matches and its slope is -1 there (smooth pasting)
  CHECK(american_value(c, b) == k - b);
  // (each spot rounded first: a compiler may fuse `k - 0.9 * b` into one rounding)
  const double below = 0.9 * b;
  CHECK(american_value(c, below) == k - below);
  const double h = 1e-4 * b;
  const double above = american_value(c, b + h);
  CHECK(above == Approx(k - b - h).epsilon(1e-6));
  const double slope = (american_value(c, b + 2 * h) - american_value(c, b + h)) / h;
  CHECK(slope == Approx(-1.0).margin(2e-2));
  // continuous where the fitted premium ends (y = y_max) and the price turns European
  const double s_end = b * std::exp(c.y_max);
  const double inside = american_value(c, s_end * (1 - 1e-12));
  const double outside = american_value(c, s_end * (1 + 1e-12));
  CHECK(std::fabs(inside - outside) <= 1e-12 * k);
  CHECK(outside == black_scholes(OptionKind::kPut, s_end * (1 + 1e-12), k, 1.0, r, vol, q));
  // monotone in the spot across the continuation region
  double last = american_value(c, b);
  for (int i = 1; i <= 400; ++i) {
    const double s = b * std::exp(c.y_max * i / 400.0);
    const double v = american_value(c, s);
    CHECK(v <= last + 1e-12 * k);
    last = v;
  }
  // the same for a call, mirrored: exercised at s >= K / boundary
  const AmericanCurve cc = american_curve(OptionKind::kCall, k, 1.0, 0.02, vol, 0.06);
  const double exercise_at = k / cc.boundary;
  CHECK(exercise_at > k);
  const double beyond = exercise_at * 1.01;
  CHECK(american_value(cc, beyond) == beyond - k);
  CHECK(american_value(cc, exercise_at * (1 - 1e-6)) ==
        Approx(exercise_at * (1 - 1e-6) - k).epsilon(1e-6));
  // a NaN spot stays NaN
  CHECK(std::isnan(american_value(c, std::nan(""))));
}

TEST_CASE("American option inputs outside the method's domain are refused", "[american]") {
  CHECK_THROWS_AS(american_curve(OptionKind::kPut, 100, 1, 0.05, 0.0, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(american_curve(OptionKind::kPut, 100, 1, 0.05, 6.0, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(american_curve(OptionKind::kPut, 100, 31, 0.05, 0.3, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(american_curve(OptionKind::kPut, 100, 1, 1.5, 0.3, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(american_curve(OptionKind::kPut, -1, 1, 0.05, 0.3, 0.0), std::invalid_argument);
  // the extremes of the domain still solve
  CHECK(std::isfinite(american_price(OptionKind::kPut, 100, 100, 30, 0.2, 0.05, 0.0)));
  CHECK(std::isfinite(american_price(OptionKind::kPut, 100, 100, 1.0 / 252, 0.05, 5.0, 0.0)));
  CHECK(std::isfinite(american_price(OptionKind::kCall, 100, 100, 5, 0.0, 2.0, 0.5)));
}

TEST_CASE(
    "a run prices an American option with its curve, on every CPU kernel and the "
    "reference",
    "[american]") {
  // An asset of almost no vol and a drift: its spot at the horizon is known, so the loss of an
  // American put is the curve's repricing there, exactly.
  const Book b(
      "currency = \"USD\"\nrate = 0.05\n[assets.X]\nspot = 100.0\nvol = 1e-9\n"
      "drift = -2.0\ndividend_yield = 0.01\n",
      "name = \"am\"\n[[positions]]\nticker = \"X\"\ntype = \"put\"\nquantity = 1000\n"
      "strike = 105\nexpiry_days = 63\nimplied_vol = 0.4\nstyle = \"american\"\n");
  const int horizon = 10;
  const SimSpec spec(b.market, b.portfolio, SimSettings{horizon, 1});
  REQUIRE(spec.positions().size() == 1);
  CHECK(spec.positions()[0].label == "X american put 105 63d");
  const double tau0 = 63 / 252.0, tau_h = (63 - horizon) / 252.0;
  const double p0 = american_price(OptionKind::kPut, 100, 105, tau0, 0.05, 0.4, 0.01);
  CHECK(spec.positions()[0].unit_value0 == p0);
  CHECK(p0 > black_scholes(OptionKind::kPut, 100, 105, tau0, 0.05, 0.4, 0.01));
  const double s_h = 100 * std::exp(-2.0 * horizon / 252.0);
  const double expected =
      1000 * (p0 - american_price(OptionKind::kPut, s_h, 105, tau_h, 0.05, 0.4, 0.01));
  for (const CpuIsa isa : built_cpu_isas()) {
    if (!cpu_isa_supported(isa)) {
      WARN("SKIPPED: this CPU cannot run the " << cpu_isa_name(isa) << " kernel");
      continue;
    }
    std::vector<double> loss(37);
    CpuBackend(1, isa).simulate_losses(spec, 7, 0, loss.size(), loss.data(), nullptr);
    for (double l : loss) CHECK(l == Approx(expected).epsilon(1e-6));
  }
  CHECK(reference_path_loss(spec, 7, 3) == Approx(expected).epsilon(1e-6));
}

TEST_CASE("the SIMD kernels' American losses equal the curve path by path", "[american]") {
  // A volatile asset, a deep in-the-money put (exercised on part of the paths) and a call on a
  // dividend payer: every path's loss from the kernel against the scalar reference's.
  const Book b(
      "currency = \"USD\"\nrate = 0.04\n[assets.X]\nspot = 100.0\nvol = 0.6\n"
      "[assets.Y]\nspot = 50.0\nvol = 0.5\ndividend_yield = 0.05\n",
      "name = \"am\"\n[[positions]]\nticker = \"X\"\ntype = \"put\"\nquantity = 100\n"
      "strike = 150\nexpiry_days = 30\nstyle = \"american\"\n"
      "[[positions]]\nticker = \"Y\"\ntype = \"call\"\nquantity = -300\n"
      "strike = 45\nexpiry_days = 200\nstyle = \"american\"\n"
      "[[positions]]\nticker = \"Y\"\ntype = \"call\"\nquantity = 300\n"
      "strike = 45\nexpiry_days = 200\n");
  const SimSpec spec(b.market, b.portfolio, SimSettings{5, 1});
  const std::uint64_t n = 2003;
  std::vector<double> loss(n);
  CpuBackend(2).simulate_losses(spec, 11, 0, n, loss.data(), nullptr);
  double worst = 0;
  int exercised = 0;
  const BookView book = spec.book();
  REQUIRE(book.n_american == 2);
  for (std::uint64_t k = 0; k < n; ++k) {
    worst = std::max(worst, std::fabs(loss[k] - reference_path_loss(spec, 11, k)));
    const std::vector<float> x = reference_log_returns(spec, 11, k);
    exercised += 100 * std::exp(static_cast<double>(x[0])) <= book.american[0].boundary;
  }
  INFO(exercised << " of " << n << " paths end in the put's exercise region");
  CHECK(exercised > 100);
  CHECK(exercised < static_cast<int>(n) - 100);
  CHECK(worst <= 1e-6 * 100 * 150);  // float log-returns: the reference's spots, bar rounding
  // the short American call loses more than the long European one gains when Y rallies: the
  // early-exercise premium is positive
  CHECK(spec.positions()[1].unit_value0 > spec.positions()[2].unit_value0);
}

TEST_CASE("an American position's greeks and its errors", "[american]") {
  const Book b(
      "currency = \"USD\"\nrate = 0.05\nas_of = 2026-07-31\n[assets.X]\nspot = 100.0\n"
      "vol = 0.3\n",
      "name = \"am\"\n[[positions]]\nticker = \"X\"\ntype = \"put\"\nquantity = 10\n"
      "strike = 100\nexpiry_days = 126\nstyle = \"american\"\n"
      "[[positions]]\nticker = \"X\"\ntype = \"put\"\nquantity = 10\n"
      "strike = 160\nexpiry_days = 126\nstyle = \"american\"\n");
  const SimSpec spec(b.market, b.portfolio, SimSettings{1, 1});
  const ParametricRisk p = parametric_risk(b.market, spec, {0.99});
  REQUIRE(p.positions.size() == 2);
  const double tau = 126 / 252.0;
  const UnitGreeks euro = black_scholes_greeks(OptionKind::kPut, 100, 100, tau, 0.05, 0.3, 0.0);
  const PositionGreeks& atm = p.positions[0];
  CHECK(atm.value == Approx(10 * american_price(OptionKind::kPut, 100, 100, tau, 0.05, 0.3, 0)));
  // more negative delta than the European put, positive gamma and vega, all finite
  CHECK(atm.delta < 10 * euro.delta * 100);
  CHECK(atm.delta > -10 * 100);
  CHECK(atm.gamma > 0);
  CHECK(atm.vega > 0);
  CHECK(std::isfinite(atm.theta));
  // deep in the money: exercised now, worth K - S, a stock-like delta and no gamma or vega
  const PositionGreeks& deep = p.positions[1];
  CHECK(deep.value == Approx(10 * 60.0));
  CHECK(deep.delta == Approx(-10 * 100.0));
  CHECK(deep.gamma == Approx(0).margin(1e-9));
  CHECK(deep.vega == Approx(0).margin(1e-9));

  // an option the method cannot price: named by file, line and field, not a crash
  const Book bad("currency = \"USD\"\nrate = 0.05\n[assets.X]\nspot = 100.0\nvol = 0.3\n",
                 "name = \"am\"\n[[positions]]\nticker = \"X\"\ntype = \"put\"\nquantity = 10\n"
                 "strike = 100\nexpiry_days = 60\nimplied_vol = 7\nstyle = \"american\"\n");
  try {
    const SimSpec s(bad.market, bad.portfolio, SimSettings{1, 1});
    FAIL("an American option at a 700% implied vol was accepted");
  } catch (const InputError& e) {
    const std::string what = e.what();
    CHECK(what.find("p.toml:2") != std::string::npos);
    CHECK(what.find("positions[0].style") != std::string::npos);
    CHECK(what.find("(0, 5]") != std::string::npos);
  }
  // styles other than european and american
  TempDir dir;
  CHECK_THROWS_WITH(load_portfolio(dir.write("s.toml",
                                             "name = \"s\"\n[[positions]]\nticker = \"X\"\n"
                                             "type = \"put\"\nquantity = 1\nstrike = 9\n"
                                             "expiry_days = 5\nstyle = \"bermudan\"\n"),
                                   bad.market),
                    Catch::Contains("positions[0].style: unknown style 'bermudan'"));
}
