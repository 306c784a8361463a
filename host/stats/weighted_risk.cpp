#include "host/stats/weighted_risk.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace chipshock {

void sort_weighted_tail(std::vector<WeightedLoss>& losses) {
  std::sort(losses.begin(), losses.end(), WeightedOrder{});
}

namespace {

// The first index whose cumulative weight from the top exceeds `mass` (the last index when none
// does: the sample holds too little weight, and the caller's estimate is then the smallest loss).
std::size_t index_beyond(const std::vector<WeightedLoss>& sorted, double mass) {
  long double w = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    w += sorted[i].weight;
    if (w > mass) return i;
  }
  return sorted.empty() ? 0 : sorted.size() - 1;
}

}  // namespace

std::size_t weighted_var_index(std::uint64_t n, double confidence,
                               const std::vector<WeightedLoss>& sorted) {
  return index_beyond(sorted, tail_mass(n, confidence));
}

std::vector<double> weighted_es_weights(std::uint64_t n, double confidence,
                                        const std::vector<WeightedLoss>& sorted) {
  const double m = tail_mass(n, confidence);
  std::vector<double> out(sorted.size(), 0.0);
  long double w = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (w + sorted[i].weight > m) {
      out[i] = static_cast<double>(m - w);
      break;
    }
    out[i] = sorted[i].weight;
    w += sorted[i].weight;
  }
  return out;
}

LevelRisk weighted_risk_at(std::uint64_t n, double confidence,
                           const std::vector<WeightedLoss>& sorted) {
  const double m = tail_mass(n, confidence);
  if (!(m >= 1.0))
    throw std::invalid_argument("fewer than one expected loss beyond VaR at this confidence");
  if (sorted.empty()) throw std::logic_error("no losses");
  const double nd = static_cast<double>(n);
  const double p = 1.0 - confidence;
  LevelRisk out;
  out.confidence = confidence;
  const std::size_t j = weighted_var_index(n, confidence, sorted);
  out.var = sorted[j].loss;
  const std::vector<double> ew = weighted_es_weights(n, confidence, sorted);
  long double s = 0;
  for (std::size_t i = 0; i <= j; ++i) s += static_cast<long double>(ew[i]) * sorted[i].loss;
  out.es = static_cast<double>(s / m);
  // The exceedance estimator at VaR and its standard error; the interval of VaR is where the
  // estimated exceedance probability is p -+ 1.96 se.
  long double w2 = 0, e1 = 0, e2 = 0;
  for (std::size_t i = 0; i < sorted.size() && sorted[i].loss >= out.var; ++i) {
    const long double w = sorted[i].weight;
    w2 += w * w;
    const long double excess = w * (sorted[i].loss - out.var);
    e1 += excess;
    e2 += excess * excess;
  }
  const double p_var = static_cast<double>(w2 / nd) - p * p;
  const double se_mass = kZ975 * std::sqrt(std::max(p_var, 0.0) * nd);  // in weight units
  out.var_lo = sorted[index_beyond(sorted, m + se_mass)].loss;
  out.var_hi = sorted[index_beyond(sorted, std::max(m - se_mass, 0.0))].loss;
  // Var(w (L - VaR)^+) over all N paths (zero beyond the tail).
  const long double mean_excess = e1 / nd;
  const double v = static_cast<double>(e2 / nd - mean_excess * mean_excess);
  out.es_se = std::sqrt(std::max(v, 0.0) / nd) / p;
  out.es_lo = out.es - kZ975 * out.es_se;
  out.es_hi = out.es + kZ975 * out.es_se;
  return out;
}

WeightedSummary weighted_summary(std::uint64_t n, const std::vector<WeightedLoss>& sorted) {
  WeightedSummary s;
  if (n == 0 || sorted.empty()) return s;
  long double sw = 0, sw2 = 0, swl = 0, swl2 = 0, spos = 0;
  for (const WeightedLoss& e : sorted) {
    const long double w = e.weight, l = e.loss;
    sw += w;
    sw2 += w * w;
    swl += w * l;
    swl2 += w * l * l;
    if (e.loss > 0) spos += w;
  }
  const long double nd = static_cast<long double>(n);
  s.mean = static_cast<double>(swl / nd);
  const double var = static_cast<double>(swl2 / nd - (swl / nd) * (swl / nd));
  s.stdev = std::sqrt(std::max(var, 0.0) * static_cast<double>(n) / std::max(1.0, static_cast<double>(n) - 1));
  s.prob_loss = static_cast<double>(spos / nd);
  s.worst = sorted.front().loss;
  s.weight_mean = static_cast<double>(sw / nd);
  s.ess = sw2 > 0 ? static_cast<double>(sw * sw / sw2) : 0.0;
  return s;
}

std::vector<TailPoint> weighted_tail_curve(const std::vector<WeightedLoss>& sorted,
                                           std::uint64_t n, double highest_exceedance,
                                           int max_points) {
  std::vector<TailPoint> out;
  if (sorted.empty() || n == 0 || max_points < 2) return out;
  const double nd = static_cast<double>(n);
  // Points spaced evenly in log(exceedance) from the top loss's to highest_exceedance.
  const double first = std::max(sorted.front().weight / nd, 1e-300);
  const double ratio = highest_exceedance > first
                           ? std::pow(highest_exceedance / first, 1.0 / (max_points - 1))
                           : 2.0;
  double next = first;
  long double w = 0;
  for (const WeightedLoss& e : sorted) {
    w += e.weight;
    const double exceedance = static_cast<double>(w / nd);
    if (exceedance > highest_exceedance) break;
    if (exceedance < next) continue;
    out.push_back({e.loss, exceedance});
    while (next <= exceedance) next *= ratio;
  }
  return out;
}

}  // namespace chipshock
