// Runs one scenario: simulates paths in bounded batches on a backend and folds each batch into
// streaming statistics, so memory depends on the batch and the tail, never on the path count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/cpu/cpu_backend.hpp"
#include "host/config/stressed_window.hpp"
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
  // Component VaR/ES by position (host/component_risk.hpp), from the tail paths
  // simulated again after the run.
  bool components = false;
  // Error control: when > 0, `paths` is the first checkpoint; the run keeps doubling the paths
  // until the 95% interval of ES at target_confidence is within target_rel_error of ES, or
  // max_paths is reached. The result equals a plain run with the final path count.
  double target_rel_error = 0;
  double target_confidence = 0.975;
  std::uint64_t max_paths = 0;  // 0 = 64 x paths
  // Importance sampling: the level the shift aims at, for the tail's effective sample size
  // (0 = the highest of `confidences`).
  double importance_target = 0;
  // The levels whose VaR and ES the run's tail must serve: the confidences, and the target
  // error's level when there is one (its stops test it).
  std::vector<double> tail_levels() const {
    std::vector<double> out = confidences;
    if (target_rel_error > 0) out.push_back(target_confidence);
    return out;
  }
  // The paths a run may reach: `paths`, or the cap of a run to a target error.
  std::uint64_t path_bound() const {
    return target_rel_error > 0 ? std::max(paths, max_paths > 0 ? max_paths : 64 * paths) : paths;
  }
};

// The target-error rule of --target-rel-error, for every pipeline: the 95% interval of ES at
// settings.target_confidence (`t`) is within target_rel_error of ES.
inline bool target_error_met(const LevelRisk& t, const RunSettings& settings) {
  return 0.5 * (t.es_hi - t.es_lo) <= settings.target_rel_error * std::fabs(t.es);
}

// The estimates after the first `paths` paths (a row of the convergence table).
struct ConvergencePoint {
  std::uint64_t paths = 0;
  std::vector<LevelRisk> levels;
};

// One position's contribution to expected shortfall and VaR at `confidence` (Euler allocation,
// host/component_risk.hpp: component ES add up to the re-simulated ES exactly,
// component VaR to the mean loss of the VaR window). Empty until the allocation runs.
struct PositionContribution {
  std::string position;  // e.g. "NVDA" or "NVDA put 181 63d"
  double confidence = 0;
  double es_contribution = 0;  // in the portfolio currency
  std::string ticker{}, sector{};  // the underlying and its sector ("" = none)
  double quantity = 0;
  double var_contribution = 0;     // E[position loss | path loss near VaR]
  double var_contribution_se = 0;  // its standard error (window sample)
  // Marginal ES and VaR per unit held: dES/dq = es_contribution / quantity (Euler), i.e. the
  // expected loss of one unit on the ES tail paths; 0 for a zero quantity.
  double marginal_es() const { return quantity != 0 ? es_contribution / quantity : 0.0; }
  double marginal_var() const { return quantity != 0 ? var_contribution / quantity : 0.0; }
};

// The checks of one level's allocation.
struct AllocationLevel {
  double confidence = 0;
  double es = 0, es_resimulated = 0;    // main run; from the re-simulated tail (= sum of ES parts)
  double var = 0, var_resimulated = 0;  // main run; re-simulated loss of the VaR path
  std::uint64_t var_window_paths = 0;   // paths in the component-VaR window
  double var_window_mean = 0;           // their mean loss = sum of the VaR parts
  double var_window_se = 0;             // its standard error
  double var_window_lo = 0, var_window_hi = 0;  // the range of their losses
};

struct Allocation {
  std::uint64_t paths_resimulated = 0;
  double seconds = 0;
  std::vector<AllocationLevel> levels;
  std::string note;  // why it is missing, when it is
};

// How an importance-sampling run was sampled (host/analytics/importance_sampling.hpp).
struct ImportanceInfo {
  bool on = false;
  double target_confidence = 0;  // the level the shift aims at
  double shift_sd = 0;           // k: the delta-linear loss's mean moves k of its sds
  double linear_sd = 0;          // that sd, in the portfolio currency
  double chi2_scale = 1;         // lambda (Student-t models; 1 = not twisted)
  std::uint64_t pilot_paths = 0;  // simulated to choose k and lambda (not part of the run)
  int candidates = 0;
  double weight_mean = 0;  // mean likelihood ratio over the run (1 in expectation)
  double ess = 0;          // Kish's effective sample size (sum w)^2 / sum w^2 of all paths
  double ess_tail = 0;     // the same over the paths at or beyond VaR at target_confidence
  std::uint64_t tail_paths = 0;  // how many paths those are
  // The pilot's estimate, for the chosen candidate, of its estimators' variance over plain
  // sampling's at equal paths (< 1: importance sampling wins): of the probability of a loss
  // beyond the target's VaR, and of the tail loss E[L 1{L >= VaR}]. When either is not below
  // kImportanceWinRatio the run falls back to plain sampling (on = false, fell_back = true).
  double pilot_ratio_tail = 0, pilot_ratio_loss = 0;
  bool fell_back = false;
};

struct ScenarioResult {
  std::string name;
  std::string kind = "monte_carlo";  // monte_carlo | replay | historical
  // The scenario's definition, for reports (empty for the baseline).
  std::string description, source, file, calibration_date;
  std::vector<std::string> skipped_tickers;  // named by the scenario, absent from the market
  std::vector<std::string> notes;
  // run --stressed: the stressed market's window (kind monte_carlo, name "stressed"; first ""
  // on every other entry) and the date of its spots.
  StressedWindow stressed;
  std::string stressed_spots_as_of;
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
  Allocation allocation;                          // its checks
  // Estimates at earlier path counts (ascending; the last is the result itself): doublings up
  // to the run, or a run's checkpoints toward --target-rel-error.
  std::vector<ConvergencePoint> convergence;
  // --target-rel-error: whether the target was met (false: stopped at the path cap).
  bool target_met = false;
  ImportanceInfo importance;  // .on: the paths were drawn under importance sampling
};

// One scenario run on the GPU and on the CPU with the same paths (--backend both), for the
// reports (host/report/backend_comparison.hpp).
struct BackendComparison {
  std::string scenario;
  ScenarioResult gpu, cpu;
  // A book of a hierarchy ("" for the run's whole book): its figures from the same pass as the
  // run's, whose seconds its results carry (not summed again).
  std::string book;
};

// Called after each batch with (paths done, paths total).
using ProgressFn = std::function<void(std::uint64_t, std::uint64_t)>;


ScenarioResult simulate_scenario(const std::string& name, const SimSpec& spec,
                                 const CpuBackend& backend, const RunSettings& settings,
                                 const ProgressFn& progress = {});

class PathSource;
class TailLineSimulator;  // host/component_risk.hpp
// The same from any backend's paths, in one process: advance_scenario to the last stop, then
// finish_scenario with the components' tail paths simulated again by the source's backend.
// Every backend's simulate_scenario is this (the GPU's with its own source).
ScenarioResult run_scenario(const std::string& name, const SimSpec& spec, PathSource& source,
                            const RunSettings& settings, const ProgressFn& progress = {});

// The statistics of an accumulator over `paths` paths (count() of them finite). Throws
// InputError when too few finite losses are left for a confidence level.
ScenarioResult summarize_losses(const std::string& name, const LossAccumulator& acc,
                                std::uint64_t paths, const std::vector<double>& confidences);

// The same from an importance-sampling run's paths: `sorted` (in the tail's order) holds every
// finite one of the first `paths`, `bad` counts the others (host/stats/weighted_risk.hpp's
// estimators; r.importance gets the weight diagnostics of all paths).
ScenarioResult summarize_weighted(const std::string& name,
                                  const std::vector<WeightedLoss>& sorted, std::uint64_t paths,
                                  std::uint64_t bad, const std::vector<double>& confidences);

// Throws InputError, naming the scenario (the model is at fault, not --paths), when n finite
// losses of `paths` leave less than one beyond a level's VaR.
void require_finite_losses(const std::string& scenario, std::uint64_t n, std::uint64_t paths,
                           const std::vector<double>& confidences);

// The same from an explicit tail (largest first), e.g. one cut to a shorter run's size.
ScenarioResult summarize_tail(const std::string& name, const LossAccumulator& acc,
                              std::uint64_t paths, const std::vector<double>& confidences,
                              const std::vector<double>& tail);
// Fills r.components and r.allocation from the accumulator's tail paths (component_risk.hpp).
void allocate_scenario_risk(ScenarioResult& r, const SimSpec& spec, const RunSettings& settings,
                            const LossAccumulator& acc, const TailLineSimulator& lines);
// One accumulator's figures over its `paths` paths as a finished run gives them (a book of a
// hierarchy): under importance sampling the weighted ones, with the weight diagnostics and, with
// settings.components, the components weighted by each tail path's likelihood ratio; else
// summarize_losses' and, with settings.components, allocate_scenario_risk's. lines: the run's
// backend's tail-path simulator.
ScenarioResult summarize_run(const std::string& name, const LossAccumulator& acc,
                             std::uint64_t paths, const SimSpec& spec, const RunSettings& settings,
                             const TailLineSimulator& lines);

// --- A scenario run in pieces: shared between processes (MPI ranks), saved and resumed ---
//
// A scenario's paths run in stretches between the stops of its convergence table
// (convergence_stops). Each stretch [a, b) is split into contiguous shares, one per process; at
// the stop b the processes' accumulators are merged on rank 0 (sums, counts, histogram and the
// top of the tail with path indices: exact, so the merge is bit-identical to one process), which
// records the table's row and, for a target error, decides whether to go on. Everything a
// process holds between batches is a ScenarioProgress, which a checkpoint saves and --resume
// restores. One process is the case of one share per stretch.

// The path counts a run stops at to record its convergence table (ascending, the last one
// where it ends unless a target error stops it first).
std::vector<std::uint64_t> convergence_stops(const RunSettings& settings);

// Path indices [first, last) of a run.
struct PathRange {
  std::uint64_t first = 0, last = 0;
  std::uint64_t size() const { return last - first; }
};

// Process `rank`'s share of `range` split over `ranks` processes: contiguous, in rank order,
// sizes differing by at most one (empty for some ranks when there are fewer paths than ranks).
PathRange share_of(PathRange range, int rank, int ranks);

// Where a front end keeps every loss of a run (the Python module's keep_losses): called with a
// batch's paths [first, first + count) before their losses are written, it returns memory for
// them (valid until the next call); losses arrive in path order, each path once.
using LossSink = std::function<double*(std::uint64_t first, std::uint64_t count)>;

// A scenario's paths on one backend, as advance_scenario folds them.
class PathSource {
 public:
  virtual ~PathSource() = default;
  // Every loss this source folds from now on is also written to `sink` (empty: none). Not under
  // importance sampling, whose losses are drawn under another measure (refused there: throws
  // std::invalid_argument).
  void keep_losses(LossSink sink) { keep_ = std::move(sink); }
  // Paths folded between two progress reports and checkpoint saves (at most).
  virtual std::uint64_t batch() const = 0;
  // An empty accumulator for the scenario, with the histogram's bins set from the pilot (the
  // first paths of the run, whichever share this process holds) where the backend bins losses.
  virtual LossAccumulator start() = 0;
  // Stops below this path count are not recorded (the CPU's histogram pilot: stops inside it
  // were never in its table).
  virtual std::uint64_t first_stop() const = 0;
  // Folds paths [first, first + count) into acc; folded(k) as the first k of them are in.
  virtual void fold(LossAccumulator& acc, std::uint64_t first, std::uint64_t count,
                    const std::function<void(std::uint64_t)>& folded) = 0;
  // A backend that keeps the scenario's loss tail where its paths are (the GPU's, on the
  // device) folds moments and counts into acc but not the tail. adopt(acc) hands it acc's tail
  // once acc exists (empty, or restored from a checkpoint, which holds the whole tail);
  // settle(acc, m) brings the top m of its tail into acc's (replacing it) before acc's tail is
  // read: at a stop, before a checkpoint is saved. Between stops acc holds only the top the last
  // stop needed, so a progress is resumed from a checkpoint's copy, not from one in memory
  // (advance_scenario runs once per source). Sources that fold the tail into acc do nothing.
  virtual void adopt(const LossAccumulator& acc) { (void)acc; }
  // The backend's simulation of tail paths' line losses, for the components (finish_scenario).
  virtual const TailLineSimulator& tail_lines() const = 0;
  virtual void settle(LossAccumulator& acc, std::size_t m) {
    (void)acc;
    (void)m;
  }

 protected:
  LossSink keep_;
};

// A run's first paths simulated with more than their losses, in the same pass (the path-risk
// statistics of --stop-loss: host/analytics/path_risk.hpp's PathRiskTap). The CPU source hands
// it every path below paths() that it simulates, with its CpuBackend as `backend`; simulate()
// must give their losses bit for bit as CpuBackend::simulate_losses does.
class PathObserver {
 public:
  virtual ~PathObserver() = default;
  virtual std::uint64_t paths() const = 0;
  virtual void simulate(const SimSpec& spec, const DayValueSimulator& backend, std::uint64_t seed,
                        std::uint64_t first, std::uint64_t count, double* losses) = 0;
  // Paths [first, first + count) (simulated earlier through simulate) were folded into this
  // process's run: its share of the paths, once each. Under MPI a process also simulates paths
  // it does not fold (the histogram pilot's): those never arrive here.
  virtual void folded(std::uint64_t first, std::uint64_t count) {
    (void)first;
    (void)count;
  }
  // A source that does not call simulate() (the device's: the GPU's run keeps its losses on
  // the device) revalues these books on every path it folds, in the same pass, the run's own
  // book first (a book hierarchy's, BooksTap), and hands their losses to folded_books: book n's
  // loss on path first + k at losses[n * stride + k], for paths folded into this process's run,
  // once each, in increasing path order. An observer that needs the paths themselves has no
  // books and sees nothing there (the path risk, recomputed after the run).
  // log_weights: under importance sampling the paths' log-likelihood ratios (log_weights[k]
  // path first + k's), else null.
  virtual std::vector<const SimSpec*> device_books() const { return {}; }
  virtual void folded_books(const double* losses, const double* log_weights, std::uint64_t stride,
                            std::uint64_t first, std::uint64_t count) {
    (void)losses;
    (void)log_weights;
    (void)stride;
    (void)first;
    (void)count;
  }
  // Under importance sampling the CPU source hands the paths to an observer only when it folds
  // weighted paths (weighted(): a book hierarchy's, whose books share the run's measure):
  // simulate_weighted gives their losses and log-likelihood ratios bit for bit as
  // CpuBackend::simulate_losses does, and folded follows as for plain paths.
  virtual bool weighted() const { return false; }
  virtual void simulate_weighted(const SimSpec& spec, std::uint64_t seed, std::uint64_t first,
                                 std::uint64_t count, double* losses, double* log_weights);
  // --checkpoint: what the observer holds of the paths folded so far, saved with the run's
  // progress after every batch and stop (a book hierarchy's accumulator of each book), and given
  // back on --resume before any path runs. An observer whose results a resumed run recomputes
  // (the path risk) holds none. restore returns how many paths the restored state holds (0 for
  // none), and throws InputError (naming `file`) for images that do not fit it.
  virtual std::vector<std::string> checkpoint_images() const { return {}; }
  virtual std::uint64_t restore(const std::vector<std::string>& images, const std::string& file) {
    return restore_none(images, file);
  }
  // A run without an observer that keeps state: refuses any saved state (InputError); 0.
  static std::uint64_t restore_none(const std::vector<std::string>& images,
                                    const std::string& file);

 protected:
  PathObserver() = default;
};

// The CPU backend's paths: batches of settings.batch_paths, the histogram pilot's losses kept
// and folded in when this process's share holds them; the paths below observer->paths(), when
// given, simulated by the observer (under importance sampling only an observer that folds
// weighted paths, PathObserver::weighted).
std::unique_ptr<PathSource> cpu_path_source(const SimSpec& spec, const CpuBackend& backend,
                                            const RunSettings& settings,
                                            PathObserver* observer = nullptr);

// The processes a scenario's paths are shared between (host/parallel/mpi_team.hpp for MPI
// ranks). This base class is one process alone, which holds every path.
class PathTeam {
 public:
  virtual ~PathTeam() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  bool is_root() const { return rank() == 0; }
  // Collective: every process's accumulator merged, on rank 0; nullptr elsewhere. Only the
  // `tail_needed` largest losses of the merged tail are used: processes may send no more.
  virtual const LossAccumulator* gather(const LossAccumulator& mine, std::size_t tail_needed) {
    (void)tail_needed;
    return &mine;
  }
  // Collective: rank 0's flag, on every process.
  virtual bool agree(bool root_flag) { return root_flag; }
};

// One scenario's progress on this process: what a checkpoint saves after every batch and stop,
// and what --resume restores.
struct ScenarioProgress {
  std::uint64_t done = 0;       // the last stop passed: paths [0, done) folded, all processes
  std::uint64_t reached = 0;    // the stop whose stretch this process has folded its share of
  std::uint64_t next_path = 0;  // this process's next path (in its share of the stretch)
  bool complete = false;        // the last stop is passed
  bool target_met = false;      // rank 0: the target error was met at `done`
  std::vector<ConvergencePoint> table;  // rank 0: one row per stop passed
  // This process's paths so far; on rank 0 once complete, every process's paths (merged). Empty
  // before the scenario starts and, on other ranks, once it is complete.
  std::optional<LossAccumulator> acc;
  double seconds = 0;  // time spent on it in earlier runs (before a --resume)
  // Rank 0, in memory only (not in a checkpoint): the statistics of the last stop, which
  // finish_scenario takes instead of computing them again.
  std::optional<ScenarioResult> last_row;
};

// Called with the progress after every batch and every stop (to save a checkpoint); empty
// when nothing is saved. Rank 0
// saves a stop before the other processes learn of it, so that no process is ever ahead of a
// saved rank 0 by more than the stop it is waiting at (see reconcile in run_checkpoint.hpp).
using SaveProgress = std::function<void(const ScenarioProgress&)>;

// Runs one scenario from where `progress` stands (a new ScenarioProgress: from the start) to
// its last stop: this process's share of each stretch through `source`, the merge and the
// stop's row through `team`. `report` gets (about how many paths all processes have done,
// paths the run may reach) after every batch. The accumulator must keep the tail of
// settings.path_bound() paths.
void advance_scenario(ScenarioProgress& progress, const RunSettings& settings,
                      PathSource& source, PathTeam& team, const ProgressFn& report = {},
                      const SaveProgress& save = {});

// Rank 0, a complete scenario: VaR, ES and moments at its last stop, its convergence table and,
// with settings.components, the allocation from the merged tail paths, simulated again by
// `lines` (the run's source's tail_lines(); seconds left 0).
ScenarioResult finish_scenario(const std::string& name, const ScenarioProgress& progress,
                               const SimSpec& spec, const RunSettings& settings,
                               const TailLineSimulator& lines);
// --- end of the scenario run in pieces ---
// The pieces simulate_scenario is made of, for backends that reduce losses elsewhere (the GPU
// backend sums on the accumulator's grids and keeps its tail on the device):
// the accumulator a scenario's losses fold into,
LossAccumulator scenario_accumulator(const SimSpec& spec, const RunSettings& settings);
// the accumulator a source starts a scenario with: under importance sampling a weighted one
// (every path kept with its weight: no tail keeper, no histogram), else scenario_accumulator with
// the histogram's bins (when settings.histogram_bins > 0) from the pilot of the run's first
// paths, whose losses pilot(count, out) writes,
LossAccumulator start_accumulator(const SimSpec& spec, const RunSettings& settings,
                                  const std::function<void(std::uint64_t, double*)>& pilot);
// losses [first_path, first_path + count) folded into it on `threads` threads (exact sums and
// top-k sets: the result does not depend on threads or on how the paths are split),
void accumulate_losses(LossAccumulator& acc, const double* losses, std::uint64_t count,
                       std::uint64_t first_path, int threads);
// the fixed-point grids of its sums, as a device needs them,
LossGrid loss_grid(const LossAccumulator& acc);
// the statistics a device gathered on those grids, folded in (the second form leaves the
// summary's tail vectors with it, for GpuEngine::recycle),
void merge_summary(LossAccumulator& acc, LossSummary summary);
void merge_summary_keeping_tail(LossAccumulator& acc, LossSummary& summary);
// and VaR, ES and moments from the folded losses (seconds left 0). Throws InputError when too
// few losses were finite for a confidence level.
ScenarioResult scenario_result(const std::string& name, const LossAccumulator& acc,
                               const RunSettings& settings);

// Bytes the streaming statistics need for this many paths (the kept tail).
std::uint64_t tail_memory_bytes(std::uint64_t paths, const std::vector<double>& confidences);

}  // namespace chipshock
