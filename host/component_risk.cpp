#include "host/component_risk.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>
#include <vector>

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

// Where a level's VaR path sits in the tail and its weight in ES (the rest of the tail mass after
// the paths before it, each of which has its likelihood ratio as weight: 1 in a plain run).
struct LevelWeights {
  std::size_t var_index = 0;
  double var_weight = 0;
};

// weighted: the tail with its likelihood ratios under importance sampling; empty in a plain run.
LevelWeights level_weights(std::uint64_t n, double confidence,
                           const std::vector<WeightedLoss>& weighted) {
  LevelWeights out;
  if (weighted.empty()) {
    out.var_index = static_cast<std::size_t>(std::floor(tail_mass(n, confidence)));
    out.var_weight = es_weight(n, confidence, out.var_index);
    return out;
  }
  out.var_index = weighted_var_index(n, confidence, weighted);
  out.var_weight = weighted_es_weights(n, confidence, weighted)[out.var_index];
  return out;
}

}  // namespace

TailLineSummer::TailLineSummer(const TailLineRequest& q, int columns)
    : q_(q), cols_(static_cast<std::size_t>(columns)), n_(q.paths.size()) {
  out_.columns = columns;
  out_.sums.assign(q.ends.size() * cols_, 0.0L);
  order_.resize(q.ends.size());
  for (std::size_t e = 0; e < order_.size(); ++e) order_[e] = e;
  std::sort(order_.begin(), order_.end(),
            [&](std::size_t a, std::size_t b) { return q.ends[a] < q.ends[b]; });
  for (std::uint64_t e : q.ends)
    needed_ = std::max(needed_, static_cast<std::size_t>(std::min<std::uint64_t>(e, n_)));
  for (const TailRows& range : q.rows)
    needed_ = std::max(needed_, static_cast<std::size_t>(std::min<std::uint64_t>(range.last, n_)));
  acc_.assign(cols_, 0.0L);
  rows_.resize(q.rows.size());
  take(0);
}

void TailLineSummer::take(std::size_t i) {
  while (next_ < order_.size() && std::min<std::uint64_t>(q_.ends[order_[next_]], n_) == i) {
    std::copy(acc_.begin(), acc_.end(),
              out_.sums.begin() + static_cast<std::ptrdiff_t>(order_[next_] * cols_));
    ++next_;
  }
}

void TailLineSummer::add(std::size_t i, const double* row) {
  if (next_ < order_.size() && i < n_) {
    const long double w = q_.weights.empty() ? 1.0L : q_.weights[i];
    if (w != 0)
      for (std::size_t c = 0; c < cols_; ++c) acc_[c] += w * row[c];
  }
  for (std::size_t r = 0; r < q_.rows.size(); ++r)
    if (q_.rows[r].first <= i && i < q_.rows[r].last)
      rows_[r].insert(rows_[r].end(), row, row + cols_);
  take(i + 1);
}

TailLineSums TailLineSummer::finish() {
  for (const std::vector<double>& r : rows_) out_.rows.insert(out_.rows.end(), r.begin(), r.end());
  return std::move(out_);
}

TailLineSums CpuTailLines::tail_lines(const SimSpec& spec, std::uint64_t seed,
                                      const TailLineRequest& q) const {
  // A piece of the tail's paths at a time: its lines in buffers that keep their memory (all of
  // a deep tail's lines at once were tens of MB written once, mostly page faults).
  // (at least 2,048 paths a thread, so that every thread has lane groups to take)
  const std::size_t kPiece =
      std::max<std::size_t>(4096, 2048 * static_cast<std::size_t>(backend_.threads()));
  const std::size_t p = spec.positions().size(), cols = p + 1;
  TailLineSummer summer(q, static_cast<int>(cols));
  std::vector<std::uint64_t> paths;
  std::vector<double> pl, path_loss, row(cols);
  for (std::size_t first = 0; first < summer.needed(); first += kPiece) {
    const std::size_t m = std::min(kPiece, summer.needed() - first);
    paths.assign(q.paths.begin() + static_cast<std::ptrdiff_t>(first),
                 q.paths.begin() + static_cast<std::ptrdiff_t>(first + m));
    backend_.simulate_lines(spec, seed, paths, pl, path_loss);
    for (std::size_t k = 0; k < m; ++k) {
      // the path's loss as the sum of its lines, so that the components add up to it exactly
      double total = 0;
      for (std::size_t j = 0; j < p; ++j) {
        row[j] = pl[k * p + j];
        total += row[j];
      }
      row[p] = total;
      summer.add(first + k, row.data());
    }
  }
  return summer.finish();
}

void allocate_risk(ScenarioResult& r, const SimSpec& spec, std::uint64_t seed,
                   const std::vector<TailEntry>& tail, std::uint64_t n,
                   const TailLineSimulator& simulator, const std::vector<double>& likelihood) {
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
  const std::size_t p = lines.size(), cols = p + 1;
  // What each level needs of the tail paths' lines: the ES sums over the paths before its VaR
  // path (each weighted by its likelihood ratio, 1 in a plain run), then, row by row, its VaR
  // window (whose middle is the VaR path) and the VaR path itself.
  struct LevelRows {
    std::size_t jv = 0, lo = 0, hi = 0;  // the VaR path and the window [lo, hi]
    std::size_t window_row = 0, var_row = 0;  // their first rows in the reply
  };
  TailLineRequest q;
  q.paths.resize(need);
  for (std::size_t i = 0; i < need; ++i) q.paths[i] = tail[i].path;
  if (!likelihood.empty())
    q.weights.assign(likelihood.begin(), likelihood.begin() + static_cast<std::ptrdiff_t>(need));
  std::vector<LevelRows> at(r.levels.size());
  std::size_t rows = 0;
  for (std::size_t k = 0; k < r.levels.size(); ++k) {
    LevelRows& a = at[k];
    a.jv = weights[k].var_index;  // 0-based index of the VaR path
    const std::size_t h =
        window_half_width(tail_mass(n, r.levels[k].confidence), a.jv, likelihood);
    a.lo = a.jv >= h ? a.jv - h : 0;
    a.hi = std::min(need - 1, a.jv + h);
    q.ends.push_back(std::min(a.jv, need));
    a.window_row = rows;
    if (a.lo <= a.hi) {
      q.rows.push_back({a.lo, a.hi + 1});
      rows += a.hi - a.lo + 1;
    }
    a.var_row = rows;
    const std::size_t v = std::min(a.jv, need - 1);  // the VaR path, or the last one kept
    q.rows.push_back({v, v + 1});
    rows += 1;
  }
  const TailLineSums got = simulator.tail_lines(spec, seed, q);
  r.allocation.paths_resimulated = need;
  const auto lr = [&likelihood](std::size_t i) { return likelihood.empty() ? 1.0 : likelihood[i]; };
  for (std::size_t k = 0; k < r.levels.size(); ++k) {
    const LevelRisk& level = r.levels[k];
    const LevelRows& rw = at[k];
    const double m = tail_mass(n, level.confidence);
    const std::size_t jv = rw.jv;
    const double* var_path = got.rows.data() + rw.var_row * cols;
    // Row i of the window (lo <= i <= hi): its lines, then the path's loss.
    const auto row = [&](std::size_t i) { return got.rows.data() + (rw.window_row + i - rw.lo) * cols; };
    AllocationLevel a;
    a.confidence = level.confidence;
    a.es = level.es;
    a.var = level.var;
    std::vector<long double> es_c(p, 0.0L), var_c(p, 0.0L), var_sq(p, 0.0L);
    for (std::size_t j = 0; j < p; ++j) es_c[j] = got.sums[k * cols + j];
    long double es_total = got.sums[k * cols + p];
    // The VaR path's share of ES (the rest of the tail mass), as the last term of the sums.
    if (jv < need) {
      const long double w = weights[k].var_weight;
      if (w != 0) {
        for (std::size_t j = 0; j < p; ++j) es_c[j] += w * var_path[j];
        es_total += w * var_path[p];
      }
    }
    a.es_resimulated = static_cast<double>(es_total / m);
    a.var_resimulated = var_path[p];
    const std::size_t lo = rw.lo, hi = rw.hi;
    // The window's paths weighted by their likelihood ratios (1 in a plain run): the mean is
    // a ratio estimate of E[. | L near VaR], its standard error the weighted sample's over Kish's
    // effective size (sum w)^2 / sum w^2 (= the path count in a plain run).
    long double sw = 0, sw2 = 0, sum = 0, sum_sq = 0;
    a.var_window_lo = lo <= hi ? row(hi)[p] : var_path[p];
    a.var_window_hi = lo <= hi ? row(lo)[p] : var_path[p];
    for (std::size_t i = lo; i <= hi; ++i) {
      const double* pl = row(i);
      const long double wi = lr(i);
      sw += wi;
      sw2 += wi * wi;
      sum += wi * pl[p];
      sum_sq += wi * static_cast<long double>(pl[p]) * pl[p];
      a.var_window_lo = std::min(a.var_window_lo, pl[p]);
      a.var_window_hi = std::max(a.var_window_hi, pl[p]);
      for (std::size_t j = 0; j < p; ++j) {
        var_c[j] += wi * pl[j];
        var_sq[j] += wi * static_cast<long double>(pl[j]) * pl[j];
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
