// Writes a calibration as a market.toml that load_market accepts, with a header recording the
// inputs and the estimators. The text depends only on the inputs: no clock, no host name.
#pragma once

#include <string>
#include <vector>

#include "host/config/market.hpp"

#include "host/calibration/calibrate_market.hpp"

namespace chipshock {

// The `chipshock calibrate` options that reproduce c (every estimation input, tickers listed).
std::string calibrate_command_line(const MarketCalibration& c);

// Quotes an argument for a POSIX shell when it needs it.
std::string shell_word(const std::string& s);

// Decimals used for the correlations: the fewest (at least 4) that keep the written matrix's
// smallest eigenvalue at least half the unrounded one's.
int correlation_decimals(const Eigen::MatrixXd& correlation);

// The market file's text.
std::string market_toml(const MarketCalibration& c, const std::string& chipshock_version);

// The [correlation] table: tickers and the matrix (symmetrised, unit diagonal) rounded to
// correlation_decimals, one row a line with its ticker.
std::string correlation_toml(const std::vector<std::string>& tickers,
                             const Eigen::MatrixXd& correlation);

// `chipshock calibrate --market FILE --repair-correlation higham`: the text of the user's market
// file with its [correlation] table replaced by m's (repaired, over every asset; m.repair says how
// far it moved), a comment naming `command` and the repair, and the old table kept as comments;
// every other line as it was. Throws InputError naming the file when the correlation is not
// written as a [correlation] table.
std::string repaired_market_toml(const std::string& text, const Market& m,
                                 const std::string& command);

// Writes text to a temporary file beside path, checks that load_market accepts it, then
// renames it onto path (nothing half-written). Throws std::runtime_error on failure.
void write_market_file(const std::string& path, const std::string& text);

}  // namespace chipshock
