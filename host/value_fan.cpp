#include "host/value_fan.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "host/input_error.hpp"
#include "host/run_phases.hpp"

namespace chipshock {

std::vector<int> fan_days(int horizon, int max_days) {
  std::vector<int> days;
  if (horizon < 1 || max_days < 1) return days;
  const int n = std::min(horizon, max_days);
  for (int j = 1; j <= n; ++j) {
    const int d = static_cast<int>(
        std::lround(static_cast<double>(j) * horizon / static_cast<double>(n)));
    if (days.empty() || d > days.back()) days.push_back(d);
  }
  return days;
}

std::uint64_t fan_paths(std::uint64_t main_paths, int horizon, const std::vector<int>& days) {
  double day_sum = 0;
  for (int d : days) day_sum += d;
  if (!(day_sum > 0)) return 0;
  const double budget =
      kFanCostShare * static_cast<double>(main_paths) * static_cast<double>(horizon) / day_sum;
  const double clamped = std::clamp(budget, static_cast<double>(kMinFanPaths),
                                    static_cast<double>(kMaxFanPaths));
  return std::min(main_paths, static_cast<std::uint64_t>(clamped));
}

namespace {

// Percentiles of value0 - loss over the finite losses; the p-percentile is the ceil(N p)-th
// smallest value (the convention VaR uses).
std::vector<double> value_percentiles(double value0, const std::vector<double>& losses,
                                      const std::vector<double>& ps) {
  std::vector<double> values;
  values.reserve(losses.size());
  for (double l : losses)
    if (std::isfinite(l)) values.push_back(value0 - l);
  std::vector<double> out;
  if (values.empty()) return out;
  // Each percentile's order statistic selected, not the whole day sorted: for ascending ps the
  // ranks ascend, so each selection searches only what lies above the previous one.
  const double n = static_cast<double>(values.size());
  std::size_t done = 0;  // values[0, done) hold the smallest `done` values
  for (double p : ps) {
    const double rank = std::max(1.0, std::ceil(n * p - 1e-9));
    const std::size_t k = static_cast<std::size_t>(std::min(rank, n)) - 1;
    const std::size_t from = k >= done ? done : 0;
    std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(from),
                     values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
    out.push_back(values[k]);
    done = k + 1;
  }
  return out;
}

}  // namespace

ValueFan compute_value_fan(const Market& market, const Portfolio& portfolio,
                           const SimSettings& sim, const std::vector<Scenario>& scenarios,
                           const DayValueSimulator& backend, std::uint64_t seed,
                           std::uint64_t main_paths, const ProgressFn& progress) {
  const PhaseScope phase(Phase::kValuePaths);
  const auto start = std::chrono::steady_clock::now();
  ValueFan fan;
  fan.percentiles = {0.05, 0.25, 0.5, 0.75, 0.95};
  const std::vector<int> days = fan_days(sim.horizon_days);
  fan.paths = fan_paths(main_paths, sim.horizon_days, days);
  if (days.empty() || fan.paths == 0) return fan;
  fan.days.push_back(0);
  fan.days.insert(fan.days.end(), days.begin(), days.end());

  // Every path once over the horizon, its value read at the end of each fan day
  // (DayValueSimulator::simulate_days): the same numbers as a run cut at each day, in O(H).
  std::vector<double> losses(fan.paths * days.size());
  std::vector<double> day_losses;
  const std::uint64_t total = days.size() * (1 + scenarios.size());
  std::uint64_t done = 0;
  for (std::size_t k = 0; k <= scenarios.size(); ++k) {
    const Scenario* sc = k == 0 ? nullptr : &scenarios[k - 1];
    ValueFanSeries series;
    series.scenario = sc ? sc->name : "baseline";
    CutRuns cut;
    try {
      cut = cut_runs(market, portfolio, sim, sc, days);
    } catch (const InputError& e) {  // a scenario valid at horizon H but not at day d
      fan.notes.push_back(series.scenario + ": no fan (" + e.what() + ")");
      done += days.size();
      continue;
    }
    backend.simulate_days(*cut.specs.back(), cut.at, seed, 0, fan.paths, losses.data());
    const double value0 = cut.specs.back()->value0();
    series.value.push_back(std::vector<double>(fan.percentiles.size(), value0));
    bool ok = true;
    for (std::size_t j = 0; j < days.size(); ++j) {
      day_losses.assign(losses.begin() + static_cast<std::ptrdiff_t>(j * fan.paths),
                        losses.begin() + static_cast<std::ptrdiff_t>((j + 1) * fan.paths));
      std::vector<double> pct = value_percentiles(value0, day_losses, fan.percentiles);
      if (pct.empty()) {
        fan.notes.push_back(series.scenario + ": no fan (no finite value on day " +
                            std::to_string(days[j]) + ")");
        ok = false;
        break;
      }
      series.value.push_back(std::move(pct));
    }
    done += days.size();
    if (progress) progress(done, total);
    if (ok) fan.series.push_back(std::move(series));
  }
  fan.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return fan;
}

}  // namespace chipshock
