// `chipshock backtest`: forecast the 1-day VaR of a book each day over a period of real
// history and test the forecasts against the realised losses.
#pragma once

#include <string>

#include "host/backtest/var_backtest.hpp"

namespace chipshock {

struct BacktestOptions {
  std::string prices;     // "" = the shipped history
  std::string portfolio;
  std::string market;     // optional: currency, rate and the ticker universe
  std::string from, to;
  int window = 250;
  std::string confidence = "0.99";
  std::string paths = "20k";
  std::string seed = "0";
  std::string vol = "sample";
  std::string dof = "none";  // none (Gaussian) or auto (Student-t dof fitted each day)
  double rate = 0.04;
  int threads = 0;
  std::string out_dir;
  bool quiet = false;
  bool json = false;
};

// The backtest's result and backtest.json's text, with the report set written to out_dir when
// one is given; prints nothing but the set's notice (not with quiet). Throws InputError.
struct BacktestOutcome {
  BacktestResult result;
  std::string json;
};
BacktestOutcome backtest_job(const BacktestOptions& options);

int backtest_command(const BacktestOptions& options);

}  // namespace chipshock
