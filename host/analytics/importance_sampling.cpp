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
  // Dollar deltas dV/dx_i by a central difference of the full revaluation in log-spot. An option
  // that expires inside the horizon counts as its payoff at the horizon's spot (its settlement
  // on a path that ends where it expired).
  constexpr double h = 1e-4;
  std::vector<double> spot(b.spot0, b.spot0 + n), delta(static_cast<std::size_t>(n), 0.0);
  std::vector<Settlement> settled(static_cast<std::size_t>(path_marks(b)));
  const auto value = [&b, &spot, &settled]() {
    for (int k = 0; k < b.n_expiring; ++k) {
      const ExpiryView& e = b.expiring[k];
      settled[static_cast<std::size_t>(k)] =
          Settlement{intrinsic_value(e.kind, spot[static_cast<std::size_t>(e.asset)], e.strike),
                     b.horizon_days - 1};
    }
    return book_value(b, spot.data(), settled.data());
  };
  for (int k = 0; k < b.n_held; ++k) {
    const int i = b.held_assets[k];
    spot[i] = b.spot0[i] * std::exp(h);
    const double up = value();
    spot[i] = b.spot0[i] * std::exp(-h);
    const double down = value();
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

namespace {

// One candidate shift and its estimated variance ratios against plain sampling (< 1: it wins),
// of the tail probability P(L >= t) and of the tail loss E[L 1{L >= t}], two ways:
//  - q: on the candidate's own pilot paths. With w = dp/dq (the mixture's) and T = {L >= t},
//    E_q[w^2 1_T] is the estimator's second moment and E_q[w 1_T] = P(T) plain sampling's. It
//    misses what q seldom draws: with heavy tails over many days, a loss from one extreme day
//    among ordinary ones has a large weight and is rarely drawn, so this estimate is optimistic;
//  - p: on plain paths, with the candidate's weight at each: E_q[w^2 1_T] = E_p[w 1_T]. Plain
//    paths reach the tail the way the model does; every weight is below 4, so the mean is stable.
// A candidate's score is the largest of the four.
struct Candidate {
  double k = 0;
  float lambda = 1.0f;
  double q_tail = 0, q_loss = 0;
  double p_tail = std::numeric_limits<double>::infinity();
  double p_loss = std::numeric_limits<double>::infinity();
  bool checked = false;  // p_* estimated
  double q_score() const { return std::max(q_tail, q_loss); }
  double score() const { return std::max(std::max(q_tail, q_loss), std::max(p_tail, p_loss)); }
};

// (second moment - mean^2) / (plain's second moment - mean^2), infinite when plain's is 0.
double variance_ratio(long double second, long double plain_second, long double mean) {
  const long double plain = plain_second - mean * mean;
  if (!(plain > 0)) return std::numeric_limits<double>::infinity();
  return static_cast<double>((second - mean * mean) / plain);
}

// Plain paths for the p estimates: about 64 beyond the target's VaR, 32,768 to 2^20 in all.
std::uint64_t plain_check_paths(double target) {
  const double want = std::ceil(64.0 / (1.0 - target) / 4096.0) * 4096.0;
  return static_cast<std::uint64_t>(std::min(std::max(want, 32768.0), 1048576.0));
}

// Whether the book's loss grows without bound with some price: a net short position in an asset
// once every call on it is worth its spot (short stock, or calls sold beyond the shares held).
// Under a chi-square twist q draws extreme scale factors often, which move prices both ways; such
// a loss then enters the tail estimators in unbounded sizes with small weights, and the ES
// estimator's variance went up 30-fold (Student-t market, the hedged sample book with its short
// INTC, 1 day: bench/RESULTS.md). For these books only the mean shift is tried.
bool loss_unbounded(const BookView& b) {
  for (int h = 0; h < b.n_held; ++h) {
    const int a = b.held_assets[h];
    double net = b.equity_qty[a];
    for (int o = 0; o < b.n_options; ++o)
      if (b.options[o].asset == a && b.options[o].kind == OptionKind::kCall)
        net += b.options[o].quantity;
    if (net < 0) return true;
  }
  return false;
}

// Fewer plain paths beyond the threshold than this: no p estimate (the candidate is not used).
constexpr long double kMinPlainTailPaths = 8;

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
  if (loss_unbounded(spec.book())) lambdas = {1.0f};  // see loss_unbounded
  ImportanceInfo info;
  info.on = true;
  info.target_confidence = target;
  info.linear_sd = dir.linear_sd;
  double threshold = 0;
  std::vector<Candidate> candidates;
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
      long double m2 = 0, pt = 0, g = 0, g2_plain = 0, g2 = 0;
      for (const WeightedLoss& e : pilot) {
        if (e.loss < threshold) break;
        const long double w = e.weight, l = e.loss;
        m2 += w * w;
        pt += w;
        g += w * l;
        g2_plain += w * l * l;
        g2 += w * w * l * l;
      }
      if (!(m2 > 0)) continue;
      const long double n = static_cast<long double>(pilot.size());
      Candidate cand;
      cand.k = k;
      cand.lambda = lambda;
      cand.q_tail = variance_ratio(m2 / n, pt / n, pt / n);
      cand.q_loss = variance_ratio(g2 / n, g2_plain / n, g / n);
      candidates.push_back(cand);
    }
  info.candidates = c;
  // The p check of the best few by q, on one set of plain paths (the same for each: only the
  // weights differ).
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.q_score() < b.q_score(); });
  const std::uint64_t plain_n = plain_check_paths(target);
  const std::uint64_t plain_seed = pilot_seed(seed, c);  // a candidate number no q pilot used
  std::vector<double> loss(plain_n), log_w(plain_n);
  for (std::size_t i = 0; i < candidates.size() && i < kImportancePlainChecks; ++i) {
    Candidate& cand = candidates[i];
    ImportanceShift check = importance_shift(dir, cand.k, cand.lambda);
    check.plain_only = true;
    spec.set_importance_shift(std::move(check));
    {
      const PhaseScope simulate(Phase::kSimulate);
      backend.simulate_losses(spec, plain_seed, 0, plain_n, loss.data(), log_w.data());
    }
    info.pilot_paths += plain_n;
    long double m = 0, pt = 0, w1 = 0, g = 0, g2_plain = 0, g2 = 0;
    for (std::uint64_t j = 0; j < plain_n; ++j) {
      if (!std::isfinite(loss[j]) || !std::isfinite(log_w[j])) continue;
      ++m;
      if (loss[j] < threshold) continue;
      const long double w = std::exp(static_cast<long double>(log_w[j])), l = loss[j];
      pt += 1;
      w1 += w;
      g += l;
      g2_plain += l * l;
      g2 += w * l * l;
    }
    cand.checked = true;
    if (pt < kMinPlainTailPaths) continue;  // no evidence either way: left infinite
    cand.p_tail = variance_ratio(w1 / m, pt / m, pt / m);
    cand.p_loss = variance_ratio(g2 / m, g2_plain / m, g / m);
  }
  const auto best = std::min_element(
      candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
        return (a.checked ? a.score() : std::numeric_limits<double>::infinity()) <
               (b.checked ? b.score() : std::numeric_limits<double>::infinity());
      });
  // Plain sampling unless the best shift wins on every count (issue 19, part 6: at long
  // horizons on a Student-t market no shift of this family beats plain sampling).
  if (best == candidates.end() || !best->checked || !(best->score() < kImportanceWinRatio)) {
    info.on = false;
    info.fell_back = true;
    if (best != candidates.end() && best->checked) {
      info.shift_sd = best->k;
      info.chi2_scale = best->lambda;
      info.pilot_ratio_tail = std::max(best->q_tail, best->p_tail);
      info.pilot_ratio_loss = std::max(best->q_loss, best->p_loss);
    } else {
      info.pilot_ratio_tail = info.pilot_ratio_loss = std::numeric_limits<double>::infinity();
    }
    spec.set_importance_shift(ImportanceShift{});
    return info;
  }
  info.shift_sd = best->k;
  info.chi2_scale = best->lambda;
  info.pilot_ratio_tail = std::max(best->q_tail, best->p_tail);
  info.pilot_ratio_loss = std::max(best->q_loss, best->p_loss);
  spec.set_importance_shift(importance_shift(dir, best->k, best->lambda));
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
