// Reverse stress test: the smallest shock to one factor (a day-1 jump of `factor` by s per unit
// of exposure, as a scenario `factors = { f = s }` would give) that lifts the book's ES at a
// confidence level to a target loss. Every evaluation reuses the same seed and path indices
// (common random numbers), so ES(s) is a deterministic, smooth function of s and bisection
// converges to the shock without Monte Carlo noise between steps; the estimate's own Monte
// Carlo uncertainty is reported as an interval from batch means of the ES estimator.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/cpu_backend.hpp"

namespace chipshock {

struct ReverseSettings {
  std::string factor;
  double target_loss = 0;   // in the book's currency
  double confidence = 0.99;  // of the ES
  int horizon_days = 1;
  std::uint64_t paths = 200000;
  std::uint64_t seed = 0;
  double tolerance = 1e-4;  // on the shock (return per unit loading)
  int batches = 20;         // for the ES standard error (batch means)
};

struct ReversePoint {
  double shock = 0;
  double es = 0;
  double es_se = 0;  // standard error of ES from batch means
};

struct ReverseResult {
  ReverseSettings settings;
  std::string direction;       // "down" or "up": the sign of the shock that raises ES
  double max_shock = 0;        // the search range [0, max_shock] in magnitude
  bool reached_at_zero = false;  // the baseline ES already reaches the target
  double shock = 0;            // the smallest shock (signed) whose ES reaches the target
  double shock_lo = 0, shock_hi = 0;  // shocks where ES +- 1.96 SE reach the target
  ReversePoint baseline, at_solution;
  std::vector<ReversePoint> evaluations;  // every bisection step, in order
  std::vector<std::string> exposed;       // tickers with a loading on the factor
};

// Throws InputError when the factor is unknown to the market, no held asset is exposed to it, or
// no shock within the range reaches the target (the message gives the largest ES found).
ReverseResult reverse_stress(const ReverseSettings& settings, const Market& market,
                             const Portfolio& portfolio, const CpuBackend& backend);

}  // namespace chipshock
