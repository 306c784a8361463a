// A run with every built-in model feature on, shared by the GPU-side tests: the Student-t
// market, the option book (calls, puts, a short), and a scenario with a fixed jump with
// recovery, a random event (probability, day window, Student-t size), a normal-size jump and a
// regime (vol scale, correlation stress, drift); options that expire inside horizons of 6 days
// or more; an implied-vol surface with a spot beta. Also a 5-asset market, which the GPU pads.
#pragma once

#include <cmath>
#include <memory>
#include <string>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/sim_spec.hpp"
#include "test_util.hpp"

namespace chipshock::testing {

inline const char* const kAllFeaturesScenario = R"(name = "all_features"
description = "Every scenario primitive at once (tests)."

[[jumps]]
day = 2
returns = { NVDA = -0.17, AMD = -0.06 }
sectors = { semiconductors = -0.05 }
recovery = { fraction = 0.3, days = 3 }

[[jumps]]
days = [1, 6]
probability = 0.35
returns = { TSM = -0.2, AVGO = -0.1 }
size = { distribution = "student_t", sd = 0.5, dof = 4.0 }

[[jumps]]
day = 4
returns = { MSFT = 0.05 }
size = { distribution = "normal", sd = 0.8 }

[[regimes]]
days = [2, 5]
vol_scale = 1.8
drift = -0.5
correlation = { toward = "ones", weight = 0.4 }
)";

inline const char* const kFiveAssetMarket = R"(currency = "USD"
rate = 0.04
dof = 5.0

[assets.AAA]
spot = 100.0
vol = 0.45
[assets.BBB]
spot = 50.0
vol = 0.3
drift = 0.05
[assets.CCC]
spot = 20.0
vol = 0.6
[assets.DDD]
spot = 75.0
vol = 0.25
[assets.EEE]
spot = 10.0
vol = 0.8

[correlation]
tickers = ["AAA", "BBB", "CCC"]
matrix = [[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]]
)";

inline const char* const kFiveAssetBook = R"(name = "five"
cash = 1000.0

[[positions]]
ticker = "AAA"
quantity = 100.0

[[positions]]
ticker = "CCC"
quantity = -300.0

[[positions]]
ticker = "EEE"
type = "call"
quantity = 500.0
strike = 11.0
expiry_days = 30
)";

// The market, book and specs of a test case; owns everything the specs point into.
struct TestRun {
  Market market;
  Portfolio portfolio;
  std::unique_ptr<SimSpec> spec;
};

// An option position of the hedged book's additions; implied_vol 0: priced off the market.
inline Position option_position(const char* ticker, PositionType type, double quantity,
                                double strike, long expiry_days, bool american,
                                double implied_vol = 0.0) {
  Position p;
  p.ticker = ticker;
  p.type = type;
  p.quantity = quantity;
  p.strike = strike;
  p.expiry_days = expiry_days;
  p.american = american;
  p.implied_vol = implied_vol;
  return p;
}

// American options with early exercise in reach: a deep in-the-money NVDA put (exercised on
// many paths at the horizon) and an AVGO call with a dividend yield set on AVGO.
inline void add_american_options(Market& market, Portfolio& portfolio) {
  market.assets[static_cast<std::size_t>(market.index_of("AVGO"))].dividend_yield = 0.04;
  portfolio.positions.push_back(option_position("NVDA", PositionType::kPut, 2500, 235, 40, true));
  portfolio.positions.push_back(
      option_position("AVGO", PositionType::kCall, -1200, 360, 90, true, 0.45));
}

// Options that expire inside a horizon of 7 days or more (kernels/expiry.cuh): a European MU
// call settled on day 6, and an American TSM put in the money, exercised early on some paths
// (the market's rate is 4%, TSM pays nothing) and settled on day 7 on the others.
inline void add_expiring_options(Portfolio& portfolio) {
  portfolio.positions.push_back(option_position("MU", PositionType::kCall, -400, 800, 6, false));
  portfolio.positions.push_back(option_position("TSM", PositionType::kPut, 1500, 430, 7, true));
}

// An implied-vol surface with a spot beta and a vol-of-vol on MSFT (host/config/market.hpp): the
// hedged book's short MSFT call, which has no implied_vol of its own, and an American MSFT put
// revalue at a vol that moves with each path's spot and its own implied-vol factor
// (kernels/american.cuh's option_value and american_across_vols, kernels/vol_factors.cuh).
inline void add_vol_surface(Market& market, Portfolio& portfolio) {
  portfolio.positions.push_back(option_position("MSFT", PositionType::kPut, 800, 470, 60, true));
  ImpliedVolSurface& s =
      market.assets[static_cast<std::size_t>(market.index_of("MSFT"))].implied_vol;
  s.given = true;
  s.atm = 0.3;
  s.skew = -0.12;
  s.term_slope = -0.05;
  s.spot_beta = -1.4;
  s.vol_of_vol = 0.8;
  market.implied_vol_correlation = 0.5;
  s.file = market.file;
  s.field = "assets.MSFT.implied_vol";
}

// The Student-t sample market and the hedged book (with add_american_options,
// add_expiring_options and add_vol_surface), with the
// all-features scenario when `scenario` (horizon of at least 6 days so that every primitive acts);
// `rng` the diffusion's generator.
inline TestRun all_features_run(const TempDir& dir, int horizon, int steps_per_day,
                                bool scenario = true, RngKind rng = RngKind::kPhilox) {
  TestRun t{load_market(source_path("scenarios/market/ai_chips_t.toml")), {}, nullptr};
  t.portfolio = load_portfolio(source_path("scenarios/portfolio/hedged_book.toml"), t.market);
  add_american_options(t.market, t.portfolio);
  add_expiring_options(t.portfolio);
  add_vol_surface(t.market, t.portfolio);
  SimSettings sim{horizon, steps_per_day};
  sim.rng = rng;
  if (scenario) {
    const Scenario sc = load_scenario(dir.write("all_features.toml", kAllFeaturesScenario));
    t.spec = std::make_unique<SimSpec>(t.market, t.portfolio, sim,
                                       apply_scenario(sc, t.market, horizon));
  } else {
    t.spec = std::make_unique<SimSpec>(t.market, t.portfolio, sim);
  }
  return t;
}

// Five assets (the GPU pads them to eight), Student-t, an option.
inline TestRun five_asset_run(const TempDir& dir, int horizon, int steps_per_day,
                              RngKind rng = RngKind::kPhilox) {
  TestRun t{load_market(dir.write("five.toml", kFiveAssetMarket)), {}, nullptr};
  t.portfolio = load_portfolio(dir.write("five_book.toml", kFiveAssetBook), t.market);
  SimSettings sim{horizon, steps_per_day};
  sim.rng = rng;
  t.spec = std::make_unique<SimSpec>(t.market, t.portfolio, sim);
  return t;
}

// A fixed importance-sampling measure for kernel comparisons (not a good one: any shift and
// twist will do to compare the arithmetic): a smooth shift of 0.3 sd at most per step and asset,
// the chi-square mixing scaled by 0.5.
inline ImportanceShift some_importance_shift(const SimSpec& spec) {
  ImportanceShift s;
  s.shift.resize(static_cast<std::size_t>(spec.total_steps()) * spec.model().n_assets);
  double norm2 = 0;
  for (std::size_t k = 0; k < s.shift.size(); ++k) {
    s.shift[k] = 0.3f * static_cast<float>(std::sin(1.0 + static_cast<double>(k)));
    norm2 += static_cast<double>(s.shift[k]) * s.shift[k];
  }
  s.chi2_scale = 0.5f;
  s.half_norm2 = norm2 / 2;
  return s;
}

}  // namespace chipshock::testing
