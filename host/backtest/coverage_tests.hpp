// VaR backtesting statistics on a sequence of exceedances (realised loss > forecast VaR):
// Kupiec's proportion-of-failures test, Christoffersen's independence and conditional-coverage
// tests, and the Basel Committee's traffic-light zones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chipshock {

struct CoverageTests {
  double confidence = 0;
  std::uint64_t days = 0;
  std::uint64_t exceedances = 0;
  double expected = 0;  // days * (1 - confidence)
  // Kupiec (1995) proportion of failures: LR ~ chi2(1) under correct unconditional coverage.
  double lr_pof = 0, p_pof = 1;
  // Christoffersen (1998) independence of exceedances (first-order Markov alternative):
  // LR ~ chi2(1); conditional coverage LR_cc = LR_pof + LR_ind ~ chi2(2).
  double lr_ind = 0, p_ind = 1;
  double lr_cc = 0, p_cc = 1;
  std::uint64_t n00 = 0, n01 = 0, n10 = 0, n11 = 0;  // transitions (0 = no exceedance)
  // Basel traffic light: green while the cumulative binomial probability of at most this many
  // exceedances is below 95%, yellow below 99.99%, red beyond (BCBS 1996; for 250 days at 99%:
  // green 0-4, yellow 5-9, red 10 or more).
  std::string zone;
  double cumulative_probability = 0;  // P(X <= exceedances) under correct coverage
};

CoverageTests coverage_tests(const std::vector<bool>& exceeded, double confidence);

// Survival functions of the chi-square distribution with 1 and 2 degrees of freedom.
double chi2_1_survival(double x);
double chi2_2_survival(double x);

// P(X <= k) for X ~ Binomial(n, p), summed in log space.
double binomial_cdf(std::uint64_t k, std::uint64_t n, double p);

}  // namespace chipshock
