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
                          const PathObserver* observer, std::chrono::steady_clock::time_point start,
                          double prior_seconds) {
  if (file_.empty()) return;
  if (checkpoint_.scenarios.size() <= index) checkpoint_.scenarios.resize(index + 1);
  ScenarioCheckpoint& c = checkpoint_.scenarios[index];
  c = to_checkpoint(name, p);
  if (observer != nullptr) c.observer = observer->checkpoint_images();
  c.seconds = prior_seconds +
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_checkpoint(file_, checkpoint_);
}

// A checkpoint's header (its stops and next path) and its saved losses must agree: a damaged or
// edited one would otherwise resume into an internal error or a report of paths that were never
// simulated (issue 16, class 2). This process's losses are its paths [0, next_path) of its
// share: all of them in one process, at most that many under MPI.
void MonteCarloRuns::check_against_itself(const ScenarioProgress& p, const std::string& name,
                                          const RunSettings& settings) const {
  const auto bad = [&](const std::string& why) {
    return InputError(file_, 0, "--resume",
                      "the checkpoint disagrees with itself for '" + name + "': " + why,
                      "delete the checkpoint to start over");
  };
  if (p.done > p.reached || p.reached > settings.path_bound() ||
      p.next_path > settings.path_bound())
    throw bad("its stops (done " + std::to_string(p.done) + ", reached " +
              std::to_string(p.reached) + ", next path " + std::to_string(p.next_path) +
              ") are out of order or beyond the run's " + std::to_string(settings.path_bound()) +
              " paths");
  if (p.complete && p.done < settings.paths)
    throw bad("it says complete after " + std::to_string(p.done) + " of " +
              std::to_string(settings.paths) + " paths");
  if (!p.acc) return;
  const std::uint64_t held = p.acc->count() + p.acc->non_finite();
  const bool merged = p.complete && world_.is_root();  // every process's paths
  if (merged ? held != p.done
             : (world_.size() == 1 ? held != p.next_path : held > p.next_path))
    throw bad("its losses hold " + std::to_string(held) + " paths, its header says " +
              std::to_string(merged ? p.done : p.next_path));
}

ScenarioResult MonteCarloRuns::run(std::size_t index, const std::string& name,
                                   const SimSpec& spec, const RunSettings& settings,
                                   const ProgressFn& progress, PathObserver* observer,
                                   const LossSink& keep) {
  if (paths_.size() <= index) paths_.resize(index + 1);
  if (keep && (backend_.both() || world_.size() > 1 || index < checkpoint_.scenarios.size()))
    throw InputError("", 0, "keep_losses",
                     "every loss is kept only in one process on one backend, from the start");
  // one process, no checkpoint (refused in the set-up); a book hierarchy's run (observer) goes
  // through the GPU's source below, and its caller compares it with the CPU's
  if (backend_.both() && observer == nullptr) {
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
    check_against_itself(p, name, settings);
    // the observer's state (a book hierarchy's books) from the same save
    const std::uint64_t held = observer != nullptr
                                   ? observer->restore(saved.observer, file_)
                                   : PathObserver::restore_none(saved.observer, file_);
    if (!saved.observer.empty() && p.acc && world_.size() == 1 &&
        held != p.acc->count() + p.acc->non_finite())
      throw InputError(file_, 0, "--resume",
                       "the checkpoint disagrees with itself for '" + name +
                           "': its books hold other paths than the run",
                       "delete the checkpoint to start over");
  }
  const double prior_seconds = p.seconds;
  const std::unique_ptr<PathSource> source =
      backend_.path_source(spec, settings, !file_.empty(), observer);
  source->keep_losses(keep);
  // Without a checkpoint there is nothing to save (and a source that keeps its tail elsewhere
  // need not bring it to the host after every batch).
  SaveProgress saving;
  if (!file_.empty())
    saving = [&](const ScenarioProgress& now) {
      save(index, name, now, observer, start, prior_seconds);
    };
  advance_scenario(p, settings, *source, team_, progress, saving);
  paths_[index] = p.done;
  if (!world_.is_root()) return {};
  if (!p.acc)
    throw InputError(file_, 0, "--resume", "the checkpoint holds no losses for '" + name + "'",
                     "delete the checkpoint to start over");
  ScenarioResult r = finish_scenario(name, p, spec, settings, source->tail_lines());
  r.seconds = prior_seconds +
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace chipshock
