// Plain, trivially copyable views of the immutable simulation spec. The host SimSpec owns the
// arrays; backends pass these views to the per-path functions (by value into a CUDA kernel).
#pragma once

#include <cstdint>

#include "portability.cuh"

namespace chipshock {

constexpr int kMaxEvents = 64;  // jump events per scenario

enum class JumpSize : int { kFixed = 0, kNormal = 1, kStudentT = 2 };

// One scenario jump event (see scenario_events.cuh). Days are 0-based trading days of the
// horizon; a day at or beyond horizon_days is drawn but has no effect on the run.
struct EventView {
  float probability = 1.0f;  // that the event happens on a path, in (0, 1]
  int day_first = 0;         // the jump day is uniform on [day_first, day_last]
  int day_last = 0;
  JumpSize size_kind = JumpSize::kFixed;
  float size_sd = 0.0f;   // the log-jump is scaled by 1 + size_sd * (standard normal or unit t)
  float size_dof = 0.0f;  // for kStudentT (> 2)
  float recovery_fraction = 0.0f;  // of the jump that reverts, linearly over recovery_days
  int recovery_days = 0;
};

// The diffusion's generator: pseudo-random Philox (cuRAND's layout, philox.cuh) or cuRAND's
// scrambled Sobol' points with a Brownian bridge (sobol_normals.cuh).
enum class RngKind : int { kPhilox = 0, kSobol = 1 };

// One point of the Brownian bridge of a quasi-Monte Carlo path, in time units of one step
// (host/qmc/bridge_plan.hpp builds them): W(time) = w_left W(time of the previous step) +
// w_right W(right) + sd * (the normal of Sobol' dimensions rank * n .. rank * n + n - 1), where
// W(right) is the latest bridge value held ahead of the current step, or 0 without one.
struct BridgeOp {
  int time = 0;       // 1 .. bridge_steps
  int rank = 0;       // the order of construction: 0 is W(T), 1 the midpoint, ...
  int has_right = 0;  // 0 for the terminal point, built from W(0) = 0 alone
  double w_left = 0, w_right = 0, sd = 0;
};

// The market model, in the units one step needs. Regimes make vols, drifts and correlations
// piecewise constant by day: day d uses segment day_segment[d] (segment 0 when day_segment is
// null), whose arrays start at drift_dt + s * n and vol_chol + s * n * n.
struct ModelView {
  int n_assets = 0;
  int n_blocks = 0;        // ceil(n_assets / 4): Philox blocks (4 normals each) drawn per step
  int horizon_days = 0;
  int steps_per_day = 1;
  int n_segments = 1;
  const int* day_segment = nullptr;  // [horizon_days]; null = all days use segment 0
  const float* drift_dt = nullptr;   // [n_segments * n] (mu - sigma^2/2) dt
  const float* vol_chol = nullptr;   // [n_segments * n*n] row-major lower triangle of
                                     // diag(sigma sqrt(dt)) L
  // Segment s's arrays. FixedSizeModel (single_path.cuh) hides these with compile-time strides,
  // and the GPU's ConstantModel (gpu_engine.cu) with fixed constant-memory addresses.
  CHIPSHOCK_HD const float* segment_chol(int s) const {
    return vol_chol + static_cast<long>(s) * n_assets * n_assets;
  }
  CHIPSHOCK_HD const float* segment_drift(int s) const {
    return drift_dt + static_cast<long>(s) * n_assets;
  }
  float dof = 0.0f;                  // Student-t degrees of freedom; 0 = Gaussian
  // Antithetic variates: paths 2k and 2k+1 share the diffusion and mixing streams of path 2k,
  // path 2k+1 with its normals negated (see antithetic_source in philox.cuh).
  int antithetic = 0;
  // Importance sampling (importance_sampling.cuh); null = plain Monte Carlo. The GPU packs the
  // shift padded like the assets (packed_spec.cuh).
  const float* is_shift = nullptr;  // [horizon_days * steps_per_day * n_assets]: mean of each
                                    // step's normals
  float is_chi2_scale = 1.0f;       // lambda: each step's chi-square mixing draw is scaled by it
  double is_half_norm2 = 0.0;       // |shift|^2 / 2
  // 1: every path is drawn from p, each still weighted by the mixture's likelihood ratio at the
  // draws it used (the pilot's check of a candidate shift on plain paths); 0: the mixture.
  int is_plain_only = 0;
  int n_events = 0;                  // at most kMaxEvents
  const EventView* events = nullptr;       // [n_events]
  const float* event_log_jump = nullptr;  // [n_events * n]: each event's log-jump per asset
  // Quasi-Monte Carlo (rng == kSobol; the rest is unused with Philox). Path i is Sobol' point i;
  // dimension rank * qmc_assets + a drives asset a at the bridge point of that rank. Step s
  // (0-based) builds the bridge points bridge_ops[bridge_first_op[s] .. bridge_first_op[s+1])
  // in that order, then takes W(s + 1) - W(s) as its normals. bridge_steps may exceed
  // horizon_days * steps_per_day: a run cut short of the bridge's horizon (a day of the fan chart)
  // then keeps the full run's paths.
  RngKind rng = RngKind::kPhilox;
  int qmc_assets = 0;    // Sobol' dimensions per bridge point: the real asset count (the GPU pads)
  int bridge_steps = 0;
  int bridge_depth = 0;  // most bridge values a path holds ahead of its current step
  const int* bridge_first_op = nullptr;            // [bridge_steps + 1]
  const BridgeOp* bridge_ops = nullptr;            // [bridge_steps]
  const std::uint32_t* sobol_directions = nullptr;  // [qmc_assets * bridge_steps][32]
  const std::uint32_t* sobol_scramble = nullptr;    // [qmc_assets * bridge_steps]
};

enum class OptionKind : int { kCall = 0, kPut = 1 };

struct OptionView {
  int asset;
  OptionKind kind;
  double quantity;
  double strike;
  double implied_vol;
  double tau_at_horizon;  // years to expiry left at the horizon; <= 0 means expired: intrinsic
  double dividend_yield;  // the asset's continuous dividend yield (market.toml), in pricing
  // The implied vol's spot beta (an option priced off its asset's surface): at spot s the option
  // revalues at implied_vol * (s / s0)^vol_beta, s0 today's spot; 0: implied_vol
  double vol_beta;
  int american = -1;      // index into BookView::american (style = "american"); -1: European
  // An American option whose implied vol moves along the path (vol_beta, vol_factor): its
  // curves at american_nodes vols, ln vol = node_log_vol0 + j node_log_step, from index
  // `american` on (american.cuh's american_across_vols); 1: one curve at implied_vol.
  int american_nodes = 1;
  double node_log_vol0 = 0.0, node_log_step = 0.0;
  // index into BookView::expiring when the option expires inside the horizon (expiry.cuh): its
  // value at the horizon is then its settlement, not a price; -1 otherwise
  int expiring = -1;
  // A run cut at day d (host/sim_spec.hpp's spec_at_day): the index of this option among the
  // full run's expiring options when it is American, alive at day d and expiring inside the full
  // run, which may exercise it on a path before day d: revalued on the full run's paths
  // (BookView::full_run_marks) it is then worth that settlement (with its interest to day d),
  // not its price. -1 otherwise; ignored when the cut run runs on its own.
  int settled_by = -1;
  // index into BookView::vol_factors when its implied vol moves with its asset's vol factor
  // (vol_factors.cuh): it revalues at implied_vol * (s / s0)^vol_beta * e^(the factor); -1: none
  int vol_factor = -1;
};

struct AmericanCurve;  // american.cuh
struct ExpiryView;     // expiry.cuh
struct VolFactorView;  // vol_factors.cuh

// The book, revalued at the horizon from the simulated spots.
struct BookView {
  int n_held = 0;                       // assets the book depends on
  const int* held_assets = nullptr;     // [n_held] indices into the model's assets
  const double* spot0 = nullptr;        // [n_assets] spots today
  const double* equity_qty = nullptr;   // [n_assets] net shares held directly
  int n_options = 0;
  const OptionView* options = nullptr;  // [n_options]
  int n_american = 0;
  const AmericanCurve* american = nullptr;  // [n_american] the American options' curves
  // Options that expire inside the horizon (expiry.cuh), in the order of their expiry day:
  // each path settles them on the days of its path (PathMarkDays) and the book revalues them from
  // that settlement.
  int n_expiring = 0;
  const ExpiryView* expiring = nullptr;     // [n_expiring]
  const double* exercise_spot = nullptr;    // American early exercise: ExpiryView::boundary
  int n_exercise_spots = 0;                 // the length of exercise_spot
  int horizon_days = 0;                     // settlements accrue interest to the horizon
  // The implied-vol factors of the assets whose surface has a vol-of-vol (vol_factors.cuh), the
  // same in every book of a run (its cut books included); vol_common = sqrt(c), vol_own =
  // sqrt(1 - c) for the market's implied_vol_correlation c.
  int n_vol_factors = 0;
  const VolFactorView* vol_factors = nullptr;  // [n_vol_factors], in the market's asset order
  double vol_common = 0.0, vol_own = 1.0;
  int vol_blocks_a_day = 0;
  // 1: a run cut at a day revalued on the full run's paths (host/day_values.hpp's day_books): the
  // marks it reads are the full run's, so OptionView::settled_by applies; 0: its own run's.
  int full_run_marks = 0;  // Philox blocks of one day's draws: ceil((1 + market assets) / 4)
  double rate = 0.0;                    // continuously compounded, for option revaluation
  double cash = 0.0;                    // held constant over the horizon
  double value0 = 0.0;                  // portfolio value today (cash + positions)
};

}  // namespace chipshock
