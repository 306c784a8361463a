// The per-path market model: log-Euler GBM with Cholesky-correlated Gaussian or Student-t
// innovations and scenario log-jumps. One function serves the GPU kernel (F = float, one path per
// thread, normals from cuRAND) and the CPU backend (F = a SIMD vector of paths, normals from the
// host Philox mirror): the arithmetic, and its order, is the same on both.
#pragma once

#include "portability.cuh"
#include "sim_view.cuh"

namespace chipshock {

CHIPSHOCK_HD CHIPSHOCK_INLINE float fma_lanes(float a, float b, float c) { return fmaf(a, b, c); }

// eps = A z for the n x n row-major lower triangle A = diag(sigma sqrt dt) L. Per asset i the
// sum is eps_i = a_i0 z_0, then one FMA for each j = 1, 2, ..., i in that order; a lane type may
// overload correlate (found by argument-dependent lookup) with any loop order that keeps it.
// Here column by column: the updates of one column are independent, so the FMAs pipeline (row by
// row they would form one dependent chain).
template <class F>
CHIPSHOCK_HD inline void correlate(const float* a, int n, const F* z, F* eps) {
  CHIPSHOCK_UNROLL
  for (int i = 0; i < n; ++i) eps[i] = a[i * n] * z[0];
  CHIPSHOCK_UNROLL
  for (int j = 1; j < n; ++j) {
    CHIPSHOCK_UNROLL
    for (int i = j; i < n; ++i) eps[i] = fma_lanes(a[i * n + j], z[j], eps[i]);
  }
}

// The day observer of simulate_log_returns that watches nothing.
struct NoDayEnd {
  template <class F>
  CHIPSHOCK_HD CHIPSHOCK_INLINE void operator()(int, const F*) const {}
};

// x[i] holds asset i's log-return so far; z is scratch for 4 * n_blocks normals and eps for
// n_assets correlated shocks.
// normals.fill(F* z, int blocks) writes the path's next 4 * blocks diffusion normals (block b
// holds what cuRAND's curand_normal4 returns for that Philox block); mixing.scale()
// returns a Student-t scale factor (only called when m.dof > 0): one per day, shared by the
// day's steps, so that a day's log-return is a multivariate t with m.dof degrees of freedom at
// any steps_per_day (a dof fitted on daily returns means the same at every step size; one draw
// per step would sum K independent t's into a thinner-tailed day).
// events.active(e, day) says whether event e moves any lane on that day and
// events.coefficient(e, day) gives the multiple of its log-jump vector each lane adds (see
// scenario_events.cuh); jumps are added at the start of the day, before its diffusion steps.
// Model is ModelView or a type derived from it whose n_assets and n_blocks are compile-time
// constants (the GPU's fixed-size kernels): then every asset loop has a constant trip count and
// x, z and eps can live in registers.
// day_end(day, x) is called at the end of each day (0-based) with the log-returns so far: what a
// run of day + 1 days ends with, bit for bit (the arithmetic is the same), so one pass gives the
// book's value on every day (the value fan, drawdowns, stop-loss) in O(H), not O(H^2).
template <class F, class Normals, class Mixing, class Events, class Model,
          class DayEnd = NoDayEnd>
CHIPSHOCK_HD inline void simulate_log_returns(const Model& m, Normals& normals, Mixing& mixing,
                                              const Events& events, F* x, F* z, F* eps,
                                              DayEnd day_end = DayEnd{}) {
  const int n = m.n_assets;
  CHIPSHOCK_UNROLL
  for (int i = 0; i < n; ++i) x[i] = F(0.0f);
  for (int day = 0; day < m.horizon_days; ++day) {
    for (int e = 0; e < m.n_events; ++e) {
      if (!events.active(e, day)) continue;
      const F c = events.coefficient(e, day);
      const float* jump = m.event_log_jump + static_cast<long>(e) * n;
      CHIPSHOCK_UNROLL
      for (int i = 0; i < n; ++i) x[i] = fma_lanes(c, F(jump[i]), x[i]);
    }
    const int seg = m.day_segment != nullptr ? m.day_segment[day] : 0;
    const float* a = m.segment_chol(seg);
    const float* drift = m.segment_drift(seg);
    F w = F(1.0f);
    for (int step = 0; step < m.steps_per_day; ++step) {
      normals.fill(z, m.n_blocks);
      if (step == 0 && m.dof > 0.0f) w = mixing.scale();  // the day's mixing draw
      correlate(a, n, z, eps);  // unqualified: a lane type may bring its own
      CHIPSHOCK_UNROLL
      for (int i = 0; i < n; ++i) x[i] = fma_lanes(w, eps[i], x[i] + drift[i]);
    }
    day_end(day, static_cast<const F*>(x));
  }
}

}  // namespace chipshock
