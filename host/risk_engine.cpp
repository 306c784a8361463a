#include "host/risk_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "host/analytics/component_risk.hpp"
#include "host/input_error.hpp"

namespace chipshock {

std::uint64_t tail_memory_bytes(std::uint64_t paths, const std::vector<double>& confidences) {
  // The tail keeper holds up to 2k + 1 doubles between compactions, and the final sort a copy.
  return (3 * tail_size_needed(paths, confidences) + 1) * sizeof(double);
}

namespace {

// Folds a batch into the accumulator with one partial accumulator per thread. The partials are
// exact sums, counts, maxima and top-k sets, so the merge order does not change the result.
void accumulate(LossAccumulator& acc, const double* losses, std::uint64_t count,
                std::uint64_t first_path, int threads) {
  constexpr std::uint64_t kSerialBelow = 1u << 16;
  if (threads <= 1 || count < kSerialBelow) {
    acc.add(losses, count, first_path);
    return;
  }
  std::vector<LossAccumulator> partial(static_cast<std::size_t>(threads), acc.empty_like());
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int t = 0; t < threads; ++t) {
    const std::uint64_t lo = count * static_cast<std::uint64_t>(t) / threads;
    const std::uint64_t hi = count * static_cast<std::uint64_t>(t + 1) / threads;
    partial[static_cast<std::size_t>(t)].add(losses + lo, hi - lo, first_path + lo);
  }
  for (const LossAccumulator& p : partial) acc.merge(p);
}

}  // namespace

LossAccumulator scenario_accumulator(const SimSpec& spec, const RunSettings& s) {
  return LossAccumulator(spec.gross_exposure(), tail_size_needed(s.path_bound(), s.confidences));
}
LossGrid loss_grid(const LossAccumulator& acc) {
  return LossGrid{std::ldexp(1.0, -acc.sum_exponent()), std::ldexp(1.0, -acc.sum_sq_exponent())};
}

void merge_summary(LossAccumulator& acc, LossSummary summary) {
  LossPartial p;
  p.n = summary.moments.n;
  p.bad = summary.moments.bad;
  p.positive = summary.moments.positive;
  p.max = summary.moments.max;
  p.sum_units = summary.moments.sum_units;
  p.sum_sq_units = summary.moments.sum_sq_units;
  p.tail = std::move(summary.tail);
  p.tail_paths = std::move(summary.tail_paths);
  acc.merge(p);
}

ScenarioResult scenario_result(const std::string& name, const LossAccumulator& acc,
                               const RunSettings& s) {
  return summarize_losses(name, acc, s.paths, s.confidences);
}

std::vector<std::uint64_t> checkpoints(const RunSettings& s) {
  std::vector<std::uint64_t> out;
  const std::uint64_t bound = s.path_bound();
  if (s.target_rel_error > 0) {
    for (std::uint64_t c = s.paths; c < bound; c *= 2) out.push_back(c);
    out.push_back(bound);
    return out;
  }
  // A plain run: the halvings of the run that leave at least 10 losses beyond every VaR and
  // 1000 paths (at most 12 rows), then the run itself.
  double worst_tail = 1.0;
  for (double c : s.confidences) worst_tail = std::min(worst_tail, 1.0 - c);
  const auto least = static_cast<std::uint64_t>(std::max(1000.0, std::ceil(10.0 / worst_tail)));
  out.push_back(s.paths);
  for (std::uint64_t c = s.paths / 2; c >= least && out.size() < 12; c /= 2) out.push_back(c);
  std::reverse(out.begin(), out.end());
  return out;
}

namespace {

// The statistics after the first `paths` paths, exactly as a plain run of that many paths gives
// them: the tail is cut to the size such a run keeps.
ScenarioResult summarize_at(const std::string& name, const LossAccumulator& acc,
                            std::uint64_t paths, const std::vector<double>& confidences);

}  // namespace

ScenarioResult run_to_checkpoints(const std::string& name, LossAccumulator& acc,
                                  const RunSettings& s, const FoldPaths& fold) {
  const std::uint64_t folded = acc.count() + acc.non_finite();  // e.g. a histogram pilot
  std::vector<ConvergencePoint> table;
  ScenarioResult r;
  std::uint64_t done = folded;
  for (const std::uint64_t cp : checkpoints(s)) {
    if (cp < done || (cp == done && cp < folded)) continue;  // folded before the first stop
    if (cp > done) fold(done, cp - done);
    done = cp;
    r = summarize_at(name, acc, cp, s.confidences);
    table.push_back({cp, r.levels});
    if (s.target_rel_error > 0) {
      const LevelRisk t = risk_at(acc.count(), s.target_confidence,
                                  [&] {
                                    std::vector<double> tail = acc.tail();
                                    tail.resize(std::min<std::size_t>(
                                        tail.size(), tail_size_needed(cp, {s.target_confidence})));
                                    return tail;
                                  }());
      if (0.5 * (t.es_hi - t.es_lo) <= s.target_rel_error * std::fabs(t.es)) {
        r.target_met = true;
        break;
      }
    }
  }
  r.convergence = std::move(table);
  return r;
}

ScenarioResult simulate_scenario(const std::string& name, const SimSpec& spec,
                                 const CpuBackend& backend, const RunSettings& s,
                                 const ProgressFn& progress) {
  if (s.paths == 0) throw std::invalid_argument("no paths to simulate");
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t bound = s.path_bound();
  const std::uint64_t batch = std::max<std::uint64_t>(1, std::min(s.batch_paths, bound));
  LossAccumulator acc = scenario_accumulator(spec, s);
  // Pilot: the first paths (by index, so independent of batch size and threads) fix the
  // histogram's bins; they are then folded in like any other batch, so they cost nothing extra.
  const std::uint64_t pilot = s.histogram_bins > 0 ? histogram_pilot_paths(s.paths) : 0;
  std::vector<double> losses(std::max(batch, pilot));
  if (pilot > 0) {
    backend.simulate_losses(spec, s.seed, 0, pilot, losses.data());
    acc.set_histogram(histogram_bins_from_pilot(losses.data(), pilot, s.histogram_bins));
    accumulate(acc, losses.data(), pilot, 0, backend.threads());
    if (progress) progress(pilot, bound);
  }
  const FoldPaths fold = [&](std::uint64_t begin, std::uint64_t paths) {
    const std::uint64_t end = begin + paths;
    for (std::uint64_t first = begin; first < end; first += batch) {
      const std::uint64_t count = std::min(batch, end - first);
      backend.simulate_losses(spec, s.seed, first, count, losses.data());
      accumulate(acc, losses.data(), count, first, backend.threads());
      if (progress) progress(first + count, bound);
    }
  };
  ScenarioResult r = run_to_checkpoints(name, acc, s, fold);
  if (s.components) allocate_scenario_risk(r, spec, s, acc, backend.threads());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void allocate_scenario_risk(ScenarioResult& r, const SimSpec& spec, const RunSettings& s,
                            const LossAccumulator& acc, int threads) {
  std::vector<TailEntry> tail = acc.tail_entries();
  tail.resize(std::min<std::size_t>(tail.size(), tail_size_needed(r.paths, s.confidences)));
  allocate_risk(r, spec, s.seed, tail, acc.count(), threads);
}

ScenarioResult summarize_losses(const std::string& name, const LossAccumulator& acc,
                                std::uint64_t paths, const std::vector<double>& confidences) {
  return summarize_tail(name, acc, paths, confidences, acc.tail());
}

namespace {

ScenarioResult summarize_at(const std::string& name, const LossAccumulator& acc,
                            std::uint64_t paths, const std::vector<double>& confidences) {
  std::vector<double> tail = acc.tail();
  tail.resize(std::min<std::size_t>(tail.size(), tail_size_needed(paths, confidences)));
  return summarize_tail(name, acc, paths, confidences, tail);
}

}  // namespace

void require_finite_losses(std::uint64_t n, std::uint64_t paths,
                           const std::vector<double>& confidences) {
  for (double c : confidences)
    if (tail_mass(n, c) < 1.0)
      throw InputError("", 0, "--paths",
                       "only " + std::to_string(n) + " of " + std::to_string(paths) +
                           " paths had a finite loss in range: too few for the " +
                           std::to_string(c) + " level",
                       "the model produces NaN, infinite or absurd losses: check vols, drifts, "
                       "dof and position sizes");
}

ScenarioResult summarize_tail(const std::string& name, const LossAccumulator& acc,
                              std::uint64_t paths, const std::vector<double>& confidences,
                              const std::vector<double>& tail) {
  ScenarioResult r;
  r.name = name;
  r.paths = paths;
  r.non_finite = acc.non_finite();
  const std::uint64_t n = acc.count();
  require_finite_losses(n, paths, confidences);
  r.mean_loss = acc.mean();
  r.stdev_loss = acc.stdev();
  r.prob_loss = static_cast<double>(acc.positive()) / static_cast<double>(n);
  r.worst_loss = acc.max();
  for (double c : confidences) r.levels.push_back(risk_at(n, c, tail));
  r.histogram = acc.histogram();
  r.tail_curve = tail_curve(tail, n);
  return r;
}

}  // namespace chipshock
