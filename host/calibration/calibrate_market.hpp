// Calibration of the market model from daily closes: picks the window, runs the estimators of
// estimators.hpp and collects what market_writer.hpp writes into market.toml.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "host/calibration/estimators.hpp"
#include "host/history/price_history.hpp"

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
};

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

  DofFit dof_fit;                  // DofMethod::kAuto
  double dof = 0.0;                // what is written; 0 = Gaussian (no dof key)
  std::vector<std::string> notes;  // the price history's notes, then the calibration's
};

// Throws InputError naming the option (--as-of, --window, ...) or the price file at fault.
// Throws InputError naming the option (--window, --as-of, ...) for settings out of range:
// checked before any price file is looked at, so the message is the range, not a symptom.
void validate_calibration_settings(const CalibrationSettings& s);

MarketCalibration calibrate_market(const PriceHistory& history, const CalibrationSettings& s);

}  // namespace chipshock
