// Plain, trivially copyable views of the immutable simulation spec. The host SimSpec owns the
// arrays; backends pass these views to the per-path functions (by value into a CUDA kernel).
#pragma once

#include <cstdint>

namespace chipshock {

// The market model, in the units one step needs.
struct ModelView {
  int n_assets = 0;
  int n_blocks = 0;        // ceil(n_assets / 4): Philox blocks (4 normals each) drawn per step
  int horizon_days = 0;
  int steps_per_day = 1;
  const float* drift_dt = nullptr;  // [n] (mu - sigma^2/2) dt
  const float* vol_chol = nullptr;  // [n*n] row-major lower triangle of diag(sigma sqrt(dt)) L
  float dof = 0.0f;                 // Student-t degrees of freedom; 0 = Gaussian
  // Scenario log-jumps added at the start of each day, [horizon_days * n]; null = none.
  const float* day_jumps = nullptr;
};

enum class OptionKind : int { kCall = 0, kPut = 1 };

struct OptionView {
  int asset;
  OptionKind kind;
  double quantity;
  double strike;
  double implied_vol;
  double tau_at_horizon;  // years to expiry left at the horizon; <= 0 means expired: intrinsic
};

// The book, revalued at the horizon from the simulated spots.
struct BookView {
  int n_held = 0;                       // assets the book depends on
  const int* held_assets = nullptr;     // [n_held] indices into the model's assets
  const double* spot0 = nullptr;        // [n_assets] spots today
  const double* equity_qty = nullptr;   // [n_assets] net shares held directly
  int n_options = 0;
  const OptionView* options = nullptr;  // [n_options]
  double rate = 0.0;                    // continuously compounded, for option revaluation
  double cash = 0.0;                    // held constant over the horizon
  double value0 = 0.0;                  // portfolio value today (cash + positions)
};

}  // namespace chipshock
