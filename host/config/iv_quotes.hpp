// --iv-file: a user's implied-vol quotes (CSV `ticker,expiry,strike,delta,vol`), fitted per
// ticker to the market's implied-vol surface form (host/config/market.hpp's ImpliedVolSurface),
// which then replaces the ticker's surface in the market for the run.
#pragma once

#include <string>
#include <vector>

#include "host/config/market.hpp"

namespace chipshock {

struct IvFit {
  std::string ticker;
  int quotes = 0;
  int expiries = 0;  // distinct maturities among the quotes
  ImpliedVolSurface surface;
  bool fitted_term = false;  // term_slope fitted (two maturities or more), else 0
  bool fitted_skew = false;  // skew fitted (two moneyness levels or more), else 0
  double rms_points = 0;     // root-mean-square fit error, in vol points
  double worst_points = 0;   // largest absolute fit error, in vol points
};

// Reads `path`: a header naming ticker, expiry, vol and strike and/or delta (any order and case),
// then one quote a row: `expiry` a whole number of trading days or a date (NYSE trading days from
// the market's as_of), `strike` in the currency or `delta` a Black-Scholes delta (a call's in
// (0, 1), a put's in (-1, 0)), `vol` the implied vol (0.45 = 45%). Fits ln vol = ln atm +
// term_slope ln(T / 0.25) + skew ln(K / F) by least squares, per ticker, and sets each fitted
// ticker's surface in `market`. Throws InputError naming the file, line and column; a fit outside
// the surface's domain (or with calendar arbitrage) names the ticker.
std::vector<IvFit> apply_iv_file(const std::string& path, Market& market);

// The report's line on one fit.
std::string iv_fit_note(const IvFit& f, const std::string& file);

}  // namespace chipshock
