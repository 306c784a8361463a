// A small real run for the report tests: the sample market and book, the baseline and one
// scenario whose name and description try to inject markup, with the value fan computed.
#pragma once

#include <string>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/report/run_report.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/sim_spec.hpp"
#include "host/value_fan.hpp"
#include "test_util.hpp"

namespace chipshock::testing {

inline const char* const kHostileText =
    "<script>alert('x')</script> & \"quotes\", commas\nand a <b>tag</b>";

inline RunReport small_report(std::uint64_t paths = 20000, int horizon = 3) {
  const Market market = load_market(source_path("scenarios/market/ai_chips.toml"));
  const Portfolio portfolio =
      load_portfolio(source_path("scenarios/portfolio/ai_book.toml"), market);
  SimSettings sim;
  sim.horizon_days = horizon;
  const SimSpec spec(market, portfolio, sim);
  Scenario sc;
  sc.name = "evil<i>,\"name\"";
  sc.description = kHostileText;
  sc.source = kHostileText;
  sc.file = "x.toml";
  ScenarioJump j;
  j.returns["NVDA"] = -0.2;
  sc.jumps.push_back(j);
  const SimSpec stressed(market, portfolio, sim, apply_scenario(sc, market, horizon));
  const CpuBackend backend(2);
  RunSettings s;
  s.paths = paths;
  s.seed = 11;
  RunReport r;
  r.version = "test";
  r.market_file = "m.toml";
  r.portfolio_file = "p.toml";
  r.portfolio_name = portfolio.name;
  r.currency = market.currency;
  r.portfolio_value = spec.value0();
  r.paths = paths;
  r.seed = s.seed;
  r.horizon_days = horizon;
  r.n_assets = spec.n_assets();
  r.as_of = market.as_of;
  r.backend = "cpu";
  r.threads = backend.threads();
  r.confidences = s.confidences;
  r.scenarios.push_back(simulate_scenario("baseline", spec, backend, s));
  ScenarioResult res = simulate_scenario(sc.name, stressed, backend, s);
  res.description = sc.description;
  res.source = sc.source;
  res.file = sc.file;
  r.scenarios.push_back(res);
  r.fan = compute_value_fan(market, portfolio, sim, {sc}, backend, s.seed, paths);
  r.elapsed_seconds = 0.5;
  return r;
}

// A replay entry as the historical-replay code adds it: one deterministic loss, no levels.
inline ScenarioResult replay_entry() {
  ScenarioResult r;
  r.name = "replay_2025-01-27";
  r.kind = "replay";
  r.description = "The book revalued at the 2025-01-27 closes.";
  r.paths = 1;
  r.mean_loss = r.worst_loss = 1234567.5;
  r.prob_loss = 1;
  return r;
}

}  // namespace chipshock::testing
