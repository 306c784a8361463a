#include "host/analytics/importance_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "host/input_error.hpp"
#include "host/run_phases.hpp"
#include "host/stats/weighted_risk.hpp"
#include "kernels/normal_quantile.cuh"
#include "kernels/revalue.cuh"

namespace chipshock {

LossDirection loss_direction(const SimSpec& spec) {
  const ModelView m = spec.model();
  const BookView b = spec.book();
  const int n = m.n_assets;
  // Dollar deltas dV/dx_i by a central difference of the full revaluation in log-spot.
  constexpr double h = 1e-4;
  std::vector<double> spot(b.spot0, b.spot0 + n), delta(static_cast<std::size_t>(n), 0.0);
  for (int k = 0; k < b.n_held; ++k) {
    const int i = b.held_assets[k];
    spot[i] = b.spot0[i] * std::exp(h);
    const double up = book_value(b, spot.data());
    spot[i] = b.spot0[i] * std::exp(-h);
    const double down = book_value(b, spot.data());
    spot[i] = b.spot0[i];
    delta[i] = (up - down) / (2 * h);
  }
  LossDirection d;
  const int steps = spec.total_steps();
  d.unit.assign(static_cast<std::size_t>(steps) * n, 0.0);
  long double norm2 = 0;
  for (int s = 0; s < steps; ++s) {
    const int day = s / m.steps_per_day;
    const int seg = m.day_segment != nullptr ? m.day_segment[day] : 0;
    const float* a = m.vol_chol + static_cast<long>(seg) * n * n;
    for (int j = 0; j < n; ++j) {
      double c = 0;  // -(A^T D)_j: A is lower triangular
      for (int i = j; i < n; ++i) c -= static_cast<double>(a[i * n + j]) * delta[i];
      d.unit[static_cast<std::size_t>(s) * n + j] = c;
      norm2 += static_cast<long double>(c) * c;
    }
  }
  d.linear_sd = std::sqrt(static_cast<double>(norm2));
  if (!(d.linear_sd > 1e-12 * std::max(1.0, spec.gross_exposure())))
    throw InputError("", 0, "--importance-sampling",
                     "the book has no first-order exposure to the simulated prices, so there is "
                     "no direction to shift the paths along",
                     "run without --importance-sampling");
  for (double& c : d.unit) c /= d.linear_sd;
  return d;
}

ImportanceShift importance_shift(const LossDirection& d, double k, float lambda) {
  ImportanceShift s;
  s.shift.resize(d.unit.size());
  long double norm2 = 0;
  for (std::size_t i = 0; i < d.unit.size(); ++i) {
    s.shift[i] = static_cast<float>(k * d.unit[i]);
    norm2 += static_cast<long double>(s.shift[i]) * s.shift[i];  // the shift as drawn
  }
  s.half_norm2 = 0.5 * static_cast<double>(norm2);
  s.chi2_scale = lambda;
  return s;
}

namespace {

std::uint64_t pilot_seed(std::uint64_t seed, int candidate) {
  // splitmix64 of the run's seed and the candidate: streams no run path uses
  std::uint64_t z = seed ^ (0x3C6EF372FE94F82BULL + static_cast<std::uint64_t>(candidate));
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::vector<WeightedLoss> simulate_weighted(const SimSpec& spec, const CpuBackend& backend,
                                            std::uint64_t seed, std::uint64_t first,
                                            std::uint64_t count, std::uint64_t& bad) {
  std::vector<double> loss(count), log_w(count);
  {
    const PhaseScope phase(Phase::kSimulate);
    backend.simulate_losses(spec, seed, first, count, loss.data(), log_w.data());
  }
  LossAccumulator acc(spec.gross_exposure(), 1);  // the run's own fold (CpuPathSource)
  acc.keep_weighted();
  acc.add_weighted(loss.data(), log_w.data(), count, first);
  bad += acc.non_finite();
  return acc.weighted_sorted();
}

}  // namespace

ImportanceInfo plan_importance_sampling(SimSpec& spec, const CpuBackend& backend,
                                        std::uint64_t seed, double target) {
  // Its kernels count as the pilot too (absorbing: scopes inside count here).
  const PhaseScope phase(Phase::kImportancePilot, PhaseScope::kAbsorb);
  const LossDirection dir = loss_direction(spec);
  const double z = normal_quantile(target);
  const std::vector<double> ks = {z, 0.4 * z, 0.6 * z, 0.8 * z, 1.25 * z, 1.5 * z};
  std::vector<float> lambdas = {1.0f};
  if (spec.model().dof > 0) lambdas = {1.0f, 0.5f, 0.25f, 0.12f};
  ImportanceInfo info;
  info.on = true;
  info.target_confidence = target;
  info.linear_sd = dir.linear_sd;
  double best = std::numeric_limits<double>::infinity(), threshold = 0;
  double best_k = z;
  float best_lambda = 1.0f;
  int c = 0;
  for (float lambda : lambdas)
    for (double k : ks) {
      spec.set_importance_shift(importance_shift(dir, k, lambda));
      std::uint64_t bad = 0;
      std::vector<WeightedLoss> pilot =
          simulate_weighted(spec, backend, pilot_seed(seed, c), 0, kImportancePilotPaths, bad);
      ++c;
      info.pilot_paths += kImportancePilotPaths;
      if (pilot.empty()) continue;  // (in the tail's order: simulate_weighted sorts it)
      if (c == 1) {  // the first candidate (k = z) fixes the threshold all are compared at
        const std::uint64_t n = pilot.size();
        if (tail_mass(n, target) < 1.0) break;
        threshold = pilot[weighted_var_index(n, target, pilot)].loss;
      }
      long double m2 = 0;
      for (const WeightedLoss& e : pilot) {
        if (e.loss < threshold) break;
        m2 += static_cast<long double>(e.weight) * e.weight;
      }
      const double second = static_cast<double>(m2 / static_cast<long double>(pilot.size()));
      if (second > 0 && second < best) {
        best = second;
        best_k = k;
        best_lambda = lambda;
      }
    }
  info.candidates = c;
  info.shift_sd = best_k;
  info.chi2_scale = best_lambda;
  spec.set_importance_shift(importance_shift(dir, best_k, best_lambda));
  return info;
}

void attach_importance_info(ScenarioResult& r, const ImportanceInfo& info) {
  ImportanceInfo merged = info;
  merged.weight_mean = r.importance.weight_mean;
  merged.ess = r.importance.ess;
  merged.ess_tail = r.importance.ess_tail;
  merged.tail_paths = r.importance.tail_paths;
  r.importance = merged;
}

ScenarioResult simulate_scenario_weighted(const std::string& name, const SimSpec& spec,
                                          const CpuBackend& backend, const RunSettings& s,
                                          const ImportanceInfo& info,
                                          const ProgressFn& progress) {
  if (!spec.importance_sampling()) throw std::logic_error("no importance shift set");
  RunSettings aimed = s;
  aimed.importance_target = info.target_confidence;
  ScenarioResult r = simulate_scenario(name, spec, backend, aimed, progress);
  attach_importance_info(r, info);
  return r;
}

}  // namespace chipshock
