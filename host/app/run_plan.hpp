// Planning a `chipshock run`, for any front end: every input read and checked, the rules
// between options applied (check_option_rules, the one place they live), the backend chosen and
// the checkpoint set up, on every rank before any path runs; and the run-time estimate.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/app/backend_plan.hpp"
#include "host/app/run_options.hpp"
#include "host/checkpoint/run_checkpoint.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/analytics/books.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

class MpiWorld;

// Everything a run needs, read and checked on every rank before any path runs.
// The name of the --stressed entry among the scenarios.
inline constexpr const char* kStressedName = "stressed";
// The top of the books when --portfolio is given more than once.
inline constexpr const char* kAllBooksName = "all books";

struct PreparedRun {
  RunSettings settings;
  Market market;
  Portfolio portfolio;  // every position (several --portfolio: combined under kAllBooksName)
  // The book hierarchy ([[books]] or several --portfolio; hierarchy() false: one book).
  BookTree books;
  std::optional<Portfolio> what_if;
  SimSettings sim;
  std::unique_ptr<SimSpec> spec;
  std::vector<Scenario> scenarios;
  std::vector<AppliedScenario> applied;
  std::vector<std::unique_ptr<SimSpec>> scenario_specs;
  // --stressed: the stressed market, the book priced in it, and its model
  Market stressed_market;
  std::optional<Portfolio> stressed_portfolio;
  std::unique_ptr<SimSpec> stressed_spec;
  std::vector<ScenarioResult> history_results;  // rank 0 only
  // A hierarchy's books under each of them ([entry][book], the top first; rank 0 only).
  std::vector<std::vector<ScenarioResult>> history_books;
  std::unique_ptr<BackendPlan> backend;
  std::string checkpoint_file;       // this rank's checkpoint; "" = none
  bool resuming = false;             // --resume: the checkpoint holds runs to continue
  RunCheckpoint checkpoint;          // what it holds (resumed) or will hold (settings and inputs)
  std::vector<std::string> notices;  // lines for the user (e.g. why auto runs on the CPU)
  std::vector<std::string> market_notes;  // the baseline's report notes on the market (--iv-file)
};

// Every rule between options, in one place; throws InputError (exit 2) naming the option.
// world_size: the MPI ranks of the run.
void check_option_rules(const RunOptions& o, int world_size);

// Reads and checks everything the run needs (options, each on its own and against the others,
// files, scenarios, price history, backend, output folder, loss-tail memory, checkpoint) into p.
// Throws InputError, GpuUnavailable (exit 3) or std::runtime_error.
void prepare_run(const RunOptions& o, const MpiWorld& world, PreparedRun& p);

// Upper bounds on the bytes the run writes (about twice what its shape needs), for the space
// check before the run and the dry run's plan: the report set in --out, report.json alone
// (--json), the largest report file, and one rank's checkpoint file.
struct OutputSizes {
  std::uint64_t report_set = 0, report_json = 0, largest_report = 0, checkpoint = 0;
};
OutputSizes estimate_output_sizes(const RunOptions& o, const PreparedRun& p, int ranks);

// Under mpirun with --resume: rank 0's progress is the reference; every rank brings its own in
// line with it (run_checkpoint.hpp: reconcile_with_root). Collective.
void reconcile_checkpoints(const MpiWorld& world, PreparedRun& p);

// The run's size and an estimate of its duration from a pilot of the first paths of the
// baseline (discarded), so that a run of hours or days says so before it starts.
struct RunEstimate {
  double seconds = 0;
  std::string text;
};

RunEstimate estimate_run(BackendPlan& backend, const SimSpec& spec, const RunSettings& settings,
                         std::size_t n_scenarios, bool importance);

// The same estimate for the whole run p plans: every Monte Carlo run (what-if doubles them) and,
// with --stop-loss, the daily values of its path-risk paths, timed on a pilot of them (a cost
// that grows with the horizon, not only with paths x steps: issue 16, class 6).
RunEstimate estimate_prepared_run(const RunOptions& o, PreparedRun& p, int ranks);

// Whether --stop-loss is gathered by each scenario's own run (the CPU backend in one process,
// without importance sampling) rather than simulated again after the runs.
bool path_risk_in_run(const RunOptions& o, const PreparedRun& p, int ranks);

// Runs longer than this print their estimate on stderr before they start.
constexpr double kAnnounceSeconds = 600;
// Below this many path-steps x assets a run is short on any machine: no pilot.
constexpr double kPilotWork = 1e11;

// Path-steps x assets of the whole run (against kPilotWork).
double run_work(const PreparedRun& p);

}  // namespace chipshock
