// Quasi-Monte Carlo (--rng sobol): the normal quantile, the Brownian-bridge plan and walk, the
// Sobol' normals on the CPU's lanes against the scalar reference, closed-form agreement (tighter
// than Philox at the same path count), determinism, and the CLI. cuRAND's words themselves are
// checked in test_curand_parity.cpp. In a build without cuRAND, the tests that need its tables
// print "SKIPPED: no cuRAND in this build" and CTest reports them as skipped.
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "all_features.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/cpu/simd_lanes.hpp"
#include "host/input_error.hpp"
#include "host/qmc/bridge_plan.hpp"
#include "host/qmc/sobol_tables.hpp"
#include "host/risk_engine.hpp"
#include "kernels/normal_quantile.cuh"
#include "kernels/packed_spec.cuh"
#include "kernels/single_path.cuh"
#include "kernels/sobol_normals.cuh"
#include "result_checks.hpp"
#include "book_fixture.hpp"
#include "cli_util.hpp"
#include "test_util.hpp"
#if CHIPSHOCK_HAVE_CUDA
#include "kernels/gpu_engine.hpp"
#endif

using namespace chipshock;
using testing::Book;
using testing::kOneAsset;
using testing::kOneAssetBook;

namespace {

bool have_sobol() {
  if (!sobol_tables_available()) WARN("SKIPPED: no cuRAND in this build (--rng sobol needs it)");
  return sobol_tables_available();
}

double phi_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// A model with only the bridge plan filled in, for the walk.
struct PlanModel {
  BridgePlan plan;
  ModelView m;
  PlanModel(int steps, int assets) : plan(brownian_bridge_plan(steps)) {
    m.qmc_assets = assets;
    m.bridge_steps = steps;
    m.bridge_depth = plan.depth;
    m.bridge_first_op = plan.first_op.data();
    m.bridge_ops = plan.ops.data();
  }
};

// Unit normals: dimension `unit` is 1, the rest 0.
struct UnitNormals {
  int unit;
  void operator()(int dim, double* z) const { z[0] = dim == unit ? 1.0 : 0.0; }
};

using chipshock::testing::CliResult;
using chipshock::testing::run_chipshock;
using chipshock::testing::slurp_file;

const std::string kSample =
    "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml ";

}  // namespace

TEST_CASE("the normal quantile (AS 241) inverts the normal CDF to double precision", "[qmc]") {
  CHECK(normal_quantile(0.5) == 0.0);
  CHECK(normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-15));
  CHECK(normal_quantile(0.99) == Approx(2.3263478740408408).epsilon(1e-15));
  CHECK(normal_quantile(0.05) == Approx(-1.6448536269514722).epsilon(1e-15));
  double worst = 0;
  // Cell midpoints (k + 1/2) 2^-32 as the engine forms them, from the ends to the centre, on
  // all three of the algorithm's ranges; tails compared through the smaller probability.
  for (std::uint64_t k : {0ull, 1ull, 7ull, 1000ull, 123456ull, 9999999ull, 300000000ull,
                          322122547ull, 322122548ull, 1000000000ull, 2147483647ull}) {
    for (const bool upper : {false, true}) {
      const std::uint64_t kk = upper ? 4294967295ull - k : k;
      const double p = (static_cast<double>(kk) + 0.5) / 4294967296.0;
      const double x = normal_quantile(p);
      const double tail = std::min(p, 1.0 - p);  // exact for these p
      const double back = x < 0 ? phi_cdf(x) : phi_cdf(-x);
      CAPTURE(k, upper, p, x, back, tail);
      CHECK((x < 0) == (p < 0.5));
      worst = std::max(worst, std::fabs(back - tail) / tail);
    }
  }
  CAPTURE(worst);
  CHECK(worst < 1e-13);
}

TEST_CASE("the CPU's vector normal quantile equals the scalar one bit for bit", "[qmc][simd]") {
  // Cell midpoints across the whole range, tails and the 0.425 boundary included, in every mix
  // of central and tail lanes.
  std::vector<double> p;
  for (std::uint64_t k = 0; k < 4294967296ull; k += 9973 * 977 + (k % 7))
    p.push_back((static_cast<double>(k) + 0.5) / 4294967296.0);
  for (const double edge : {0.075, 0.925})
    for (int d = -3; d <= 3; ++d) p.push_back(std::nextafter(edge, d < 0 ? 0.0 : 1.0) + d * 1e-17);
  p.push_back(0.5 / 4294967296.0);
  p.push_back(1.0 - 0.5 / 4294967296.0);
  while (p.size() % 4 != 0) p.push_back(0.5);
  std::uint64_t mismatches = 0;
  for (std::size_t i = 0; i < p.size(); i += 4) {
    double z[4];
    simd::HWY_NAMESPACE::normal_quantile_lanes(p.data() + i, z);  // AVX2: 4 lanes
    for (int l = 0; l < 4; ++l)
      mismatches += z[l] != normal_quantile(p[i + static_cast<std::size_t>(l)]);
  }
  CAPTURE(p.size());
  CHECK(mismatches == 0);
}

TEST_CASE("the bridge plan builds each point once, W(T) first, within the kernels' slots",
          "[qmc]") {
  for (const int steps : {1, 2, 3, 5, 7, 8, 10, 13, 64, 100, 252, 1000, 16384, 20000}) {
    CAPTURE(steps);
    const BridgePlan plan = brownian_bridge_plan(steps);
    REQUIRE(static_cast<int>(plan.ops.size()) == steps);
    REQUIRE(static_cast<int>(plan.first_op.size()) == steps + 1);
    CHECK(plan.first_op.front() == 0);
    CHECK(plan.first_op.back() == steps);
    std::vector<int> time_seen(static_cast<std::size_t>(steps) + 1, 0);
    std::vector<int> rank_seen(static_cast<std::size_t>(steps), 0);
    for (const BridgeOp& op : plan.ops) {
      ++time_seen[static_cast<std::size_t>(op.time)];
      ++rank_seen[static_cast<std::size_t>(op.rank)];
      CHECK(op.sd > 0);
    }
    CHECK(std::count(time_seen.begin() + 1, time_seen.end(), 1) == steps);
    CHECK(std::count(rank_seen.begin(), rank_seen.end(), 1) == steps);
    // Step 1 builds W(T) first, from dimension block 0 alone.
    const BridgeOp& first = plan.ops.front();
    CHECK(first.time == steps);
    CHECK(first.rank == 0);
    CHECK(first.has_right == 0);
    CHECK(first.sd == Approx(std::sqrt(static_cast<double>(steps))));
    if (steps >= 2) CHECK(plan.ops[1].rank == 1);  // then the midpoint
    CHECK(plan.depth + 1 <= kMaxBridgeSlots);
    CHECK(plan.depth <= 2 + static_cast<int>(std::ceil(std::log2(steps))));
  }
  CHECK(brownian_bridge_plan(16384).depth + 1 == kMaxBridgeSlots);  // the bound is reached
}

#if CHIPSHOCK_HAVE_CUDA
TEST_CASE("the GPU kernels' bridge scratch fits every model within cuRAND's dimensions", "[qmc]") {
  int worst = 0;
  for (int n = 1; n <= kMaxGpuAssets; ++n) {
    const int steps = kMaxSobolDimensions / n;
    const int need = (brownian_bridge_plan(steps).depth + 1) * n;
    const int padded = (n + 3) / 4 * 4;
    CAPTURE(n, steps, need);
    CHECK(need <= gpu_bridge_capacity(0));
    if (padded <= 32) CHECK(need <= gpu_bridge_capacity(padded));
    worst = std::max(worst, need);
  }
  CHECK(worst == kGpuGenericBridgeDoubles);  // not oversized either
}
#endif

TEST_CASE("bridge increments are independent, unit variance, and sum to W(T) of block 0", "[qmc]") {
  for (const int steps : {1, 2, 3, 5, 8, 10, 13, 64, 100}) {
    const int n = 2;
    PlanModel pm(steps, n);
    const int dims = n * steps;
    // a[(s * n + asset) * dims + d]: the increment's coefficient on the normal of dimension d.
    std::vector<double> a(static_cast<std::size_t>(dims) * dims);
    std::vector<double> scratch(static_cast<std::size_t>(sobol_scratch_doubles(pm.m)));
    for (int d = 0; d < dims; ++d) {
      BridgeWalk<1> walk(pm.m, scratch.data());
      UnitNormals unit{d};
      for (int s = 0; s < steps; ++s) {
        double inc[2];
        walk.next(unit, inc);
        for (int i = 0; i < n; ++i) a[(static_cast<std::size_t>(s) * n + i) * dims + d] = inc[i];
      }
    }
    CAPTURE(steps);
    double worst_cov = 0, worst_other_asset = 0, worst_sum = 0;
    for (int r = 0; r < dims; ++r) {
      for (int c = 0; c < dims; ++c) {
        double cov = 0;
        for (int d = 0; d < dims; ++d)
          cov +=
              a[static_cast<std::size_t>(r) * dims + d] * a[static_cast<std::size_t>(c) * dims + d];
        worst_cov = std::max(worst_cov, std::fabs(cov - (r == c ? 1.0 : 0.0)));
      }
      for (int d = 0; d < dims; ++d)  // asset i reads only dimensions rank * n + i
        if (d % n != r % n)
          worst_other_asset =
              std::max(worst_other_asset, std::fabs(a[static_cast<std::size_t>(r) * dims + d]));
    }
    for (int i = 0; i < n; ++i)
      for (int d = 0; d < dims; ++d) {
        double sum = 0;  // W(T) = sum of the increments
        for (int s = 0; s < steps; ++s) sum += a[(static_cast<std::size_t>(s) * n + i) * dims + d];
        const double want = d == i ? std::sqrt(static_cast<double>(steps)) : 0.0;
        worst_sum = std::max(worst_sum, std::fabs(sum - want));
      }
    CAPTURE(worst_cov, worst_other_asset, worst_sum);
    CHECK(worst_cov < 1e-12);
    CHECK(worst_other_asset == 0.0);
    CHECK(worst_sum < 1e-12);
  }
}

TEST_CASE("quasi-Monte Carlo: the SIMD lanes and the packed GPU layout equal the scalar reference",
          "[qmc][simd]") {
  if (!have_sobol()) return;
  testing::TempDir dir;
  for (const bool five : {false, true}) {
    const testing::TestRun t = five ? testing::five_asset_run(dir, 4, 2, RngKind::kSobol)
                                    : testing::all_features_run(dir, 7, 2, true, RngKind::kSobol);
    const SimSpec& spec = *t.spec;
    REQUIRE(spec.model().rng == RngKind::kSobol);
    const std::uint64_t first = 1000003, n = 2003;  // odd start and count: partial groups
    std::vector<double> simd_losses(n);
    CpuBackend(2).simulate_losses(spec, 99, first, n, simd_losses.data());
    double worst = 0;
    for (std::uint64_t k = 0; k < n; ++k)
      worst = std::max(worst, std::fabs(simd_losses[k] - reference_path_loss(spec, 99, first + k)));
    CAPTURE(five, worst, spec.gross_exposure());
    CHECK(worst <= 1e-6 * spec.gross_exposure());  // the lanes' exp and libm's differ by an ulp

    // The GPU's packed, padded model read back on the host: the same losses bit for bit.
    const PackedSpec packed = pack_spec(spec.model(), spec.book());
    const ModelView m = packed.layout.model_at(packed.bytes.data());
    const BookView b = packed.layout.book_at(packed.bytes.data());
    REQUIRE(m.qmc_assets == spec.n_assets());
    std::vector<float> x(m.n_assets), z(4 * m.n_blocks), eps(m.n_assets);
    std::vector<double> spot(m.n_assets),
        bridge(static_cast<std::size_t>(sobol_scratch_doubles(m)));
    std::vector<Settlement> settled(kMaxMarks);  // all_features_run's expiring options, vol factors
    for (std::uint64_t path : {0ull, 1ull, 17ull, 4096ull, 999983ull, 4294967295ull}) {
      CAPTURE(path);
      const double ref = reference_path_loss(spec, 11, path);
      CHECK(settled_path_loss_of<SobolDiffusion<MirrorSobol>>(
                m, b, 11, path, x.data(), z.data(), eps.data(), spot.data(), bridge.data(),
                settled.data()) == ref);
      if (!five)
        CHECK(settled_path_loss_of<SobolDiffusion<MirrorSobol>>(
                  FixedSizeModel<16>(m), b, 11, path, x.data(), z.data(), eps.data(), spot.data(),
                  bridge.data(), settled.data()) == ref);
    }
  }
}

TEST_CASE(
    "quasi-Monte Carlo: results are bit-identical across threads and batch sizes, and the seed "
    "randomizes them",
    "[qmc][determinism]") {
  if (!have_sobol()) return;
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 6, 2, true, RngKind::kSobol);
  RunSettings s;
  s.paths = 40009;  // prime: batches and SIMD groups end mid-way
  s.seed = 7;
  s.batch_paths = s.paths;
  s.components = true;
  const ScenarioResult ref = simulate_scenario("all", *t.spec, CpuBackend(1), s);
  REQUIRE(!ref.components.empty());
  for (const auto& [threads, batch] : {std::pair<int, std::uint64_t>{2, 1000}, {2, 4099}, {1, 7}}) {
    s.batch_paths = batch;
    CAPTURE(threads, batch);
    const ScenarioResult r = simulate_scenario("all", *t.spec, CpuBackend(threads), s);
    testing::check_same(ref, r);
    REQUIRE(r.components.size() == ref.components.size());
    for (std::size_t k = 0; k < r.components.size(); ++k)
      CHECK(r.components[k].es_contribution == ref.components[k].es_contribution);
  }
  // The components re-simulate the tail paths with the same generator: ES is reproduced.
  for (const AllocationLevel& a : ref.allocation.levels) {
    CAPTURE(a.confidence, a.es, a.es_resimulated);
    CHECK(std::fabs(a.es - a.es_resimulated) <= 1e-6 * std::fabs(a.es));
  }
  s.seed = 8;
  const ScenarioResult other = simulate_scenario("all", *t.spec, CpuBackend(2), s);
  CHECK(other.levels[0].var != ref.levels[0].var);
}

TEST_CASE("quasi-Monte Carlo: a run cut at day d keeps the full run's paths (fan chart, stop-loss)",
          "[qmc]") {
  if (!have_sobol()) return;
  const Book b(kOneAsset, kOneAssetBook);
  SimSettings run{10, 2};
  run.rng = RngKind::kSobol;
  const SimSpec full(b.market, b.portfolio, run);
  const ModelView fm = full.model();
  for (const int day : {1, 3, 10}) {
    const std::unique_ptr<SimSpec> cut = spec_at_day(b.market, b.portfolio, run, nullptr, day);
    REQUIRE(cut->model().bridge_steps == 20);
    for (std::uint64_t path : {0ull, 5ull, 77777ull}) {
      // The full run's first 2 * day steps, as simulate_log_returns adds them up.
      std::vector<double> scratch(static_cast<std::size_t>(sobol_scratch_doubles(fm)));
      SobolNormals<MirrorSobol> normals(fm, 3, path, scratch.data());
      float x = 0.0f;
      for (int s = 0; s < 2 * day; ++s) {
        float z[4];
        normals.fill(z, 1);
        x = std::fmaf(1.0f, fm.vol_chol[0] * z[0], x + fm.drift_dt[0]);
      }
      CAPTURE(day, path);
      CHECK(reference_log_returns(*cut, 3, path)[0] == x);
    }
  }
}

TEST_CASE(
    "quasi-Monte Carlo: VaR and ES match the lognormal closed form, closer than Philox at the "
    "same paths",
    "[qmc][closed_form]") {
  if (!have_sobol()) return;
  const double q = 1000, s0 = 100, sigma = 0.30, mu = 0.08;
  const Book b(kOneAsset, kOneAssetBook);
  const double z95 = 1.6448536269514722, z99 = 2.3263478740408408;
  // 10 days in 1 and in 4 steps a day: log-Euler is exact for GBM, the bridge must keep it so.
  for (const auto& [horizon, steps] : {std::pair<int, int>{10, 1}, {10, 4}, {1, 1}}) {
    const double t = horizon / 252.0, sd = sigma * std::sqrt(t);
    const auto var_of = [&](double z) {
      return q * s0 * (1 - std::exp((mu - 0.5 * sigma * sigma) * t - sd * z));
    };
    const auto es_of = [&](double z, double alpha) {
      return q * s0 * (1 - std::exp(mu * t) * phi_cdf(-z - sd) / (1 - alpha));
    };
    const double want[4] = {var_of(z95), es_of(z95, 0.95), var_of(z99), es_of(z99, 0.99)};
    const int seeds = 8;
    const std::uint64_t paths = 1u << 14;
    double sq[2][4] = {};  // [philox, sobol][var95, es95, var99, es99]: squared relative errors
    for (const RngKind rng : {RngKind::kPhilox, RngKind::kSobol}) {
      SimSettings sim{horizon, steps};
      sim.rng = rng;
      const SimSpec spec(b.market, b.portfolio, sim);
      for (int seed = 1; seed <= seeds; ++seed) {
        RunSettings s;
        s.paths = paths;
        s.seed = static_cast<std::uint64_t>(seed);
        s.confidences = {0.95, 0.99};
        const ScenarioResult r = simulate_scenario("baseline", spec, CpuBackend(), s);
        const double got[4] = {r.levels[0].var, r.levels[0].es, r.levels[1].var, r.levels[1].es};
        for (int k = 0; k < 4; ++k) {
          const double e = (got[k] - want[k]) / want[k];
          sq[rng == RngKind::kSobol][k] += e * e;
        }
      }
    }
    for (int k = 0; k < 4; ++k) {
      const double rmse_philox = std::sqrt(sq[0][k] / seeds),
                   rmse_sobol = std::sqrt(sq[1][k] / seeds);
      CAPTURE(horizon, steps, k, want[k], rmse_philox, rmse_sobol);
      // Measured: Philox 0.35% to 1.3%, Sobol' 0.007% to 0.05% (VaR 99% the largest).
      CHECK(rmse_sobol < 0.001);              // 0.1% of the closed form at 2^14 paths
      CHECK(rmse_sobol < 0.2 * rmse_philox);  // at least 5x closer than pseudo-random
    }
  }
}

TEST_CASE("quasi-Monte Carlo: refused with antithetic variates or beyond cuRAND's dimensions",
          "[qmc]") {
  if (!have_sobol()) return;
  testing::TempDir dir;
  const Market market = load_market(testing::source_path("scenarios/market/ai_chips.toml"));
  const Portfolio portfolio =
      load_portfolio(testing::source_path("scenarios/portfolio/ai_book.toml"), market);
  SimSettings sim{1, 1};
  sim.rng = RngKind::kSobol;
  sim.antithetic = true;
  CHECK_THROWS_AS(SimSpec(market, portfolio, sim), InputError);
  sim.antithetic = false;
  const int n = static_cast<int>(market.size());
  sim.horizon_days = kMaxSobolDimensions / n;  // fits exactly
  CHECK_NOTHROW(SimSpec(market, portfolio, sim));
  sim.horizon_days += 1;
  try {
    const SimSpec spec(market, portfolio, sim);
    FAIL("no error beyond " << kMaxSobolDimensions << " dimensions");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains("--rng"));
    CHECK_THAT(e.what(), Catch::Matchers::Contains("20000"));
    CHECK_THAT(e.hint(), Catch::Matchers::Contains("--horizon"));
  }
}

TEST_CASE("chipshock run --rng: sobol reported, components and dry run work, bad uses exit 2",
          "[qmc][cli]") {
  CliResult r = run_chipshock(kSample + "--paths 1000 --rng halton");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Matchers::Contains("--rng"));
  r = run_chipshock(kSample + "--paths 1000 --rng sobol --antithetic");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Matchers::Contains("--antithetic"));
  CHECK_THAT(r.err, Catch::Matchers::Contains("sobol"));
  if (!sobol_tables_available()) {  // a build without cuRAND says so
    r = run_chipshock(kSample + "--paths 1000 --rng sobol");
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Matchers::Contains("CUDA toolkit"));
    WARN("SKIPPED: no cuRAND in this build (--rng sobol needs it)");
    return;
  }
  r = run_chipshock(kSample + "--paths 1000 --rng sobol --horizon 2000");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Matchers::Contains("--rng"));
  CHECK_THAT(r.err, Catch::Matchers::Contains("--steps-per-day"));
  r = run_chipshock(kSample + "--paths 5e9 --rng sobol --dry-run");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Matchers::Contains("2^32"));

  r = run_chipshock(kSample + "--paths 20k --horizon 5 --seed 3 --rng sobol --json");
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["run"]["rng"] == "sobol");
  const auto& base = j["scenarios"][0];
  REQUIRE(!base["components"].is_null());
  for (const char* key : {"0.95", "0.975", "0.99"}) {
    CAPTURE(key);
    CHECK(base["components"]["levels"][key]["es_rel_diff"].get<double>() < 1e-6);
  }
  const CliResult philox = run_chipshock(kSample + "--paths 20k --horizon 5 --seed 3 --json");
  REQUIRE(philox.code == 0);
  const auto jp = nlohmann::json::parse(philox.out);
  CHECK(jp["run"]["rng"] == "philox");
  CHECK(jp["scenarios"][0]["var"]["0.99"] != base["var"]["0.99"]);

  r = run_chipshock(kSample + "--paths 20k --horizon 2 --rng sobol --dry-run");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Matchers::Contains("plan:"));

  testing::TempDir out;
  r = run_chipshock(kSample +
              "--paths 20k --horizon 3 --rng sobol --stop-loss 5e5 --scenario "
              "cheaper_model_disruption --out '" +
              out.file("rep") + "'");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Matchers::Contains("rng sobol"));
  CHECK_THAT(slurp_file(out.file("rep/report.html")),
             Catch::Matchers::Contains("Sobol&#39; quasi-random"));
  CHECK_THAT(slurp_file(out.file("rep/report.md")), Catch::Matchers::Contains("Sobol' quasi-random"));
}
