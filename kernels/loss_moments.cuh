// Per-loss statistics a device can sum in any order and still match the host bit for bit: the
// counts, the maximum, and the sums of losses and squared losses as 128-bit fixed-point integers
// on the same grids as the host's LossAccumulator (host/stats/exact_sum.hpp). A finite loss
// beyond the grids counts as `far` (and in n): the pipeline gathers those for the host's exact
// wide sums. A NaN or infinite loss counts only as `bad`.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "portability.cuh"

namespace chipshock {

__extension__ typedef __int128 MomentInt;  // GCC, Clang and nvcc (host and device)

// The fixed-point grids: a term x adds nearbyint(x * inv_unit) units.
struct LossGrid {
  double inv_unit_sum = 1.0;     // 2^-exponent of the sum of losses
  double inv_unit_sum_sq = 1.0;  // 2^-exponent of the sum of squared losses
};

struct LossMoments {
  MomentInt sum_units = 0, sum_sq_units = 0;
  std::uint64_t n = 0, bad = 0, positive = 0, far = 0;
  double max = -HUGE_VAL;
};

// A term known to be representable (|units| < 2^100) as a 128-bit integer, without a
// double -> __int128 conversion: below 2^62 it converts directly, above it splits exactly into
// hi * 2^62 + lo (both parts are whole doubles below 2^62).
CHIPSHOCK_HD CHIPSHOCK_INLINE MomentInt whole_units(double units) {
  if (fabs(units) < 0x1p62) return static_cast<std::int64_t>(units);
  const double hi = trunc(units * 0x1p-62);
  const double lo = units - hi * 0x1p62;
  return static_cast<MomentInt>(static_cast<std::int64_t>(hi)) * (static_cast<MomentInt>(1) << 62) +
         static_cast<std::int64_t>(lo);
}

CHIPSHOCK_HD CHIPSHOCK_INLINE bool on_grid(double x, double inv_unit) {
  return fabs(x * inv_unit) < 0x1p80;  // kMaxGridUnits (host/stats/exact_sum.hpp)
}

// Not NaN and not infinite (written as a comparison, so that host and device agree).
CHIPSHOCK_HD CHIPSHOCK_INLINE bool finite_loss(double x) {
  return fabs(x) <= 0x1.fffffffffffffp1023;
}

// Whether a loss goes to the fixed-point sums: on the grid of the sums and, squared, on that of
// the sums of squares (NaN and infinities are on neither). Every other finite loss is far.
CHIPSHOCK_HD CHIPSHOCK_INLINE bool on_grids(double x, const LossGrid& grid) {
  return on_grid(x, grid.inv_unit_sum) && on_grid(x * x, grid.inv_unit_sum_sq);
}

// The statistics of one loss, as LossAccumulator::add counts it.
struct ClassifyLoss {
  LossGrid grid;
  CHIPSHOCK_HD LossMoments operator()(double x) const {
    LossMoments m;
    if (on_grids(x, grid)) {
      m.sum_units = whole_units(nearbyint(x * grid.inv_unit_sum));
      m.sum_sq_units = whole_units(nearbyint(x * x * grid.inv_unit_sum_sq));
    } else if (finite_loss(x)) {
      m.far = 1;
    } else {
      m.bad = 1;
      return m;
    }
    m.n = 1;
    m.positive = x > 0 ? 1 : 0;
    m.max = x;
    return m;
  }
};

// Integer sums and counts: associative and commutative, so any reduction order gives the same.
struct MergeMoments {
  CHIPSHOCK_HD LossMoments operator()(const LossMoments& a, const LossMoments& b) const {
    LossMoments m;
    m.sum_units = a.sum_units + b.sum_units;
    m.sum_sq_units = a.sum_sq_units + b.sum_sq_units;
    m.n = a.n + b.n;
    m.bad = a.bad + b.bad;
    m.far = a.far + b.far;
    m.positive = a.positive + b.positive;
    m.max = a.max > b.max ? a.max : b.max;
    return m;
  }
};

// Whether a loss can be among the k largest the host keeps: finite and above the running
// threshold (the k-th largest so far). A loss equal to the threshold can be left out:
// paths arrive in increasing index order and ties rank the smaller index first, so a later
// path that ties the k-th kept loss ranks after it.
struct TailCandidate {
  LossGrid grid;
  double threshold;
  CHIPSHOCK_HD bool operator()(double x) const {
    return x > threshold && finite_loss(x);
  }
};

// A finite loss beyond the grids (ClassifyLoss's far), which the host sums exactly.
struct FarLoss {
  LossGrid grid;
  CHIPSHOCK_HD bool operator()(double x) const { return finite_loss(x) && !on_grids(x, grid); }
};
struct NotFarLoss {
  LossGrid grid;
  CHIPSHOCK_HD bool operator()(double x) const { return !FarLoss{grid}(x); }
};

// A loss histogram's bins, on the host (HistogramBins, host/stats/loss_histogram.hpp) and the
// device alike; count 0: no histogram.
struct HistogramGrid {
  double lo = 0;     // left edge of bin 0
  double width = 0;  // every bin's width; 0 = no histogram
  int count = 0;     // number of bins
  CHIPSHOCK_HD double hi() const { return lo + width * count; }
};

// The slot a finite loss counts into: 0 underflow, 1 + k bin k, count + 1 overflow.
// LossHistogram::add uses it too, so that the host and the device bin alike.
CHIPSHOCK_HD CHIPSHOCK_INLINE int histogram_slot(double loss, const HistogramGrid& h) {
  const double u = (loss - h.lo) / h.width;
  if (!(u >= 0)) return 0;
  if (u >= h.count) return h.count + 1;
  return 1 + static_cast<int>(u);
}

// What a run of paths leaves on the host: the moments and the largest losses, descending (at
// most the tail size asked for; ties by increasing path index), with their path indices.
struct LossSummary {
  LossMoments moments;
  std::vector<double> far;  // the moments.far finite losses beyond the grids, in any order
  std::vector<double> tail;
  std::vector<std::uint64_t> tail_paths;
  // Counts per histogram_slot (count + 2 of them) when the run had a histogram, else empty.
  std::vector<std::uint64_t> histogram;
  std::uint64_t batches = 0;
  std::uint64_t batch_paths = 0;
  // Wall seconds of the device pipeline's phases as the host saw them (0 where a backend has no
  // such pipeline), for benchmarks: the batches (kernels and reductions), the final sort of the
  // tail, and the tail's and histogram's copy to the host.
  double batch_seconds = 0, sort_seconds = 0, copy_seconds = 0;
};

// Thrown when a run's loss tail alone does not fit the device memory budget.
struct DeviceMemoryShortage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace chipshock
