// Everything a run reports, and the writers: report.json (the contract, schema
// chipshock.report.v1), report.md, and the terminal summary. Files are written atomically.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/analytics/books.hpp"
#include "host/analytics/greeks.hpp"
#include "host/analytics/path_risk.hpp"
#include "host/report/backend_comparison.hpp"
#include "host/report/format.hpp"
#include "host/config/market.hpp"
#include "host/risk_engine.hpp"
#include "host/run_phases.hpp"
#include "host/value_fan.hpp"

namespace chipshock {

// --what-if: the book with the file's positions added, run with the same seed and paths
// (common random numbers), against the book as it is.
struct WhatIfLevel {
  double confidence = 0;
  double var = 0, es = 0;                // the changed book
  double var_change = 0, es_change = 0;  // incremental VaR and ES: changed minus current
  // First-order estimate sum(dq x marginal ES) from the current book's Euler components, when
  // every added line is an instrument the book already holds (NaN otherwise).
  double es_change_first_order = 0;
};
struct WhatIfScenario {
  std::string scenario;
  std::uint64_t paths = 0;
  std::vector<WhatIfLevel> levels;
};
struct WhatIf {
  std::string file, name;
  std::vector<std::string> positions;  // "NVDA x -1000", ...
  std::vector<WhatIfScenario> scenarios;
  bool empty() const { return file.empty(); }
};

struct RunReport {
  std::string version;
  std::string market_file, portfolio_file;
  std::string portfolio_name, currency;
  double portfolio_value = 0;
  std::uint64_t paths = 0, seed = 0;
  int horizon_days = 1, steps_per_day = 1, n_assets = 0;
  double dof = 0;  // 0 = Gaussian
  Market::Repair correlation_repair;  // --repair-correlation (method "" = none)
  int ranks = 1;                      // MPI ranks the paths were shared between
  std::vector<std::string> gpus;      // the GPUs used, "rank R: NAME" under MPI (empty: none)
  bool antithetic = false;
  std::string rng = "philox";  // the diffusion's generator: philox or sobol (--rng)
  std::string as_of;  // the market's date ("" = not given)
  std::string backend;
  std::string gpu_name;  // the GPU used when backend is gpu or both ("" = none)
  int threads = 0;
  // The CPU kernel's instruction set (avx2, avx512): the CPU backend's paths and, on every
  // backend, the CPU's own work (the value fan, --stop-loss).
  std::string cpu_isa;
  std::vector<double> confidences;
  std::vector<ScenarioResult> scenarios;  // baseline first
  double elapsed_seconds = 0;  // the Monte Carlo runs (baseline, scenarios, what-if)
  // Where the whole command's time went, up to the moment report.json was composed
  // (host/run_phases.hpp); wall_seconds is that moment, from the command's start.
  struct Phases {
    bool measured = false;
    PhaseSeconds seconds{};
    double wall_seconds = 0;
    double other() const;  // wall_seconds minus the phases: inputs, set-up, start-up
  } phases;
  std::vector<BackendComparison> comparisons;     // --backend both: GPU vs CPU per scenario
  double paths_per_second() const;
  ValueFan fan;  // empty unless computed (reports written or --json)
  PathRisk path_risk;  // empty unless --stop-loss was given
  std::optional<BackendAgreement> comparison;  // the summary of `comparisons`
  double target_rel_error = 0;  // --target-rel-error (0 = a plain run)
  std::uint64_t max_paths = 0;  // its cap
  WhatIf what_if;               // --what-if (empty = not asked)
  // Greeks per position and the delta-gamma-normal VaR/ES of the baseline
  // (host/analytics/greeks.hpp): report.json's "greeks" and "parametric".
  ParametricRisk parametric;
  // A book hierarchy's figures per node and run (host/analytics/books.hpp; empty: one book).
  BooksReport books;
};

// "phases: simulate 0.512 s, tail 0.031 s, ..., other 0.020 s (wall 0.702 s)\n" (--timings);
// "" when not measured.
std::string phases_summary(const RunReport& r);

// The generator in words, for the reports: "Philox4x32-10 pseudo-random" or the Sobol' one.
std::string rng_description(const std::string& rng);

nlohmann::ordered_json report_json(const RunReport& r);
std::string report_markdown(const RunReport& r);
std::string report_summary(const RunReport& r);  // the table printed on stdout
// One warning line per scenario with NaN or infinite losses (empty when none): printed on stderr
// whatever --json or --quiet say, and the run then exits with code 4.
std::string non_finite_warnings(const RunReport& r);
// Warnings for stderr, whatever --json and --quiet say: each Monte Carlo entry whose
// --target-rel-error was not met by --max-paths ("" when none).
std::string target_warnings(const RunReport& r);
// "2000000 paths", or under --target-rel-error the paths each scenario used (the header of the
// summary, report.md and report.html).
std::string paths_used(const RunReport& r);
// The Monte Carlo baseline's estimates at `confidence` (null when the run has none): what the
// parametric cross-check is set beside.
const LevelRisk* baseline_level(const RunReport& r, double confidence);
// One line on --repair-correlation's repair ("" when none).
std::string correlation_repair_text(const RunReport& r);
// ", 4 MPI ranks" and the GPUs of every rank when more than one ("" for one process).
std::string ranks_text(const RunReport& r);

}  // namespace chipshock
