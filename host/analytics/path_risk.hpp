// Path-dependent risk of the book over the horizon: the distribution of its maximum drawdown,
// the probability that its loss breaches a stop-loss level on any day (not only at the horizon),
// and the day of first breach.
//
// Path i's book value on day d of a horizon-H run equals the horizon-d run of the same path (the
// first d days draw the same random numbers; options revalue at the maturity left on day d). The
// daily values come from one pass over the horizon per path, the kernel revaluing the book at
// the end of each day (CpuBackend::simulate_days): bit for bit the horizon-d runs, in O(H).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/cpu_backend.hpp"
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
  double seconds = 0;
};

// Baseline and each scenario (as applied at each day's horizon). Throws InputError for a
// non-positive stop-loss.
PathRisk path_dependent_risk(const Market& market, const Portfolio& portfolio,
                             const SimSettings& sim, const std::vector<Scenario>& scenarios,
                             const CpuBackend& backend, std::uint64_t seed,
                             std::uint64_t run_paths, double stop_loss);

}  // namespace chipshock
