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

// --- Path ranges: one process's share of a run (MPI ranks), resumable (checkpoints) ---

// Path indices [first, last) of a run.
struct PathRange {
  std::uint64_t first = 0, last = 0;
  std::uint64_t size() const { return last - first; }
};

// Rank `rank`'s share of `paths` paths split over `ranks` processes: contiguous, in rank order,
// sizes differing by at most one.
PathRange rank_range(std::uint64_t paths, int rank, int ranks);

// Called after each batch with the accumulator and the next path index to simulate: what a
// checkpoint must save.
using BatchDoneFn = std::function<void(const LossAccumulator&, std::uint64_t next_path)>;

// Folds paths [from, range.last) of a run of settings.paths paths into `acc`, which holds paths
// [range.first, from) already (from == range.first: nothing yet). When starting (from ==
// range.first) with a histogram asked for, the bins are first set from the pilot, paths
// [0, pilot) of the whole run whichever range this is, so every range of every process gets the
// same bins; the pilot's losses inside the range are folded in from the pilot. Progress reports
// paths done within the range. Any split of [0, paths) into ranges, any resume point and any
// batch size give accumulators whose merge is bit-identical to one simulate_scenario.
void accumulate_range(const SimSpec& spec, const CpuBackend& backend, const RunSettings& settings,
                      PathRange range, std::uint64_t from, LossAccumulator& acc,
                      const ProgressFn& progress = {}, const BatchDoneFn& batch_done = {});
// --- end of path ranges ---

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
