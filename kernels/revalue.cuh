// Revaluation of the book at the horizon and the per-path loss.
#pragma once

#include "american.cuh"
#include "black_scholes.cuh"
#include "expiry.cuh"
#include "portability.cuh"
#include "sim_view.cuh"
#include "vol_factors.cuh"

namespace chipshock {

// An option's value per unit at the horizon: its settlement when it expires inside the horizon
// (o.expiring >= 0; settled: the path's settlements and vol factors, expiry.cuh and
// vol_factors.cuh), else its price at spot s, at the vol its factor moved it to.
CHIPSHOCK_HD inline double horizon_option_value(const BookView& b, const OptionView& o, double s,
                                                const Settlement* settled) {
  if (o.expiring >= 0) return settled_value(b, settled[o.expiring]);
  // exercised by the full run's path before this cut run's end (day_books' books only)
  if (b.full_run_marks && o.settled_by >= 0 && settled[o.settled_by].day >= 0)
    return settled_value(b, settled[o.settled_by]);
  return option_value(b, o, s, o.vol_factor >= 0 ? vol_factor_value(settled, o.vol_factor) : 0.0);
}

// Book value given spots for every model asset (only held assets are read) and the path's
// settlements and vol factors (read only when the book has options expiring inside the horizon
// or vol factors, needs_day_marks; may be null otherwise). Each term is one fused multiply-add in this order, written out (not left to the
// compiler's contraction), so that the CPU's lanes (host/cpu/cpu_kernel_impl.hpp) and every
// compiler form the same sum.
CHIPSHOCK_HD inline double book_value(const BookView& b, const double* spot,
                                      const Settlement* settled = nullptr) {
  double v = b.cash;
  for (int k = 0; k < b.n_held; ++k) {
    const int i = b.held_assets[k];
    v = fma(b.equity_qty[i], spot[i], v);
  }
  for (int k = 0; k < b.n_options; ++k) {
    const OptionView& o = b.options[k];
    v = fma(o.quantity, horizon_option_value(b, o, spot[o.asset], settled), v);
  }
  return v;
}

// Loss = value today - value at the horizon (positive = loss), from the simulated log-returns.
// spot is scratch of size n_assets; log_return(i) gives asset i's log-return over the horizon;
// settled: the path's settlements (book_value).
template <class LogReturn>
CHIPSHOCK_HD inline double path_loss(const BookView& b, LogReturn log_return, double* spot,
                                     const Settlement* settled = nullptr) {
  for (int k = 0; k < b.n_held; ++k) {
    const int i = b.held_assets[k];
    spot[i] = b.spot0[i] * exp(static_cast<double>(log_return(i)));
  }
  return b.value0 - book_value(b, spot, settled);
}

// One portfolio line as the kernels revalue it (host/sim_spec.hpp's PositionLine, without names).
struct LineView {
  int asset = 0;    // index into the model's assets
  int option = -1;  // index into BookView::options, or -1 for an equity line
  double quantity = 0;
  double unit_value0 = 0;
};

// One portfolio line's loss at the horizon (value today minus value at the horizon), for the
// allocation of risk to positions: an equity line from its spot, an option line (option >= 0,
// an index into b.options) revalued as book_value does. The lines' losses add up to path_loss
// on the same spots, to rounding (cash is constant).
CHIPSHOCK_HD inline double position_loss(const BookView& b, int option, double quantity,
                                         double unit_value0, double spot,
                                         const Settlement* settled = nullptr) {
  if (option < 0) return quantity * (unit_value0 - spot);
  const OptionView& o = b.options[option];
  return quantity * (unit_value0 - horizon_option_value(b, o, spot, settled));
}

}  // namespace chipshock
