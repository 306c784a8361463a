// Greeks per position and a delta-gamma-normal parametric VaR/ES: the cheap cross-check that
// sits next to the Monte Carlo numbers (as ORE's DeltaGammaNormal does).
//
// Greeks, in the market currency, per line of the portfolio file (analytic Black-Scholes-
// Merton, at today's spot and time to expiry; an equity line has delta = its value and no
// other greek):
//   delta  dV/dS * S        the value change per unit relative spot move: a 1% rise gains
//                           delta / 100 to first order (a stock line: its value)
//   gamma  d2V/dS2 * S^2    the second order: a relative move r gains delta r + gamma r^2 / 2
//   vega   dV/dsigma * 0.01 per implied-vol point (0.30 -> 0.31)
//   theta  V(tau - 1/252) - V(tau), spot held: the value one trading day of time takes
//
// The parametric VaR is the baseline model's, over the run's horizon h: the risk factors are the
// assets' log-returns x ~ N(m, S), m_i = (mu_i - sigma_i^2 / 2) h, S_ij = rho_ij sigma_i sigma_j h
// (the model's own mean and covariance; a Student-t market has the same covariance, and the
// normal approximation ignores its fatter tails). The book's P&L is expanded to second order
// around today's spots, at the horizon's time to expiry (so the time decay over the horizon is
// exact, not theta * h):
//   P&L(x) ~ decay + sum_i a_i x_i + 1/2 sum_i b_i x_i^2,
// a_i = sum of delta_i, b_i = sum of (gamma_i + delta_i) over asset i's lines (the second order
// in the log-return, exact for a stock line; no cross-gammas as every option has one
// underlying). With g = a + B m: mean = decay + a.m + 1/2 sum b_i (S_ii + m_i^2),
// variance = g' S g + 1/2 sum_ij b_i b_j S_ij^2, and the loss -P&L is taken as normal with
// them: VaR_c = -mean + z_c sd, ES_c = -mean + sd phi(z_c) / (1 - c).
// Implied vols enter where the market's surfaces move them (host/config/market.hpp): a European
// option alive at the horizon priced off a surface has the vega term vega_h vol_h (beta x_i +
// nu W), to first order in the vol's log change: beta adds vega_h vol_h beta to a_i, and the
// vol factors nu_f W_f(h) (kernels/vol_factors.cuh; independent of x, variance nu_f^2 h,
// correlation c between tickers) add sum_fk w_f w_k nu_f nu_k h c_fk to the variance, w_f the sum
// of vega_h vol_h over factor f's options. Otherwise each option keeps its implied vol and the
// vegas are reported for the reader.
#pragma once

#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

struct PositionGreeks {
  std::string position;  // the line's label, as in the components
  std::string ticker;
  double quantity = 0;
  double value = 0;  // today
  double delta = 0, gamma = 0, vega = 0, theta = 0;
};

struct ParametricLevel {
  double confidence = 0;
  double var = 0, es = 0;
};

struct ParametricRisk {
  bool computed = false;
  std::vector<PositionGreeks> positions;  // file order
  PositionGreeks total;                   // the book's sums (position "total")
  double horizon_years = 0;
  double decay = 0;       // the book's value change over the horizon from time alone
  double mean_loss = 0;   // -mean of the expanded P&L
  double stdev_loss = 0;  // its standard deviation
  // the sd of the loss from the implied-vol factors alone (their term of the variance); 0
  // without a vol-of-vol
  double vega_term = 0;
  std::vector<ParametricLevel> levels;
};

// Black-Scholes-Merton greeks of one unit: dV/dS, d2V/dS2 and dV/dsigma (per unit of vol),
// checked against black_scholes by finite differences in the tests. At expiry (tau <= 0) delta
// is the payoff's slope and gamma and vega are 0.
struct UnitGreeks {
  double price = 0, delta = 0, gamma = 0, vega = 0;
};
UnitGreeks black_scholes_greeks(OptionKind kind, double s, double strike, double tau, double rate,
                                double vol, double dividend_yield);

// The same for an American option (style = "american"): its price from the curve of
// host/pricing/american.hpp, delta and gamma by central differences of 0.1% of the spot, vega
// by +-0.5 vol points (each vol's own curve).
UnitGreeks american_greeks(OptionKind kind, double s, double strike, double tau, double rate,
                           double vol, double dividend_yield);

// The greeks of the spec's book and the delta-gamma-normal VaR/ES at each confidence, from the
// baseline model (spec must be the baseline's: no scenario applied).
ParametricRisk parametric_risk(const Market& market, const SimSpec& spec,
                               const std::vector<double>& confidences);

}  // namespace chipshock
