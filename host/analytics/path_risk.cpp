#include "host/analytics/path_risk.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "host/input_error.hpp"

namespace chipshock {

std::uint64_t path_risk_paths(std::uint64_t run_paths, int horizon_days, int steps_per_day,
                              int n_assets) {
  const double h = horizon_days;
  const double per_path = 0.5 * h * (h + 1) * steps_per_day * std::max(n_assets, 1);
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

PathRiskResult summarize(const std::string& name, const std::vector<std::vector<double>>& loss,
                         std::uint64_t paths, double stop_loss) {
  PathRiskResult r;
  r.scenario = name;
  r.paths = paths;
  const std::size_t days = loss.size();
  r.first_breach.assign(days, 0.0);
  std::vector<double> drawdowns;
  drawdowns.reserve(paths);
  std::uint64_t breach = 0, breach_end = 0;
  std::vector<std::uint64_t> first(days, 0);
  for (std::uint64_t p = 0; p < paths; ++p) {
    // Value relative to today: -loss. Peak starts at today's value (loss 0).
    double peak = 0.0, worst = 0.0;
    bool finite = true;
    int first_day = -1;
    for (std::size_t d = 0; d < days; ++d) {
      const double v = -loss[d][p];
      if (!std::isfinite(v)) {
        finite = false;
        break;
      }
      peak = std::max(peak, v);
      worst = std::max(worst, peak - v);
      if (first_day < 0 && loss[d][p] >= stop_loss) first_day = static_cast<int>(d);
    }
    if (!finite) {
      ++r.non_finite;
      continue;
    }
    drawdowns.push_back(worst);
    if (first_day >= 0) {
      ++breach;
      ++first[static_cast<std::size_t>(first_day)];
    }
    if (loss[days - 1][p] >= stop_loss) ++breach_end;
  }
  const double n = static_cast<double>(drawdowns.size());
  if (n == 0) return r;
  std::sort(drawdowns.begin(), drawdowns.end());
  double sum = 0;
  for (double x : drawdowns) sum += x;
  r.drawdown_mean = sum / n;
  r.drawdown_p50 = quantile_sorted(drawdowns, 0.5);
  r.drawdown_p95 = quantile_sorted(drawdowns, 0.95);
  r.drawdown_p99 = quantile_sorted(drawdowns, 0.99);
  r.prob_breach = static_cast<double>(breach) / n;
  r.prob_breach_at_horizon = static_cast<double>(breach_end) / n;
  for (std::size_t d = 0; d < days; ++d) r.first_breach[d] = static_cast<double>(first[d]) / n;
  return r;
}

}  // namespace

PathRisk path_dependent_risk(const Market& market, const Portfolio& portfolio,
                             const SimSettings& sim, const std::vector<Scenario>& scenarios,
                             const CpuBackend& backend, std::uint64_t seed,
                             std::uint64_t run_paths, double stop_loss) {
  if (!(stop_loss > 0) || !std::isfinite(stop_loss))
    throw InputError("", 0, "--stop-loss", "must be a positive loss in the book's currency");
  const auto start = std::chrono::steady_clock::now();
  PathRisk out;
  out.stop_loss = stop_loss;
  out.horizon_days = sim.horizon_days;
  out.paths = path_risk_paths(run_paths, sim.horizon_days, sim.steps_per_day,
                              static_cast<int>(market.size()));
  std::vector<std::vector<double>> loss(static_cast<std::size_t>(sim.horizon_days),
                                        std::vector<double>(out.paths));
  for (std::size_t k = 0; k <= scenarios.size(); ++k) {
    const Scenario* sc = k == 0 ? nullptr : &scenarios[k - 1];
    for (int d = 1; d <= sim.horizon_days; ++d) {
      const std::unique_ptr<SimSpec> spec = spec_at_day(market, portfolio, sim, sc, d);
      backend.simulate_losses(*spec, seed, 0, out.paths,
                              loss[static_cast<std::size_t>(d - 1)].data());
    }
    out.scenarios.push_back(summarize(sc ? sc->name : "baseline", loss, out.paths, stop_loss));
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace chipshock
