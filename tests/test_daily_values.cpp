// CpuBackend::simulate_days: the book's loss at the end of chosen days, every path simulated
// once over the horizon, gives bit for bit the losses of the runs cut at those days
// (spec_at_day, what the value fan and --stop-loss were built on), on every kernel this CPU runs
// and every model feature: Student-t mixing, options revalued at the maturity left, scenario
// jumps with recovery, random events, regimes, several steps a day, antithetic pairs, Sobol'.
#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "all_features.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/cpu_isa.hpp"
#include "host/qmc/sobol_tables.hpp"
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

std::vector<int> every_day(int horizon) {
  std::vector<int> d;
  for (int k = 1; k <= horizon; ++k) d.push_back(k);
  return d;
}

}  // namespace

TEST_CASE("daily losses in one pass equal the runs cut at each day, every model feature",
          "[daily]") {
  TempDir dir;
  const Market market = load_market(source_path("scenarios/market/ai_chips_t.toml"));
  const Portfolio book =
      load_portfolio(source_path("scenarios/portfolio/hedged_book.toml"), market);
  const Scenario sc = load_scenario(dir.write("all_features.toml", kAllFeaturesScenario));
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
  const Market market = load_market(source_path("scenarios/market/ai_chips_t.toml"));
  const Portfolio book =
      load_portfolio(source_path("scenarios/portfolio/hedged_book.toml"), market);
  const Scenario sc = load_scenario(dir.write("all_features.toml", kAllFeaturesScenario));
  SimSettings sobol{7, 1};
  sobol.rng = RngKind::kSobol;
  check_days(market, book, sobol, &sc, every_day(7), "Sobol' through the full Brownian bridge");
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
