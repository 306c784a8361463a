// Scalar reference: one path at a time through the same kernels/ templates with F = float and
// the host mirror of cuRAND's Philox (or, with --rng sobol, of its Sobol' generator), i.e.
// exactly the function one GPU thread runs (kernels/single_path.cuh), bar the device's fast
// sincos. Used to check the SIMD CPU backend lane by lane and, on a GPU machine, the CUDA kernel.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "host/component_risk.hpp"
#include "host/day_values.hpp"
#include "host/risk_engine.hpp"
#include "host/sim_spec.hpp"
#include "host/stats/loss_histogram.hpp"
#include "kernels/day_values.cuh"
#include "kernels/revalue.cuh"
#include "kernels/single_path.cuh"

namespace chipshock {

// Per-asset log-returns of one path over the horizon: with --rng sobol the diffusion is the
// spec's quasi-random one (the host mirror of cuRAND's Sobol' generator); under the spec's
// importance-sampling measure when it has one, log_weight, if given, receives the
// path's log-likelihood ratio (0 otherwise). settled, if given, receives the path's settlements
// of the book's options that expire inside the horizon (kernels/expiry.cuh).
// The same for a model and book given as views (a spec's, alive for the call); then: one more
// day observer (after the book's own marks moved: a hierarchy's books', book_losses.cuh).
template <class Then = NoDayEnd>
inline std::vector<float> reference_log_returns(const ModelView& m, const BookView& b,
                                                std::uint64_t seed, std::uint64_t path,
                                                double* log_weight = nullptr,
                                                std::vector<Settlement>* settled = nullptr,
                                                Then then = Then{}) {
  std::vector<float> x(m.n_assets), z(4 * m.n_blocks), eps(m.n_assets);
  std::vector<double> bridge(
      m.rng == RngKind::kSobol ? static_cast<std::size_t>(sobol_scratch_doubles(m)) : 0);
  std::vector<Settlement> own;
  std::vector<Settlement>& s = settled != nullptr ? *settled : own;
  s.resize(static_cast<std::size_t>(path_marks(b)));
  start_path_marks(b, s.data());
  const BothDayEnds<PathMarkDays, Then> settle{PathMarkDays{&b, s.data(), seed, path, m.antithetic},
                                               then};
  const double lw = m.rng == RngKind::kSobol
                        ? path_log_returns_weighted<SobolDiffusion<MirrorSobol>>(
                              m, seed, path, x.data(), z.data(), eps.data(), bridge.data(), settle)
                        : path_log_returns_weighted<PhiloxDiffusion<MirrorNormals>>(
                              m, seed, path, x.data(), z.data(), eps.data(), nullptr, settle);
  if (log_weight != nullptr) *log_weight = lw;
  return x;
}
inline std::vector<float> reference_log_returns(const SimSpec& spec, std::uint64_t seed,
                                                std::uint64_t path, double* log_weight = nullptr,
                                                std::vector<Settlement>* settled = nullptr) {
  return reference_log_returns(spec.model(), spec.book(), seed, path, log_weight, settled);
}

inline double reference_path_loss(const SimSpec& spec, std::uint64_t seed, std::uint64_t path,
                                  double* log_weight = nullptr) {
  const ModelView m = spec.model();
  std::vector<Settlement> settled;
  const std::vector<float> x = reference_log_returns(spec, seed, path, log_weight, &settled);
  std::vector<double> spot(m.n_assets);
  return horizon_loss(m, spec.book(), x.data(), spot.data(), settled.data());
}

// Path `path`'s line losses at the horizon (revalue.cuh's position_loss, from the spots its loss
// comes from), under the spec's measure, into out[0 .. lines), and their sum (in line order,
// from 0) into out[lines]: what the CPU's lanes and the GPU's line kernel compute.
inline void reference_path_lines(const ModelView& m, const BookView& b, const LineView* lines,
                                 int n_lines, std::uint64_t seed, std::uint64_t path, double* out) {
  std::vector<Settlement> settled;
  const std::vector<float> x = reference_log_returns(m, b, seed, path, nullptr, &settled);
  std::vector<double> spot(x.size(), 0.0);
  for (int h = 0; h < b.n_held; ++h) {
    const int i = b.held_assets[h];
    spot[static_cast<std::size_t>(i)] =
        b.spot0[i] * std::exp(static_cast<double>(x[static_cast<std::size_t>(i)]));
  }
  double total = 0;
  for (int j = 0; j < n_lines; ++j) {
    const LineView& l = lines[j];
    out[j] = position_loss(b, l.option, l.quantity, l.unit_value0,
                           spot[static_cast<std::size_t>(l.asset)], settled.data());
    total += out[j];
  }
  out[n_lines] = total;
}
inline void reference_path_lines(const SimSpec& spec, std::uint64_t seed, std::uint64_t path,
                                 double* out) {
  std::vector<LineView> lines;
  for (const PositionLine& p : spec.positions())
    lines.push_back({p.asset, p.option, p.quantity, p.unit_value0});
  reference_path_lines(spec.model(), spec.book(), lines.data(), static_cast<int>(lines.size()),
                       seed, path, out);
}

// Path `path`'s log-returns over the horizon with an observer at the end of each day
// (kernels/day_values.cuh): the GPU's day kernels with the host mirror of cuRAND. The book's
// expiring options are settled and its vol factors moved in `settled` (path_marks entries) before
// day_end sees each day.
template <class DayEnd>
void reference_day_values(const SimSpec& spec, std::uint64_t seed, std::uint64_t path,
                          Settlement* settled, DayEnd then) {
  const ModelView m = spec.model();
  const BookView b = spec.book();
  start_path_marks(b, settled);
  const BothDayEnds<PathMarkDays, DayEnd> day_end{
      PathMarkDays{&b, settled, seed, path, m.antithetic}, then};
  std::vector<float> x(m.n_assets), z(4 * m.n_blocks), eps(m.n_assets);
  std::vector<double> bridge(
      m.rng == RngKind::kSobol ? static_cast<std::size_t>(sobol_scratch_doubles(m)) : 0);
  if (m.rng == RngKind::kSobol)
    path_log_returns<SobolDiffusion<MirrorSobol>>(m, seed, path, x.data(), z.data(), eps.data(),
                                                  bridge.data(), day_end);
  else
    path_log_returns<PhiloxDiffusion<MirrorNormals>>(m, seed, path, x.data(), z.data(),
                                                     eps.data(), nullptr, day_end);
}

// The scalar reference's daily values (DayValueSimulator), one path at a time through the
// observers the GPU runs: each day's loss is reference_path_loss of the run cut at that day.
class ReferenceDayValues final : public DayValueSimulator {
 public:
  void simulate_days(const SimSpec& spec, const std::vector<const SimSpec*>& day_specs,
                     std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                     double* losses) const override {
    const std::vector<BookView> books = day_books("simulate_days", spec, day_specs, false);
    int n_rows = 0;
    const std::vector<int> rows = day_rows(day_specs, n_rows);
    std::vector<double> spot(static_cast<std::size_t>(spec.n_assets()));
    std::vector<Settlement> settled(static_cast<std::size_t>(path_marks(spec.book())));
    for (std::uint64_t k = 0; k < count; ++k)
      reference_day_values(
          spec, seed, first_path + k, settled.data(),
          DayLosses{books.data(), rows.data(), count, losses + k, spot.data(), settled.data()});
  }
  void simulate_path_risk(const SimSpec& spec, const std::vector<const SimSpec*>& day_specs,
                          double stop_loss, std::uint64_t seed, std::uint64_t first_path,
                          std::uint64_t count, double* losses, double* drawdowns,
                          std::int32_t* first_breach) const override {
    const std::vector<BookView> books = day_books("simulate_path_risk", spec, day_specs, true);
    std::vector<double> spot(static_cast<std::size_t>(spec.n_assets()));
    std::vector<Settlement> settled(static_cast<std::size_t>(path_marks(spec.book())));
    for (std::uint64_t k = 0; k < count; ++k) {
      PathRiskState state;
      reference_day_values(
          spec, seed, first_path + k, settled.data(),
          PathRiskDays{books.data(), stop_loss, spot.data(), &state, settled.data()});
      losses[k] = state.last;
      drawdowns[k] = state.worst;
      first_breach[k] = state.first;
    }
  }
};

// The scalar reference's tail lines: reference_path_lines, summed on the host.
class ReferenceTailLines final : public TailLineSimulator {
 public:
  TailLineSums tail_lines(const SimSpec& spec, std::uint64_t seed,
                          const TailLineRequest& q) const override {
    const std::size_t cols = spec.positions().size() + 1;
    std::vector<double> values(q.paths.size() * cols);
    for (std::size_t i = 0; i < q.paths.size(); ++i)
      reference_path_lines(spec, seed, q.paths[i], values.data() + i * cols);
    return host_tail_line_sums(q, static_cast<int>(cols),
                               [&](std::size_t i, std::size_t c) { return values[i * cols + c]; });
  }
};

// The scalar reference as a scenario's path source (risk_engine.hpp), the third backend of the
// one pipeline beside the SIMD CPU's and the GPU's, against which tests check them: every path
// through reference_path_loss, one at a time, folded by the host statistics (under importance
// sampling, into the weighted accumulator); the histogram's bins from a pilot of the first
// paths, as the GPU's source fixes them; the components' lines from the same scalar path.
class ReferencePathSource final : public PathSource {
 public:
  ReferencePathSource(const SimSpec& spec, const RunSettings& s, std::uint64_t batch)
      : spec_(spec), s_(s), batch_(batch) {}
  std::uint64_t batch() const override { return batch_; }
  std::uint64_t first_stop() const override { return 0; }
  const TailLineSimulator& tail_lines() const override { return lines_; }
  LossAccumulator start() override {
    return start_accumulator(spec_, s_, [this](std::uint64_t count, double* out) {
      for (std::uint64_t k = 0; k < count; ++k) out[k] = reference_path_loss(spec_, s_.seed, k);
    });
  }
  void fold(LossAccumulator& acc, std::uint64_t first, std::uint64_t count,
            const std::function<void(std::uint64_t)>& folded) override {
    std::vector<double> losses(static_cast<std::size_t>(count)), log_weights(losses.size());
    for (std::size_t k = 0; k < losses.size(); ++k)
      losses[k] = reference_path_loss(spec_, s_.seed, first + k, &log_weights[k]);
    if (spec_.importance_sampling())
      acc.add_weighted(losses.data(), log_weights.data(), losses.size(), first);
    else
      acc.add(losses.data(), losses.size(), first);
    if (folded) folded(count);
  }

 private:
  const SimSpec& spec_;
  const RunSettings& s_;
  std::uint64_t batch_;
  ReferenceTailLines lines_;
};

}  // namespace chipshock
