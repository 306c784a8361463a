// A deterministic streaming histogram of per-path losses. Its bins are fixed before the run
// from a pilot (the first paths by index, a pure function of the seed), so the counts do not
// depend on batch size, thread count or merge order: integer counts per bin, plus underflow and
// overflow. Memory is the bins alone, whatever the number of paths.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/loss_moments.cuh"

namespace chipshock {

constexpr int kDefaultHistogramBins = 80;           // about; the range is rounded to nice steps
constexpr std::uint64_t kHistogramPilotPaths = 65536;  // paths [0, pilot) fix the bin range

// Paths the pilot uses: the first min(65536, paths) path indices.
inline std::uint64_t histogram_pilot_paths(std::uint64_t paths) {
  return paths < kHistogramPilotPaths ? paths : kHistogramPilotPaths;
}

// The bins (lo, width, count; hi()): the type the device pipeline bins with.
using HistogramBins = HistogramGrid;

// Bins from the pilot's 0.1% loss quantile (the largest gains fall into underflow) to its
// largest loss, with 5% margin each side and a "nice" width (1, 2,
// 2.5 or 5 times a power of ten) giving about `target_bins` bins, and edges on multiples of the
// width. No finite loss: an empty range (count 0).
HistogramBins histogram_bins_from_pilot(const double* losses, std::uint64_t count,
                                        int target_bins = kDefaultHistogramBins);

class LossHistogram {
 public:
  LossHistogram() = default;  // no bins: add() ignores every loss
  explicit LossHistogram(const HistogramBins& bins);
  // A histogram with saved counts (a checkpoint or another process); counts.size() must equal
  // bins.count.
  LossHistogram(const HistogramBins& bins, std::vector<std::uint64_t> counts,
                std::uint64_t underflow, std::uint64_t overflow);

  bool has_bins() const { return bins_.count > 0; }
  const HistogramBins& bins() const { return bins_; }
  // Finite losses only; the caller filters NaN and infinities.
  void add(double loss) {
    if (bins_.count <= 0) return;
    const int slot = histogram_slot(loss, bins_);
    if (slot == 0) {
      ++underflow_;
    } else if (slot > bins_.count) {
      ++overflow_;
    } else {
      ++counts_[static_cast<std::size_t>(slot - 1)];
    }
  }
  // Adds counts per histogram_slot (bins().count + 2 of them: a GPU run's, LossSummary).
  void add_slots(const std::vector<std::uint64_t>& slots);
  void merge(const LossHistogram& other);  // same bins required

  const std::vector<std::uint64_t>& counts() const { return counts_; }
  std::uint64_t underflow() const { return underflow_; }  // losses below bins().lo
  std::uint64_t overflow() const { return overflow_; }    // losses at or above bins().hi()
  std::uint64_t total() const;                            // all counted losses
  double bin_lo(int k) const { return bins_.lo + bins_.width * k; }
  double bin_hi(int k) const { return bins_.lo + bins_.width * (k + 1); }
  // count / (total * width): a density in 1/currency that integrates to the binned share.
  double density(int k) const;

 private:
  HistogramBins bins_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t underflow_ = 0, overflow_ = 0;
};

}  // namespace chipshock
