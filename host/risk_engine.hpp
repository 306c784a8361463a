// Runs one scenario: simulates paths in bounded batches on a backend and folds each batch into
// streaming statistics, so memory depends on the batch and the tail, never on the path count.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host/cpu/cpu_backend.hpp"
#include "host/sim_spec.hpp"
#include "host/stats/loss_histogram.hpp"
#include "host/stats/risk_measures.hpp"
#include "host/stats/tail_curve.hpp"
#include "kernels/loss_moments.cuh"

namespace chipshock {

struct RunSettings {
  std::uint64_t paths = 1000000;
  std::uint64_t seed = 0;
  std::vector<double> confidences{0.95, 0.975, 0.99};
  std::uint64_t batch_paths = 1u << 20;  // paths per backend call; results do not depend on it
  // About this many histogram bins, ranged from a pilot of the first paths (loss_histogram.hpp);
  // 0 = no histogram.
  int histogram_bins = kDefaultHistogramBins;
  std::uint64_t gpu_batch_paths = 0;     // the same on the GPU; 0 = sized from free GPU memory
};

// One position's contribution to expected shortfall (component ES; contributions add up to the
// scenario's ES at `confidence`). Filled by the component-ES analysis; empty until it runs.
struct PositionContribution {
  std::string position;  // e.g. "NVDA" or "NVDA put 181 63d"
  double confidence = 0;
  double es_contribution = 0;  // in the portfolio currency
};

struct ScenarioResult {
  std::string name;
  std::string kind = "monte_carlo";  // monte_carlo | replay | historical
  // The scenario's definition, for reports (empty for the baseline).
  std::string description, source, file, calibration_date;
  std::vector<std::string> skipped_tickers;  // named by the scenario, absent from the market
  std::vector<std::string> notes;
  std::uint64_t paths = 0;       // paths simulated
  std::uint64_t non_finite = 0;  // paths whose loss was NaN or infinite (excluded)
  double mean_loss = 0, stdev_loss = 0, prob_loss = 0, worst_loss = 0;
  std::vector<LevelRisk> levels;  // one per confidence, in the order asked
  double seconds = 0;
  // For reports: the binned distribution of all finite losses (no bins for entries that are not
  // simulated, e.g. a replay) and the exact upper tail from the kept top-k losses.
  LossHistogram histogram;
  std::vector<TailPoint> tail_curve;
  std::vector<PositionContribution> components;  // empty: not computed
};

// Called after each batch with (paths done, paths total).
using ProgressFn = std::function<void(std::uint64_t, std::uint64_t)>;

ScenarioResult simulate_scenario(const std::string& name, const SimSpec& spec,
                                 const CpuBackend& backend, const RunSettings& settings,
                                 const ProgressFn& progress = {});

// The statistics of an accumulator over `paths` paths (count() of them finite). Throws
// InputError when too few finite losses are left for a confidence level.
ScenarioResult summarize_losses(const std::string& name, const LossAccumulator& acc,
                                std::uint64_t paths, const std::vector<double>& confidences);
// The pieces simulate_scenario is made of, for backends that reduce losses elsewhere (the GPU
// backend sums on the accumulator's grids and keeps its tail on the device):
// the accumulator a scenario's losses fold into,
LossAccumulator scenario_accumulator(const SimSpec& spec, const RunSettings& settings);
// the fixed-point grids of its sums, as a device needs them,
LossGrid loss_grid(const LossAccumulator& acc);
// the statistics a device gathered on those grids, folded in,
void merge_summary(LossAccumulator& acc, LossSummary summary);
// and VaR, ES and moments from the folded losses (seconds left 0). Throws InputError when too
// few losses were finite for a confidence level.
ScenarioResult scenario_result(const std::string& name, const LossAccumulator& acc,
                               const RunSettings& settings);

// Bytes the streaming statistics need for this many paths (the kept tail).
std::uint64_t tail_memory_bytes(std::uint64_t paths, const std::vector<double>& confidences);

}  // namespace chipshock
