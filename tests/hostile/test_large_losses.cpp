// No silent wrong numbers (issue "nothing wrong, nothing lost", class 1): every finite loss counts
// in every statistic whatever its size, the statistics do not depend on the book's cash, and a
// NaN or infinite loss is counted and said. Each engine case is checked against an independent
// computation on the same paths (CpuBackend::simulate_losses, then sorting and long double sums
// here), and the sums are checked to be bit-identical for any split and merge order.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/sim_spec.hpp"
#include "host/stats/accumulator_state.hpp"
#include "host/stats/exact_sum.hpp"
#include "host/stats/risk_measures.hpp"

using namespace chipshock;

namespace {

// The statistics of a set of losses, computed here from scratch: the finite ones sorted, the
// moments as long double sums in increasing magnitude (two passes for the variance).
struct Independent {
  std::uint64_t finite = 0, non_finite = 0;
  long double mean = 0, stdev = 0;
  double max = -HUGE_VAL;
  std::vector<double> descending;

  explicit Independent(const std::vector<double>& losses) {
    for (const double x : losses) {
      if (std::isfinite(x)) {
        descending.push_back(x);
      } else {
        ++non_finite;
      }
    }
    finite = descending.size();
    std::vector<double> by_size = descending;
    std::sort(by_size.begin(), by_size.end(),
              [](double a, double b) { return std::fabs(a) < std::fabs(b); });
    long double s = 0;
    for (const double x : by_size) s += x;
    mean = finite ? s / static_cast<long double>(finite) : 0;
    std::vector<long double> dev;
    for (const double x : by_size) dev.push_back((x - mean) * (x - mean));
    std::sort(dev.begin(), dev.end());
    long double ss = 0;
    for (const long double d : dev) ss += d;
    stdev = finite > 1 ? std::sqrt(ss / static_cast<long double>(finite - 1)) : 0;
    std::sort(descending.begin(), descending.end(), std::greater<double>());
    if (!descending.empty()) max = descending.front();
  }
  // The ceil(N alpha)-th smallest finite loss.
  double var(double confidence) const {
    const auto rank = static_cast<std::uint64_t>(
        std::ceil(static_cast<double>(finite) * confidence - 1e-9));  // 1-based, ascending
    return descending[finite - rank];
  }
  // The mean of the worst N (1 - alpha) losses, the last one with its fractional weight.
  double es(double confidence) const {
    const double m = tail_mass(finite, confidence);
    const auto whole = static_cast<std::size_t>(std::floor(m));
    long double s = 0;
    for (std::size_t i = 0; i < whole; ++i) s += descending[i];
    if (whole < descending.size()) s += (m - static_cast<double>(whole)) * descending[whole];
    return static_cast<double>(s / m);
  }
};

// |got - want| <= rel |want| + abs.
void check_close(double got, long double want, double rel, long double abs = 0) {
  INFO("got " << got << ", independent " << static_cast<double>(want));
  CHECK(std::isfinite(got));
  CHECK(std::fabs(static_cast<long double>(got) - want) <=
        rel * std::fabs(want) + abs + std::numeric_limits<double>::denorm_min());
}

// simulate_scenario against the independent statistics of the same paths. The sums' grids
// round a loss to 2^-51 of the book's gross exposure g and a square to 2^-65 g^2 at most (what
// README's "Reliability" states), so the mean may differ by that much and the variance by 2^-65
// g^2.
ScenarioResult check_run(const SimSpec& spec, std::uint64_t paths) {
  const long double g = spec.gross_exposure();
  RunSettings s;
  s.paths = paths;
  s.seed = 99;
  s.confidences = {0.95, 0.99};
  const ScenarioResult r = simulate_scenario("extreme", spec, CpuBackend(2), s);
  std::vector<double> losses(paths);
  CpuBackend(1).simulate_losses(spec, s.seed, 0, paths, losses.data());
  const Independent ind(losses);
  CHECK(r.paths == paths);
  CHECK(r.non_finite == ind.non_finite);
  check_close(r.mean_loss, ind.mean, 1e-12, std::ldexp(g, -51));
  check_close(r.stdev_loss, ind.stdev, 1e-11,
              ind.stdev > 0 ? std::ldexp(g * g, -65) / ind.stdev : 0);
  CHECK(r.stdev_loss >= 0);
  CHECK(r.worst_loss == ind.max);
  REQUIRE(r.levels.size() == 2);
  for (const LevelRisk& l : r.levels) {
    INFO("confidence " << l.confidence);
    CHECK(l.var == ind.var(l.confidence));
    check_close(l.es, ind.es(l.confidence), 1e-12);
    CHECK(l.var <= r.worst_loss);
    CHECK(l.es >= l.var);
  }
  return r;
}

std::string market_text(const std::string& assets, const std::string& extra = "") {
  return "currency = \"USD\"\nrate = 0.0\n" + extra + assets;
}

std::string asset(const std::string& ticker, double spot, double vol, double drift = 0.0) {
  std::ostringstream s;
  s.precision(17);
  s << "[assets." << ticker << "]\nspot = " << spot << "\nvol = " << vol << "\ndrift = " << drift
    << "\n";
  return s.str();
}

std::string book(const std::vector<std::pair<std::string, double>>& lines, double cash = 0) {
  std::ostringstream s;
  s.precision(17);
  s << "name = \"extreme\"\ncash = " << cash << "\n";
  for (const auto& [ticker, quantity] : lines)
    s << "[[positions]]\nticker = \"" << ticker << "\"\nquantity = " << quantity << "\n";
  return s.str();
}

SimSettings horizon(int days) {
  SimSettings sim;
  sim.horizon_days = days;
  return sim;
}

}  // namespace

TEST_CASE("a wide sum is exact for any finite doubles and squares, in any order",
          "[hostile][large-losses]") {
  WideSum a;
  a.add(0x1p1000);
  a.add(0x1p-1000);
  a.add(-0x1p1000);
  CHECK(a.value() == std::ldexp(1.0L, -1000));  // exact: no cancellation error
  WideSum sq;
  for (int k = 0; k < 3; ++k) sq.add_square(1e200);  // 3e400: beyond any double
  CHECK(static_cast<double>(sq.value() / 1e400L) == Approx(3.0).epsilon(1e-15));
  WideSum tiny;
  tiny.add(std::numeric_limits<double>::denorm_min());
  tiny.add_square(std::numeric_limits<double>::denorm_min());
  CHECK(tiny.value() == std::ldexp(1.0L, -1074));  // + 2^-2148, below a long double's ulp
  WideSum tiny_sq;  // subnormal squares, exactly: below any double, not below the wide sum
  tiny_sq.add_square(std::numeric_limits<double>::denorm_min());
  tiny_sq.add_square(3 * std::numeric_limits<double>::denorm_min());
  CHECK(tiny_sq.value() == std::ldexp(10.0L, -2148));

  // Random terms over the whole double range, summed in two orders and in merged parts.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> exponent(-1000, 1000);
  std::vector<double> v(4000);
  for (double& x : v) x = ((rng() & 1) ? -1 : 1) * std::pow(2.0, exponent(rng));
  WideSum forward, backward, parts[3], merged;
  for (const double x : v) forward.add(x);
  for (auto it = v.rbegin(); it != v.rend(); ++it) backward.add(*it);
  for (std::size_t k = 0; k < v.size(); ++k) parts[k % 3].add(v[k]);
  for (const WideSum& p : parts) merged.merge(p);
  CHECK(forward.value() == backward.value());
  CHECK(forward.value() == merged.value());
  std::vector<double> by_size = v;
  std::sort(by_size.begin(), by_size.end(),
            [](double x, double y) { return std::fabs(x) < std::fabs(y); });
  long double s = 0;
  for (const double x : by_size) s += x;
  CHECK(static_cast<double>(forward.value()) == Approx(static_cast<double>(s)).epsilon(1e-15));
}

TEST_CASE("losses of every size count in every statistic, bit-identically for any split",
          "[hostile][large-losses]") {
  // From 1e-30 to 1e300 times the scale, both signs: on the grids, beyond them, and squares
  // beyond any double.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> decade(-30, 300);
  std::vector<double> v(20000);
  for (double& x : v) x = ((rng() % 3 == 0) ? -1 : 1) * std::pow(10.0, decade(rng));
  v[17] = std::numeric_limits<double>::max();
  v[18] = -std::numeric_limits<double>::max();
  const Independent ind(v);
  long double total = 0;  // the long double sums here err by ~2^-64 of it
  for (const double x : v) total += std::fabs(x);
  LossAccumulator whole(1.0, 2000);
  whole.add(v.data(), v.size(), 0);
  CHECK(whole.count() == v.size());
  CHECK(whole.non_finite() == 0);
  CHECK(whole.far() > 0);
  check_close(whole.mean(), ind.mean, 1e-15, 1e-16L * total / v.size());
  check_close(whole.stdev(), ind.stdev, 1e-12);
  CHECK(whole.max() == ind.max);
  CHECK(whole.tail(2000) ==
        std::vector<double>(ind.descending.begin(), ind.descending.begin() + 2000));

  for (const std::size_t parts : {2u, 7u, 64u}) {
    INFO(parts << " parts, merged in reverse");
    std::vector<LossAccumulator> partial(parts, whole.empty_like());
    for (std::size_t k = 0; k < v.size(); ++k) partial[k % parts].add(&v[k], 1, k);
    LossAccumulator merged = whole.empty_like();
    for (auto it = partial.rbegin(); it != partial.rend(); ++it) merged.merge(*it);
    CHECK(merged.count() == whole.count());
    CHECK(merged.far() == whole.far());
    CHECK(merged.mean() == whole.mean());
    CHECK(merged.stdev() == whole.stdev());
    CHECK(merged.tail() == whole.tail());
    // Images (checkpoints, MPI) carry the wide sums: decoding and merging images give the same.
    const LossAccumulator decoded = decode_accumulator(encode_accumulator(merged));
    CHECK(decoded.mean() == whole.mean());
    CHECK(decoded.stdev() == whole.stdev());
    CHECK(decoded.far() == whole.far());
    std::string image = encode_accumulator(partial[0]);
    for (std::size_t k = 1; k < parts; ++k)
      image = merge_accumulator_images(image, encode_accumulator(partial[k]));
    CHECK(image == encode_accumulator(merged));
  }
}

TEST_CASE("an image whose wide sum digits no run writes is refused", "[hostile][large-losses]") {
  LossAccumulator acc(1.0, 4);
  const std::vector<double> v{1e200, -3e250, 5.0};
  acc.add(v.data(), v.size(), 0);
  const std::string good = encode_accumulator(acc);
  CHECK(decode_accumulator(good).mean() == acc.mean());
  // An image of version 3 (the narrower grids) is refused with the way out.
  std::string old = good;
  old[8] = 3;
  CHECK_THROWS_WITH(decode_accumulator(old), Catch::Matchers::Contains("without --resume"));
}

TEST_CASE("a short book under huge upward jumps keeps its whole tail", "[hostile][large-losses]") {
  // +1000% on 60 days (half of them with a random size) and a drift of 1000% a year: losses
  // near 1e67 times the book. The old grids left out every loss beyond ~1e9 times the book and
  // took VaR from the small ones.
  const Market m = load_market_text(market_text(asset("X", 100, 0.6, 10.0)), "jumps.toml");
  const Portfolio p = load_portfolio_text(book({{"X", -10}}), "short.toml", m);
  std::string jumps;
  for (int d = 1; d <= 60; ++d)
    jumps += "[[jumps]]\nday = " + std::to_string(d) + "\nreturns = { X = 10.0 }\n" +
             (d % 2 ? "size = { distribution = \"normal\", sd = 0.5 }\n" : "");
  const Scenario sc =
      load_scenario_text("name = \"moon\"\ndescription = \"rockets\"\n" + jumps, "moon.toml");
  const SimSpec spec(m, p, horizon(252), apply_scenario(sc, m, 252));
  const ScenarioResult r = check_run(spec, 20000);
  CHECK(r.non_finite == 0);
  CHECK(r.levels[1].var > 1e60);
}

TEST_CASE("tiny and huge notionals give the same numbers, scaled exactly",
          "[hostile][large-losses]") {
  // Quantities and spots that are powers of two scale every loss exactly; the grids follow the
  // book, so every statistic scales exactly too.
  const auto run = [](double quantity, double spot) {
    const Market m =
        load_market_text(market_text(asset("X", spot, 0.45) + asset("Y", spot, 0.3)), "m.toml");
    const Portfolio p =
        load_portfolio_text(book({{"X", quantity}, {"Y", -0.5 * quantity}}), "p.toml", m);
    const SimSpec spec(m, p, horizon(10));
    return check_run(spec, 20000);
  };
  const ScenarioResult unit = run(1, 1);
  const ScenarioResult tiny = run(0x1p-30, 0x1p-19);  // a book of ~1e-15
  const ScenarioResult huge = run(0x1p39, 0x1p29);    // a book of ~3e20
  for (const auto& [r, scale] : {std::pair{tiny, 0x1p-49}, std::pair{huge, 0x1p68}}) {
    INFO("scale " << scale);
    CHECK(r.mean_loss == unit.mean_loss * scale);
    CHECK(r.stdev_loss == unit.stdev_loss * scale);
    CHECK(r.worst_loss == unit.worst_loss * scale);
    for (std::size_t k = 0; k < r.levels.size(); ++k) {
      CHECK(r.levels[k].var == unit.levels[k].var * scale);
      CHECK(r.levels[k].es == unit.levels[k].es * scale);
    }
  }
}

TEST_CASE("cash changes no statistic of the loss", "[hostile][large-losses]") {
  const Market m =
      load_market_text(market_text(asset("X", 120, 0.5) + asset("Y", 80, 0.35)), "m.toml");
  const auto run = [&](double cash) {
    const Portfolio p = load_portfolio_text(book({{"X", 3}, {"Y", 2}}, cash), "p.toml", m);
    return check_run(SimSpec(m, p, horizon(5)), 20000);
  };
  const ScenarioResult none = run(0);
  for (const double cash : {1e6, -1e9, 1e15, -1e15}) {
    INFO("cash " << cash);
    const ScenarioResult r = run(cash);
    CHECK(r.stdev_loss > 0);
    CHECK(r.stdev_loss == none.stdev_loss);
    CHECK(r.mean_loss == none.mean_loss);
    for (std::size_t k = 0; k < r.levels.size(); ++k) {
      CHECK(r.levels[k].var == none.levels[k].var);
      CHECK(r.levels[k].es == none.levels[k].es);
    }
  }
}

TEST_CASE("a market-neutral book reports its small, positive stdev", "[hostile][large-losses]") {
  // Long X, short an almost identical Y: losses are ~1e-6 of the gross exposure.
  const Market m = load_market_text(
      market_text(asset("X", 100, 0.3) + asset("Y", 100, 0.3),
                  "[correlation]\ntickers = [\"X\", \"Y\"]\nmatrix = [[1.0, 0.9999999999], "
                  "[0.9999999999, 1.0]]\n"),
      "neutral.toml");
  const Portfolio p = load_portfolio_text(book({{"X", 1000}, {"Y", -1000}}, 1e12), "p.toml", m);
  const ScenarioResult r = check_run(SimSpec(m, p, horizon(1)), 20000);
  CHECK(r.stdev_loss > 0);
  CHECK(r.stdev_loss < 1e-3 * 200000);
}

TEST_CASE("ten years of large drifts, long and short, count every path",
          "[hostile][large-losses]") {
  const Market m = load_market_text(
      market_text(asset("X", 50, 0.9, 10.0) + asset("Y", 900, 0.2, -10.0)), "drift.toml");
  for (const double sign : {1.0, -1.0}) {
    INFO("sign " << sign);
    const Portfolio p = load_portfolio_text(book({{"X", sign * 7}, {"Y", -sign * 2}}), "p.toml", m);
    const ScenarioResult r = check_run(SimSpec(m, p, horizon(2520)), 4000);
    CHECK(r.non_finite == 0);
    CHECK(std::fabs(r.mean_loss) > 1e40);  // e^100 times the book
  }
}
