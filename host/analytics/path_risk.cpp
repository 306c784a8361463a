#include "host/analytics/path_risk.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "host/cpu/cpu_kernel.hpp"
#include "host/input_error.hpp"
#include "host/run_phases.hpp"

namespace chipshock {

std::uint64_t path_risk_paths(std::uint64_t run_paths, int horizon_days, int steps_per_day,
                              int n_assets) {
  // One pass over the horizon per path (DayValueSimulator::simulate_path_risk).
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

// Paths per call of the path-risk kernel when path_dependent_risk simulates them itself.
constexpr std::uint64_t kBlockPaths = 1u << 16;

}  // namespace

PathRiskTap::PathRiskTap(const Market& market, const Portfolio& portfolio,
                         const SimSettings& sim, const Scenario* scenario, std::uint64_t paths,
                         double stop_loss)
    : paths_(paths),
      stop_loss_(stop_loss),
      drawdown_(paths, 0.0),
      first_(paths, -1),
      end_breach_(paths, 0),
      seen_(paths, 0) {
  // The run cut at each day: its book revalues the options at the maturity left that day.
  std::vector<int> every_day(static_cast<std::size_t>(sim.horizon_days));
  for (int d = 1; d <= sim.horizon_days; ++d) every_day[static_cast<std::size_t>(d - 1)] = d;
  cut_ = cut_runs(market, portfolio, sim, scenario, every_day);
  n_days_ = cut_.at.size();
}

void PathRiskTap::record(std::uint64_t first, std::uint64_t count, const double* losses,
                         const double* drawdowns, const std::int32_t* first_breach) {
  if (first > paths_ || count > paths_ - first)
    throw std::logic_error("PathRiskTap::record: paths beyond the tap's");
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::uint64_t p = first + k;
    if (seen_[p] == 0) ++recorded_;
    seen_[p] = 1;
    drawdown_[p] = drawdowns[k];
    first_[p] = first_breach[k];
    end_breach_[p] = losses[k] >= stop_loss_ ? 1 : 0;
  }
}

PathRiskResult PathRiskTap::result(const std::string& name) const {
  if (!complete()) throw std::logic_error("PathRiskTap::result: not every path recorded");
  PathRiskResult r;
  r.scenario = name;
  r.paths = paths_;
  const std::size_t days = n_days_;
  r.first_breach.assign(days, 0.0);
  std::vector<double> drawdowns;
  drawdowns.reserve(paths_);
  std::uint64_t breach = 0, breach_end = 0;
  std::vector<std::uint64_t> first(days, 0);
  for (std::uint64_t p = 0; p < paths_; ++p) {
    if (first_[p] == cpu_kernel::kNonFinitePath) {  // some day's value was not finite: left out
      ++r.non_finite;
      continue;
    }
    drawdowns.push_back(drawdown_[p]);
    if (first_[p] >= 0) {
      ++breach;
      ++first[static_cast<std::size_t>(first_[p])];
    }
    if (end_breach_[p] != 0) ++breach_end;
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

void PathRiskTap::simulate(const SimSpec& spec, const DayValueSimulator& backend,
                           std::uint64_t seed,
                           std::uint64_t first, std::uint64_t count, double* losses) {
  std::vector<double> drawdowns(count);
  std::vector<std::int32_t> first_breach(count);
  backend.simulate_path_risk(spec, cut_.at, stop_loss_, seed, first, count, losses,
                             drawdowns.data(), first_breach.data());
  record(first, count, losses, drawdowns.data(), first_breach.data());
}

PathRisk path_dependent_risk(const Market& market, const Portfolio& portfolio,
                             const SimSettings& sim, const std::vector<Scenario>& scenarios,
                             const DayValueSimulator& backend, std::uint64_t seed,
                             std::uint64_t run_paths, double stop_loss,
                             const std::vector<const PathRiskTap*>& taps) {
  if (!(stop_loss > 0) || !std::isfinite(stop_loss))
    throw InputError("", 0, "--stop-loss", "must be a positive loss in the book's currency");
  const PhaseScope phase(Phase::kValuePaths);
  const auto start = std::chrono::steady_clock::now();
  PathRisk out;
  out.stop_loss = stop_loss;
  out.horizon_days = sim.horizon_days;
  out.paths = path_risk_paths(run_paths, sim.horizon_days, sim.steps_per_day,
                              static_cast<int>(market.size()));
  for (std::size_t k = 0; k <= scenarios.size(); ++k) {
    const Scenario* sc = k == 0 ? nullptr : &scenarios[k - 1];
    const std::string name = sc ? sc->name : "baseline";
    const PathRiskTap* tap = k < taps.size() ? taps[k] : nullptr;
    if (tap != nullptr && tap->complete() && tap->paths() == out.paths &&
        tap->stop_loss() == stop_loss) {  // the main run gathered them
      out.scenarios.push_back(tap->result(name));
      ++out.from_main_run;
      continue;
    }
    PathRiskTap own(market, portfolio, sim, sc, out.paths, stop_loss);
    std::vector<double> losses(std::min(out.paths, kBlockPaths));
    for (std::uint64_t first = 0; first < out.paths; first += kBlockPaths) {
      const std::uint64_t count = std::min(kBlockPaths, out.paths - first);
      own.simulate(*own.days().back(), backend, seed, first, count, losses.data());
    }
    out.scenarios.push_back(own.result(name));
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace chipshock
