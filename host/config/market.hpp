// market.toml: currency, rate, optional Student-t dof, assets and their correlation.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "host/config/stressed_window.hpp"

namespace chipshock {

// An implied-vol surface (optional, per asset): at forward log-moneyness k = ln(K / F) with
// F = S e^((r - q) tau) and tau years to expiry,
//   vol(k, tau) = atm (tau / 0.25)^term_slope exp(skew k),
// the at-the-money vol at three months `atm`, its power-law term structure, and a skew in
// log-moneyness the same at every maturity. Positive everywhere; at fixed k its total variance
// vol^2 tau grows as tau^(1 + 2 term_slope), so term_slope > -0.5, which load_market requires, is
// exactly no calendar arbitrage. Options without their own implied_vol price off it
// (host/sim_spec.cpp).
struct ImpliedVolSurface {
  bool given = false;
  double atm = 0.0, skew = 0.0, term_slope = 0.0;
  // The surface's dynamics (optional), per trading day, strike held:
  //   d ln(vol) = spot_beta x the asset's log-return + vol_of_vol x sqrt(1/252) x its own shock,
  // the shock a standard normal of the path's implied-vol stream, correlated across tickers by
  // the market's implied_vol_correlation (one common factor; independent of the returns, which
  // reach the vol through spot_beta). Over the horizon: ln(vol_H / vol_0) = spot_beta x the
  // log-return + vol_of_vol x W(T), W a Brownian motion in years (kernels/vol_factors.cuh).
  // Both 0: the surface is held in strike.
  double spot_beta = 0.0;
  double vol_of_vol = 0.0;  // annualised, in [0, 5]
  // where the surface was given, for errors: the file, line and field (a market's
  // `assets.X.implied_vol`, or an --iv-file's first quote of the ticker), and where its
  // spot_beta was (always the market's)
  std::string file, field;
  long line = 0;
  long beta_line = 0;
  long vol_of_vol_line = 0;
};

// The surface's vol for strike K at spot s, tau > 0 years, rate and yield continuously
// compounded.
double surface_vol(const ImpliedVolSurface& v, double s, double strike, double tau, double rate,
                   double dividend_yield);

struct Asset {
  std::string ticker;
  double spot = 0.0;   // in the market currency
  double vol = 0.0;    // annualised
  double drift = 0.0;  // annualised: the price's, dividends excluded (price return)
  double dividend_yield = 0.0;  // continuous, annualised; used in option pricing
  std::string sector;                       // optional, e.g. "semiconductors"; "" = none
  std::map<std::string, double> exposures;  // factor -> loading
  ImpliedVolSurface implied_vol;            // optional ([assets.X.implied_vol])
  long line = 0;
};

struct Market {
  std::string file;
  std::string currency;
  double rate = 0.0;  // continuously compounded
  double dof = 0.0;   // Student-t degrees of freedom; 0 = Gaussian
  std::string as_of;  // optional date of the spots, "YYYY-MM-DD"; "" = not given
  // The correlation of different tickers' implied-vol shocks (ImpliedVolSurface::vol_of_vol), in
  // [0, 1]: each shock is sqrt(c) x a common normal + sqrt(1 - c) x its own. 0 when not given.
  double implied_vol_correlation = 0.0;
  long implied_vol_correlation_line = 0;
  std::vector<Asset> assets;          // in file order
  std::vector<double> correlation;    // n*n, row-major; identity where the file is silent
  long correlation_line = 0;
  std::vector<double> cholesky;       // n*n lower factor of correlation, set by load_market
  // --repair-correlation: how the file's matrix was replaced (method "" = not repaired).
  struct Repair {
    std::string method;               // "higham" when the matrix was replaced
    double distance = 0;              // Frobenius norm of (repaired - given)
    double min_eigenvalue_given = 0;  // the file's matrix
    double min_eigenvalue = 0;        // the repaired one
    int iterations = 0;
  } repair;
  StressedWindow stressed;  // [stressed]; first == "" = not a stressed market

  int index_of(const std::string& ticker) const;  // -1 if absent
  std::size_t size() const { return assets.size(); }
};

// Parses and validates; throws InputError naming file, line and field. With
// require_positive_definite false, a correlation matrix that is not positive definite is kept
// (cholesky left empty) for the caller to repair (host/calibration/correlation_repair.hpp).
Market load_market(const std::string& path, bool require_positive_definite = true);
// The same for the text of a market file; `name` stands for the file (errors, Market::file).
Market load_market_text(const std::string& text, const std::string& name,
                        bool require_positive_definite = true);

// Lower Cholesky factor of the market's correlation (n*n row-major); throws InputError naming
// the smallest eigenvalue when the matrix is not positive definite.
std::vector<double> correlation_cholesky(const Market& market);

// Lower Cholesky factor of an n*n correlation matrix; throws InputError(file, line, field, ...)
// naming the smallest eigenvalue when it is not positive definite.
std::vector<double> positive_definite_cholesky(const std::vector<double>& corr, int n,
                                               const std::string& file, long line,
                                               const std::string& field,
                                               const std::string& hint);

}  // namespace chipshock
