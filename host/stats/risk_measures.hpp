// VaR, expected shortfall and the distribution-free VaR interval from the top of the sorted
// loss sample, plus the streaming accumulator that produces it.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "host/stats/exact_sum.hpp"
#include "host/stats/loss_histogram.hpp"
#include "host/stats/tail_keeper.hpp"

namespace chipshock {

constexpr double kZ975 = 1.959963984540054;  // standard normal 97.5% quantile

// N (1 - alpha), the expected number of losses beyond VaR, with binary rounding noise removed
// (200000 * (1 - 0.95) is 10000.000000000002 in doubles).
double tail_mass(std::uint64_t n, double confidence);

// Ascending ranks (1-based) of the order statistics that bound the 95% VaR interval.
struct RankInterval {
  std::uint64_t lo, hi;
};
RankInterval var_rank_interval(std::uint64_t n, double confidence);

// How many of the largest losses the estimators need for these confidence levels.
std::uint64_t tail_size_needed(std::uint64_t n, const std::vector<double>& confidences);

struct LevelRisk {
  double confidence = 0;
  double var = 0;     // the ceil(N alpha)-th smallest loss
  double es = 0;      // mean of the worst N(1-alpha) losses (Acerbi-Tasche, fractional weight)
  double var_lo = 0;  // 95% distribution-free interval for VaR (binomial order statistics,
  double var_hi = 0;  // normal approximation of the binomial)
  // 95% asymptotic interval for ES: es -+ 1.96 es_se, with
  // es_se^2 = [Var(L | L >= VaR) + alpha (ES - VaR)^2] / (N (1 - alpha)), the tail variance taken
  // over the same weighted worst losses as ES (see es_standard_error).
  double es_se = 0;
  double es_lo = 0;
  double es_hi = 0;
};

// The weight of the i-th largest loss (0-based) in the ES at this level: 1 for i < floor(m),
// m - floor(m) for i = floor(m), 0 beyond; m = N (1 - alpha). ES = sum w_i L_(i) / m.
double es_weight(std::uint64_t n, double confidence, std::size_t i);

// The asymptotic standard error of the ES estimator (Acerbi-Tasche estimator of a continuous
// loss; e.g. Manistre & Hancock 2005, Yamai & Yoshiba 2002):
// [Var(L | L >= VaR) + alpha (ES - VaR)^2] / (N (1 - alpha)), from the weighted tail.
double es_standard_error(std::uint64_t n, double confidence, const std::vector<double>& tail,
                         double var, double es);

// tail: the largest losses in descending order, at least tail_size_needed(n, {confidence}).
LevelRisk risk_at(std::uint64_t n, double confidence, const std::vector<double>& tail);

// Statistics of a set of losses gathered elsewhere (a GPU, kernels/loss_moments.cuh) on an
// accumulator's grids: counts, maximum, fixed-point sums, and the largest losses.
struct LossPartial {
  std::uint64_t n = 0, bad = 0, positive = 0;  // n: every finite loss, far ones included
  double max = 0;
  Int128 sum_units = 0, sum_sq_units = 0;  // the losses on the grids
  // The finite losses beyond the grids (any order), summed exactly on the host (WideSum).
  std::vector<double> far;
  std::vector<double> tail;  // any order; at least the tail size the accumulator keeps, if any
  // The path index of each tail loss (same order), or empty when not known.
  std::vector<std::uint64_t> tail_paths;
};

// Streaming statistics of per-path losses. Merging and batch order do not change any result.
class LossAccumulator {
 public:
  LossAccumulator(double loss_scale, std::size_t tail_size);

  void add(const double* losses, std::size_t count);
  // The same, for the losses of paths first_path, first_path + 1, ...: the tail keeps their
  // indices (tail_entries), so the tail paths can be simulated again.
  void add(const double* losses, std::size_t count, std::uint64_t first_path);
  // Bins every later add() also counts into (see loss_histogram.hpp); none by default.
  void set_histogram(const HistogramBins& bins) { hist_ = LossHistogram(bins); }
  // A new, empty accumulator with the same scale, tail size and histogram bins.
  LossAccumulator empty_like() const {
    LossAccumulator a(loss_scale_, tail_.capacity());
    a.set_histogram(hist_.bins());
    a.weighted_on_ = weighted_on_;
    return a;
  }
  void merge(const LossAccumulator& other);
  // For a partial accumulator that will be merged into `into`: its tail keeps only losses that
  // can still enter into's top k (TailKeeper::floor_from; the merge is unchanged).
  void floor_tail_from(const LossAccumulator& into) { tail_.floor_from(into.tail_); }
  // Folds in statistics gathered on this accumulator's grids (sum_exponent, sum_sq_exponent).
  void merge(const LossPartial& partial);
  int sum_exponent() const { return sum_.exponent(); }
  int sum_sq_exponent() const { return sum_sq_.exponent(); }
  std::size_t tail_size() const { return tail_.capacity(); }

  std::uint64_t count() const { return n_; }  // finite losses, whatever their size
  // Losses that are NaN or infinite: excluded from all stats.
  std::uint64_t non_finite() const { return bad_; }
  // Finite losses beyond the grids (over about 256 times the scale), counted in every
  // statistic through the wide sums.
  std::uint64_t far() const { return far_; }
  std::uint64_t positive() const { return positive_; }
  double max() const { return max_; }
  double mean() const;
  double stdev() const;  // sample standard deviation (N - 1)
  // The kept tail, largest first; at most its first m losses.
  std::vector<double> tail(std::size_t m = std::numeric_limits<std::size_t>::max()) const {
    return tail_.sorted(m);
  }
  // The kept tail with path indices, in the tail's order (larger loss first, ties by smaller
  // index): for component ES, and to save the tail (checkpoints, MPI).
  std::vector<TailEntry> tail_entries(
      std::size_t m = std::numeric_limits<std::size_t>::max()) const {
    return tail_.sorted_entries(m);
  }
  // The same as references to vectors the accumulator reuses (valid until the next call of
  // either or the next change): what a stop reads.
  const std::vector<double>& tail_ref(std::size_t m) const { return tail_.sorted_ref(m); }
  const std::vector<TailEntry>& tail_entries_ref(std::size_t m) const {
    return tail_.sorted_entries_ref(m);
  }
  // Folds saved tail entries back in (into an empty accumulator: restores the tail). Only the
  // tail: counts and sums are restored or merged separately.
  void restore_tail(const std::vector<TailEntry>& entries) {
    for (const TailEntry& e : entries) tail_.add(e.loss, e.path);
  }
  // Replaces the kept tail with n entries in the tail's order, whose losses and path indices
  // fill(double*, std::uint64_t*) writes: the top of this process's tail where a backend keeps
  // it (the GPU's device tail).
  template <class Fill>
  void replace_tail(std::size_t n, Fill&& fill) {
    tail_.assign_in_order(n, std::forward<Fill>(fill));
  }
  const LossHistogram& histogram() const { return hist_; }

  // --- State access for images (accumulator_state.hpp: checkpoints, MPI merging) ---
  double loss_scale() const { return loss_scale_; }
  Int128 sum_units() const { return sum_.units(); }
  Int128 sum_sq_units() const { return sum_sq_.units(); }
  const WideSum& wide_sum() const { return wide_sum_; }
  const WideSum& wide_sum_sq() const { return wide_sum_sq_; }
  // Restores saved wide sums and the count of far losses (into an accumulator restored from an
  // image; the far losses are also in count()).
  void restore_wide(WideSum sum, WideSum sum_sq, std::uint64_t far) {
    wide_sum_ = std::move(sum);
    wide_sum_sq_ = std::move(sum_sq);
    far_ = far;
  }
  // Replaces the histogram, bins and counts, with a saved one.
  void restore_histogram(const LossHistogram& saved) { hist_ = saved; }
  // Adds a GPU run's counts per histogram slot (LossSummary::histogram; empty: nothing).
  void add_histogram_slots(const std::vector<std::uint64_t>& slots) { hist_.add_slots(slots); }
  // --- end of state access ---

  // --- Importance sampling: every path's loss, likelihood ratio and index is kept (under the
  // shifted measure most paths lie beyond the lower levels' VaR, so there is no small tail to
  // keep; the estimators are host/stats/weighted_risk.hpp's). count() and non_finite() then
  // count the kept and the refused paths; sums, tail and histogram stay empty. ---
  void keep_weighted() { weighted_on_ = true; }
  bool weighted() const { return weighted_on_; }
  // Paths first_path, first_path + 1, ... with their log-likelihood ratios: those with a finite
  // loss and weight e^log_w are kept, the others counted as non-finite.
  void add_weighted(const double* losses, const double* log_weights, std::size_t count,
                    std::uint64_t first_path);
  // Every kept path in the tail's order (sorted once, until the next one is added).
  const std::vector<WeightedLoss>& weighted_sorted() const;
  // Restores saved weighted paths (into an accumulator whose counts are restored separately;
  // images), and turns weighted mode on.
  void restore_weighted(std::vector<WeightedLoss> entries);
  // --- end of importance sampling ---

 private:
  // Counts one loss in every statistic, or as non-finite.
  void count_loss(double x, std::uint64_t path);

  double loss_scale_;
  std::uint64_t n_ = 0, bad_ = 0, positive_ = 0, far_ = 0;
  double max_;
  ExactSum sum_, sum_sq_;
  WideSum wide_sum_, wide_sum_sq_;  // the far losses (empty in most runs)
  TailKeeper tail_;
  LossHistogram hist_;
  bool weighted_on_ = false;
  mutable std::vector<WeightedLoss> weighted_;  // its first weighted_in_order_ are in order
  mutable std::size_t weighted_in_order_ = 0;
};

}  // namespace chipshock
