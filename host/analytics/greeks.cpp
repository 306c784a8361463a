#include "host/analytics/greeks.hpp"

#include <cmath>

#include "host/pricing/american.hpp"
#include "kernels/black_scholes.cuh"
#include "kernels/normal_quantile.cuh"

namespace chipshock {

namespace {

double normal_pdf(double x) { return 0.39894228040143267794 * std::exp(-0.5 * x * x); }

}  // namespace

UnitGreeks black_scholes_greeks(OptionKind kind, double s, double strike, double tau, double rate,
                                double vol, double dividend_yield) {
  const bool call = kind == OptionKind::kCall;
  UnitGreeks g;
  g.price = black_scholes(kind, s, strike, tau, rate, vol, dividend_yield);
  const double sd = vol * std::sqrt(tau > 0 ? tau : 0.0);
  if (!(tau > 0.0) || !(sd > 0.0)) {  // the payoff (or the forward's intrinsic at zero vol)
    const double carry = tau > 0 ? std::exp(-dividend_yield * tau) : 1.0;
    const double forward_strike = tau > 0 ? strike * std::exp(-rate * tau) : strike;
    if (call && s * carry > forward_strike) g.delta = carry;
    if (!call && s * carry < forward_strike) g.delta = -carry;
    return g;
  }
  const double carry = std::exp(-dividend_yield * tau);
  const double d1 =
      (std::log(s / strike) + (rate - dividend_yield) * tau) / sd + 0.5 * sd;
  g.delta = call ? carry * normal_cdf(d1) : -carry * normal_cdf(-d1);
  g.gamma = carry * normal_pdf(d1) / (s * sd);
  g.vega = s * carry * normal_pdf(d1) * std::sqrt(tau);
  return g;
}

UnitGreeks american_greeks(OptionKind kind, double s, double strike, double tau, double rate,
                           double vol, double dividend_yield) {
  const AmericanCurve c = american_curve(kind, strike, tau, rate, vol, dividend_yield);
  UnitGreeks g;
  g.price = american_value(c, s);
  // central differences of the curve in the spot (it is smooth on each side of the exercise
  // boundary, and once differentiable across it), and of the curves of bumped vols
  const double ds = 1e-3 * s;
  const double up = american_value(c, s + ds), down = american_value(c, s - ds);
  g.delta = (up - down) / (2.0 * ds);
  g.gamma = (up - 2.0 * g.price + down) / (ds * ds);
  if (tau > 0) {
    const double dv = std::fmin(0.005, 0.5 * vol);
    g.vega = (american_price(kind, s, strike, tau, rate, vol + dv, dividend_yield) -
              american_price(kind, s, strike, tau, rate, vol - dv, dividend_yield)) /
             (2.0 * dv);
  }
  return g;
}

ParametricRisk parametric_risk(const Market& market, const SimSpec& spec,
                               const std::vector<double>& confidences) {
  ParametricRisk r;
  r.computed = true;
  const int n = spec.n_assets();
  const BookView book = spec.book();
  const double h = static_cast<double>(spec.horizon_days()) / kTradingDaysPerYear;
  r.horizon_years = h;
  std::vector<double> a(n, 0.0), b(n, 0.0);
  // the value's sensitivity to each implied-vol factor (kernels/vol_factors.cuh): to first order
  // an option's horizon value moves by vega x vol x (spot_beta x + the factor's value)
  std::vector<double> w(static_cast<std::size_t>(book.n_vol_factors), 0.0);
  r.total.position = "total";
  for (const PositionLine& line : spec.positions()) {
    const Asset& asset = market.assets[line.asset];
    const double s = asset.spot;
    PositionGreeks p;
    p.position = line.label;
    p.ticker = line.ticker;
    p.quantity = line.quantity;
    p.value = line.quantity * line.unit_value0;
    if (line.option < 0) {
      p.delta = p.value;
      a[line.asset] += p.value;
      b[line.asset] += p.value;  // S e^x = S (1 + x + x^2 / 2 + ...)
    } else {
      const OptionView& o = book.options[line.option];
      const double tau0 = o.tau_at_horizon + h;
      // today at today's implied vol; at the horizon at the one it revalues at there
      const auto greeks = [&](double tau, double vol) {
        return o.american >= 0
                   ? american_greeks(o.kind, s, o.strike, tau, book.rate, vol, o.dividend_yield)
                   : black_scholes_greeks(o.kind, s, o.strike, tau, book.rate, vol,
                                          o.dividend_yield);
      };
      const UnitGreeks today = greeks(tau0, line.vol0);
      p.delta = line.quantity * today.delta * s;
      p.gamma = line.quantity * today.gamma * s * s;
      p.vega = line.quantity * today.vega * 0.01;
      p.theta = line.quantity *
                (greeks(tau0 - 1.0 / kTradingDaysPerYear, line.vol0).price - line.unit_value0);
      // the expansion at the horizon's time to expiry
      const UnitGreeks at_h = greeks(o.tau_at_horizon, o.implied_vol);
      r.decay += line.quantity * (at_h.price - line.unit_value0);
      a[line.asset] += line.quantity * at_h.delta * s;
      b[line.asset] += line.quantity * (at_h.gamma * s * s + at_h.delta * s);
      if (o.expiring < 0) {
        const double vega_log = line.quantity * at_h.vega * o.implied_vol;
        a[line.asset] += vega_log * o.vol_beta;
        if (o.vol_factor >= 0) w[static_cast<std::size_t>(o.vol_factor)] += vega_log;
      }
    }
    r.total.value += p.value;
    r.total.delta += p.delta;
    r.total.gamma += p.gamma;
    r.total.vega += p.vega;
    r.total.theta += p.theta;
    r.positions.push_back(p);
  }
  // the log-returns' mean and covariance over the horizon
  std::vector<double> m(n), cov(static_cast<std::size_t>(n) * n);
  for (int i = 0; i < n; ++i) {
    const Asset& ai = market.assets[i];
    m[i] = (ai.drift - 0.5 * ai.vol * ai.vol) * h;
    for (int j = 0; j < n; ++j)
      cov[i * n + j] = market.correlation[i * n + j] * ai.vol * market.assets[j].vol * h;
  }
  double mean = r.decay;
  std::vector<double> g(n);
  for (int i = 0; i < n; ++i) {
    mean += a[i] * m[i] + 0.5 * b[i] * (cov[i * n + i] + m[i] * m[i]);
    g[i] = a[i] + b[i] * m[i];
  }
  double variance = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double c = cov[i * n + j];
      variance += g[i] * c * g[j] + 0.5 * b[i] * b[j] * c * c;
    }
  // the vol factors: nu_f W_f(h), independent of the returns, correlated c between tickers
  double vega_variance = 0;
  for (int f = 0; f < book.n_vol_factors; ++f)
    for (int k = 0; k < book.n_vol_factors; ++k) {
      const double nu_f = book.vol_factors[f].day_sd, nu_k = book.vol_factors[k].day_sd;
      const double corr = f == k ? 1.0 : book.vol_common * book.vol_common;
      vega_variance += w[static_cast<std::size_t>(f)] * w[static_cast<std::size_t>(k)] * nu_f *
                       nu_k * kTradingDaysPerYear * h * corr;
    }
  variance += vega_variance;
  r.vega_term = std::sqrt(std::fmax(vega_variance, 0.0));
  r.mean_loss = -mean;
  r.stdev_loss = std::sqrt(std::fmax(variance, 0.0));
  for (double c : confidences) {
    const double z = normal_quantile(c);
    r.levels.push_back({c, r.mean_loss + z * r.stdev_loss,
                        r.mean_loss + r.stdev_loss * normal_pdf(z) / (1.0 - c)});
  }
  return r;
}

}  // namespace chipshock
