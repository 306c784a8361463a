// Writes a calibration as a market.toml that load_market accepts, with a header recording the
// inputs and the estimators. The text depends only on the inputs: no clock, no host name.
#pragma once

#include <string>

#include "host/calibration/calibrate_market.hpp"

namespace chipshock {

// The `chipshock calibrate` options that reproduce c (every estimation input, tickers listed).
std::string calibrate_command_line(const MarketCalibration& c);

// Decimals used for the correlations: the fewest (at least 4) that keep the written matrix's
// smallest eigenvalue at least half the unrounded one's.
int correlation_decimals(const Eigen::MatrixXd& correlation);

// The market file's text.
std::string market_toml(const MarketCalibration& c, const std::string& chipshock_version);

// Writes text to a temporary file beside path, checks that load_market accepts it, then
// renames it onto path (nothing half-written). Throws std::runtime_error on failure.
void write_market_file(const std::string& path, const std::string& text);

}  // namespace chipshock
