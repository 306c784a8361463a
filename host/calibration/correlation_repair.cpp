#include "host/calibration/correlation_repair.hpp"

#include <Eigen/Eigenvalues>

#include "host/calibration/estimators.hpp"
#include "host/input_error.hpp"

namespace chipshock {

void repair_market_correlation(Market& m, const std::string& method) {
  if (method != "higham")
    throw InputError("", 0, "--repair-correlation",
                     "'" + method + "': the only repair is higham (nearest correlation matrix)");
  if (!m.cholesky.empty()) return;  // positive definite as given
  const auto n = static_cast<Eigen::Index>(m.size());
  Eigen::MatrixXd given(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j)
      given(i, j) = m.correlation[static_cast<std::size_t>(i * n + j)];
  const NearestCorrelation fixed = nearest_correlation(given);
  Market::Repair repair;
  repair.method = method;
  repair.distance = fixed.distance;
  repair.iterations = fixed.iterations;
  repair.min_eigenvalue_given = min_eigenvalue(given);
  repair.min_eigenvalue = min_eigenvalue(fixed.correlation);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j)
      m.correlation[static_cast<std::size_t>(i * n + j)] = fixed.correlation(i, j);
  m.cholesky = correlation_cholesky(m);  // InputError if even the repair is not usable
  m.repair = repair;
}

}  // namespace chipshock
