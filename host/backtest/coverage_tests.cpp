#include "host/backtest/coverage_tests.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace chipshock {

namespace {

// a * ln(b), with 0 * ln(0) = 0 (the limit, as the likelihoods need).
double xlogy(double a, double b) { return a == 0 ? 0.0 : a * std::log(b); }

// Log-likelihood of k successes in n Bernoulli(p) trials (without the binomial coefficient).
double bernoulli_loglik(double k, double n, double p) { return xlogy(k, p) + xlogy(n - k, 1 - p); }

}  // namespace

double chi2_1_survival(double x) { return x <= 0 ? 1.0 : std::erfc(std::sqrt(0.5 * x)); }

double chi2_2_survival(double x) { return x <= 0 ? 1.0 : std::exp(-0.5 * x); }

double binomial_cdf(std::uint64_t k, std::uint64_t n, double p) {
  if (k >= n) return 1.0;
  double total = 0.0;
  const double ln_p = std::log(p), ln_q = std::log1p(-p);
  const double nn = static_cast<double>(n);
  for (std::uint64_t i = 0; i <= k; ++i) {
    const double ii = static_cast<double>(i);
    const double log_term = std::lgamma(nn + 1) - std::lgamma(ii + 1) - std::lgamma(nn - ii + 1) +
                            ii * ln_p + (nn - ii) * ln_q;
    total += std::exp(log_term);
  }
  return std::min(total, 1.0);
}

CoverageTests coverage_tests(const std::vector<bool>& exceeded, double confidence) {
  if (!(confidence > 0 && confidence < 1)) throw std::invalid_argument("confidence in (0, 1)");
  CoverageTests t;
  t.confidence = confidence;
  t.days = exceeded.size();
  const double p = 1 - confidence;
  for (bool e : exceeded) t.exceedances += e;
  t.expected = static_cast<double>(t.days) * p;
  if (t.days == 0) return t;
  const double n = static_cast<double>(t.days), x = static_cast<double>(t.exceedances);
  // Kupiec: restricted (p) against unrestricted (x / n) Bernoulli likelihood.
  t.lr_pof = std::max(0.0, -2 * (bernoulli_loglik(x, n, p) - bernoulli_loglik(x, n, x / n)));
  t.p_pof = chi2_1_survival(t.lr_pof);
  // Christoffersen: Markov chain of exceedances against independence.
  for (std::size_t i = 1; i < exceeded.size(); ++i) {
    const bool a = exceeded[i - 1], b = exceeded[i];
    (a ? (b ? t.n11 : t.n10) : (b ? t.n01 : t.n00)) += 1;
  }
  const double n00 = static_cast<double>(t.n00), n01 = static_cast<double>(t.n01);
  const double n10 = static_cast<double>(t.n10), n11 = static_cast<double>(t.n11);
  const double pi0 = n00 + n01 > 0 ? n01 / (n00 + n01) : 0.0;
  const double pi1 = n10 + n11 > 0 ? n11 / (n10 + n11) : 0.0;
  const double pi = (n01 + n11) / (n00 + n01 + n10 + n11);
  const double l_indep = bernoulli_loglik(n01 + n11, n00 + n01 + n10 + n11, pi);
  const double l_markov = bernoulli_loglik(n01, n00 + n01, pi0) + bernoulli_loglik(n11, n10 + n11, pi1);
  t.lr_ind = std::max(0.0, -2 * (l_indep - l_markov));
  t.p_ind = chi2_1_survival(t.lr_ind);
  t.lr_cc = t.lr_pof + t.lr_ind;
  t.p_cc = chi2_2_survival(t.lr_cc);
  t.cumulative_probability = binomial_cdf(t.exceedances, t.days, p);
  t.zone = t.cumulative_probability < 0.95 ? "green" : t.cumulative_probability < 0.9999 ? "yellow" : "red";
  return t;
}

}  // namespace chipshock
