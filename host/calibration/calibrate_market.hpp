// Calibration of the market model from daily closes: picks the window, runs the estimators of
// estimators.hpp and collects what market_writer.hpp writes into market.toml.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host/calibration/estimators.hpp"
#include "host/history/price_history.hpp"
#include "host/history/stressed_period.hpp"

namespace chipshock {

enum class VolMethod { kSample, kEwma };
enum class CorrelationMethod { kSample, kLedoitWolf, kHigham };
enum class DofMethod { kAuto, kNone, kFixed };

constexpr int kMinWindow = 30;  // returns; below this no estimate here means much
constexpr int kMaxWindow = 100000;

struct CalibrationSettings {
  std::string as_of;  // "YYYY-MM-DD", the last return's date; "" = the last common date
  int window = 500;   // daily log-returns
  VolMethod vol = VolMethod::kSample;
  double lambda = 0.94;  // EWMA decay (RiskMetrics daily value)
  CorrelationMethod correlation = CorrelationMethod::kSample;
  DofMethod dof = DofMethod::kAuto;
  double dof_value = 0.0;  // DofMethod::kFixed
  double rate = 0.04;      // an assumption written into the file, not an estimate
  std::string currency = "USD";
  // Factor loadings: the folder holding the proxies' closes (kFactorProxies: SPY.csv, SMH.csv);
  // "" = no loadings.
  std::string factor_prices;
  // Sectors: ticker -> sector (the shipped table, then --sectors); a ticker absent from it gets
  // none. sector_files: the tables read, for the file's header.
  std::map<std::string, std::string> sectors;
  std::vector<std::string> sector_files;
  std::string sectors_option;  // --sectors FILE as given ("" = the shipped table alone)
  // --implied-vol proxy (true, the default): write a default implied-vol surface per ticker
  // (atm = the written vol, flat in strike and maturity) with the dynamics estimate_vol_dynamics
  // gives from a realised-vol proxy; none (false): no surface.
  bool implied_vol = true;
};

// The factors a calibrated market carries loadings on, and their proxies' returns: `market` is
// SPY's daily log-return, `ai_capex` SMH's minus SPY's (semiconductors in excess of the
// market), the factors the built-in scenarios and `reverse --factor` shock.
constexpr const char* kFactorNames[2] = {"market", "ai_capex"};
constexpr const char* kMarketProxy = "SPY";
constexpr const char* kSemisProxy = "SMH";

// A ticker -> sector table: CSV with the header `ticker,sector`, '#' comments, one row per
// ticker (valid tickers, sectors valid identifiers, no ticker twice). Throws InputError naming
// the file, line and field.
std::map<std::string, std::string> load_sector_table(const std::string& file);

const char* vol_method_name(VolMethod m);                  // "sample", "ewma"
const char* correlation_method_name(CorrelationMethod m);  // "sample", "ledoit-wolf", "higham"

struct MarketCalibration {
  CalibrationSettings settings;
  std::string prices_dir;
  std::vector<std::string> tickers;
  std::string as_of;      // the last return's date (spots are its closes)
  std::string base_date;  // the close the first return starts from
  std::string first_return_date;
  int returns = 0;
  std::uint64_t fingerprint = 0;  // FNV-1a 64 of the dates and closes used

  std::vector<double> spots;
  std::vector<double> vols;         // annualised, by settings.vol: what is written
  std::vector<double> sample_vols;  // annualised
  std::vector<double> ewma_vols;    // annualised, with settings.lambda
  Eigen::MatrixXd sample_correlation;
  double sample_min_eigenvalue = 0.0;
  Eigen::MatrixXd correlation;  // what is written (before rounding)
  double min_eigenvalue = 0.0;
  Shrinkage shrinkage;         // CorrelationMethod::kLedoitWolf
  NearestCorrelation nearest;  // CorrelationMethod::kHigham

  // Factor loadings (kFactorNames order) per ticker, OLS of its daily log-return on an
  // intercept and the proxies' returns over the window: empty when no proxies were found.
  std::vector<std::vector<double>> loadings;
  std::vector<double> loading_r2;  // per ticker: the regression's R^2
  int loading_returns = 0;         // returns the regression used (dates the proxies share)
  std::string factor_prices_dir;   // where the proxies came from
  std::vector<std::string> sectors;  // per ticker; "" = not in the sector table

  // the implied vol's dynamics (settings.implied_vol): changes == 0 when the window is too short
  VolDynamics vol_dynamics;
  std::string vol_dynamics_from;         // the first return date of its common blocks (correlation)
  std::vector<int> vol_dynamics_blocks;  // per ticker: the blocks of its own history
  DofFit dof_fit;                  // DofMethod::kAuto
  double dof = 0.0;                // what is written; 0 = Gaussian (no dof key)
  std::vector<std::string> notes;  // the price history's notes, then the calibration's

  // calibrate --stressed: the estimates above are over the book's stressed window (as_of is its
  // last return); the file's spots and as_of are today's.
  struct Stressed {
    bool on = false;
    StressedPeriod period;
    double confidence = 0.975;
    std::string portfolio_name, portfolio_file;
    std::string spots_as_of;
    std::vector<double> spots;  // per ticker, closes on spots_as_of
    std::string command;        // the calibrate options that reproduce the file
  } stressed;
};

// Throws InputError naming the option (--as-of, --window, ...) or the price file at fault.
// Throws InputError naming the option (--window, --as-of, ...) for settings out of range:
// checked before any price file is looked at, so the message is the range, not a symptom.
void validate_calibration_settings(const CalibrationSettings& s);

MarketCalibration calibrate_market(const PriceHistory& history, const CalibrationSettings& s);

}  // namespace chipshock
