// The implied-vol factors: each path's own shocks to the implied vols of the assets whose surface
// has a vol-of-vol (host/config/market.hpp's ImpliedVolSurface), on GPU and CPU.
//
// Per trading day d and factor f (an asset), the shock is
//   e_f,d = sqrt(c) g_d + sqrt(1 - c) u_f,d,
// with c the market's implied_vol_correlation and g_d, u_f,d independent standard normals of the
// path's implied-vol stream, and the factor's log move of the implied vol adds
// vol_of_vol_f sqrt(1/252) e_f,d. The factor's value after day d, m_f(d) = vol_of_vol_f W_f(t_d)
// with W_f a Brownian motion in years, moves every option priced off the asset's surface:
// at the horizon it revalues at implied_vol (s / s0)^spot_beta e^m_f (american.cuh's
// option_value). The revaluations observe days only; with several steps a day the day's
// increments have the law of the steps' sum, so one draw a day is exact.
//
// Path p's draws for day d are the blocks from stream_offset(kImpliedVol) + 4 B d of its Philox
// counter range, B = ceil((1 + the market's assets) / 4) blocks a day: g_d is the day's normal 0
// and u_(a,d) of the market's asset a its normal 1 + a. So the draws are a pure function of
// (seed, p, d, a), identical on the CPU and the GPU, whatever the diffusion (Philox or Sobol'),
// and the same for every book on the market: a what-if trade or a book hierarchy sees each
// asset's vol move as the book does, whichever factors it has. With antithetic variates path
// 2k+1 reads path 2k's draws, negated.
//
// The factors' values are kept with the path's settlements (expiry.cuh): the entries from
// kMaxExpiring on of its Settlement scratch hold m_f in `payoff`, so every revaluation that reads
// a path's settlements reads its vol factors too. SettleDays moves them day by day; historical
// revaluation (settle_at_horizon) leaves them at 0: no implied-vol history ships, so there the
// vol moves by spot_beta alone.
#pragma once

#include <cstdint>

#include "box_muller.cuh"
#include "expiry.cuh"
#include "philox.cuh"
#include "portability.cuh"
#include "sim_view.cuh"
#include "student_t.cuh"

namespace chipshock {

constexpr int kMaxVolFactors = 64;  // assets with a vol-of-vol, per book
// a path's per-path state: its settlements, then its vol factors
constexpr int kMaxMarks = kMaxExpiring + kMaxVolFactors;

struct VolFactorView {
  int asset = 0;
  double day_sd = 0;  // vol_of_vol * sqrt(1 / 252): the sd of the factor's daily move
};

// The per-path state a book reads: entries [0, n_expiring) are its settlements, entries
// [kMaxExpiring, kMaxExpiring + n_vol_factors) its vol factors.
CHIPSHOCK_HD CHIPSHOCK_INLINE int path_marks(const BookView& b) {
  return b.n_vol_factors > 0 ? kMaxExpiring + b.n_vol_factors : b.n_expiring;
}

// Whether a path of book b needs the day observer (SettleDays): it settles options or moves vol
// factors.
CHIPSHOCK_HD CHIPSHOCK_INLINE bool needs_day_marks(const BookView& b) {
  return b.n_expiring > 0 || b.n_vol_factors > 0;
}

// Vol factor f's value on a path (0 before the first day).
CHIPSHOCK_HD CHIPSHOCK_INLINE double vol_factor_value(const Settlement* marks, int f) {
  return marks[kMaxExpiring + f].payoff;
}

// Every vol factor at 0: the state before the path's first day.
CHIPSHOCK_HD inline void start_vol_factors(const BookView& b, Settlement* marks) {
  for (int f = 0; f < b.n_vol_factors; ++f) marks[kMaxExpiring + f] = Settlement{0.0, -1};
}

// Adds day `day`'s moves of path `path` to its vol factors (marks: the path's state).
CHIPSHOCK_HD inline void move_vol_factors(const BookView& b, std::uint64_t seed,
                                          std::uint64_t path, int antithetic, int day,
                                          Settlement* marks) {
  const int n = b.n_vol_factors;
  if (n == 0) return;
  const std::uint64_t source = antithetic_source(path, antithetic);
  const std::uint64_t day_start = stream_offset(RngStream::kImpliedVol) +
                                  4 * static_cast<std::uint64_t>(b.vol_blocks_a_day) *
                                      static_cast<std::uint64_t>(day);
  const double sign = antithetic && (path & 1u) ? -1.0 : 1.0;
  float z[4];  // cuRAND's single-precision normals, as the diffusion's
  normal4_from_block(PhiloxBlockStream(seed, source, day_start).next4(), z);
  const double common = sign * b.vol_common * static_cast<double>(z[0]);
  int held = 0;  // the block z holds; factors come in the market's order, so blocks ascend
  for (int f = 0; f < n; ++f) {
    const int j = 1 + b.vol_factors[f].asset;
    if (j >> 2 != held) {
      held = j >> 2;
      normal4_from_block(
          PhiloxBlockStream(seed, source, day_start + 4 * static_cast<std::uint64_t>(held))
              .next4(),
          z);
    }
    const double shock = fma(sign * b.vol_own, static_cast<double>(z[j & 3]), common);
    Settlement& m = marks[kMaxExpiring + f];
    m.payoff = fma(b.vol_factors[f].day_sd, shock, m.payoff);
    m.day = day;
  }
}

// A path's state before its first day: no option settled, every vol factor at 0 (marks: scratch
// of path_marks(b) entries).
CHIPSHOCK_HD inline void start_path_marks(const BookView& b, Settlement* marks) {
  start_settlements(b, marks);
  start_vol_factors(b, marks);
}

// The day observer that keeps a path's state (the book of the run that draws the path; a single
// path, F = float): its vol factors' moves of the day, then the settlements of its expiring
// options at the day's close. start_path_marks before the path's first day.
struct PathMarkDays {
  const BookView* book;
  Settlement* marks;
  std::uint64_t seed, path;
  int antithetic;  // ModelView::antithetic
  template <class F>
  CHIPSHOCK_HD void operator()(int day, const F* x) const {
    const BookView& b = *book;
    move_vol_factors(b, seed, path, antithetic, day, marks);
    for (int k = 0; k < b.n_expiring; ++k)
      settle_on_day(b, k, day, static_cast<double>(x[b.expiring[k].asset]), marks[k]);
  }
};

}  // namespace chipshock
