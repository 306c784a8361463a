#include "host/component_risk.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "host/run_phases.hpp"
#include "host/stats/risk_measures.hpp"
#include "host/stats/weighted_risk.hpp"
#include "kernels/revalue.cuh"

namespace chipshock {

std::size_t var_window_half_width(double tail_mass) {
  return static_cast<std::size_t>(std::ceil(std::sqrt(std::max(tail_mass, 1.0))));
}

namespace {

// The window's half-width around the VaR path at tail index j: ceil(sqrt(m)) in a plain run
// (j = floor(m)); under importance sampling the same function of the number of tail paths up
// to VaR, j + 1, since the window is about the paths drawn near VaR, not their weight.
std::size_t window_half_width(double m, std::size_t j, const std::vector<double>& likelihood) {
  return likelihood.empty() ? var_window_half_width(m)
                            : var_window_half_width(static_cast<double>(j + 1));
}

// Where a level's VaR path sits in the tail and each tail path's weight in its ES.
struct LevelWeights {
  std::size_t var_index = 0;
  std::vector<double> es;  // empty beyond the last path with a weight
};

// weighted: the tail with its likelihood ratios under importance sampling; empty in a plain run.
LevelWeights level_weights(std::uint64_t n, double confidence,
                           const std::vector<WeightedLoss>& weighted) {
  LevelWeights out;
  if (weighted.empty()) {
    out.var_index = static_cast<std::size_t>(std::floor(tail_mass(n, confidence)));
    for (std::size_t i = 0; i <= out.var_index; ++i) out.es.push_back(es_weight(n, confidence, i));
    return out;
  }
  out.var_index = weighted_var_index(n, confidence, weighted);
  out.es = weighted_es_weights(n, confidence, weighted);
  out.es.resize(out.var_index + 1);
  return out;
}

}  // namespace

void allocate_risk(ScenarioResult& r, const SimSpec& spec, std::uint64_t seed,
                   const std::vector<TailEntry>& tail, std::uint64_t n, const CpuBackend& backend,
                   const std::vector<double>& likelihood) {
  const PhaseScope phase(Phase::kComponents);
  const auto start = std::chrono::steady_clock::now();
  r.components.clear();
  r.allocation = {};
  const std::vector<PositionLine>& lines = spec.positions();
  if (lines.empty() || r.levels.empty()) return;
  // How many of the worst paths any level needs: ES's and the VaR window's.
  std::size_t need = 0;
  std::vector<WeightedLoss> weighted(likelihood.size());
  for (std::size_t i = 0; i < likelihood.size(); ++i)
    weighted[i] = {tail[i].loss, likelihood[i], tail[i].path};
  std::vector<LevelWeights> weights;
  for (const LevelRisk& l : r.levels) {
    weights.push_back(level_weights(n, l.confidence, weighted));
    const std::size_t j = weights.back().var_index;
    need = std::max(
        need, std::min(tail.size(),
                       j + window_half_width(tail_mass(n, l.confidence), j, likelihood) + 1));
  }
  for (std::size_t i = 0; i < need; ++i)
    if (tail[i].path == kUnknownPath) {
      r.allocation.note = "not computed: the loss tail carries no path indices";
      return;
    }
  const std::size_t p = lines.size();
  // pl[i * p + j]: line j on tail path i, from the SIMD kernel's horizon spots (those its path
  // losses come from); path_loss[i] their sum, so that the components add up to it exactly.
  std::vector<std::uint64_t> paths(need);
  for (std::size_t i = 0; i < need; ++i) paths[i] = tail[i].path;
  std::vector<double> pl, path_loss;
  backend.simulate_lines(spec, seed, paths, pl, path_loss);
  for (std::size_t i = 0; i < need; ++i) {
    double total = 0;
    for (std::size_t j = 0; j < p; ++j) total += pl[i * p + j];
    path_loss[i] = total;
  }
  r.allocation.paths_resimulated = need;
  const auto lr = [&likelihood](std::size_t i) { return likelihood.empty() ? 1.0 : likelihood[i]; };
  for (std::size_t k = 0; k < r.levels.size(); ++k) {
    const LevelRisk& level = r.levels[k];
    const double m = tail_mass(n, level.confidence);
    const std::size_t jv = weights[k].var_index;  // 0-based index of the VaR path
    AllocationLevel a;
    a.confidence = level.confidence;
    a.es = level.es;
    a.var = level.var;
    std::vector<long double> es_c(p, 0.0L), var_c(p, 0.0L), var_sq(p, 0.0L);
    long double es_total = 0;
    for (std::size_t i = 0; i <= jv && i < need; ++i) {
      const long double w = weights[k].es[i];
      if (w == 0) continue;
      for (std::size_t j = 0; j < p; ++j) es_c[j] += w * pl[i * p + j];
      es_total += w * path_loss[i];
    }
    a.es_resimulated = static_cast<double>(es_total / m);
    a.var_resimulated = jv < need ? path_loss[jv] : path_loss.back();
    const std::size_t h = window_half_width(m, jv, likelihood);
    const std::size_t lo = jv >= h ? jv - h : 0;
    const std::size_t hi = std::min(need - 1, jv + h);
    // The window's paths weighted by their likelihood ratios (1 in a plain run): the mean is
    // a ratio estimate of E[. | L near VaR], its standard error the weighted sample's over Kish's
    // effective size (sum w)^2 / sum w^2 (= the path count in a plain run).
    long double sw = 0, sw2 = 0, sum = 0, sum_sq = 0;
    a.var_window_lo = path_loss[hi];
    a.var_window_hi = path_loss[lo];
    for (std::size_t i = lo; i <= hi; ++i) {
      const long double wi = lr(i);
      sw += wi;
      sw2 += wi * wi;
      sum += wi * path_loss[i];
      sum_sq += wi * static_cast<long double>(path_loss[i]) * path_loss[i];
      a.var_window_lo = std::min(a.var_window_lo, path_loss[i]);
      a.var_window_hi = std::max(a.var_window_hi, path_loss[i]);
      for (std::size_t j = 0; j < p; ++j) {
        var_c[j] += wi * pl[i * p + j];
        var_sq[j] += wi * static_cast<long double>(pl[i * p + j]) * pl[i * p + j];
      }
    }
    const long double ess = sw2 > 0 ? sw * sw / sw2 : 0;
    const auto std_error = [sw, ess](long double s, long double sq) {
      if (ess < 2 || sw <= 0) return 0.0;
      const long double mean = s / sw;
      const long double v = (sq / sw - mean * mean) * ess / (ess - 1);
      return v > 0 ? static_cast<double>(std::sqrt(v / ess)) : 0.0;
    };
    const long double wd = sw > 0 ? sw : 1;
    a.var_window_paths = hi - lo + 1;
    a.var_window_mean = static_cast<double>(sum / wd);
    a.var_window_se = std_error(sum, sum_sq);
    for (std::size_t j = 0; j < p; ++j) {
      PositionContribution c;
      c.position = lines[j].label;
      c.confidence = level.confidence;
      c.es_contribution = static_cast<double>(es_c[j] / m);
      c.ticker = lines[j].ticker;
      c.sector = lines[j].sector;
      c.quantity = lines[j].quantity;
      c.var_contribution = static_cast<double>(var_c[j] / wd);
      c.var_contribution_se = std_error(var_c[j], var_sq[j]);
      r.components.push_back(c);
    }
    r.allocation.levels.push_back(a);
  }
  r.allocation.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace chipshock
