// VaR backtest on real history: each trading day t in [from, to], calibrate the market on the
// `window` daily returns up to the close of t-1, forecast the book's 1-day VaR by Monte Carlo,
// and compare it with the book's realised loss from the close of t-1 to the close of t.
//
// The book is held fixed: the same quantities every day, options keeping their expiry_days
// (a constant-maturity book), revalued with Black–Scholes at each day's calibrated vol unless
// they carry an implied_vol. Losses and VaRs are in the book's currency at that day's prices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/backtest/coverage_tests.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"

namespace chipshock {

struct BacktestSettings {
  std::string from, to;  // trading days, "YYYY-MM-DD"
  int window = 250;      // daily returns per calibration
  std::vector<double> confidences{0.99};
  std::uint64_t paths = 20000;  // Monte Carlo paths per daily forecast
  std::uint64_t seed = 0;
  bool ewma = false;       // EWMA (lambda 0.94) vols instead of sample vols
  bool student_t = false;  // fit Student-t dof each day (else Gaussian)
  double rate = 0.04;
  int threads = 0;
};

struct BacktestDay {
  std::string date;
  double value_before = 0;        // the book at the close of t-1
  double realised_loss = 0;       // value at t-1 minus value at t (positive = loss)
  std::vector<double> var;        // per confidence
  std::vector<bool> exceeded;     // realised_loss > var
  double dof = 0;                 // the day's fitted dof (0 = Gaussian)
};

struct BacktestResult {
  std::string prices_dir, portfolio_name, currency;
  std::vector<std::string> tickers;
  BacktestSettings settings;
  std::vector<BacktestDay> days;
  std::vector<CoverageTests> tests;  // per confidence
  int repaired_correlations = 0;     // days whose sample correlation needed the nearest-PD repair
  std::vector<std::string> notes;
  double seconds = 0;
};

// `portfolio` must have been loaded against `universe` (any market holding its tickers: only
// the tickers and currency are used). Throws InputError naming the option or price file.
BacktestResult run_backtest(const BacktestSettings& settings, const Market& universe,
                            const Portfolio& portfolio, const std::string& prices_dir);

}  // namespace chipshock
