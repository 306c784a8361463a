// `chipshock calibrate`: estimate a market file from daily closes.
#pragma once

#include <string>

#include "host/calibration/calibrate_market.hpp"

namespace chipshock {

struct CalibrateOptions {
  std::string prices;          // folder of <TICKER>.csv files
  std::string tickers;         // "A,B,C"; "" = every CSV in the folder
  std::string as_of;           // "" = the last common date
  int window = 500;            // daily returns
  std::string vol = "sample";  // sample | ewma
  double lambda = 0.94;
  bool lambda_given = false;
  std::string correlation = "sample";  // sample | ledoit-wolf | higham
  std::string dof = "auto";            // auto | none | a number
  std::string implied_vol = "proxy";   // proxy | none: the default implied-vol surfaces
  double rate = 0.04;
  std::string currency = "USD";
  // The factor proxies' folder (SPY.csv, SMH.csv): "" = --prices when it holds them, else the
  // shipped price history; "none" = no loadings.
  std::string factor_prices;
  std::string sectors;  // a ticker,sector CSV over the shipped table ("" = the table alone)
  // An existing market file whose correlation to repair (with repair_correlation), instead of
  // calibrating from prices.
  std::string market;
  std::string repair_correlation;  // "higham" with market
  // --stressed: estimate over the window of stressed_window returns where the book `portfolio`
  // had its largest 1-day historical 97.5% ES (host/history/stressed_period.hpp); spots today's.
  bool stressed = false;
  std::string portfolio;
  int stressed_window = 250;
  std::string out;     // file, or "-" for stdout
  bool force = false;  // replace an existing --out
  bool quiet = false;
  bool text_only = false;  // write nothing, check nothing of --out: the text is returned
};

// The calibration and the market file's text, written to --out (a file, or "-": stdout) unless
// text_only. Prints nothing else. Throws InputError.
struct CalibrateOutcome {
  MarketCalibration calibration;
  std::string text;
};
CalibrateOutcome calibrate_job(const CalibrateOptions& options);

// Runs and returns the exit code; throws InputError for the caller to map to exit code 2.
int calibrate_command(const CalibrateOptions& options);

}  // namespace chipshock
