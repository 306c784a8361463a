#include "host/risk_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "host/component_risk.hpp"
#include "host/input_error.hpp"
#include "host/run_cancel.hpp"
#include "host/run_phases.hpp"
#include "host/stats/weighted_risk.hpp"

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
  for (LossAccumulator& p : partial) p.floor_tail_from(acc);  // only candidates cross
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int t = 0; t < threads; ++t) {
    const std::uint64_t lo = count * static_cast<std::uint64_t>(t) / threads;
    const std::uint64_t hi = count * static_cast<std::uint64_t>(t + 1) / threads;
    partial[static_cast<std::size_t>(t)].add(losses + lo, hi - lo, first_path + lo);
  }
  for (const LossAccumulator& p : partial) acc.merge(p);
}

}  // namespace

void accumulate_losses(LossAccumulator& acc, const double* losses, std::uint64_t count,
                       std::uint64_t first_path, int threads) {
  accumulate(acc, losses, count, first_path, threads);
}

LossAccumulator scenario_accumulator(const SimSpec& spec, const RunSettings& s) {
  return LossAccumulator(spec.gross_exposure(), tail_size_needed(s.path_bound(), s.tail_levels()));
}
LossAccumulator start_accumulator(const SimSpec& spec, const RunSettings& s,
                                  const std::function<void(std::uint64_t, double*)>& pilot) {
  if (spec.importance_sampling()) {
    LossAccumulator acc(spec.gross_exposure(), 1);
    acc.keep_weighted();
    return acc;
  }
  LossAccumulator acc = scenario_accumulator(spec, s);
  if (s.histogram_bins > 0) {
    std::vector<double> losses(static_cast<std::size_t>(histogram_pilot_paths(s.paths)));
    pilot(losses.size(), losses.data());
    acc.set_histogram(histogram_bins_from_pilot(losses.data(), losses.size(), s.histogram_bins));
  }
  return acc;
}

LossGrid loss_grid(const LossAccumulator& acc) {
  return LossGrid{std::ldexp(1.0, -acc.sum_exponent()), std::ldexp(1.0, -acc.sum_sq_exponent())};
}

void merge_summary(LossAccumulator& acc, LossSummary summary) {
  merge_summary_keeping_tail(acc, summary);
}

void merge_summary_keeping_tail(LossAccumulator& acc, LossSummary& summary) {
  LossPartial p;
  p.n = summary.moments.n;
  p.bad = summary.moments.bad;
  p.positive = summary.moments.positive;
  p.max = summary.moments.max;
  p.sum_units = summary.moments.sum_units;
  p.sum_sq_units = summary.moments.sum_sq_units;
  p.far = std::move(summary.far);
  p.tail = std::move(summary.tail);
  p.tail_paths = std::move(summary.tail_paths);
  acc.merge(p);
  summary.tail = std::move(p.tail);
  summary.tail_paths = std::move(p.tail_paths);
  acc.add_histogram_slots(summary.histogram);
}

ScenarioResult scenario_result(const std::string& name, const LossAccumulator& acc,
                               const RunSettings& s) {
  return summarize_losses(name, acc, s.paths, s.confidences);
}

std::vector<std::uint64_t> convergence_stops(const RunSettings& s) {
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

PathRange share_of(PathRange range, int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks || range.first > range.last)
    throw std::invalid_argument("bad share");
  // size * rank / ranks without overflow for any 64-bit path count.
  const auto start = [&](int r) {
    return range.first +
           static_cast<std::uint64_t>(static_cast<Int128>(range.size()) * r / ranks);
  };
  return {start(rank), start(rank + 1)};
}

namespace {

// The statistics after the first `paths` paths, exactly as a plain run of that many paths gives
// them: the tail is cut to the size such a run keeps.
ScenarioResult summarize_at(const std::string& name, const LossAccumulator& acc,
                            std::uint64_t paths, const std::vector<double>& confidences);

// The CPU's paths (cpu_path_source).
class CpuPathSource final : public PathSource {
 public:
  CpuPathSource(const SimSpec& spec, const CpuBackend& backend, const RunSettings& s,
                PathObserver* observer)
      : spec_(spec),
        backend_(backend),
        s_(s),
        observer_(spec.importance_sampling() && observer != nullptr && !observer->weighted()
                      ? nullptr
                      : observer),
        weighted_(spec.importance_sampling()),
        batch_(std::max<std::uint64_t>(1, std::min(s.batch_paths, s.path_bound()))),
        pilot_paths_(s.histogram_bins > 0 && !weighted_ ? histogram_pilot_paths(s.paths) : 0),
        lines_(backend) {}

  std::uint64_t batch() const override { return batch_; }
  std::uint64_t first_stop() const override { return pilot_paths_; }
  const TailLineSimulator& tail_lines() const override { return lines_; }

  // Pilot: the first paths of the run (by index, so independent of batch size, threads and the
  // shares) fix the histogram's bins; their losses are kept and folded in by the process whose
  // share holds them, so they cost nothing extra there.
  LossAccumulator start() override {
    return start_accumulator(spec_, s_, [this](std::uint64_t count, double* out) {
      simulate(0, count, out);
      pilot_.assign(out, out + count);
    });
  }

  void fold(LossAccumulator& acc, std::uint64_t first, std::uint64_t count,
            const std::function<void(std::uint64_t)>& folded) override {
    const std::uint64_t end = first + count;
    if (keep_ && weighted_)
      throw std::invalid_argument("losses drawn under importance sampling are not kept");
    if (!pilot_.empty() && first < pilot_.size()) {  // (a resumed run has no pilot kept)
      const std::uint64_t kept = std::min<std::uint64_t>(end, pilot_.size());
      accumulate(acc, pilot_.data() + first, kept - first, first, backend_.threads());
      if (observer_ != nullptr) observer_->folded(first, kept - first);
      if (keep_) std::copy(pilot_.data() + first, pilot_.data() + kept, keep_(first, kept - first));
      first = kept;
    }
    if (first < end && weighted_) {
      losses_.resize(std::max<std::size_t>(losses_.size(), end - first));
      log_weights_.resize(losses_.size());
      {
        const PhaseScope phase(Phase::kSimulate);
        if (observer_ != nullptr)  // a book hierarchy: every book on the same weighted paths
          observer_->simulate_weighted(spec_, s_.seed, first, end - first, losses_.data(),
                                       log_weights_.data());
        else
          backend_.simulate_losses(spec_, s_.seed, first, end - first, losses_.data(),
                                   log_weights_.data());
      }
      acc.add_weighted(losses_.data(), log_weights_.data(), end - first, first);
      if (observer_ != nullptr) observer_->folded(first, end - first);
    } else if (first < end) {
      losses_.resize(std::max<std::size_t>(losses_.size(), end - first));
      simulate(first, end - first, losses_.data());
      accumulate(acc, losses_.data(), end - first, first, backend_.threads());
      if (observer_ != nullptr) observer_->folded(first, end - first);
      if (keep_) std::copy(losses_.data(), losses_.data() + (end - first), keep_(first, end - first));
    }
    if (folded) folded(count);
  }

 private:
  // Paths [first, first + count)'s losses into out: the observer's below its paths().
  void simulate(std::uint64_t first, std::uint64_t count, double* out) {
    const PhaseScope phase(Phase::kSimulate);
    std::uint64_t observed = 0;
    if (observer_ != nullptr && first < observer_->paths()) {
      observed = std::min(count, observer_->paths() - first);
      observer_->simulate(spec_, backend_, s_.seed, first, observed, out);
    }
    if (observed < count)
      backend_.simulate_losses(spec_, s_.seed, first + observed, count - observed, out + observed);
  }

  const SimSpec& spec_;
  const CpuBackend& backend_;
  const RunSettings& s_;
  PathObserver* observer_;
  bool weighted_;  // importance sampling: paths folded with their likelihood ratios
  std::uint64_t batch_, pilot_paths_;
  std::vector<double> pilot_, losses_, log_weights_;
  CpuTailLines lines_;
};

}  // namespace

std::unique_ptr<PathSource> cpu_path_source(const SimSpec& spec, const CpuBackend& backend,
                                            const RunSettings& settings,
                                            PathObserver* observer) {
  return std::make_unique<CpuPathSource>(spec, backend, settings, observer);
}

void PathObserver::simulate_weighted(const SimSpec&, std::uint64_t, std::uint64_t, std::uint64_t,
                                     double*, double*) {
  throw std::logic_error("PathObserver: this observer folds no weighted paths");
}

std::uint64_t PathObserver::restore_none(const std::vector<std::string>& images,
                                         const std::string& file) {
  if (!images.empty())
    throw InputError(file, 0, "--resume",
                     "the checkpoint holds a book hierarchy's books (" +
                         std::to_string(images.size()) + "); this run has none",
                     "run the same command, or delete the checkpoint to start over");
  return 0;
}

void advance_scenario(ScenarioProgress& p, const RunSettings& s, PathSource& source,
                      PathTeam& team, const ProgressFn& report, const SaveProgress& save) {
  if (s.paths == 0) throw std::invalid_argument("no paths to simulate");
  if (p.complete) return;
  const PhaseScope phase(Phase::kTail);  // the sources' scopes count their kernels as simulate
  const auto saved = [&] {
    if (!save) return;
    // While the scenario runs, this process's whole tail goes into the checkpoint; once it is
    // complete, p.acc is what the last stop settled (rank 0: every process's, merged).
    if (!p.complete && p.acc) source.settle(*p.acc, p.acc->tail_size());
    const PhaseScope writing(Phase::kCheckpoint);
    save(p);
  };
  const std::uint64_t bound = s.path_bound();
  std::vector<std::uint64_t> stops = convergence_stops(s);
  stops.erase(std::remove_if(stops.begin(), stops.end(),
                             [&](std::uint64_t cp) { return cp < source.first_stop(); }),
              stops.end());
  if (!p.acc) p.acc = source.start();
  source.adopt(*p.acc);
  // The rows and the target test need this many of the largest losses at a stop.
  const auto tail_needed = [&](std::uint64_t cp) { return tail_size_needed(cp, s.tail_levels()); };
  for (const std::uint64_t cp : stops) {
    if (cp <= p.done) continue;
    const PathRange share = share_of({p.done, cp}, team.rank(), team.size());
    p.next_path = std::clamp(p.next_path, share.first, share.last);
    while (p.next_path < share.last) {
      const std::uint64_t first = p.next_path;
      const std::uint64_t count = std::min(source.batch(), share.last - first);
      // Progress of all processes together, judged from this one's share (they run in step).
      const auto folded = [&](std::uint64_t k) {
        throw_if_run_cancelled();
        if (report)
          report(std::min<std::uint64_t>(
                     cp, p.done + (first + k - share.first) * static_cast<std::uint64_t>(
                                                                  team.size())),
                 bound);
      };
      source.fold(*p.acc, first, count, folded);
      p.next_path = first + count;
      if (p.next_path == share.last) p.reached = cp;
      saved();
    }
    if (p.reached != cp) {  // an empty share: nothing to fold, but the stretch is done here
      p.reached = cp;
      saved();
    }
    source.settle(*p.acc, tail_needed(cp));
    const LossAccumulator* all = team.gather(*p.acc, tail_needed(cp));
    bool last = cp == stops.back();
    if (all != nullptr) {  // rank 0: the row of this stop, and whether the target is met
      ScenarioResult r = summarize_at("", *all, cp, s.confidences);
      p.table.push_back({cp, r.levels});
      if (s.target_rel_error > 0) {
        const LevelRisk t =
            all->weighted()
                ? weighted_risk_at(all->count(), s.target_confidence, all->weighted_sorted())
                : risk_at(all->count(), s.target_confidence,
                          all->tail_ref(tail_size_needed(cp, {s.target_confidence})));
        if (target_error_met(t, s)) {
          p.target_met = true;
          last = true;
        }
      }
      p.done = cp;
      p.complete = last;
      if (last) p.last_row = std::move(r);
      if (last && all != &*p.acc) p.acc = *all;
      saved();  // before the others learn of the stop
    }
    last = team.agree(last);
    if (all == nullptr) {
      p.done = cp;
      p.complete = last;
      if (last) p.acc.reset();  // only rank 0 needs the scenario's losses now
      saved();
    }
    if (last) return;
  }
}

namespace {

// An importance-sampling run's last step: the effective sample size of the paths at or beyond
// VaR at the highest level (the one the shift aims at), and the components from every kept
// path weighted by its likelihood ratio.
void finish_weighted(ScenarioResult& r, const SimSpec& spec, const RunSettings& s,
                     const LossAccumulator& acc, const TailLineSimulator& lines) {
  const std::vector<WeightedLoss>& kept = acc.weighted_sorted();
  const double target = s.importance_target > 0
                            ? s.importance_target
                            : *std::max_element(s.confidences.begin(), s.confidences.end());
  if (!kept.empty() && tail_mass(kept.size(), target) >= 1.0) {
    const double var = kept[weighted_var_index(kept.size(), target, kept)].loss;
    long double sw = 0, sw2 = 0;
    for (const WeightedLoss& e : kept) {
      if (e.loss < var) break;
      sw += e.weight;
      sw2 += static_cast<long double>(e.weight) * e.weight;
      ++r.importance.tail_paths;
    }
    r.importance.ess_tail = sw2 > 0 ? static_cast<double>(sw * sw / sw2) : 0.0;
  }
  if (!s.components) return;
  std::vector<TailEntry> tail(kept.size());
  std::vector<double> likelihood(kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    tail[i] = {kept[i].loss, kept[i].path};
    likelihood[i] = kept[i].weight;
  }
  allocate_risk(r, spec, s.seed, tail, kept.size(), lines, likelihood);
}

}  // namespace

ScenarioResult finish_scenario(const std::string& name, const ScenarioProgress& p,
                               const SimSpec& spec, const RunSettings& s,
                               const TailLineSimulator& lines) {
  if (!p.complete || !p.acc) throw std::logic_error("finish_scenario: the scenario is not done");
  const PhaseScope phase(Phase::kTail);
  ScenarioResult r = p.last_row && p.last_row->paths == p.done
                         ? *p.last_row
                         : summarize_at(name, *p.acc, p.done, s.confidences);
  r.name = name;
  r.convergence = p.table;
  r.target_met = p.target_met;
  if (p.acc->weighted()) {
    finish_weighted(r, spec, s, *p.acc, lines);
    return r;
  }
  if (s.components) allocate_scenario_risk(r, spec, s, *p.acc, lines);
  return r;
}

ScenarioResult run_scenario(const std::string& name, const SimSpec& spec, PathSource& source,
                            const RunSettings& s, const ProgressFn& progress) {
  if (s.paths == 0) throw std::invalid_argument("no paths to simulate");
  const auto start = std::chrono::steady_clock::now();
  PathTeam alone;
  ScenarioProgress p;
  advance_scenario(p, s, source, alone, progress);
  ScenarioResult r = finish_scenario(name, p, spec, s, source.tail_lines());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

ScenarioResult simulate_scenario(const std::string& name, const SimSpec& spec,
                                 const CpuBackend& backend, const RunSettings& s,
                                 const ProgressFn& progress) {
  const std::unique_ptr<PathSource> source = cpu_path_source(spec, backend, s);
  return run_scenario(name, spec, *source, s, progress);
}

void allocate_scenario_risk(ScenarioResult& r, const SimSpec& spec, const RunSettings& s,
                            const LossAccumulator& acc, const TailLineSimulator& lines) {
  const std::vector<TailEntry>& tail =
      acc.tail_entries_ref(tail_size_needed(r.paths, s.confidences));
  allocate_risk(r, spec, s.seed, tail, acc.count(), lines);
}

ScenarioResult summarize_losses(const std::string& name, const LossAccumulator& acc,
                                std::uint64_t paths, const std::vector<double>& confidences) {
  return summarize_tail(name, acc, paths, confidences, acc.tail());
}

namespace {

ScenarioResult summarize_at(const std::string& name, const LossAccumulator& acc,
                            std::uint64_t paths, const std::vector<double>& confidences) {
  if (acc.weighted())
    return summarize_weighted(name, acc.weighted_sorted(), paths, acc.non_finite(), confidences);
  return summarize_tail(name, acc, paths, confidences,
                        acc.tail_ref(tail_size_needed(paths, confidences)));
}

}  // namespace

ScenarioResult summarize_run(const std::string& name, const LossAccumulator& acc,
                             std::uint64_t paths, const SimSpec& spec, const RunSettings& s,
                             const TailLineSimulator& lines) {
  if (acc.weighted()) {
    ScenarioResult r =
        summarize_weighted(name, acc.weighted_sorted(), paths, acc.non_finite(), s.confidences);
    finish_weighted(r, spec, s, acc, lines);
    return r;
  }
  ScenarioResult r = summarize_losses(name, acc, paths, s.confidences);
  if (s.components) allocate_scenario_risk(r, spec, s, acc, lines);
  return r;
}

// The statistics of the first `paths` paths, `sorted` (in tail order) holding all their finite
// ones, as a weighted run of that many paths gives them.
ScenarioResult summarize_weighted(const std::string& name,
                                  const std::vector<WeightedLoss>& sorted, std::uint64_t paths,
                                  std::uint64_t bad, const std::vector<double>& confidences) {
  ScenarioResult r;
  r.name = name;
  r.paths = paths;
  r.non_finite = bad;
  const std::uint64_t n = sorted.size();
  require_finite_losses(name, n, paths, confidences);
  const WeightedSummary s = weighted_summary(n, sorted);
  r.mean_loss = s.mean;
  r.stdev_loss = s.stdev;
  r.prob_loss = s.prob_loss;
  r.worst_loss = s.worst;
  double widest = 0;
  for (double c : confidences) {
    r.levels.push_back(weighted_risk_at(n, c, sorted));
    widest = std::max(widest, 1.0 - c);
  }
  r.tail_curve = weighted_tail_curve(sorted, n, std::min(1.0, 4 * widest));
  r.importance.weight_mean = s.weight_mean;
  r.importance.ess = s.ess;
  return r;
}


void require_finite_losses(const std::string& scenario, std::uint64_t n, std::uint64_t paths,
                           const std::vector<double>& confidences) {
  for (double c : confidences)
    if (tail_mass(n, c) < 1.0) {
      char level[32];
      std::snprintf(level, sizeof level, "%.10g%%", 100 * c);
      throw InputError("", 0, "scenario '" + scenario + "'",
                       "only " + std::to_string(n) + " of " + std::to_string(paths) +
                           " paths had a finite loss: too few for the " + level + " level",
                       "the model gives NaN or infinite losses: check the market's vols, drifts "
                       "and dof, and the scenario's jumps and regimes");
    }
}

ScenarioResult summarize_tail(const std::string& name, const LossAccumulator& acc,
                              std::uint64_t paths, const std::vector<double>& confidences,
                              const std::vector<double>& tail) {
  ScenarioResult r;
  r.name = name;
  r.paths = paths;
  r.non_finite = acc.non_finite();
  const std::uint64_t n = acc.count();
  require_finite_losses(name, n, paths, confidences);
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
