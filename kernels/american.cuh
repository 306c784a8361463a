// An American option's value at the horizon as a function of the spot alone, on GPU and CPU.
//
// At the horizon every parameter of the option but the spot is fixed (strike, remaining
// maturity, rate, dividend yield, implied vol), so the host solves the early-exercise problem once
// per option and run (host/pricing/american.hpp: the exercise boundary from its integral equation,
// then the price on Chebyshev nodes) and the kernel evaluates the result per path: the exercise
// value at or beyond the boundary, a Chebyshev series of ln(price) in ln(x / boundary) inside
// the continuation region, the European price plus the early-exercise premium, a Chebyshev
// series of ln(premium) in ln(x / boundary), until the premium is below 1e-16 of the strike.
//
// Calls are priced as puts (McDonald-Schroder symmetry and homogeneity): a call on s with strike
// K, rate r and yield q is s * P(K / s) for a put P of strike 1, rate q and yield r. So one curve
// shape serves both: x = s (put) or K / s (call), the price `scale` * P(x) with scale 1 or s.
#pragma once

#include "black_scholes.cuh"
#include "portability.cuh"
#include "sim_view.cuh"

namespace chipshock {

// Chebyshev terms of ln(premium) over the continuation region: 32 give the price to about 1e-9 of
// the strike over the tested grid (tests/test_american.cpp), far inside the method's tolerance.
constexpr int kAmericanTerms = 32;

struct AmericanCurve {
  // The option as given: its European price (beyond the fitted range, or when `european`).
  OptionKind kind;
  int european;  // 1: no early-exercise premium (expired, rate <= 0 for a put, yield <= 0 for a
                 // call): the Black-Scholes price
  double strike, tau, rate, vol, dividend_yield;
  // The put of the symmetry: exercised at x <= boundary (with x = s or strike / s), its
  // early-exercise premium exp(sum coef[j] T_j(2 y / y_max - 1)) over y = ln(x / boundary) in
  // (0, y_max) (times s for a call), none beyond.
  double put_strike;  // the strike for a put, 1 for a call
  double boundary;
  double y_max;
  double coef[kAmericanTerms];
};

// The option's value per unit at spot s.
CHIPSHOCK_HD inline double american_value(const AmericanCurve& c, double s) {
  const bool call = c.kind == OptionKind::kCall;
  if (c.european) return black_scholes(c.kind, s, c.strike, c.tau, c.rate, c.vol, c.dividend_yield);
  const double x = call ? c.strike / s : s;
  if (!(x > c.boundary)) return call ? s - c.strike : c.strike - s;  // exercised (NaN stays NaN)
  const double y = log(x / c.boundary);
  if (!(y < c.y_max))  // the premium is below 1e-16 of the strike there
    return black_scholes(c.kind, s, c.strike, c.tau, c.rate, c.vol, c.dividend_yield);
  // Clenshaw's recurrence for sum coef[j] T_j(t)
  const double t = 2.0 * y / c.y_max - 1.0;
  double b1 = 0.0, b2 = 0.0;
  for (int j = kAmericanTerms - 1; j >= 1; --j) {
    const double b0 = fma(2.0 * t, b1, c.coef[j] - b2);
    b2 = b1;
    b1 = b0;
  }
  const double premium = exp(fma(t, b1, c.coef[0] - b2));
  return fma(call ? s : 1.0, premium,
             black_scholes(c.kind, s, c.strike, c.tau, c.rate, c.vol, c.dividend_yield));
}

// An American option whose implied vol moves along the path, at ln vol `log_vol`: cubic Lagrange
// interpolation in ln vol between its curves at the `nodes` vols ln vol_j = log_vol0 + j step
// (the four around log_vol; log_vol clamped to the nodes' range, which the host sets at six
// standard deviations of the vol's move and more), at least the exercise value.
CHIPSHOCK_HD inline double american_across_vols(const AmericanCurve* curves, int nodes,
                                                double log_vol0, double step, double log_vol,
                                                double s) {
  double u = (log_vol - log_vol0) / step;
  u = fmin(fmax(u, 0.0), static_cast<double>(nodes - 1));
  int first = static_cast<int>(floor(u)) - 1;
  first = first < 0 ? 0 : first > nodes - 4 ? nodes - 4 : first;
  const double t = u - first;
  const double w[4] = {-(t - 1) * (t - 2) * (t - 3) / 6, t * (t - 2) * (t - 3) / 2,
                       -t * (t - 1) * (t - 3) / 2, t * (t - 1) * (t - 2) / 6};
  double v = 0.0;
  for (int j = 0; j < 4; ++j) v = fma(w[j], american_value(curves[first + j], s), v);
  const AmericanCurve& c = curves[0];
  const double exercise = c.kind == OptionKind::kCall ? s - c.strike : c.strike - s;
  return fmax(v, exercise);
}

// An option's value per unit at spot s at the horizon: the Black-Scholes price, or its American
// curve (b.american[o.american]) when o.american >= 0.
// Its implied vol moves with the spot by its vol_beta and by vol_shift, its vol factor's value on
// the path (host/config/market.hpp's surface and kernels/vol_factors.cuh): an American option
// with either interpolates between its curves at several vols (american_across_vols).
CHIPSHOCK_HD inline double option_value(const BookView& b, const OptionView& o, double s,
                                        double vol_shift = 0.0) {
  if (o.american >= 0) {
    if (o.american_nodes <= 1) return american_value(b.american[o.american], s);
    double log_vol = log(o.implied_vol) + vol_shift;
    if (o.vol_beta != 0.0) log_vol = fma(o.vol_beta, log(s / b.spot0[o.asset]), log_vol);
    return american_across_vols(b.american + o.american, o.american_nodes, o.node_log_vol0,
                                o.node_log_step, log_vol, s);
  }
  double vol = o.implied_vol;
  if (o.vol_beta != 0.0) vol *= pow(s / b.spot0[o.asset], o.vol_beta);
  if (vol_shift != 0.0) vol *= exp(vol_shift);
  return black_scholes(o.kind, s, o.strike, o.tau_at_horizon, b.rate, vol, o.dividend_yield);
}

}  // namespace chipshock
