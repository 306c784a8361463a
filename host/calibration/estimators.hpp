// Estimators for calibrating the market model from daily log-returns: volatilities (sample,
// EWMA), correlation (sample, Ledoit-Wolf shrinkage, Higham nearest correlation) and the
// Student-t degrees of freedom. Returns are a T x n matrix: one row per day, one column per
// asset. Volatilities here are daily; annualise with sqrt(252).
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <vector>

#include "host/history/price_history.hpp"

namespace chipshock {

// Smallest eigenvalue a calibrated correlation matrix may have: keeps the matrix positive
// definite after it is written with finitely many decimals and factorised in single precision.
constexpr double kMinCorrelationEigenvalue = 1e-6;

// ln(close[d] / close[d-1]) for d = first_date + 1 .. last_date: (last - first) rows.
Eigen::MatrixXd log_returns(const PriceHistory& h, std::size_t first_date, std::size_t last_date);

// Per-column sample standard deviation around the column mean, divided by T - 1.
Eigen::VectorXd sample_stdev(const Eigen::MatrixXd& r);

// RiskMetrics (1996) exponentially weighted volatility, zero mean: the variance is
// sum_k w_k r_{T-k}^2 with w_k = (1 - lambda) lambda^k / (1 - lambda^T), k = 0 the last row,
// so the weights of the finite window sum to one. It is the forecast for the day after the
// last return.
Eigen::VectorXd ewma_stdev(const Eigen::MatrixXd& r, double lambda);

// Pearson correlation of the columns (means removed).
Eigen::MatrixXd sample_correlation(const Eigen::MatrixXd& r);

double min_eigenvalue(const Eigen::MatrixXd& symmetric);

struct Shrinkage {
  Eigen::MatrixXd correlation;    // intensity * target + (1 - intensity) * sample
  double intensity = 0.0;         // the estimated optimal intensity, in [0, 1]
  double mean_correlation = 0.0;  // r-bar: the target's off-diagonal
  bool raised = false;  // intensity raised above the estimate to reach the eigenvalue floor
};

// Ledoit and Wolf (2004), "Honey, I shrunk the sample covariance matrix", J. Portfolio
// Management 30(4): the sample covariance shrunk toward the constant-correlation target
// (sample variances, every correlation equal to the average sample correlation r-bar), with
// the intensity estimated as in the paper (kappa / T, clipped to [0, 1]). Both matrices share
// the diagonal, so the shrunk correlation is intensity * r-bar + (1 - intensity) * r_ij. When
// the estimate leaves the smallest eigenvalue below min_eigenvalue (a singular sample, T <= n)
// the intensity is raised to the smallest value that reaches it.
Shrinkage ledoit_wolf_constant_correlation(const Eigen::MatrixXd& r,
                                           double min_eigenvalue = kMinCorrelationEigenvalue);

struct NearestCorrelation {
  Eigen::MatrixXd correlation;
  int iterations = 0;
  double distance = 0.0;  // Frobenius norm of (result - input)
  bool converged = false;
};

// Higham (2002), "Computing the nearest correlation matrix -- a problem from finance", IMA J.
// Numer. Anal. 22(3): alternating projections with Dykstra's correction between the matrices
// whose eigenvalues are >= min_eigenvalue and those with a unit diagonal, in the Frobenius
// norm. The result is rescaled to an exact unit diagonal, so it is a correlation matrix with
// every eigenvalue > 0. A matrix that is already one is returned unchanged.
NearestCorrelation nearest_correlation(const Eigen::MatrixXd& a,
                                       double min_eigenvalue = kMinCorrelationEigenvalue,
                                       double tolerance = 1e-12, int max_iterations = 100000);

// Each column minus its mean, divided by its sample stdev, all columns stacked into one vector.
Eigen::VectorXd pooled_standardised(const Eigen::MatrixXd& r);

// Log-likelihood of z under the unit-variance Student-t with nu > 2 degrees of freedom (the law
// of sqrt((nu - 2) / nu) T_nu, as the engine draws it):
//   f(x) = Gamma((nu+1)/2) / (Gamma(nu/2) sqrt(pi (nu-2))) (1 + x^2/(nu-2))^(-(nu+1)/2).
double unit_t_loglik(const Eigen::VectorXd& z, double nu);

constexpr double kMinFittedDof = 2.05;
constexpr double kMaxFittedDof = 500.0;

struct DofFit {
  double dof = 0.0;  // the maximiser over [kMinFittedDof, kMaxFittedDof]
  double loglik = 0.0;
  double lo = 0.0, hi = 0.0;    // likelihood-ratio 95% interval (treats the values as independent)
  bool at_upper_bound = false;  // no finite maximum: the data look Gaussian
  bool at_lower_bound = false;
  std::size_t n = 0;
};

// The implied vol's dynamics (host/config/market.hpp's spot_beta and vol_of_vol, the market's
// implied_vol_correlation) from a realised-vol proxy, for a market without implied-vol history.
// The model: per day, d ln vol = beta x the day's log-return + nu sqrt(1/252) x a shock. The
// returns are cut into non-overlapping blocks of `block` returns (the last ones), each block's
// realised vol v_b = sqrt(mean r^2) stands for its mean vol, and the change
// d_b = ln v_b - ln v_(b-1) is regressed on the block's log-return R_b (with an intercept).
// Under the model a block's mean log vol sees the k-th return of its own block on the
// block - k days after it, so
//   spot_beta = the slope x block / sum_k (block - k) / block (about 2 x the slope);
//   vol_of_vol^2 = (residual variance - sampling noise - the beta terms left in the residual)
//     / sum_k ((k / block)^2 + ((block - k) / block)^2) x 252,
//   with the sampling noise of d_b 2 x psi'(block / 2) / 4 x (kappa - 1) / 2 (exact for normal
//   returns, whose ln v is the log of a chi), kappa the returns' kurtosis within blocks (each
//   standardised by its block's realised vol, times (block + 2) / block; the window's own
//   kurtosis would count the vol's moves as noise): a vol-of-vol that the noise explains gets 0
//   and `floored`;
//   correlation = the mean over pairs of the shocks' correlation after the same corrections
//   (the sampling noise's covariance rho_ij^2 times the noise, rho_ij the returns'
//   correlation), clamped to [0, 1].
// spot_beta is then shrunk toward the columns' pooled value (VolDynamics). A proxy, and a noisy
// one: realised vol is not implied vol, and it mean-reverts where the
// model's log vol is a random walk (a pull to the mean of 1% a day biases both estimates down
// by 10-20%: tests/test_calibration.cpp). Needs at least kMinVolBlocks blocks.
constexpr int kVolBlock = 21;
constexpr int kMinVolBlocks = 11;
struct VolDynamics {
  int block = kVolBlock;
  int changes = 0;  // block-to-block changes regressed; 0: too few blocks, nothing estimated
  // per column: spot_beta shrunk toward the columns' pooled value (below), the column's own
  // estimate, its OLS standard error (scaled alike), and the vol-of-vol
  std::vector<double> spot_beta, spot_beta_own, spot_beta_se, vol_of_vol;
  // Empirical-Bayes shrinkage of the noisy per-column betas (a standard error near 1 from six
  // years of closes): pooled = their precision-weighted mean, spread^2 = max(0, their sample
  // variance - the mean squared standard error), and each column's
  // spot_beta = pooled + spread^2 / (spread^2 + se^2) (own - pooled). One column: its own.
  double spot_beta_pooled = 0.0, spot_beta_spread = 0.0;
  std::vector<bool> floored;  // the noise correction left no vol-of-vol
  // false: a block of the column does not move (a halt, stale closes), so its realised vol has
  // no log: nothing estimated (beta 0, no vol-of-vol, left out of the shrinkage)
  std::vector<bool> estimated;
  double correlation = 0.0;
  int pairs = 0;  // pairs the correlation averages (both with a vol-of-vol)
};
VolDynamics estimate_vol_dynamics(const Eigen::MatrixXd& r, int block = kVolBlock);
// Sets spot_beta (and the pooled value and spread) from spot_beta_own and spot_beta_se, as
// VolDynamics describes; estimate_vol_dynamics calls it.
void shrink_spot_betas(VolDynamics& v);

// Maximum likelihood over nu of unit_t_loglik(z, nu): a grid over log(nu - 2) brackets the
// maximum, then golden-section search refines it to 1e-6 in log(nu - 2).
DofFit fit_unit_t_dof(const Eigen::VectorXd& z);

}  // namespace chipshock
