// The Monte Carlo runs of `chipshock run`: the baseline, each scenario, then each --what-if
// run, in that order (their index). Each runs on this process's share of the paths (under
// mpirun: host/parallel/mpi_team.hpp) and, with --checkpoint, is saved after every batch and
// stop and resumed from there (host/checkpoint/run_checkpoint.hpp). Rank 0 gets the results,
// bit-identical on the CPU backend to one uninterrupted process.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "host/checkpoint/run_checkpoint.hpp"
#include "host/app/backend_plan.hpp"
#include "host/parallel/mpi_team.hpp"
#include "host/parallel/mpi_world.hpp"
#include "host/risk_engine.hpp"

namespace chipshock {

class MonteCarloRuns {
 public:
  // checkpoint_file: this process's checkpoint ("" = none); checkpoint: what it holds (resumed
  // and reconciled with rank 0's, or new: settings and inputs only).
  MonteCarloRuns(BackendPlan& backend, const MpiWorld& world, std::string checkpoint_file,
                 RunCheckpoint checkpoint);
  BackendPlan& backend() { return backend_; }

  // Runs run `index` (or resumes it, or takes it whole from the checkpoint). On rank 0 its
  // result, whose seconds include the time spent before a --resume; an empty result elsewhere.
  // --backend both (one process, no checkpoint) runs it through BackendPlan::simulate; with an
  // observer (a book hierarchy) on the GPU's source only (the caller compares it).
  // observer: paths the CPU backend simulates with more output (cpu_path_source).
  // keep: where every loss of the run goes as well (PathSource::keep_losses; one process, not
  // --backend both, not resumed).
  ScenarioResult run(std::size_t index, const std::string& name, const SimSpec& spec,
                     const RunSettings& settings, const ProgressFn& progress = {},
                     PathObserver* observer = nullptr, const LossSink& keep = {});
  // The paths run `index` ended with (every rank, once run() returned): --paths, or where a
  // target error stopped it.
  std::uint64_t paths_of(std::size_t index) const { return paths_.at(index); }

  const MpiTeam& team() const { return team_; }
  MpiTeam& team() { return team_; }  // for merges of more than the runs (a hierarchy's books)

 private:
  // Refuses (InputError naming the file) a resumed scenario whose header and losses disagree.
  void check_against_itself(const ScenarioProgress& p, const std::string& name,
                            const RunSettings& settings) const;
  // The progress and the observer's state (PathObserver::checkpoint_images) into the checkpoint.
  void save(std::size_t index, const std::string& name, const ScenarioProgress& progress,
            const PathObserver* observer, std::chrono::steady_clock::time_point start,
            double prior_seconds);

  BackendPlan& backend_;
  const MpiWorld& world_;
  MpiTeam team_;
  std::string file_;
  RunCheckpoint checkpoint_;
  std::vector<std::uint64_t> paths_;
};

}  // namespace chipshock
