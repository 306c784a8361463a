// CpuBackend::simulate_days: the book's loss at the end of chosen days, every path simulated
// once over the horizon, gives bit for bit the losses of the runs cut at those days
// (spec_at_day, what the value fan and --stop-loss were built on), on every kernel this CPU runs
// and every model feature: Student-t mixing, options revalued at the maturity left, scenario
// jumps with recovery, random events, regimes, several steps a day, antithetic pairs, Sobol'.
// The path-risk kernel's drawdowns and breach days follow from those daily losses, and a
// scenario's own run gathering them (PathRiskTap) gives what a separate pass gives.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "all_features.hpp"
#include "host/analytics/path_risk.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/cpu_isa.hpp"
#include "host/cpu/cpu_kernel.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/qmc/sobol_tables.hpp"
#include "host/risk_engine.hpp"
#include "test_util.hpp"

using namespace chipshock;
using namespace chipshock::testing;

namespace {

std::vector<CpuIsa> runnable_isas() {
  std::vector<CpuIsa> out;
  for (const CpuIsa isa : built_cpu_isas())
    if (cpu_isa_supported(isa)) out.push_back(isa);
  return out;
}

// For `days` (1-based, ascending) of a run with `sim` under `scenario` (null: the baseline):
// simulate_days against the cut runs, path by path and bit for bit.
void check_days(const Market& market, const Portfolio& book, const SimSettings& sim,
                const Scenario* scenario, const std::vector<int>& days, const std::string& what) {
  std::vector<std::unique_ptr<SimSpec>> cut;
  std::vector<const SimSpec*> at(static_cast<std::size_t>(sim.horizon_days), nullptr);
  for (int d : days) {
    cut.push_back(spec_at_day(market, book, sim, scenario, d));
    at[static_cast<std::size_t>(d - 1)] = cut.back().get();
  }
  const std::unique_ptr<SimSpec> full = spec_at_day(market, book, sim, scenario, sim.horizon_days);
  const std::uint64_t seed = 99, first = 100003, n = 1037;  // odd: partial lane groups
  for (const CpuIsa isa : runnable_isas()) {
    const CpuBackend backend(2, isa);
    std::vector<double> daily(n * days.size());
    backend.simulate_days(*full, at, seed, first, n, daily.data());
    for (std::size_t j = 0; j < days.size(); ++j) {
      std::vector<double> ref(n);
      backend.simulate_losses(*cut[j], seed, first, n, ref.data());
      std::uint64_t differ = 0;
      for (std::uint64_t k = 0; k < n; ++k)
        differ += std::memcmp(&ref[k], &daily[j * n + k], sizeof(double)) != 0;
      INFO(what << ": day " << days[j] << " of " << sim.horizon_days << ", kernel "
                << cpu_isa_name(isa));
      CHECK(differ == 0);
    }
  }
}

// The Student-t market, the hedged book and the all-features scenario.
struct AllFeaturesInputs {
  TempDir dir;
  Market market = load_market(source_path("scenarios/market/ai_chips_t.toml"));
  Portfolio book = load_portfolio(source_path("scenarios/portfolio/hedged_book.toml"), market);
  Scenario scenario = load_scenario(dir.write("all_features.toml", kAllFeaturesScenario));
};

std::vector<int> every_day(int horizon) {
  std::vector<int> d;
  for (int k = 1; k <= horizon; ++k) d.push_back(k);
  return d;
}

}  // namespace

TEST_CASE("daily losses in one pass equal the runs cut at each day, every model feature",
          "[daily]") {
  const AllFeaturesInputs in;
  const Market& market = in.market;
  const Portfolio& book = in.book;
  const Scenario& sc = in.scenario;
  const SimSettings sim{8, 2};
  check_days(market, book, sim, &sc, every_day(8), "Student-t, options, every scenario primitive");
  check_days(market, book, sim, nullptr, every_day(8), "Student-t, options, baseline");
  check_days(market, book, sim, &sc, {3, 8}, "two of the days");
  check_days(market, book, sim, &sc, {5}, "one day before the horizon");
}

TEST_CASE("daily losses in one pass: antithetic pairs, a partial register tile, Sobol'",
          "[daily]") {
  TempDir dir;
  {
    const Market market = load_market(source_path("scenarios/market/ai_chips.toml"));
    const Portfolio book = load_portfolio(source_path("scenarios/portfolio/ai_book.toml"), market);
    SimSettings anti{6, 1};
    anti.antithetic = true;
    check_days(market, book, anti, nullptr, every_day(6), "Gaussian, 16 assets, antithetic");
  }
  {
    const Market market = load_market(dir.write("five.toml", kFiveAssetMarket));
    const Portfolio book = load_portfolio(dir.write("five_book.toml", kFiveAssetBook), market);
    check_days(market, book, SimSettings{4, 3}, nullptr, every_day(4), "five assets, an option");
  }
  if (!sobol_tables_available()) {
    WARN("SKIPPED: no cuRAND in this build (--rng sobol needs it)");
    return;
  }
  const AllFeaturesInputs in;
  SimSettings sobol{7, 1};
  sobol.rng = RngKind::kSobol;
  check_days(in.market, in.book, sobol, &in.scenario, every_day(7),
             "Sobol' through the full Brownian bridge");
}

TEST_CASE("simulate_days refuses what it cannot compute", "[daily]") {
  const Market market = load_market(source_path("scenarios/market/ai_chips.toml"));
  const Portfolio book = load_portfolio(source_path("scenarios/portfolio/ai_book.toml"), market);
  const SimSettings sim{3, 1};
  SimSpec full(market, book, sim);
  const std::unique_ptr<SimSpec> day2 = spec_at_day(market, book, sim, nullptr, 2);
  const CpuBackend backend(1);
  std::vector<double> out(16 * 3);
  // one entry a day, and each the run cut at its own day
  CHECK_THROWS_AS(backend.simulate_days(full, {nullptr, day2.get()}, 1, 0, 16, out.data()),
                  std::invalid_argument);
  CHECK_THROWS_AS(backend.simulate_days(full, {day2.get(), nullptr, nullptr}, 1, 0, 16, out.data()),
                  std::invalid_argument);
  // no importance sampling
  ImportanceShift shift;
  shift.shift.assign(static_cast<std::size_t>(3 * full.n_assets()), 0.1f);
  full.set_importance_shift(shift);
  CHECK_THROWS_AS(backend.simulate_days(full, {nullptr, day2.get(), nullptr}, 1, 0, 16, out.data()),
                  std::invalid_argument);
  // no day asked for: nothing written
  const SimSpec plain(market, book, sim);
  out.assign(out.size(), -1.0);
  backend.simulate_days(plain, {nullptr, nullptr, nullptr}, 1, 0, 16, out.data());
  CHECK(out[0] == -1.0);
}

namespace {

// The path statistics of host/analytics/path_risk.hpp from a path's daily losses, written out
// here as the definition the kernel must meet.
struct PathStats {
  double drawdown = 0;
  std::int32_t first = -1;  // cpu_kernel::kNonFinitePath: a non-finite day
};

PathStats stats_from_days(const std::vector<double>& daily, std::size_t days, std::uint64_t n,
                          std::uint64_t k, double stop) {
  PathStats s;
  double peak = 0;
  for (std::size_t d = 0; d < days; ++d) {
    const double v = -daily[d * n + k];
    if (!std::isfinite(v)) return {0, cpu_kernel::kNonFinitePath};
    peak = std::max(peak, v);
    s.drawdown = std::max(s.drawdown, peak - v);
    if (s.first < 0 && -v >= stop) s.first = static_cast<std::int32_t>(d);
  }
  return s;
}

}  // namespace

TEST_CASE("the path-risk kernel's drawdowns and breach days follow from the daily losses",
          "[daily][path_risk]") {
  const AllFeaturesInputs in;
  const Market& market = in.market;
  const Portfolio& book = in.book;
  const Scenario& sc = in.scenario;
  const SimSettings sim{8, 2};
  std::vector<std::unique_ptr<SimSpec>> cut;
  std::vector<const SimSpec*> at;
  for (int d = 1; d <= sim.horizon_days; ++d) {
    cut.push_back(spec_at_day(market, book, sim, &sc, d));
    at.push_back(cut.back().get());
  }
  const SimSpec full(market, book, sim, apply_scenario(sc, market, sim.horizon_days));
  const std::uint64_t seed = 5, first = 321, n = 2049;
  const double stop = 0.5 * full.gross_exposure() * 0.05;  // some paths breach, most do not
  for (const CpuIsa isa : runnable_isas()) {
    INFO("kernel " << cpu_isa_name(isa));
    const CpuBackend backend(2, isa);
    std::vector<double> daily(n * at.size()), losses(n), drawdowns(n), plain(n);
    std::vector<std::int32_t> breach(n);
    backend.simulate_days(full, at, seed, first, n, daily.data());
    backend.simulate_path_risk(full, at, stop, seed, first, n, losses.data(), drawdowns.data(),
                               breach.data());
    backend.simulate_losses(full, seed, first, n, plain.data());
    std::uint64_t differ = 0, breaches = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
      const PathStats want = stats_from_days(daily, at.size(), n, k, stop);
      differ += std::memcmp(&losses[k], &plain[k], sizeof(double)) != 0;
      differ += breach[k] != want.first;
      differ += want.first != cpu_kernel::kNonFinitePath &&
                std::memcmp(&drawdowns[k], &want.drawdown, sizeof(double)) != 0;
      breaches += breach[k] >= 0;
    }
    CHECK(differ == 0);
    CHECK(breaches > 0);
    CHECK(breaches < n);
  }
  std::vector<double> out(16);
  std::vector<std::int32_t> b(16);
  std::vector<const SimSpec*> missing = at;
  missing[2] = nullptr;  // every day's cut is needed
  CHECK_THROWS_AS(CpuBackend(1).simulate_path_risk(full, missing, stop, seed, 0, 16, out.data(),
                                                   out.data(), b.data()),
                  std::invalid_argument);
}

TEST_CASE("a scenario's own run gathers its path risk: the same numbers as simulating it apart",
          "[daily][path_risk]") {
  const AllFeaturesInputs in;
  const Market& market = in.market;
  const Portfolio& book = in.book;
  const Scenario& sc = in.scenario;
  const SimSettings sim{7, 1};
  const SimSpec spec(market, book, sim, apply_scenario(sc, market, sim.horizon_days));
  const CpuBackend backend(2);
  RunSettings s;
  s.paths = 5000;
  s.seed = 17;
  s.batch_paths = 1700;  // the tap's paths cross batches and the histogram pilot
  const double stop = 0.02 * spec.gross_exposure();
  const std::uint64_t risk_paths =
      path_risk_paths(s.paths, sim.horizon_days, sim.steps_per_day, spec.n_assets());
  REQUIRE(risk_paths == s.paths);
  PathRiskTap tap(market, book, sim, &sc, risk_paths, stop);
  const std::unique_ptr<PathSource> source = cpu_path_source(spec, backend, s, &tap);
  PathTeam alone;
  ScenarioProgress p;
  advance_scenario(p, s, *source, alone);
  CHECK(tap.complete());
  const ScenarioResult with_tap = finish_scenario("x", p, spec, s, source->tail_lines());
  const ScenarioResult plain = simulate_scenario("x", spec, backend, s);
  REQUIRE(with_tap.levels.size() == plain.levels.size());
  for (std::size_t l = 0; l < plain.levels.size(); ++l) {
    CHECK(with_tap.levels[l].var == plain.levels[l].var);
    CHECK(with_tap.levels[l].es == plain.levels[l].es);
  }
  CHECK(with_tap.mean_loss == plain.mean_loss);
  const PathRisk gathered =
      path_dependent_risk(market, book, sim, {sc}, backend, s.seed, s.paths, stop, {nullptr, &tap});
  const PathRisk apart =
      path_dependent_risk(market, book, sim, {sc}, backend, s.seed, s.paths, stop);
  CHECK(gathered.from_main_run == 1);
  CHECK(apart.from_main_run == 0);
  REQUIRE(gathered.scenarios.size() == 2);
  const PathRiskResult& a = gathered.scenarios[1];
  const PathRiskResult& b = apart.scenarios[1];
  CHECK(a.paths == b.paths);
  CHECK(a.drawdown_mean == b.drawdown_mean);
  CHECK(a.drawdown_p50 == b.drawdown_p50);
  CHECK(a.drawdown_p99 == b.drawdown_p99);
  CHECK(a.prob_breach == b.prob_breach);
  CHECK(a.prob_breach_at_horizon == b.prob_breach_at_horizon);
  CHECK(a.first_breach == b.first_breach);
  CHECK(a.non_finite == b.non_finite);
  CHECK(a.prob_breach > 0);

  // A tap that saw only some of its paths (a resumed run, a share under mpirun) is not used:
  // the paths are simulated again, to the same numbers.
  PathRiskTap partial(market, book, sim, &sc, risk_paths, stop);
  std::vector<double> losses(1000);
  partial.simulate(spec, backend, s.seed, 0, 1000, losses.data());
  CHECK_FALSE(partial.complete());
  const PathRisk fallback = path_dependent_risk(market, book, sim, {sc}, backend, s.seed, s.paths,
                                                stop, {nullptr, &partial});
  CHECK(fallback.from_main_run == 0);
  CHECK(fallback.scenarios[1].drawdown_mean == b.drawdown_mean);
  CHECK(fallback.scenarios[1].first_breach == b.first_breach);
}

TEST_CASE("the scalar day observers (the GPU's) give the runs cut at each day bit for bit, and "
          "the SIMD kernel's to float rounding",
          "[daily][path_risk]") {
  const AllFeaturesInputs in;
  for (const bool sobol : {false, true}) {
    if (sobol && !sobol_tables_available()) {
      WARN("SKIPPED: no cuRAND in this build (--rng sobol needs it)");
      continue;
    }
    SimSettings sim{6, 2};
    if (sobol) sim.rng = RngKind::kSobol;
    INFO((sobol ? "Sobol'" : "Philox"));
    std::vector<std::unique_ptr<SimSpec>> cut;
    std::vector<const SimSpec*> at;
    for (int d = 1; d <= sim.horizon_days; ++d) {
      cut.push_back(spec_at_day(in.market, in.book, sim, &in.scenario, d));
      at.push_back(cut.back().get());
    }
    const SimSpec& full = *cut.back();
    const std::uint64_t seed = 17, first = 777, n = 301;
    const ReferenceDayValues reference;
    std::vector<double> daily(n * at.size()), simd(n * at.size());
    reference.simulate_days(full, at, seed, first, n, daily.data());
    CpuBackend(2).simulate_days(full, at, seed, first, n, simd.data());
    std::uint64_t differ = 0;
    double worst = 0;
    for (std::size_t d = 0; d < at.size(); ++d)
      for (std::uint64_t k = 0; k < n; ++k) {
        const double want = reference_path_loss(*cut[d], seed, first + k);
        differ += std::memcmp(&want, &daily[d * n + k], sizeof(double)) != 0;
        worst = std::max(worst, std::fabs(daily[d * n + k] - simd[d * n + k]) /
                                    std::max(std::fabs(simd[d * n + k]), 0.01 * full.gross_exposure()));
      }
    CHECK(differ == 0);
    CAPTURE(worst);
    CHECK(worst <= 1e-5);
    // Path risk from the same observers: its arithmetic over those daily losses.
    const double stop = 0.05 * full.gross_exposure();
    std::vector<double> losses(n), drawdowns(n);
    std::vector<std::int32_t> breach(n);
    reference.simulate_path_risk(full, at, stop, seed, first, n, losses.data(), drawdowns.data(),
                                 breach.data());
    std::uint64_t wrong = 0, breaches = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
      const PathStats want = stats_from_days(daily, at.size(), n, k, stop);
      wrong += breach[k] != want.first;
      wrong += want.first != kNonFinitePath &&
               std::memcmp(&drawdowns[k], &want.drawdown, sizeof(double)) != 0;
      wrong += std::memcmp(&losses[k], &daily[(at.size() - 1) * n + k], sizeof(double)) != 0;
      breaches += breach[k] >= 0;
    }
    CHECK(wrong == 0);
    CHECK(breaches > 0);
    CHECK(breaches < n);
  }
}
