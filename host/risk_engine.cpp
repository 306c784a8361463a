#include "host/risk_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "host/input_error.hpp"

namespace chipshock {

std::uint64_t tail_memory_bytes(std::uint64_t paths, const std::vector<double>& confidences) {
  // The tail keeper holds up to 2k + 1 doubles between compactions, and the final sort a copy.
  return (3 * tail_size_needed(paths, confidences) + 1) * sizeof(double);
}

namespace {

// Folds a batch into the accumulator with one partial accumulator per thread. The partials are
// exact sums, counts, maxima and top-k sets, so the merge order does not change the result.
void accumulate(LossAccumulator& acc, const double* losses, std::uint64_t count, int threads) {
  constexpr std::uint64_t kSerialBelow = 1u << 16;
  if (threads <= 1 || count < kSerialBelow) {
    acc.add(losses, count);
    return;
  }
  std::vector<LossAccumulator> partial(static_cast<std::size_t>(threads), acc.empty_like());
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int t = 0; t < threads; ++t) {
    const std::uint64_t lo = count * static_cast<std::uint64_t>(t) / threads;
    const std::uint64_t hi = count * static_cast<std::uint64_t>(t + 1) / threads;
    partial[static_cast<std::size_t>(t)].add(losses + lo, hi - lo);
  }
  for (const LossAccumulator& p : partial) acc.merge(p);
}

}  // namespace

LossAccumulator scenario_accumulator(const SimSpec& spec, const RunSettings& s) {
  return LossAccumulator(spec.gross_exposure(), tail_size_needed(s.paths, s.confidences));
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
  acc.merge(p);
}

ScenarioResult scenario_result(const std::string& name, const LossAccumulator& acc,
                               const RunSettings& s) {
  return summarize_losses(name, acc, s.paths, s.confidences);
}

PathRange rank_range(std::uint64_t paths, int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks) throw std::invalid_argument("bad rank");
  // paths * rank / ranks without overflow for any 64-bit path count.
  const auto share = [&](int r) {
    return static_cast<std::uint64_t>(static_cast<Int128>(paths) * r / ranks);
  };
  return {share(rank), share(rank + 1)};
}

void accumulate_range(const SimSpec& spec, const CpuBackend& backend, const RunSettings& s,
                      PathRange range, std::uint64_t from, LossAccumulator& acc,
                      const ProgressFn& progress, const BatchDoneFn& batch_done) {
  if (range.first > range.last || range.last > s.paths || from < range.first || from > range.last)
    throw std::invalid_argument("path range outside the run");
  const std::uint64_t batch = std::max<std::uint64_t>(1, std::min(s.batch_paths, s.paths));
  std::vector<double> losses;
  const auto done = [&](std::uint64_t next) {
    if (progress) progress(next - range.first, range.size());
    if (batch_done) batch_done(acc, next);
  };
  // Pilot: the first paths of the run (by index, so independent of batch size, threads and the
  // split into ranges) fix the histogram's bins; those inside this range are then folded in like
  // any other batch, so on the range that holds them they cost nothing extra.
  const std::uint64_t pilot = s.histogram_bins > 0 ? histogram_pilot_paths(s.paths) : 0;
  if (pilot > 0 && from == range.first) {
    losses.resize(pilot);
    backend.simulate_losses(spec, s.seed, 0, pilot, losses.data());
    acc.set_histogram(histogram_bins_from_pilot(losses.data(), pilot, s.histogram_bins));
    const std::uint64_t end = std::min(pilot, range.last);
    if (from < end) {
      accumulate(acc, losses.data() + from, end - from, backend.threads());
      from = end;
      done(from);
    }
  }
  losses.resize(std::min(batch, range.last - from));
  for (std::uint64_t first = from; first < range.last; first += batch) {
    const std::uint64_t count = std::min(batch, range.last - first);
    backend.simulate_losses(spec, s.seed, first, count, losses.data());
    accumulate(acc, losses.data(), count, backend.threads());
    done(first + count);
  }
}

ScenarioResult simulate_scenario(const std::string& name, const SimSpec& spec,
                                 const CpuBackend& backend, const RunSettings& s,
                                 const ProgressFn& progress) {
  if (s.paths == 0) throw std::invalid_argument("no paths to simulate");
  const auto start = std::chrono::steady_clock::now();
  LossAccumulator acc = scenario_accumulator(spec, s);
  accumulate_range(spec, backend, s, {0, s.paths}, 0, acc, progress);
  ScenarioResult r = scenario_result(name, acc, s);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

ScenarioResult summarize_losses(const std::string& name, const LossAccumulator& acc,
                                std::uint64_t paths, const std::vector<double>& confidences) {
  ScenarioResult r;
  r.name = name;
  r.paths = paths;
  r.non_finite = acc.non_finite();
  const std::uint64_t n = acc.count();
  for (double c : confidences)
    if (tail_mass(n, c) < 1.0)
      throw InputError("", 0, "--paths",
                       "only " + std::to_string(n) + " of " + std::to_string(paths) +
                           " paths had a finite loss in range: too few for the " +
                           std::to_string(c) + " level",
                       "the model produces NaN, infinite or absurd losses: check vols, drifts, "
                       "dof and position sizes");
  r.mean_loss = acc.mean();
  r.stdev_loss = acc.stdev();
  r.prob_loss = static_cast<double>(acc.positive()) / static_cast<double>(n);
  r.worst_loss = acc.max();
  const std::vector<double> tail = acc.tail();
  for (double c : confidences) r.levels.push_back(risk_at(n, c, tail));
  r.histogram = acc.histogram();
  r.tail_curve = tail_curve(tail, n);
  return r;
}

}  // namespace chipshock
