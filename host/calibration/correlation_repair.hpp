// `chipshock run --repair-correlation higham`: a market whose correlation matrix is not positive
// definite (a user's hand-edited or mixed-window matrix) replaced by the nearest correlation
// matrix (Higham 2002, eigenvalues >= kMinCorrelationEigenvalue), the repair recorded in
// Market::repair for the reports.
#pragma once

#include <string>

#include "host/config/market.hpp"

namespace chipshock {

// Repairs m's correlation with `method` ("higham"; anything else: InputError naming
// --repair-correlation) when it is not positive definite, and sets m.cholesky. A positive
// definite matrix is left as it is (m.repair.method stays ""). Throws InputError when the
// iteration cannot produce a usable matrix.
void repair_market_correlation(Market& m, const std::string& method);

}  // namespace chipshock
