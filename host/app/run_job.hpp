// Carrying out a planned `chipshock run` (host/app/run_plan.hpp), for any front end: the
// Monte Carlo runs of the baseline and each scenario on every rank (its share, merged on rank
// 0; checkpointed), --what-if, path-dependent risk and the value fan, into the run's report.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "host/app/run_options.hpp"
#include "host/app/run_plan.hpp"
#include "host/files/file_set.hpp"
#include "host/report/run_report.hpp"

namespace chipshock {

class MpiWorld;

// What the front end is told while the run goes (each may be empty; rank 0 only).
struct RunFeedback {
  RunProgressFn progress;                          // progress of each stage
  std::function<void()> clear;                     // a stage's progress display is done with
  std::function<void(const std::string&)> notice;  // a line for the user
  // When set, every loss of the baseline's run goes there too, in path order (the Python
  // module's keep_losses; one process, not --backend both or importance sampling).
  LossSink baseline_losses;
};

// Runs everything after preparation, on every rank (collective). Returns rank 0's report:
// the run's settings, every scenario's result, the historical entries, --what-if, the backend
// comparison, path risk and, when `fan`, the value fan chart (its run.phases left for the
// caller, which knows when the command started); other ranks get an empty report. Writes the
// first checkpoint of a new run with --checkpoint.
RunReport execute_run(const RunOptions& o, const MpiWorld& world, PreparedRun& p, bool fan,
                      const RunFeedback& feedback);

// Rank 0's reports of a finished run, for any front end: every file but report.json rendered
// (when o.out_dir is set) and, when `summary`, the summary table, both inside the reports
// phase; then run.phases (wall time from command_start), report.json's text, and the set
// written to o.out_dir. The written set's outcome is in `written` (its notices are the front
// end's to say).
struct RunOutcome {
  RunReport report;
  std::string json, summary;
  FileSetWrite written;
};
RunOutcome complete_reports(const RunOptions& o, RunReport report,
                            std::chrono::steady_clock::time_point command_start, bool summary);

}  // namespace chipshock
