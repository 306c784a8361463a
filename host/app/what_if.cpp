#include "host/app/what_if.hpp"

#include <limits>
#include <memory>
#include <sstream>

#include "host/analytics/importance_sampling.hpp"

namespace chipshock {

namespace {

// A position as the what-if table names it: "NVDA x -1000", "NVDA put 181 63d x 500".
std::string what_if_label(const Position& p) {
  std::ostringstream s;
  s << p.ticker;
  if (p.type != PositionType::kEquity)
    s << " " << position_type_name(p.type) << " " << p.strike << " " << p.expiry_days << "d";
  s << " x " << p.quantity;
  return s.str();
}

// The label without a " #k" repeat suffix: lines with the same base label hold the same
// instrument, so they share one marginal ES per unit.
std::string instrument_of(const std::string& label) {
  const std::size_t hash = label.rfind(" #");
  return hash == std::string::npos ? label : label.substr(0, hash);
}

}  // namespace

// --what-if: the book plus the file's positions, every scenario run again with the same seed
// and path count (common random numbers), so the change is the positions' effect, not noise.
// The runs are Monte Carlo runs n_runs .. 2 n_runs - 1 of `runs` (checkpointed and shared
// between MPI ranks like the others); rank 0 computes the changes. `base` is rank 0's results
// of runs 0 .. n_runs - 1 (empty elsewhere).
WhatIf run_what_if(const std::string& file, const Portfolio& extra, const Market& market,
                   const Portfolio& portfolio, const SimSettings& sim,
                   const std::vector<AppliedScenario>& applied,
                   const std::vector<std::string>& names, const std::vector<ScenarioResult>& base,
                   MonteCarloRuns& runs, const RunSettings& settings, const RunProgressFn& progress,
                   const std::vector<ImportanceShift>& shifts) {
  WhatIf w;
  w.file = file;
  w.name = extra.name;
  Portfolio changed = portfolio;
  changed.cash += extra.cash;
  for (const Position& p : extra.positions) {
    changed.positions.push_back(p);
    w.positions.push_back(what_if_label(p));
  }
  const SimSpec extra_spec(market, extra, sim);  // labels of the added lines
  const std::size_t n_runs = names.size();
  for (std::size_t k = 0; k < n_runs; ++k) {
    RunSettings s = settings;
    s.paths = runs.paths_of(k);  // a run to a target error: the same paths as its result
    s.target_rel_error = 0;
    s.components = false;
    const std::unique_ptr<SimSpec> spec =
        k == 0 ? std::make_unique<SimSpec>(market, changed, sim)
               : std::make_unique<SimSpec>(market, changed, sim, applied[k - 1]);
    const std::string label = "what-if: " + names[k];
    const ProgressFn report_progress = [&](std::uint64_t done, std::uint64_t total) {
      if (progress) progress(label, done, total, "paths");
    };
    // Under importance sampling the changed book is sampled under the base run's measure, so
    // the two runs share paths and weights (common random numbers).
    if (k < shifts.size()) spec->set_importance_shift(shifts[k]);
    const ScenarioResult r = runs.run(n_runs + k, label, *spec, s, report_progress);
    if (base.empty()) continue;  // not rank 0
    WhatIfScenario ws;
    ws.scenario = base[k].name;
    ws.paths = r.paths;
    for (std::size_t l = 0; l < r.levels.size() && l < base[k].levels.size(); ++l) {
      WhatIfLevel x;
      x.confidence = r.levels[l].confidence;
      x.var = r.levels[l].var;
      x.es = r.levels[l].es;
      x.var_change = x.var - base[k].levels[l].var;
      x.es_change = x.es - base[k].levels[l].es;
      double first_order =
          base[k].components.empty() ? std::numeric_limits<double>::quiet_NaN() : 0;
      for (const PositionLine& line : extra_spec.positions()) {
        double marginal = std::numeric_limits<double>::quiet_NaN();
        for (const PositionContribution& c : base[k].components)
          if (c.confidence == x.confidence &&
              instrument_of(c.position) == instrument_of(line.label) && c.quantity != 0)
            marginal = c.marginal_es();
        first_order += line.quantity * marginal;
      }
      x.es_change_first_order = first_order;
      ws.levels.push_back(x);
    }
    w.scenarios.push_back(std::move(ws));
  }
  return w;
}

}  // namespace chipshock
