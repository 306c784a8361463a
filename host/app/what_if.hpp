// --what-if: the book with a file's positions added, every Monte Carlo run again with the same
// seed and paths (common random numbers), against the book as it is.
#pragma once

#include <string>
#include <vector>

#include "host/app/monte_carlo_runs.hpp"
#include "host/app/run_options.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/report/run_report.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

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
                   const std::vector<ImportanceShift>& shifts);

}  // namespace chipshock
