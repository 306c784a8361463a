#include "host/cli/run_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "host/app/run_job.hpp"
#include "host/app/run_plan.hpp"
#include "host/checkpoint/run_checkpoint.hpp"
#include "host/cli/cli_failure.hpp"
#include "host/cli/file_set_notice.hpp"
#include "host/files/free_space.hpp"
#include "host/parallel/mpi_world.hpp"
#include "host/report/report_files.hpp"
#include "host/report/run_report.hpp"
#include "host/run_phases.hpp"

namespace chipshock {

namespace {

// The dry run's line on what the run will write.
std::string output_plan(const RunOptions& o, const PreparedRun& p, int ranks) {
  const OutputSizes sizes = estimate_output_sizes(o, p, ranks);
  std::string s;
  if (!o.out_dir.empty())
    s += "writes: the reports in " + o.out_dir + ", at most about " + bytes_text(sizes.report_set) +
         " (free space checked)\n";
  if (!p.checkpoint_file.empty())
    s += "checkpoint: " + p.checkpoint_file + ", at most about " + bytes_text(sizes.checkpoint) +
         " (twice that while it is saved; free space checked)\n";
  return s;
}

// Progress on stderr while a run takes more than a second, only when stderr is a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}
  ~Progress() { clear(); }
  void update(const std::string& scenario, std::uint64_t done, std::uint64_t total,
              const char* unit = "paths") {
    if (!enabled_) return;
    const Clock::time_point now = Clock::now();
    if (scenario != current_) {  // rate and ETA per scenario: each restarts at 0 paths
      current_ = scenario;
      scenario_start_ = now;
      first_done_ = done;
    }
    if (std::chrono::duration<double>(now - start_).count() < 1.0) return;
    const double t = std::chrono::duration<double>(now - scenario_start_).count();
    const double d = static_cast<double>(done), n = static_cast<double>(total);
    const double rate = t > 0 ? static_cast<double>(done - first_done_) / t : 0;
    if (!(rate > 0)) return;  // nothing measured yet for this scenario
    const double eta = (n - d) / rate;
    // \033[K clears what a longer previous line left behind.
    std::fprintf(stderr, "\r%s: %3.0f%%  %llu/%llu %s  %.3g %s/s  ETA %.0f s\033[K",
                 scenario.c_str(), 100.0 * d / n, static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total), unit, rate, unit, eta);
    drawn_ = true;
  }
  void clear() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now();
  std::string current_;
  Clock::time_point scenario_start_ = start_;
  std::uint64_t first_done_ = 0;
};

// Runs `step` on every rank; a failure on any rank stops all of them with one message (rank 0
// prints it) before any path runs. Collective.
template <typename Step>
void on_every_rank(const MpiWorld& world, const Step& step) {
  std::optional<RankFailure> failure;
  std::exception_ptr error;
  try {
    step();
  } catch (...) {
    error = std::current_exception();
    failure = failure_from_current_exception(world.rank());
  }
  if (const std::optional<RankFailure> first = world.first_failure(failure)) {
    if (error && world.size() == 1) std::rethrow_exception(error);
    throw AgreedFailure(*first);
  }
}

}  // namespace

int run_command(const RunOptions& o) {
  const MpiWorld one_process;
  return run_command(o, one_process);
}

int run_command(const RunOptions& o, const MpiWorld& world) {
  const auto command_start = std::chrono::steady_clock::now();
  reset_phase_seconds();
  PreparedRun p;
  on_every_rank(world, [&] { prepare_run(o, world, p); });
  if (!o.quiet && world.is_root())
    for (const std::string& line : p.notices) std::cerr << line << "\n";
  if (p.resuming && world.size() > 1) on_every_rank(world, [&] { reconcile_checkpoints(world, p); });

  // --dry-run: everything above is checked; time a pilot and stop. A real run big enough to take
  // long on a slow machine says how long before it starts. Rank 0 alone.
  const double work = run_work(p);
  if (o.dry_run && !world.is_root()) return kExitOk;
  if (world.is_root() && (o.dry_run || (work > kPilotWork && !o.quiet))) {
    const PhaseScope estimating(Phase::kEstimate, PhaseScope::kAbsorb);
    const RunEstimate e = estimate_prepared_run(o, p, world.size());
    if (o.dry_run) {
      std::cout << "dry run: inputs, scenarios, backend and output folder are valid; nothing "
                   "simulated\nplan: "
                << e.text << "\n"
                << output_plan(o, p, world.size());
      if (world.size() > 1)
        std::cout << "MPI: " << world.size() << " ranks, each a share of the paths\n";
      return kExitOk;
    }
    if (e.seconds > kAnnounceSeconds) std::cerr << "chipshock: note: this run: " << e.text << "\n";
  }
  Progress progress(!o.quiet && world.is_root());
  RunFeedback feedback;
  feedback.progress = [&](const std::string& what, std::uint64_t done, std::uint64_t total,
                          const char* unit) { progress.update(what, done, total, unit); };
  feedback.clear = [&] { progress.clear(); };
  if (!o.quiet)
    feedback.notice = [](const std::string& line) { std::cerr << "chipshock: " << line << "\n"; };
  RunReport report = execute_run(o, world, p, !o.out_dir.empty() || o.json, feedback);
  std::string non_finite;  // rank 0's warnings
  if (world.is_root()) {
    // Every file but report.json first, so that report.json's run.phases includes them; then
    // report.json and the summary (their own few milliseconds come after the phases' end).
    const RunOutcome done =
        complete_reports(o, std::move(report), command_start, !o.json && !o.quiet);
    if (!o.out_dir.empty()) say_set_written(done.written, o.out_dir, o.quiet);
    // --- end of reports ---
    if (o.json) {
      std::cout << done.json;
    } else if (!o.quiet) {
      std::cout << done.summary;
      if (o.timings) std::cout << phases_summary(done.report);
      if (!o.out_dir.empty())
        std::cout << "wrote " << (std::filesystem::path(o.out_dir) / "report.html").string()
                  << ", report.json, report.md and CSV files\n";
    }
    if (o.timings && (o.json || o.quiet)) std::cerr << phases_summary(done.report);
    std::cout.flush();
    non_finite = non_finite_warnings(done.report);
    std::cerr << non_finite << target_warnings(done.report);  // whatever --json and --quiet say
  }
  // The run is complete and reported: its checkpoints are spent. Removed only once rank 0 has
  // written the reports (a failure there aborts the job and leaves them to resume from).
  world.barrier();
  if (!p.checkpoint_file.empty()) {
    std::error_code ec;
    std::filesystem::remove(p.checkpoint_file, ec);
  }
  return non_finite.empty() ? kExitOk : kExitNonFinite;
}

}  // namespace chipshock
