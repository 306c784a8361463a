// Path-dependent risk of the book over the horizon: the distribution of its maximum drawdown,
// the probability that its loss breaches a stop-loss level on any day (not only at the horizon),
// and the day of first breach.
//
// Path i's book value on day d of a horizon-H run equals the horizon-d run of the same path (the
// first d days draw the same random numbers; options revalue at the maturity left on day d). The
// daily values come from one pass over the horizon per path, the kernel revaluing the book at
// the end of each day and keeping each path's running peak, drawdown and first breach
// (DayValueSimulator::simulate_path_risk, on the run's backend): the horizon-d runs' numbers,
// in O(H) time and O(1)
// memory a path. On the CPU backend the scenario's own run does it for its first paths
// (PathRiskTap), so they are simulated once; otherwise they are simulated here again.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

// Paths for the daily revaluation: the run's paths, at most kMaxPathRiskPaths, and fewer for long
// horizons so the cost stays near kPathRiskBudget asset-steps, one pass over the horizon a path
// (never below kMinPathRiskPaths).
constexpr std::uint64_t kMaxPathRiskPaths = 100000;
constexpr std::uint64_t kMinPathRiskPaths = 1000;
constexpr double kPathRiskBudget = 2e9;
std::uint64_t path_risk_paths(std::uint64_t run_paths, int horizon_days, int steps_per_day,
                              int n_assets);

struct PathRiskResult {
  std::string scenario;
  std::uint64_t paths = 0;
  // Maximum drawdown: the largest fall of the book's value from its running peak (today's value
  // included) over days 1..H, in the currency; quantiles over paths.
  double drawdown_mean = 0, drawdown_p50 = 0, drawdown_p95 = 0, drawdown_p99 = 0;
  double prob_breach = 0;             // P(loss >= stop_loss on some day 1..H)
  double prob_breach_at_horizon = 0;  // P(loss >= stop_loss on day H)
  std::vector<double> first_breach;   // [d - 1]: P(first breach on day d)
  std::uint64_t non_finite = 0;       // paths with a NaN/inf value on some day (left out)
};

struct PathRisk {
  double stop_loss = 0;  // a loss level in the currency (positive)
  int horizon_days = 0;
  std::uint64_t paths = 0;
  std::vector<PathRiskResult> scenarios;  // baseline first, then the scenarios
  std::size_t from_main_run = 0;  // how many of them the scenarios' own runs gathered
  double seconds = 0;
};

// One scenario's path-risk paths (its first `paths` paths), gathered where they are simulated:
// by the scenario's own run on the CPU backend (cpu_path_source calls simulate() for the paths
// it folds below paths()), or by path_dependent_risk. Holds the runs cut at each day (whose
// books the kernel revalues) and, per path, its drawdown, first breach day and whether its
// horizon loss reaches the stop-loss. Throws InputError when the scenario cannot be applied at
// some day.
class PathRiskTap final : public PathObserver {
 public:
  PathRiskTap(const Market& market, const Portfolio& portfolio, const SimSettings& sim,
              const Scenario* scenario, std::uint64_t paths, double stop_loss);
  std::uint64_t paths() const override { return paths_; }
  double stop_loss() const { return stop_loss_; }
  const std::vector<const SimSpec*>& days() const { return cut_.at; }  // [d - 1]: cut at day d

  // Paths [first, first + count) (within paths()) of `spec` (the scenario's model over the full
  // horizon): their horizon losses into losses (on the CPU backend bit for bit
  // CpuBackend::simulate_losses'), and their path statistics recorded.
  void simulate(const SimSpec& spec, const DayValueSimulator& backend, std::uint64_t seed,
                std::uint64_t first, std::uint64_t count, double* losses) override;
  // The same from DayValueSimulator::simulate_path_risk's outputs.
  void record(std::uint64_t first, std::uint64_t count, const double* losses,
              const double* drawdowns, const std::int32_t* first_breach);
  // Every path recorded (a run resumed from a checkpoint, or split between MPI ranks, is not).
  bool complete() const { return recorded_ == paths_; }
  // Frees the runs cut at each day once the scenario's run is over (days() is then empty;
  // result() still works).
  void release_days() { cut_ = CutRuns{}; }
  PathRiskResult result(const std::string& name) const;

 private:
  std::uint64_t paths_;
  double stop_loss_;
  CutRuns cut_;
  std::size_t n_days_ = 0;
  std::vector<double> drawdown_;
  std::vector<std::int32_t> first_;
  std::vector<unsigned char> end_breach_, seen_;
  std::uint64_t recorded_ = 0;
};

// Baseline and each scenario (as applied at each day's horizon): from taps[k] where the
// scenario's run completed it (same paths and stop-loss), else simulated here. Throws
// InputError for a non-positive stop-loss.
PathRisk path_dependent_risk(const Market& market, const Portfolio& portfolio,
                             const SimSettings& sim, const std::vector<Scenario>& scenarios,
                             const DayValueSimulator& backend, std::uint64_t seed,
                             std::uint64_t run_paths, double stop_loss,
                             const std::vector<const PathRiskTap*>& taps = {});

}  // namespace chipshock
