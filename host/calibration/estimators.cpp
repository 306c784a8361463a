#include "host/calibration/estimators.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace chipshock {

namespace {

constexpr double kPi = 3.14159265358979323846;

// (a + a^T) / 2 with a unit diagonal, into a new matrix: `a = a + a.transpose()` would alias.
Eigen::MatrixXd unit_symmetric(const Eigen::MatrixXd& a) {
  Eigen::MatrixXd s = 0.5 * (a + a.transpose());
  s.diagonal().setOnes();
  return s;
}

}  // namespace

Eigen::MatrixXd log_returns(const PriceHistory& h, std::size_t first_date, std::size_t last_date) {
  if (last_date <= first_date || last_date >= h.dates.size())
    throw std::invalid_argument("log_returns: bad date range");
  const std::size_t n = h.tickers.size();
  Eigen::MatrixXd r(static_cast<Eigen::Index>(last_date - first_date),
                    static_cast<Eigen::Index>(n));
  for (std::size_t d = first_date + 1; d <= last_date; ++d)
    for (std::size_t k = 0; k < n; ++k)
      r(static_cast<Eigen::Index>(d - first_date - 1), static_cast<Eigen::Index>(k)) =
          std::log(h.close(d, k) / h.close(d - 1, k));
  return r;
}

Eigen::VectorXd sample_stdev(const Eigen::MatrixXd& r) {
  if (r.rows() < 2) throw std::invalid_argument("sample_stdev: fewer than 2 returns");
  const Eigen::MatrixXd x = r.rowwise() - r.colwise().mean();
  return (x.colwise().squaredNorm() / static_cast<double>(r.rows() - 1)).cwiseSqrt().transpose();
}

Eigen::VectorXd ewma_stdev(const Eigen::MatrixXd& r, double lambda) {
  if (!(lambda > 0 && lambda < 1)) throw std::invalid_argument("ewma_stdev: lambda not in (0, 1)");
  const Eigen::Index t = r.rows();
  Eigen::VectorXd var = Eigen::VectorXd::Zero(r.cols());
  double w = 1.0 - lambda, total = 0.0;
  for (Eigen::Index k = 0; k < t; ++k) {  // k = 0: the last row
    var += w * r.row(t - 1 - k).transpose().cwiseAbs2();
    total += w;
    w *= lambda;
  }
  return (var / total).cwiseSqrt();
}

Eigen::MatrixXd sample_correlation(const Eigen::MatrixXd& r) {
  const Eigen::MatrixXd x = r.rowwise() - r.colwise().mean();
  const Eigen::MatrixXd s = x.transpose() * x;
  const Eigen::VectorXd inv = s.diagonal().cwiseSqrt().cwiseInverse();
  return unit_symmetric(inv.asDiagonal() * s * inv.asDiagonal());
}

double min_eigenvalue(const Eigen::MatrixXd& a) {
  if (a.rows() == 0) return std::numeric_limits<double>::infinity();
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(a, Eigen::EigenvaluesOnly)
      .eigenvalues()
      .minCoeff();
}

Shrinkage ledoit_wolf_constant_correlation(const Eigen::MatrixXd& r, double floor) {
  // Follows the authors' covCor.m line by line (sample covariance divided by T).
  const Eigen::Index t = r.rows(), n = r.cols();
  const double td = static_cast<double>(t), nd = static_cast<double>(n);
  Shrinkage out;
  const Eigen::MatrixXd corr = sample_correlation(r);
  if (n < 2) {
    out.correlation = corr;
    return out;
  }
  const Eigen::MatrixXd x = r.rowwise() - r.colwise().mean();
  const Eigen::MatrixXd sample = x.transpose() * x / td;
  const Eigen::VectorXd var = sample.diagonal();
  const Eigen::VectorXd sd = var.cwiseSqrt();
  const double rbar = (corr.sum() - nd) / (nd * (nd - 1));
  Eigen::MatrixXd prior = rbar * sd * sd.transpose();
  prior.diagonal() = var;
  // pi-hat: sum of the asymptotic variances of the entries of sqrt(T) * sample.
  const Eigen::MatrixXd y = x.cwiseAbs2();
  const Eigen::MatrixXd phi_mat = y.transpose() * y / td -
                                  2.0 * (x.transpose() * x).cwiseProduct(sample) / td +
                                  sample.cwiseAbs2();
  const double phi = phi_mat.sum();
  // rho-hat: the asymptotic covariances of the target with the sample.
  const Eigen::MatrixXd term1 = x.cwiseAbs2().cwiseProduct(x).transpose() * x / td;
  const Eigen::MatrixXd help = x.transpose() * x / td;
  const Eigen::MatrixXd term2 = help.diagonal().asDiagonal() * sample;
  const Eigen::MatrixXd term3 = var.asDiagonal() * help;
  const Eigen::MatrixXd term4 = var.asDiagonal() * sample;
  Eigen::MatrixXd theta = term1 - term2 - term3 + term4;
  theta.diagonal().setZero();
  const Eigen::MatrixXd ratio = sd.cwiseInverse() * sd.transpose();  // (i, j) = sd_j / sd_i
  const double rho = phi_mat.diagonal().sum() + rbar * ratio.cwiseProduct(theta).sum();
  // gamma-hat: the misspecification of the target.
  const double gamma = (sample - prior).squaredNorm();
  const double kappa = (phi - rho) / gamma;
  double intensity = std::isfinite(kappa) && gamma > 0 ? std::clamp(kappa / td, 0.0, 1.0) : 0.0;

  Eigen::MatrixXd target = Eigen::MatrixXd::Constant(n, n, rbar);
  target.diagonal().setOnes();
  const auto shrunk = [&](double a) { return Eigen::MatrixXd(a * target + (1 - a) * corr); };
  out.intensity = intensity;
  out.mean_correlation = rbar;
  if (min_eigenvalue(shrunk(intensity)) < floor) {
    // The smallest eigenvalue is concave in the intensity: bisect for the floor.
    if (min_eigenvalue(target) < floor)
      throw std::runtime_error("Ledoit-Wolf: the constant-correlation target is singular");
    double lo = intensity, hi = 1.0;
    for (int i = 0; i < 60; ++i) {
      const double mid = 0.5 * (lo + hi);
      (min_eigenvalue(shrunk(mid)) < floor ? lo : hi) = mid;
    }
    intensity = hi;
    out.raised = true;
  }
  out.correlation = unit_symmetric(shrunk(intensity));
  out.intensity = intensity;
  return out;
}

NearestCorrelation nearest_correlation(const Eigen::MatrixXd& a, double floor, double tolerance,
                                       int max_iterations) {
  const Eigen::Index n = a.rows();
  NearestCorrelation out;
  const Eigen::MatrixXd sym = 0.5 * (a + a.transpose());
  Eigen::MatrixXd y = sym;
  y.diagonal().setOnes();
  if (min_eigenvalue(y) >= floor && (y - sym).norm() == 0.0) {
    out.correlation = y;
    out.converged = true;
    return out;
  }
  Eigen::MatrixXd ds = Eigen::MatrixXd::Zero(n, n), x = y;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
  for (int k = 1; k <= max_iterations; ++k) {
    const Eigen::MatrixXd rk = y - ds;  // Dykstra's correction for the non-affine set
    eig.compute(rk);
    const Eigen::VectorXd lambda = eig.eigenvalues().cwiseMax(floor);
    x = eig.eigenvectors() * lambda.asDiagonal() * eig.eigenvectors().transpose();
    ds = x - rk;
    Eigen::MatrixXd next = x;
    next.diagonal().setOnes();
    const double change = (next - y).norm() / std::max(1.0, next.norm());
    y = next;
    out.iterations = k;
    if (change < tolerance) {
      out.converged = true;
      break;
    }
  }
  // Last spectral projection, then an exact unit diagonal by congruence (keeps it definite).
  eig.compute(0.5 * (y + y.transpose()));
  x = eig.eigenvectors() * eig.eigenvalues().cwiseMax(floor).asDiagonal() *
      eig.eigenvectors().transpose();
  const Eigen::VectorXd s = x.diagonal().cwiseSqrt().cwiseInverse();
  out.correlation = unit_symmetric(s.asDiagonal() * x * s.asDiagonal());
  out.distance = (out.correlation - sym).norm();
  return out;
}

Eigen::VectorXd pooled_standardised(const Eigen::MatrixXd& r) {
  const Eigen::VectorXd sd = sample_stdev(r);
  const Eigen::MatrixXd z = (r.rowwise() - r.colwise().mean()) * sd.cwiseInverse().asDiagonal();
  return Eigen::Map<const Eigen::VectorXd>(z.data(), z.size());
}

double unit_t_loglik(const Eigen::VectorXd& z, double nu) {
  const double c =
      std::lgamma(0.5 * (nu + 1)) - std::lgamma(0.5 * nu) - 0.5 * std::log(kPi * (nu - 2));
  double s = 0.0;
  for (Eigen::Index i = 0; i < z.size(); ++i) s += std::log1p(z[i] * z[i] / (nu - 2));
  return static_cast<double>(z.size()) * c - 0.5 * (nu + 1) * s;
}

DofFit fit_unit_t_dof(const Eigen::VectorXd& z) {
  // Search in u = log(nu - 2): the likelihood is smooth and unimodal in practice there, and
  // the grid is fine near nu = 2 where it bends fastest.
  const double u_lo = std::log(kMinFittedDof - 2), u_hi = std::log(kMaxFittedDof - 2);
  const auto ll = [&z](double u) { return unit_t_loglik(z, 2 + std::exp(u)); };
  constexpr int kGrid = 200;
  int best = 0;
  double best_ll = -std::numeric_limits<double>::infinity();
  for (int i = 0; i <= kGrid; ++i) {
    const double v = ll(u_lo + (u_hi - u_lo) * i / kGrid);
    if (v > best_ll) best_ll = v, best = i;
  }
  const double step = (u_hi - u_lo) / kGrid;
  double a = std::max(u_lo, u_lo + (best - 1) * step), b = std::min(u_hi, u_lo + (best + 1) * step);
  const double g = 0.5 * (std::sqrt(5.0) - 1);
  double c = b - g * (b - a), d = a + g * (b - a), fc = ll(c), fd = ll(d);
  while (b - a > 1e-7) {
    if (fc > fd) {
      b = d, d = c, fd = fc;
      c = b - g * (b - a), fc = ll(c);
    } else {
      a = c, c = d, fc = fd;
      d = a + g * (b - a), fd = ll(d);
    }
  }
  double u = 0.5 * (a + b), f = ll(u);
  for (const double edge : {u_lo, u_hi})  // a maximum on the boundary
    if (ll(edge) > f) u = edge, f = ll(edge);
  DofFit fit;
  fit.n = static_cast<std::size_t>(z.size());
  fit.dof = 2 + std::exp(u);
  fit.loglik = f;
  fit.at_lower_bound = u - u_lo < 1e-6;
  fit.at_upper_bound = u_hi - u < 1e-6;
  // Likelihood-ratio interval: ll >= max - chi2_1(0.95) / 2, found by bisection on each side.
  const double cut = f - 0.5 * 3.841458820694124;
  const auto bound = [&](double inside, double outside) {
    if (ll(outside) >= cut) return outside;
    for (int i = 0; i < 60; ++i) {
      const double mid = 0.5 * (inside + outside);
      (ll(mid) >= cut ? inside : outside) = mid;
    }
    return 0.5 * (inside + outside);
  };
  fit.lo = 2 + std::exp(bound(u, u_lo));
  fit.hi = 2 + std::exp(bound(u, u_hi));
  return fit;
}

namespace {

// The trigamma function psi'(x), x > 0: the recurrence up to x >= 8, then its asymptotic series
// (error below 1e-12 there).
double trigamma(double x) {
  double acc = 0;
  for (; x < 8; x += 1) acc += 1 / (x * x);
  const double x2 = 1 / (x * x);
  return acc + 1 / x + x2 / 2 + x2 / x * (1.0 / 6 - x2 * (1.0 / 30 - x2 * (1.0 / 42 - x2 / 30)));
}

}  // namespace

VolDynamics estimate_vol_dynamics(const Eigen::MatrixXd& r, int block) {
  VolDynamics out;
  out.block = block;
  const Eigen::Index t = r.rows(), n = r.cols(), bl = block;
  const Eigen::Index blocks = t / bl;
  if (blocks < kMinVolBlocks) return out;
  const Eigen::Index start = t - blocks * bl;
  const Eigen::Index m = blocks - 1;  // changes
  out.changes = static_cast<int>(m);
  const double nb = static_cast<double>(bl);
  // The weights of a return in the change of the blocks' mean log vol: the k-th return of block
  // b (k = 1 .. bl) moves the vol of the bl - k days after it in block b, and every day of block
  // b after being the k-th of block b - 1 (net k / bl).
  double w_now = 0, w_now2 = 0, w_prev2 = 0;
  for (Eigen::Index k = 1; k <= bl; ++k) {
    const double now = static_cast<double>(bl - k) / nb, prev = static_cast<double>(k) / nb;
    w_now += now;
    w_now2 += now * now;
    w_prev2 += prev * prev;
  }
  const double w_rest = w_prev2 + w_now2 - w_now * w_now / nb;  // of a beta term, after the fit
  const double w_shock = w_prev2 + w_now2;                      // of the daily vol shocks
  Eigen::MatrixXd resid(m, n);
  Eigen::VectorXd noise(n), beta(n), x_ss(n);
  std::vector<bool> estimated(static_cast<std::size_t>(n), true);
  for (Eigen::Index j = 0; j < n; ++j) {
    Eigen::VectorXd lv(blocks), ret(blocks);
    double m4 = 0;  // the returns' fourth moment, each standardised by its block's realised vol
    for (Eigen::Index b = 0; b < blocks; ++b) {
      const auto seg = r.col(j).segment(start + b * bl, bl);
      const double v2 = seg.squaredNorm() / nb;
      // a block that does not move (a halt, stale closes) has no log vol: no estimate
      if (!(v2 > 0) || !std::isfinite(v2)) estimated[static_cast<std::size_t>(j)] = false;
      lv[b] = v2 > 0 ? 0.5 * std::log(v2) : 0.0;
      ret[b] = seg.sum();
      if (v2 > 0) m4 += (seg.array().square() / v2).square().sum();
    }
    if (!estimated[static_cast<std::size_t>(j)]) {
      resid.col(j).setZero();
      noise[j] = beta[j] = x_ss[j] = 0;
      continue;
    }
    const Eigen::VectorXd d = lv.tail(m) - lv.head(m);
    const Eigen::VectorXd x = ret.tail(m);
    const Eigen::VectorXd dc = d.array() - d.mean(), xc = x.array() - x.mean();
    x_ss[j] = xc.squaredNorm();
    const double slope = x_ss[j] > 0 ? dc.dot(xc) / x_ss[j] : 0.0;
    resid.col(j) = dc - slope * xc;
    beta[j] = slope * nb / w_now;
    // The kurtosis within blocks (not the window's, which the vol's own moves inflate): a
    // return standardised by its own block's mean square has E = 3 bl / (bl + 2) when normal.
    const double kurtosis = m4 / static_cast<double>(blocks * bl) * (nb + 2) / nb;
    // var(ln v) for bl normal returns is psi'(bl / 2) / 4 exactly (ln of a chi), about
    // (kappa - 1) / (4 bl) for others: the normal's, scaled by (kappa - 1) / 2
    noise[j] = 2.0 * trigamma(0.5 * nb) / 4.0 * (kurtosis - 1.0) / 2.0;
  }
  // the daily returns' covariance over the blocks
  const Eigen::MatrixXd used = r.bottomRows(blocks * bl);
  const Eigen::MatrixXd centred = used.rowwise() - used.colwise().mean();
  const Eigen::MatrixXd cov = centred.transpose() * centred / static_cast<double>(used.rows());
  // V: the covariance of the vol shocks' part of the changes, per year
  const Eigen::MatrixXd c_res = resid.transpose() * resid / static_cast<double>(m - 2);
  Eigen::MatrixXd v(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      const double rho2 =
          cov(i, i) > 0 && cov(j, j) > 0 ? cov(i, j) * cov(i, j) / (cov(i, i) * cov(j, j)) : 0.0;
      const double sampling = (i == j ? 1.0 : rho2) * std::sqrt(noise[i] * noise[j]);
      const double beta_part = beta[i] * beta[j] * cov(i, j) * w_rest;
      v(i, j) = (c_res(i, j) - sampling - beta_part) / w_shock * 252.0;
    }
  for (Eigen::Index j = 0; j < n; ++j) {
    const bool ok = estimated[static_cast<std::size_t>(j)];
    out.estimated.push_back(ok);
    out.spot_beta_own.push_back(ok ? beta[j] : 0.0);
    out.spot_beta_se.push_back(ok && x_ss[j] > 0 ? std::sqrt(c_res(j, j) / x_ss[j]) * nb / w_now
                                                 : 0.0);
    out.floored.push_back(!ok || !(v(j, j) > 0));
    out.vol_of_vol.push_back(ok && v(j, j) > 0 ? std::sqrt(v(j, j)) : 0.0);
  }
  double sum = 0;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i + 1; j < n; ++j) {
      if (out.floored[static_cast<std::size_t>(i)] || out.floored[static_cast<std::size_t>(j)])
        continue;
      sum += v(i, j) / std::sqrt(v(i, i) * v(j, j));
      ++out.pairs;
    }
  out.correlation = out.pairs > 0 ? std::clamp(sum / out.pairs, 0.0, 1.0) : 0.0;
  shrink_spot_betas(out);
  return out;
}

void shrink_spot_betas(VolDynamics& v) {
  v.spot_beta = v.spot_beta_own;
  v.spot_beta_spread = 0.0;
  // the columns with an estimate and a standard error (an exact fit has none to shrink by)
  std::vector<std::size_t> use;
  for (std::size_t j = 0; j < v.spot_beta_own.size(); ++j)
    if (v.estimated[j] && v.spot_beta_se[j] > 0 && std::isfinite(v.spot_beta_own[j]))
      use.push_back(j);
  const double n = static_cast<double>(use.size());
  v.spot_beta_pooled = use.empty() ? 0.0 : v.spot_beta_own[use[0]];
  if (use.size() < 2) return;
  double weights = 0, pooled = 0, se2 = 0, mean = 0;
  for (const std::size_t j : use) {
    const double s = v.spot_beta_se[j];
    weights += 1 / (s * s);
    pooled += v.spot_beta_own[j] / (s * s);
    se2 += s * s / n;
    mean += v.spot_beta_own[j] / n;
  }
  v.spot_beta_pooled = pooled / weights;
  double spread = 0;
  for (const std::size_t j : use)
    spread += (v.spot_beta_own[j] - mean) * (v.spot_beta_own[j] - mean);
  const double spread2 = std::max(0.0, spread / (n - 1) - se2);
  v.spot_beta_spread = std::sqrt(spread2);
  for (const std::size_t j : use) {
    const double s = v.spot_beta_se[j];
    v.spot_beta[j] = v.spot_beta_pooled +
                     spread2 / (spread2 + s * s) * (v.spot_beta_own[j] - v.spot_beta_pooled);
  }
}

}  // namespace chipshock
