// VaR, expected shortfall and their intervals from likelihood-ratio-weighted losses: the
// estimators of importance sampling (Glasserman, Heidelberger and Shahabuddin 2000; Glasserman,
// "Monte Carlo Methods in Financial Engineering", 2004, section 9.2). With every weight 1 they
// are exactly the plain estimators of risk_measures.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "host/stats/risk_measures.hpp"
#include "host/stats/tail_curve.hpp"

namespace chipshock {

// WeightedLoss (a path's loss, likelihood ratio and index) is host/stats/tail_keeper.hpp's.

// Sorts into the tail's order (larger loss first, ties by smaller path index), the order the
// estimators below expect.
void sort_weighted_tail(std::vector<WeightedLoss>& losses);

// Risk at one level from N paths (n), of which `sorted` holds all the finite ones in tail order
// (or at least those whose cumulative weight from the top reaches beyond N (1 - alpha) plus the
// interval's half-width). The estimated exceedance probability is
// P(L >= x) = (1/N) sum w_i 1{L_i >= x}; with m = N (1 - alpha) and W_j the weight of the j + 1
// largest losses:
//   VaR = L_(j*), j* the first j with W_j > m,
//   ES  = [sum_{i < j*} w_i L_(i) + (m - W_{j*-1}) L_(j*)] / m,
// (Acerbi-Tasche's fractional weight; with unit weights this is risk_at exactly). The VaR
// interval inverts the normal interval of the exceedance estimator at VaR,
// se^2 = [(1/N) sum w^2 1{L >= VaR} - p^2] / N; the ES interval uses the variance of
// w (L - VaR)^+ (the Rockafellar-Uryasev form, whose derivative in VaR vanishes):
// es_se^2 = Var(w (L - VaR)^+) / (N (1 - alpha)^2).
LevelRisk weighted_risk_at(std::uint64_t n, double confidence,
                           const std::vector<WeightedLoss>& sorted);

// The weight of sorted[i] in the ES at this level (w_i, the fractional remainder, or 0), so that
// ES = sum es_weight_i L_(i) / (N (1 - alpha)): what the Euler allocation weights positions by.
std::vector<double> weighted_es_weights(std::uint64_t n, double confidence,
                                        const std::vector<WeightedLoss>& sorted);
// j*: the index of the VaR path in `sorted`.
std::size_t weighted_var_index(std::uint64_t n, double confidence,
                               const std::vector<WeightedLoss>& sorted);

// Moments and diagnostics of a weighted sample of N paths.
struct WeightedSummary {
  double mean = 0, stdev = 0, prob_loss = 0, worst = 0;
  double weight_mean = 0;  // (1/N) sum w: 1 in expectation
  // Kish's effective sample size (sum w)^2 / sum w^2, of all paths and of those beyond VaR at
  // the deepest level asked (how many plain paths the tail estimate is worth, roughly).
  double ess = 0;
};
WeightedSummary weighted_summary(std::uint64_t n, const std::vector<WeightedLoss>& sorted);

// The tail curve (tail_curve.hpp) with exceedance probabilities from the weights.
std::vector<TailPoint> weighted_tail_curve(const std::vector<WeightedLoss>& sorted,
                                           std::uint64_t n, double highest_exceedance,
                                           int max_points = 160);

}  // namespace chipshock
