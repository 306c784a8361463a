#include "host/analytics/path_risk.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "host/input_error.hpp"
#include "host/run_phases.hpp"

namespace chipshock {

std::uint64_t path_risk_paths(std::uint64_t run_paths, int horizon_days, int steps_per_day,
                              int n_assets) {
  // One pass over the horizon per path (CpuBackend::simulate_days).
  const double per_path =
      static_cast<double>(horizon_days) * steps_per_day * std::max(n_assets, 1);
  const auto budget = static_cast<std::uint64_t>(kPathRiskBudget / per_path);
  return std::min(run_paths, std::max(kMinPathRiskPaths, std::min(kMaxPathRiskPaths, budget)));
}

namespace {

// The q-quantile of sorted values (the ceil(n q)-th smallest, as the VaR estimator).
double quantile_sorted(const std::vector<double>& v, double q) {
  if (v.empty()) return 0.0;
  std::size_t k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  k = std::min(std::max<std::size_t>(k, 1), v.size());
  return v[k - 1];
}

// One scenario's path statistics, folded a block of paths at a time in path order.
class PathRiskFold {
 public:
  PathRiskFold(std::size_t days, std::uint64_t paths, double stop_loss)
      : stop_loss_(stop_loss), first_(days, 0) {
    drawdowns_.reserve(paths);
  }

  // loss[d * count + p]: path p's loss on day d + 1, for days 0..days-1.
  void add(const double* loss, std::uint64_t count) {
    const std::size_t days = first_.size();
    for (std::uint64_t p = 0; p < count; ++p) {
      // Value relative to today: -loss. Peak starts at today's value (loss 0).
      double peak = 0.0, worst = 0.0;
      bool finite = true;
      int first_day = -1;
      for (std::size_t d = 0; d < days; ++d) {
        const double l = loss[d * count + p];
        const double v = -l;
        if (!std::isfinite(v)) {
          finite = false;
          break;
        }
        peak = std::max(peak, v);
        worst = std::max(worst, peak - v);
        if (first_day < 0 && l >= stop_loss_) first_day = static_cast<int>(d);
      }
      if (!finite) {
        ++non_finite_;
        continue;
      }
      drawdowns_.push_back(worst);
      if (first_day >= 0) {
        ++breach_;
        ++first_[static_cast<std::size_t>(first_day)];
      }
      if (loss[(days - 1) * count + p] >= stop_loss_) ++breach_end_;
    }
  }

  PathRiskResult result(const std::string& name, std::uint64_t paths) {
    PathRiskResult r;
    r.scenario = name;
    r.paths = paths;
    r.non_finite = non_finite_;
    const std::size_t days = first_.size();
    r.first_breach.assign(days, 0.0);
    const double n = static_cast<double>(drawdowns_.size());
    if (n == 0) return r;
    std::sort(drawdowns_.begin(), drawdowns_.end());
    double sum = 0;
    for (double x : drawdowns_) sum += x;
    r.drawdown_mean = sum / n;
    r.drawdown_p50 = quantile_sorted(drawdowns_, 0.5);
    r.drawdown_p95 = quantile_sorted(drawdowns_, 0.95);
    r.drawdown_p99 = quantile_sorted(drawdowns_, 0.99);
    r.prob_breach = static_cast<double>(breach_) / n;
    r.prob_breach_at_horizon = static_cast<double>(breach_end_) / n;
    for (std::size_t d = 0; d < days; ++d)
      r.first_breach[d] = static_cast<double>(first_[d]) / n;
    return r;
  }

 private:
  double stop_loss_;
  std::vector<double> drawdowns_;
  std::uint64_t breach_ = 0, breach_end_ = 0, non_finite_ = 0;
  std::vector<std::uint64_t> first_;
};

// Paths per block of daily losses: about 32 MiB of them at a time, whatever the horizon.
std::uint64_t block_paths(int horizon_days) {
  const std::uint64_t per_path = 8u * static_cast<std::uint64_t>(std::max(horizon_days, 1));
  return std::max<std::uint64_t>(64, (std::uint64_t{32} << 20) / per_path);
}

}  // namespace

PathRisk path_dependent_risk(const Market& market, const Portfolio& portfolio,
                             const SimSettings& sim, const std::vector<Scenario>& scenarios,
                             const CpuBackend& backend, std::uint64_t seed,
                             std::uint64_t run_paths, double stop_loss) {
  if (!(stop_loss > 0) || !std::isfinite(stop_loss))
    throw InputError("", 0, "--stop-loss", "must be a positive loss in the book's currency");
  const PhaseScope phase(Phase::kValuePaths);
  const auto start = std::chrono::steady_clock::now();
  PathRisk out;
  out.stop_loss = stop_loss;
  out.horizon_days = sim.horizon_days;
  out.paths = path_risk_paths(run_paths, sim.horizon_days, sim.steps_per_day,
                              static_cast<int>(market.size()));
  const std::uint64_t block = std::min(out.paths, block_paths(sim.horizon_days));
  std::vector<double> loss(block * static_cast<std::uint64_t>(sim.horizon_days));
  for (std::size_t k = 0; k <= scenarios.size(); ++k) {
    const Scenario* sc = k == 0 ? nullptr : &scenarios[k - 1];
    // The run cut at each day: its book revalues the options at the maturity left that day.
    std::vector<std::unique_ptr<SimSpec>> cut;
    std::vector<const SimSpec*> days;
    for (int d = 1; d <= sim.horizon_days; ++d) {
      cut.push_back(spec_at_day(market, portfolio, sim, sc, d));
      days.push_back(cut.back().get());
    }
    PathRiskFold fold(days.size(), out.paths, stop_loss);
    for (std::uint64_t first = 0; first < out.paths; first += block) {
      const std::uint64_t count = std::min(block, out.paths - first);
      backend.simulate_days(*cut.back(), days, seed, first, count, loss.data());
      fold.add(loss.data(), count);
    }
    out.scenarios.push_back(fold.result(sc ? sc->name : "baseline", out.paths));
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace chipshock
