// Revaluation of the book at the horizon and the per-path loss.
#pragma once

#include "american.cuh"
#include "black_scholes.cuh"
#include "portability.cuh"
#include "sim_view.cuh"

namespace chipshock {

// Book value given spots for every model asset (only held assets are read). Each term is one
// fused multiply-add in this order, written out (not left to the compiler's contraction), so
// that the CPU's lanes (host/cpu/cpu_kernel_impl.hpp) and every compiler form the same sum.
CHIPSHOCK_HD inline double book_value(const BookView& b, const double* spot) {
  double v = b.cash;
  for (int k = 0; k < b.n_held; ++k) {
    const int i = b.held_assets[k];
    v = fma(b.equity_qty[i], spot[i], v);
  }
  for (int k = 0; k < b.n_options; ++k) {
    const OptionView& o = b.options[k];
    v = fma(o.quantity, option_value(b, o, spot[o.asset]), v);
  }
  return v;
}

// Loss = value today - value at the horizon (positive = loss), from the simulated log-returns.
// spot is scratch of size n_assets; log_return(i) gives asset i's log-return over the horizon.
template <class LogReturn>
CHIPSHOCK_HD inline double path_loss(const BookView& b, LogReturn log_return, double* spot) {
  for (int k = 0; k < b.n_held; ++k) {
    const int i = b.held_assets[k];
    spot[i] = b.spot0[i] * exp(static_cast<double>(log_return(i)));
  }
  return b.value0 - book_value(b, spot);
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
                                         double unit_value0, double spot) {
  if (option < 0) return quantity * (unit_value0 - spot);
  const OptionView& o = b.options[option];
  return quantity * (unit_value0 - option_value(b, o, spot));
}

}  // namespace chipshock
