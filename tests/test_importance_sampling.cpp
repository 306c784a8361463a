// Importance sampling (--importance-sampling): the weighted estimators against the plain ones and
// hand-computed values, the change of measure against closed forms and plain Monte Carlo, its
// variance reduction, the SIMD lanes against the scalar reference, and the allocation sums.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "host/analytics/importance_sampling.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/qmc/sobol_tables.hpp"
#include "host/stats/weighted_risk.hpp"
#include "kernels/importance_sampling.cuh"
#include "book_fixture.hpp"
#include "test_util.hpp"

using namespace chipshock;
using testing::Book;
using testing::kOneAsset;
using testing::kOneAssetBook;

namespace {


// Three correlated assets, optionally Student-t, with an option in the book.
std::string three_assets(double dof) {
  std::string m =
      "currency = \"USD\"\nrate = 0.03\n" + (dof > 0 ? "dof = " + std::to_string(dof) + "\n" : "") +
      "[assets.A]\nspot = 100.0\nvol = 0.45\n[assets.B]\nspot = 50.0\nvol = 0.30\n"
      "[assets.C]\nspot = 20.0\nvol = 0.60\n"
      "[correlation]\ntickers = [\"A\", \"B\", \"C\"]\n"
      "matrix = [[1.0, 0.5, 0.3], [0.5, 1.0, 0.2], [0.3, 0.2, 1.0]]\n";
  return m;
}
const char* const kThreeBook =
    "name = \"three\"\n[[positions]]\nticker = \"A\"\nquantity = 1000\n"
    "[[positions]]\nticker = \"B\"\nquantity = 3000\n"
    "[[positions]]\nticker = \"C\"\nquantity = -2000\n"
    "[[positions]]\nticker = \"A\"\ntype = \"put\"\nquantity = 500\nstrike = 90.0\n"
    "expiry_days = 63\nimplied_vol = 0.45\n";

RunSettings settings(std::uint64_t paths, std::uint64_t seed, std::vector<double> conf) {
  RunSettings s;
  s.paths = paths;
  s.seed = seed;
  s.confidences = std::move(conf);
  s.histogram_bins = 0;
  return s;
}

// The pilot's choice and the weighted run. keep_shift: where the pilot falls back to plain
// sampling, run its best candidate all the same (the weighted estimators are unbiased under any
// shift; what these tests check).
ScenarioResult run_is(SimSpec& spec, const RunSettings& s, const CpuBackend& cpu = CpuBackend(),
                      bool keep_shift = false) {
  double target = 0;
  for (double c : s.confidences) target = std::max(target, c);
  ImportanceInfo info = plan_importance_sampling(spec, cpu, s.seed, target);
  if (info.fell_back && keep_shift) {
    spec.set_importance_shift(importance_shift(loss_direction(spec), info.shift_sd,
                                               static_cast<float>(info.chi2_scale)));
    info.on = true;
  }
  return simulate_scenario_weighted("is", spec, cpu, s, info);
}

double sample_variance(const std::vector<double>& x) {
  double m = 0;
  for (double v : x) m += v;
  m /= static_cast<double>(x.size());
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return s / static_cast<double>(x.size() - 1);
}

}  // namespace

TEST_CASE("weighted estimators with unit weights are the plain ones", "[importance]") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> nd(0.0, 1.0);
  const std::uint64_t n = 20000;
  std::vector<WeightedLoss> w;
  std::vector<double> plain;
  for (std::uint64_t i = 0; i < n; ++i) {
    const double x = nd(rng) * 1000;
    w.push_back({x, 1.0, i});
    plain.push_back(x);
  }
  sort_weighted_tail(w);
  std::sort(plain.begin(), plain.end(), std::greater<double>());
  for (double c : {0.95, 0.975, 0.99, 0.9995}) {
    const LevelRisk a = risk_at(n, c, plain), b = weighted_risk_at(n, c, w);
    CHECK(b.var == a.var);
    CHECK(b.es == Approx(a.es).epsilon(1e-12));
    // intervals: the same normal approximation, up to the plain one's rounding to a rank
    const auto rank = [&plain](double x) {
      return std::find(plain.begin(), plain.end(), x) - plain.begin();
    };
    CHECK(std::abs(rank(b.var_lo) - rank(a.var_lo)) <= 1);
    CHECK(std::abs(rank(b.var_hi) - rank(a.var_hi)) <= 1);
    CHECK(b.es_se == Approx(a.es_se).epsilon(0.02));
  }
}

TEST_CASE("weighted VaR and ES match a hand computation", "[importance]") {
  // N = 5 paths, alpha = 0.8: m = N (1 - alpha) = 1 unit of weight. Cumulative weights from the
  // top: 0.5, 1.0, 2.0 -> the first beyond 1 is the third loss: VaR = 6, and
  // ES = (0.5 * 10 + 0.5 * 8 + (1 - 1.0) * 6) / 1 = 9.
  std::vector<WeightedLoss> w = {{2, 2.0, 4}, {8, 0.5, 1}, {6, 1.0, 2}, {10, 0.5, 0}, {4, 1.0, 3}};
  sort_weighted_tail(w);
  const LevelRisk r = weighted_risk_at(5, 0.8, w);
  CHECK(r.var == 6.0);
  CHECK(r.es == Approx(9.0));
  // m = 1.25 (alpha = 0.75): ES = (0.5*10 + 0.5*8 + 0.25*6) / 1.25 = 8.4
  CHECK(weighted_risk_at(5, 0.75, w).es == Approx(8.4));
  const std::vector<double> ew = weighted_es_weights(5, 0.75, w);
  CHECK(ew == std::vector<double>{0.5, 0.5, 0.25, 0.0, 0.0});
}

TEST_CASE("the mixture weight is bounded by 1/beta and equals p/q's mixture", "[importance]") {
  for (double log_pq : {-50.0, -3.0, 0.0, 2.0, 40.0, 800.0}) {
    const double lw = mixture_log_weight(log_pq);
    const double expect = -std::log(0.25 + 0.75 * std::exp(-std::min(log_pq, 700.0)));
    CHECK(std::isfinite(lw));
    CHECK(lw <= std::log(4.0) + 1e-12);
    if (log_pq < 700) CHECK(lw == Approx(expect).epsilon(1e-12).margin(1e-12));
  }
  ModelView philox;
  CHECK(shifted_path(philox, 3, 1));
  CHECK_FALSE(shifted_path(philox, 3, 0));
  CHECK_FALSE(shifted_path(philox, 3, 8));
  ModelView sobol;  // random labels, a quarter unshifted
  sobol.rng = RngKind::kSobol;
  int plain = 0;
  for (std::uint64_t i = 0; i < 40000; ++i) plain += shifted_path(sobol, 3, i) ? 0 : 1;
  CHECK(plain == Approx(10000).margin(4 * std::sqrt(40000 * 0.25 * 0.75)));
}

TEST_CASE("importance sampling matches the lognormal closed form at 99.9%", "[importance]") {
  const Book b(kOneAsset, kOneAssetBook);
  const double q = 1000, s0 = 100, sigma = 0.30, mu = 0.08;
  for (const auto& [horizon, steps] : {std::pair<int, int>{10, 1}, {5, 4}}) {
    SimSpec spec(b.market, b.portfolio, SimSettings{horizon, steps});
    const ScenarioResult r = run_is(spec, settings(1 << 16, 11, {0.99, 0.999}));
    const double t = horizon / 252.0, sd = sigma * std::sqrt(t), m = (mu - 0.5 * sigma * sigma) * t;
    const double z[] = {2.3263478740408408, 3.090232306167813};
    for (std::size_t k = 0; k < 2; ++k) {
      const LevelRisk& l = r.levels[k];
      const double alpha = l.confidence;
      const double var = q * s0 * (1 - std::exp(m - sd * z[k]));
      const double es = q * s0 *
                        (1 - std::exp(m + 0.5 * sd * sd) * 0.5 *
                                 std::erfc((z[k] + sd) / std::sqrt(2.0)) / (1 - alpha));
      INFO("horizon " << horizon << " steps " << steps << " level " << alpha);
      // within the estimator's own intervals (3 half-widths) and 0.3% of the value
      CHECK(std::fabs(l.var - var) <= 3 * 0.5 * (l.var_hi - l.var_lo) + 1e-9);
      CHECK(std::fabs(l.es - es) <= 3 * kZ975 * l.es_se);
      CHECK(l.var == Approx(var).epsilon(3e-3));
      CHECK(l.es == Approx(es).epsilon(3e-3));
    }
    CHECK(r.importance.on);
    CHECK(r.importance.shift_sd > 1.5);
  }
}

TEST_CASE("importance sampling cuts the 99.9% VaR estimator's variance more than 10 times",
          "[importance]") {
  const Book b(three_assets(0), kThreeBook);
  const int reps = 16;
  const std::uint64_t paths = 8192;
  std::vector<double> plain, weighted;
  SimSpec spec(b.market, b.portfolio, SimSettings{5, 1});
  for (int k = 0; k < reps; ++k) {
    const RunSettings s = settings(paths, 100 + k, {0.999});
    spec.set_importance_shift({});
    plain.push_back(simulate_scenario("plain", spec, CpuBackend(), s).levels[0].var);
    weighted.push_back(run_is(spec, s).levels[0].var);
  }
  const double ratio = sample_variance(plain) / sample_variance(weighted);
  INFO("variance ratio " << ratio);
  CHECK(ratio > 10);
}

TEST_CASE("importance sampling agrees with a large plain run, Gaussian and Student-t",
          "[importance]") {
  for (double dof : {0.0, 4.0}) {
    const Book b(three_assets(dof), kThreeBook);
    SimSpec spec(b.market, b.portfolio, SimSettings{3, 2});
    const ScenarioResult plain =
        simulate_scenario("plain", spec, CpuBackend(), settings(1 << 21, 3, {0.99, 0.999}));
    const ScenarioResult is = run_is(spec, settings(1 << 15, 4, {0.99, 0.999}), CpuBackend(), true);
    INFO("dof " << dof << " chi2 scale " << is.importance.chi2_scale);
    for (std::size_t k = 0; k < 2; ++k) {
      const LevelRisk &p = plain.levels[k], &w = is.levels[k];
      const double var_tol = 3 * std::hypot(0.5 * (p.var_hi - p.var_lo), 0.5 * (w.var_hi - w.var_lo));
      const double es_tol = 3 * kZ975 * std::hypot(p.es_se, w.es_se);
      CHECK(std::fabs(p.var - w.var) <= var_tol);
      CHECK(std::fabs(p.es - w.es) <= es_tol);
    }
    // the body: mean loss and P(loss > 0) within a few standard errors of the plain run's
    CHECK(std::fabs(is.mean_loss - plain.mean_loss) <= 5 * is.stdev_loss / std::sqrt(32768.0));
    CHECK(is.prob_loss == Approx(plain.prob_loss).margin(0.02));
    CHECK(is.importance.weight_mean == Approx(1.0).margin(0.05));
    // the book is short C: on the Student-t market only the mean shift is tried (no chi-square
    // twist for a loss without bound, host/analytics/importance_sampling.cpp)
    CHECK(is.importance.candidates == 6);
    CHECK(is.importance.chi2_scale == 1.0);
  }
}

TEST_CASE("the pilot keeps a shift that wins and falls back to plain sampling where none does",
          "[importance][issue19]") {
  const CpuBackend cpu;
  {  // Gaussian, one day: the shift wins by far
    const Book b(three_assets(0), kThreeBook);
    SimSpec spec(b.market, b.portfolio, SimSettings{1, 1});
    const ImportanceInfo info = plan_importance_sampling(spec, cpu, 7, 0.999);
    CHECK(info.on);
    CHECK_FALSE(info.fell_back);
    CHECK(spec.importance_sampling());
    CHECK(info.pilot_ratio_tail < 0.2);
    CHECK(info.pilot_ratio_loss < 0.2);
  }
  {  // Student-t with 3 degrees of freedom over 20 days: none does
    const Book b(three_assets(3.0), kThreeBook);
    SimSpec spec(b.market, b.portfolio, SimSettings{20, 1});
    const ImportanceInfo info = plan_importance_sampling(spec, cpu, 7, 0.999);
    CHECK_FALSE(info.on);
    CHECK(info.fell_back);
    CHECK_FALSE(spec.importance_sampling());  // the spec is left plain
    CHECK(std::max(info.pilot_ratio_tail, info.pilot_ratio_loss) >= kImportanceWinRatio);
    CHECK(info.candidates == 6);  // short C: the mean shifts only
    // the candidates' own pilots and the plain checks of the best three
    CHECK(info.pilot_paths == 6 * kImportancePilotPaths + 3 * 65536);
  }
}

TEST_CASE("the chi-square twist is tried only for books whose loss is bounded",
          "[importance][issue19]") {
  const CpuBackend cpu;
  const std::string long_only =
      "name = \"long\"\n[[positions]]\nticker = \"A\"\nquantity = 1000\n"
      "[[positions]]\nticker = \"B\"\nquantity = 3000\n"
      "[[positions]]\nticker = \"A\"\ntype = \"call\"\nquantity = -800\nstrike = 110.0\n"
      "expiry_days = 63\nimplied_vol = 0.45\n";  // covered: A's net upside is long
  const std::string naked = long_only + "[[positions]]\nticker = \"B\"\ntype = \"call\"\n"
                                        "quantity = -3500\nstrike = 55.0\nexpiry_days = 63\n"
                                        "implied_vol = 0.30\n";  // 3,500 calls on 3,000 shares
  for (const auto& [book, candidates] :
       {std::pair<std::string, int>{long_only, 24}, {naked, 6}}) {
    const Book b(three_assets(4.0), book);
    SimSpec spec(b.market, b.portfolio, SimSettings{1, 1});
    CHECK(plan_importance_sampling(spec, cpu, 3, 0.999).candidates == candidates);
  }
}

TEST_CASE("a plain-only check draws the plain paths and weights them as the mixture would",
          "[importance][issue19]") {
  const Book b(three_assets(4.0), kThreeBook);
  SimSpec spec(b.market, b.portfolio, SimSettings{3, 1});
  const std::uint64_t count = 64;
  std::vector<double> plain(count), l(count), w(count);
  CpuBackend(2).simulate_losses(spec, 9, 0, count, plain.data());
  ImportanceShift check = importance_shift(loss_direction(spec), 2.0, 0.5f);
  check.plain_only = true;
  spec.set_importance_shift(std::move(check));
  CpuBackend(2).simulate_losses(spec, 9, 0, count, l.data(), w.data());
  CHECK(l == plain);  // every path as drawn without the shift
  bool some_weight_differs = false;
  for (std::uint64_t k = 0; k < count; ++k) {
    double lw = 0;
    CHECK(l[k] == Approx(reference_path_loss(spec, 9, k, &lw)).epsilon(1e-5).margin(
                      1e-6 * spec.gross_exposure()));
    CHECK(w[k] == Approx(lw).epsilon(1e-4).margin(1e-9));
    CHECK(w[k] <= std::log(4.0) + 1e-12);  // the mixture's weight is at most 1/beta
    some_weight_differs = some_weight_differs || std::fabs(w[k]) > 1e-3;
  }
  CHECK(some_weight_differs);
}

TEST_CASE("weighted paths are the scalar reference's and do not depend on threads or batches",
          "[importance]") {
  const Book b(three_assets(5.0), kThreeBook);
  SimSpec spec(b.market, b.portfolio, SimSettings{2, 3});
  spec.set_importance_shift(importance_shift(loss_direction(spec), 2.5, 0.8f));
  const std::uint64_t first = 13, count = 61;
  std::vector<double> l1(count), w1(count), l2(count), w2(count);
  CpuBackend(1).simulate_losses(spec, 9, first, count, l1.data(), w1.data());
  CpuBackend(2).simulate_losses(spec, 9, first, 30, l2.data(), w2.data());
  CpuBackend(2).simulate_losses(spec, 9, first + 30, count - 30, l2.data() + 30, w2.data() + 30);
  CHECK(l1 == l2);
  CHECK(w1 == w2);
  for (std::uint64_t k = 0; k < count; ++k) {
    double lw = 0;
    const double loss = reference_path_loss(spec, 9, first + k, &lw);
    CHECK(l1[k] == Approx(loss).epsilon(1e-5).margin(1e-6 * spec.gross_exposure()));
    CHECK(w1[k] == Approx(lw).epsilon(1e-4).margin(1e-9));
  }
  std::vector<double> plain(count);
  CHECK_THROWS(CpuBackend(1).simulate_losses(spec, 9, first, count, plain.data()));
}

TEST_CASE("component ES under importance sampling adds up to the re-simulated ES",
          "[importance][components]") {
  const Book b(three_assets(0), kThreeBook);
  SimSpec spec(b.market, b.portfolio, SimSettings{5, 1});
  RunSettings s = settings(1 << 14, 21, {0.99, 0.999});
  s.components = true;
  const ScenarioResult r = run_is(spec, s);
  REQUIRE(r.allocation.levels.size() == 2);
  for (const AllocationLevel& a : r.allocation.levels) {
    double sum = 0;
    for (const PositionContribution& c : r.components)
      if (c.confidence == a.confidence) sum += c.es_contribution;
    CHECK(sum == Approx(a.es_resimulated).epsilon(1e-9));
    CHECK(a.es_resimulated == Approx(a.es).epsilon(1e-4));
  }
}

TEST_CASE("importance sampling on Sobol points matches the scalar reference and the closed form",
          "[importance][qmc]") {
  if (!sobol_tables_available()) {
    WARN("SKIPPED: no cuRAND in this build (--rng sobol needs it)");
    return;
  }
  const Book b(kOneAsset, kOneAssetBook);
  SimSettings sim{5, 2};
  sim.rng = RngKind::kSobol;
  SimSpec spec(b.market, b.portfolio, sim);
  const ScenarioResult r = run_is(spec, settings(1 << 15, 8, {0.999}));
  const double q = 1000, s0 = 100, sigma = 0.30, mu = 0.08, t = 5 / 252.0;
  const double sd = sigma * std::sqrt(t), m = (mu - 0.5 * sigma * sigma) * t;
  CHECK(r.levels[0].var == Approx(q * s0 * (1 - std::exp(m - sd * 3.090232306167813))).epsilon(3e-3));
  const std::uint64_t first = 5, count = 27;
  std::vector<double> l(count), w(count);
  CpuBackend(2).simulate_losses(spec, 8, first, count, l.data(), w.data());
  for (std::uint64_t k = 0; k < count; ++k) {
    double lw = 0;
    const double loss = reference_path_loss(spec, 8, first + k, &lw);
    CHECK(l[k] == Approx(loss).epsilon(1e-5).margin(1e-6 * spec.gross_exposure()));
    CHECK(w[k] == Approx(lw).epsilon(1e-4).margin(1e-9));
  }
}
