// The book's value at the end of each day of one path, as observers of the path function
// (single_path.cuh's path_log_returns, whose day_end sees the log-returns at the end of each
// day): the loss on day d is the run cut at day d's, bit for bit the same arithmetic, so one pass
// over the horizon gives every day's value (the value fan, drawdowns, the stop-loss) in O(H).
// One path at a time: what a GPU thread and the scalar reference run (the CPU's lanes have the
// same observers a register of paths at a time, host/cpu/cpu_kernel_impl.hpp).
#pragma once

#include <cstdint>

#include "portability.cuh"
#include "revalue.cuh"
#include "sim_view.cuh"

namespace chipshock {

// first_breach of a path some of whose daily values were not finite (its drawdown then means
// nothing).
constexpr std::int32_t kNonFinitePath = -2;

// The loss of book b (a run cut at some day) from the log-returns at the end of that day and the
// path's settlements so far (expiry.cuh; null when no option expires inside the horizon).
CHIPSHOCK_HD inline double day_loss(const BookView& b, const float* x, double* spot,
                                    const Settlement* settled) {
  return path_loss(
      b, [x](int i) { return static_cast<double>(x[i]); }, spot, settled);
}

// The losses on the days that have an output row: out[rows[d] * stride] on day d (rows[d] < 0:
// not asked for), books[d] the book of the run cut at day d + 1.
struct DayLosses {
  const BookView* books;
  const int* rows;
  std::uint64_t stride;
  double* out;
  double* spot;  // scratch of the model's asset count
  const Settlement* settled;  // the path's settlements (PathMarkDays runs first), or null
  CHIPSHOCK_HD void operator()(int day, const float* x) const {
    const int row = rows[day];
    if (row >= 0)
      out[static_cast<std::uint64_t>(row) * stride] = day_loss(books[day], x, spot, settled);
  }
};

// A path's running peak of the value (today's, 0, included), its largest fall from it, its last
// loss and the first day (0-based) its loss reached the stop-loss (-1: none; kNonFinitePath).
struct PathRiskState {
  double peak = 0, worst = 0, last = 0;
  std::int32_t first = -1;
};

// The path-risk observer: every day's loss under that day's book into the state.
struct PathRiskDays {
  const BookView* books;
  double stop_loss;
  double* spot;  // scratch
  PathRiskState* state;
  const Settlement* settled;  // the path's settlements (PathMarkDays runs first), or null
  CHIPSHOCK_HD void operator()(int day, const float* x) const {
    const double loss = day_loss(books[day], x, spot, settled);
    PathRiskState& s = *state;
    s.last = loss;
    if (s.first == kNonFinitePath) return;
    const double v = -loss;  // the value relative to today
    if (!(v - v == 0.0)) {   // infinite or NaN
      s.first = kNonFinitePath;
      return;
    }
    s.peak = s.peak < v ? v : s.peak;
    const double fall = s.peak - v;
    s.worst = s.worst < fall ? fall : s.worst;
    if (s.first == -1 && loss >= stop_loss) s.first = day;
  }
};

}  // namespace chipshock
