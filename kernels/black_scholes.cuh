// Black-Scholes(-Merton) price of a European option on a stock paying a continuous dividend
// yield q (0: none), in double precision.
#pragma once

#include <cmath>

#include "portability.cuh"
#include "sim_view.cuh"

namespace chipshock {

CHIPSHOCK_HD inline double normal_cdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752440); }

// Price per unit at spot s with tau years to expiry; tau <= 0 (or zero vol) gives the payoff
// (discounted forward intrinsic when vol is zero). A yield q prices as the non-dividend formula
// on the spot net of the dividends paid before expiry, s e^(-q tau) (Merton); with q = 0 the
// arithmetic is the non-dividend formula's, bit for bit.
CHIPSHOCK_HD inline double black_scholes(OptionKind kind, double s, double strike, double tau,
                                         double rate, double vol, double dividend_yield = 0.0) {
  const bool call = kind == OptionKind::kCall;
  if (tau <= 0.0) return call ? fmax(s - strike, 0.0) : fmax(strike - s, 0.0);
  if (dividend_yield != 0.0) s *= exp(-dividend_yield * tau);
  const double df = exp(-rate * tau);
  const double sd = vol * sqrt(tau);
  if (!(sd > 0.0)) return call ? fmax(s - strike * df, 0.0) : fmax(strike * df - s, 0.0);
  const double d1 = (log(s / strike) + rate * tau) / sd + 0.5 * sd;
  const double d2 = d1 - sd;
  return call ? s * normal_cdf(d1) - strike * df * normal_cdf(d2)
              : strike * df * normal_cdf(-d2) - s * normal_cdf(-d1);
}

}  // namespace chipshock
