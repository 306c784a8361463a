// Percentiles of the portfolio value over the horizon, for a fan chart. Path i's value on day d
// of a horizon-H run equals the horizon-d run of the same path: the first d days draw the same
// random numbers (counter-based, step-major) and options revalue at the maturity left on day d.
// So the fan is the engine run once over the horizon on a modest number of paths with the same
// seed, the book revalued at the end of each fan day (at most kMaxFanDays of them;
// DayValueSimulator::simulate_days, on the run's backend): the numbers of runs cut at each day,
// in one pass.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

constexpr int kMaxFanDays = 30;                   // evaluation days besides day 0
constexpr std::uint64_t kMaxFanPaths = 20000;     // paths per day and scenario, at most
constexpr std::uint64_t kMinFanPaths = 2000;      // ... and at least (or all the run's paths)
constexpr double kFanCostShare = 0.10;            // of the main run's path-steps, per scenario

struct ValueFanSeries {
  std::string scenario;
  std::vector<std::vector<double>> value;  // [day index][percentile index], in the currency
};

struct ValueFan {
  std::uint64_t paths = 0;          // per day and scenario
  std::vector<double> percentiles;  // of the value, ascending, e.g. 0.05 .. 0.95
  std::vector<int> days;            // 0 (today), then the evaluation days up to the horizon
  std::vector<ValueFanSeries> series;  // baseline first
  double seconds = 0;               // time to compute it
  std::vector<std::string> notes;   // scenarios left out, and why
  bool empty() const { return series.empty(); }
};

// The evaluation days: every day when horizon <= max_days, else max_days days evenly spaced,
// ending at the horizon. Day 0 is not included.
std::vector<int> fan_days(int horizon, int max_days = kMaxFanDays);

// Paths per day: about kFanCostShare of the main run's path-steps, clamped to
// [kMinFanPaths, kMaxFanPaths] and to the main run's paths.
std::uint64_t fan_paths(std::uint64_t main_paths, int horizon, const std::vector<int>& days);

// Fan of the baseline (first) and each scenario, with `seed` (the main run's). `sim` is the main
// run's horizon and steps per day. Called after each simulated day with (done, total) days.
ValueFan compute_value_fan(const Market& market, const Portfolio& portfolio,
                           const SimSettings& sim, const std::vector<Scenario>& scenarios,
                           const DayValueSimulator& backend, std::uint64_t seed,
                           std::uint64_t main_paths, const ProgressFn& progress = {});

}  // namespace chipshock
