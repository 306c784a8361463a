#include "host/analytics/reverse_stress.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

#include "host/input_error.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/sim_spec.hpp"
#include "host/stats/risk_measures.hpp"

namespace chipshock {

namespace {

// ES of the losses at `confidence`, by the engine's estimator.
double expected_shortfall(std::vector<double> losses, double confidence) {
  const std::size_t n = losses.size();
  const std::size_t k = std::min(n, tail_size_needed(n, {confidence}));
  std::partial_sort(losses.begin(), losses.begin() + static_cast<std::ptrdiff_t>(k), losses.end(),
                    std::greater<double>());
  losses.resize(k);
  return risk_at(n, confidence, losses).es;
}

}  // namespace

ReverseResult reverse_stress(const ReverseSettings& s, const Market& market,
                             const Portfolio& portfolio, const CpuBackend& backend) {
  ReverseResult res;
  res.settings = s;
  if (!(s.target_loss > 0))
    throw InputError("", 0, "--target-loss", "must be a positive loss in the book's currency");
  if (!(s.confidence >= 0.5 && s.confidence < 1))
    throw InputError("", 0, "--confidence", "must be in [0.5, 1)");
  if (s.batches < 2 || s.paths < static_cast<std::uint64_t>(s.batches) * 100)
    throw InputError("", 0, "--paths", "too few paths for the ES standard error (batch means)");
  for (std::uint64_t b = 0; b < static_cast<std::uint64_t>(s.batches); ++b)
    if (tail_mass(s.paths / static_cast<std::uint64_t>(s.batches), s.confidence) < 1.0)
      throw InputError("", 0, "--paths", "too few paths for ES at this confidence");
  // The factor's loadings among held assets, and the largest shock that keeps prices positive
  // (a fall of at most 99%) and rises below 1000%.
  double max_down = 1e300, max_up = 1e300;
  bool known = false;
  for (const Asset& a : market.assets) {
    const auto e = a.exposures.find(s.factor);
    if (e == a.exposures.end()) continue;
    known = true;
    bool held = false;
    for (const Position& p : portfolio.positions) held |= p.ticker == a.ticker;
    if (held && e->second != 0.0) res.exposed.push_back(a.ticker);
    const double b = e->second;
    if (b > 0) {
      max_down = std::min(max_down, 0.99 / b);
      max_up = std::min(max_up, 10.0 / b);
    } else if (b < 0) {
      max_down = std::min(max_down, 10.0 / -b);
      max_up = std::min(max_up, 0.99 / -b);
    }
  }
  if (!known)
    throw InputError("", 0, "--factor",
                     "unknown factor '" + s.factor + "': no asset in " + market.file +
                         " has exposures." + s.factor);
  if (res.exposed.empty())
    throw InputError("", 0, "--factor",
                     "no position of " + portfolio.file + " is exposed to '" + s.factor + "'");
  max_down = std::min(max_down, 10.0);
  max_up = std::min(max_up, 10.0);

  SimSettings sim;
  sim.horizon_days = s.horizon_days;
  const std::uint64_t n = s.paths;
  std::vector<double> losses(n);
  auto evaluate = [&](double shock) {
    Scenario sc;
    sc.file = "reverse stress";
    sc.name = "reverse";
    ScenarioJump j;
    j.factors[s.factor] = shock;
    sc.jumps.push_back(j);
    const SimSpec spec(market, portfolio, sim, apply_scenario(sc, market, s.horizon_days));
    backend.simulate_losses(spec, s.seed, 0, n, losses.data());
    ReversePoint p;
    p.shock = shock;
    p.es = expected_shortfall(losses, s.confidence);
    const std::uint64_t per = n / static_cast<std::uint64_t>(s.batches);
    double sum = 0, sum2 = 0;
    for (int b = 0; b < s.batches; ++b) {
      const auto first = losses.begin() + static_cast<std::ptrdiff_t>(per * static_cast<std::uint64_t>(b));
      const double e = expected_shortfall(std::vector<double>(first, first + static_cast<std::ptrdiff_t>(per)),
                                          s.confidence);
      sum += e;
      sum2 += e * e;
    }
    const double mb = sum / s.batches;
    const double var_b = std::max(0.0, (sum2 - s.batches * mb * mb) / (s.batches - 1));
    // Batch ES uses per = n / B paths: its variance is about B times that of the full estimate.
    p.es_se = std::sqrt(var_b / s.batches);
    res.evaluations.push_back(p);
    return p;
  };

  res.baseline = evaluate(0.0);
  if (res.baseline.es >= s.target_loss) {
    res.reached_at_zero = true;
    res.at_solution = res.baseline;
    res.direction = "none";
    return res;
  }
  // Which sign raises ES: probe a small shock each way.
  const double probe = 0.01 * std::min(max_down, max_up);
  const ReversePoint down = evaluate(-probe), up = evaluate(probe);
  const double sign = down.es >= up.es ? -1.0 : 1.0;
  res.direction = sign < 0 ? "down" : "up";
  res.max_shock = sign < 0 ? max_down : max_up;
  const ReversePoint far = evaluate(sign * res.max_shock);
  if (far.es < s.target_loss)
    throw InputError("", 0, "--target-loss",
                     "not reached: the largest " + std::string(sign < 0 ? "fall" : "rise") +
                         " of '" + s.factor + "' the exposures allow (" +
                         std::to_string(sign * res.max_shock) + " per unit loading) gives an ES of " +
                         std::to_string(far.es),
                     "the book's exposure to this factor is too small for this target");
  double lo = 0.0, hi = res.max_shock;
  ReversePoint at_hi = far, at_lo = res.baseline;
  while (hi - lo > s.tolerance) {
    const double mid = 0.5 * (lo + hi);
    const ReversePoint p = evaluate(sign * mid);
    if (p.es >= s.target_loss) {
      hi = mid;
      at_hi = p;
    } else {
      lo = mid;
      at_lo = p;
    }
  }
  res.shock = sign * hi;
  res.at_solution = at_hi;
  // Delta method: the shock's uncertainty is ES's standard error over the slope dES/dshock.
  const double slope = (at_hi.es - at_lo.es) / (hi - lo);
  const double half = slope > 0 ? 1.96 * at_hi.es_se / slope : 0.0;
  res.shock_lo = sign * std::max(0.0, hi - half);
  res.shock_hi = sign * std::min(res.max_shock, hi + half);
  if (sign < 0) std::swap(res.shock_lo, res.shock_hi);
  return res;
}

}  // namespace chipshock
