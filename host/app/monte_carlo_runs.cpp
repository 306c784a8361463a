#include "host/app/monte_carlo_runs.hpp"

#include <memory>
#include <utility>

#include "host/input_error.hpp"
#include "host/stats/accumulator_state.hpp"

namespace chipshock {

MonteCarloRuns::MonteCarloRuns(BackendPlan& backend, const MpiWorld& world,
                               std::string checkpoint_file, RunCheckpoint checkpoint)
    : backend_(backend),
      world_(world),
      team_(world),
      file_(std::move(checkpoint_file)),
      checkpoint_(std::move(checkpoint)) {}

void MonteCarloRuns::save(std::size_t index, const std::string& name, const ScenarioProgress& p,
                          std::chrono::steady_clock::time_point start, double prior_seconds) {
  if (file_.empty()) return;
  if (checkpoint_.scenarios.size() <= index) checkpoint_.scenarios.resize(index + 1);
  ScenarioCheckpoint& c = checkpoint_.scenarios[index];
  c = to_checkpoint(name, p);
  c.seconds = prior_seconds +
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_checkpoint(file_, checkpoint_);
}

ScenarioResult MonteCarloRuns::run(std::size_t index, const std::string& name,
                                   const SimSpec& spec, const RunSettings& settings,
                                   const ProgressFn& progress, PathObserver* observer) {
  if (paths_.size() <= index) paths_.resize(index + 1);
  if (backend_.both()) {  // one process, no checkpoint (refused in the set-up)
    ScenarioResult r = backend_.simulate(name, spec, settings, progress);
    paths_[index] = r.paths;
    return r;
  }
  const auto start = std::chrono::steady_clock::now();
  ScenarioProgress p;
  if (index < checkpoint_.scenarios.size()) {  // resumed
    const ScenarioCheckpoint& saved = checkpoint_.scenarios[index];
    if (saved.name != name)
      throw InputError(file_, 0, "--resume",
                       "the checkpoint's run " + std::to_string(index + 1) + " is '" + saved.name +
                           "'; this run's is '" + name + "'",
                       "run the same command, or delete the checkpoint to start over");
    try {
      p = from_checkpoint(saved);
    } catch (const AccumulatorStateError& e) {
      throw InputError(file_, 0, "--resume", e.what(), "delete the checkpoint to start over");
    }
  }
  const double prior_seconds = p.seconds;
  const std::unique_ptr<PathSource> source =
      backend_.path_source(spec, settings, !file_.empty(), observer);
  advance_scenario(p, settings, *source, team_, progress, [&](const ScenarioProgress& now) {
    save(index, name, now, start, prior_seconds);
  });
  paths_[index] = p.done;
  if (!world_.is_root()) return {};
  if (!p.acc)
    throw InputError(file_, 0, "--resume", "the checkpoint holds no losses for '" + name + "'",
                     "delete the checkpoint to start over");
  ScenarioResult r = finish_scenario(name, p, spec, settings, backend_.cpu());
  r.seconds = prior_seconds +
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace chipshock
