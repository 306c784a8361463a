#include "host/report/run_report.hpp"

#include "host/analytics/importance_sampling.hpp"
#include "host/report/markdown_escape.hpp"
#include "host/report/path_risk_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace chipshock {

double RunReport::paths_per_second() const {
  std::uint64_t total = 0;
  for (const ScenarioResult& s : scenarios)
    if (s.kind == "monte_carlo") total += s.paths;
  return elapsed_seconds > 0 ? static_cast<double>(total) / elapsed_seconds : 0.0;
}

double RunReport::Phases::other() const {
  double sum = 0;
  for (double s : seconds) sum += s;
  return std::max(0.0, wall_seconds - sum);
}

std::string phases_summary(const RunReport& r) {
  if (!r.phases.measured) return "";
  std::string out = "phases:";
  char part[96];
  for (std::size_t k = 0; k < kPhaseCount; ++k) {
    std::snprintf(part, sizeof part, "%s %s %.3f s", k == 0 ? "" : ",",
                  phase_name(static_cast<Phase>(k)), r.phases.seconds[k]);
    out += part;
  }
  std::snprintf(part, sizeof part, ", other %.3f s (wall %.3f s)\n", r.phases.other(),
                r.phases.wall_seconds);
  return out + part;
}

std::string rng_description(const std::string& rng) {
  if (rng == "sobol")
    return "Sobol' quasi-random (cuRAND's scrambled Sobol32, digital shift from the seed, "
           "Brownian-bridge order; Student-t mixing and scenario events pseudo-random)";
  return "Philox4x32-10 pseudo-random (cuRAND's layout)";
}

static std::string model_name(double dof) {
  if (dof <= 0) return "Gaussian";
  std::ostringstream s;
  s << "Student-t (dof " << dof << ")";
  return s.str();
}

// Fields added to v1 (readers of the v1 contract can ignore them).
static nlohmann::ordered_json histogram_json(const LossHistogram& h) {
  if (!h.has_bins()) return nullptr;
  return {{"bin_lo", h.bins().lo},     {"bin_width", h.bins().width}, {"bins", h.bins().count},
          {"counts", h.counts()},      {"underflow", h.underflow()},  {"overflow", h.overflow()}};
}

static nlohmann::ordered_json tail_curve_json(const std::vector<TailPoint>& tail) {
  if (tail.empty()) return nullptr;
  nlohmann::ordered_json loss = nlohmann::ordered_json::array(),
                         exceedance = nlohmann::ordered_json::array();
  for (const TailPoint& p : tail) {
    loss.push_back(p.loss);
    exceedance.push_back(p.exceedance);
  }
  return {{"loss", loss}, {"exceedance", exceedance}};
}

// Sums of the position components per key (ticker or sector), in first-seen order.
struct GroupedContribution {
  std::string key;
  double es = 0, var = 0;
};
static std::vector<GroupedContribution> group_components(const std::vector<PositionContribution>& c,
                                                         double confidence, bool by_sector) {
  std::vector<GroupedContribution> out;
  for (const PositionContribution& p : c) {
    if (p.confidence != confidence) continue;
    const std::string key = by_sector ? (p.sector.empty() ? "(none)" : p.sector) : p.ticker;
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.key == key; });
    if (it == out.end()) it = out.insert(out.end(), GroupedContribution{key, 0, 0});
    it->es += p.es_contribution;
    it->var += p.var_contribution;
  }
  return out;
}

static nlohmann::ordered_json components_json(const ScenarioResult& s) {
  using nlohmann::ordered_json;
  if (s.components.empty()) return nullptr;
  bool any_sector = false;
  for (const PositionContribution& p : s.components) any_sector |= !p.sector.empty();
  ordered_json levels = ordered_json::object();
  for (const AllocationLevel& a : s.allocation.levels) {
    ordered_json positions = ordered_json::array(), tickers = ordered_json::array(),
                 sectors = ordered_json::array();
    long double es_sum = 0, var_sum = 0;
    for (const PositionContribution& p : s.components) {
      if (p.confidence != a.confidence) continue;
      es_sum += p.es_contribution;
      var_sum += p.var_contribution;
      positions.push_back({{"position", p.position},
                           {"ticker", p.ticker},
                           {"sector", p.sector.empty() ? ordered_json(nullptr) : ordered_json(p.sector)},
                           {"quantity", p.quantity},
                           {"es_contribution", p.es_contribution},
                           {"var_contribution", p.var_contribution},
                           {"var_contribution_se", p.var_contribution_se},
                           {"marginal_es", p.marginal_es()},
                           {"marginal_var", p.marginal_var()}});
    }
    for (const GroupedContribution& g : group_components(s.components, a.confidence, false))
      tickers.push_back({{"ticker", g.key}, {"es_contribution", g.es}, {"var_contribution", g.var}});
    for (const GroupedContribution& g : group_components(s.components, a.confidence, true))
      sectors.push_back({{"sector", g.key}, {"es_contribution", g.es}, {"var_contribution", g.var}});
    levels[confidence_key(a.confidence)] = {
        {"es", a.es},
        {"es_resimulated", a.es_resimulated},
        {"es_sum_of_components", static_cast<double>(es_sum)},
        {"es_rel_diff", a.es != 0 ? (a.es_resimulated - a.es) / std::fabs(a.es) : 0.0},
        {"var", a.var},
        {"var_resimulated", a.var_resimulated},
        {"var_sum_of_components", static_cast<double>(var_sum)},
        {"var_sum_se", a.var_window_se},
        {"var_window_paths", a.var_window_paths},
        {"var_window_losses", {a.var_window_lo, a.var_window_hi}},
        {"by_position", positions},
        {"by_ticker", tickers},
        {"by_sector", any_sector ? sectors : ordered_json(nullptr)},
        {"by_factor", nullptr}};
  }
  return {{"method", "euler: tail paths simulated again per position"},
          {"es_estimator",
           "sum over the ES tail paths of weight x position loss / (N (1 - alpha)), the weights "
           "of the ES estimator; adds up to es_resimulated exactly"},
          {"var_estimator",
           "mean position loss over the var_window_paths paths ranked nearest the VaR order "
           "statistic (+-ceil(sqrt(N (1 - alpha))) ranks); adds up to the window's mean loss"},
          {"paths_resimulated", s.allocation.paths_resimulated},
          {"levels", levels},
          {"by_factor_note",
           "not reported: factor exposures only drive scenario jumps; the diffusion has a full "
           "correlation matrix and no factor structure, so there is no factor decomposition of "
           "the loss to allocate"}};
}

static nlohmann::ordered_json convergence_json(const std::vector<ConvergencePoint>& table) {
  using nlohmann::ordered_json;
  if (table.empty()) return nullptr;
  ordered_json rows = ordered_json::array();
  for (const ConvergencePoint& p : table) {
    ordered_json var = ordered_json::object(), es = ordered_json::object(),
                 var_ci = ordered_json::object(), es_ci = ordered_json::object();
    for (const LevelRisk& l : p.levels) {
      const std::string key = confidence_key(l.confidence);
      var[key] = l.var;
      es[key] = l.es;
      var_ci[key] = {l.var_lo, l.var_hi};
      es_ci[key] = {l.es_lo, l.es_hi};
    }
    rows.push_back({{"paths", p.paths}, {"var", var}, {"es", es}, {"var_ci", var_ci}, {"es_ci", es_ci}});
  }
  return rows;
}

static nlohmann::ordered_json what_if_json(const WhatIf& w) {
  using nlohmann::ordered_json;
  if (w.empty()) return nullptr;
  ordered_json scenarios = ordered_json::array();
  for (const WhatIfScenario& ws : w.scenarios) {
    ordered_json levels = ordered_json::object();
    for (const WhatIfLevel& l : ws.levels)
      levels[confidence_key(l.confidence)] = {
          {"var", l.var},
          {"es", l.es},
          {"var_change", l.var_change},
          {"es_change", l.es_change},
          {"es_change_first_order", std::isfinite(l.es_change_first_order)
                                        ? ordered_json(l.es_change_first_order)
                                        : ordered_json(nullptr)}};
    scenarios.push_back({{"scenario", ws.scenario}, {"paths", ws.paths}, {"levels", levels}});
  }
  return {{"file", w.file}, {"name", w.name}, {"positions", w.positions}, {"scenarios", scenarios}};
}

static nlohmann::ordered_json fan_json(const ValueFan& fan) {
  if (fan.empty()) return nullptr;
  nlohmann::ordered_json series = nlohmann::ordered_json::array();
  for (const ValueFanSeries& s : fan.series) series.push_back({{"scenario", s.scenario}, {"value", s.value}});
  return {{"paths", fan.paths},         {"days", fan.days},       {"percentiles", fan.percentiles},
          {"series", series},           {"seconds", fan.seconds}, {"notes", fan.notes}};
}

// How the paths were drawn: plain Monte Carlo, or importance sampling with its measure and
// diagnostics (host/analytics/importance_sampling.hpp).
static nlohmann::ordered_json sampling_json(const ImportanceInfo& is) {
  if (is.fell_back)  // --importance-sampling asked, but no pilot shift beat plain sampling
    return {{"method", "plain"},
            {"importance_fallback",
             {{"target_confidence", is.target_confidence},
              {"pilot_paths", is.pilot_paths},
              {"pilot_candidates", is.candidates},
              {"pilot_variance_ratio_tail", is.pilot_ratio_tail},
              {"pilot_variance_ratio_loss", is.pilot_ratio_loss},
              {"used_below", kImportanceWinRatio}}}};
  if (!is.on) return {{"method", "plain"}};
  return {{"method", "importance"},
          {"pilot_variance_ratio_tail", is.pilot_ratio_tail},
          {"pilot_variance_ratio_loss", is.pilot_ratio_loss},
          {"target_confidence", is.target_confidence},
          {"shift_sd", is.shift_sd},
          {"linear_loss_sd", is.linear_sd},
          {"chi2_scale", is.chi2_scale},
          {"pilot_paths", is.pilot_paths},
          {"pilot_candidates", is.candidates},
          {"weight_mean", is.weight_mean},
          {"effective_sample_size", is.ess},
          {"tail_paths", is.tail_paths},
          {"tail_effective_sample_size", is.ess_tail}};
}

static nlohmann::ordered_json greeks_json(const ParametricRisk& p) {
  using nlohmann::ordered_json;
  if (!p.computed) return nullptr;
  const auto row = [](const PositionGreeks& g) {
    return ordered_json{{"position", g.position}, {"ticker", g.ticker},
                        {"quantity", g.quantity}, {"value", g.value},
                        {"delta", g.delta},       {"gamma", g.gamma},
                        {"vega", g.vega},         {"theta", g.theta}};
  };
  ordered_json positions = ordered_json::array();
  for (const PositionGreeks& g : p.positions) positions.push_back(row(g));
  ordered_json total = row(p.total);
  total.erase("ticker");
  total.erase("quantity");
  return {{"convention",
           "in the currency, analytic Black-Scholes-Merton at today's spot and time to expiry: "
           "delta = dV/dS * S (a relative spot move r gains delta * r + gamma * r^2 / 2), "
           "gamma = d2V/dS2 * S^2, vega = dV/dsigma per implied-vol point, theta = the value "
           "change over one trading day with the spot held"},
          {"positions", positions},
          {"total", total}};
}

static nlohmann::ordered_json books_json(const BooksReport& b) {
  using nlohmann::ordered_json;
  if (b.empty()) return nullptr;
  ordered_json nodes = ordered_json::array();
  for (const BookNodeReport& n : b.nodes) {
    ordered_json scenarios = ordered_json::array();
    for (const BookScenario& s : n.scenarios) {
      ordered_json var = ordered_json::object(), es = ordered_json::object(),
                   var_ci = ordered_json::object(), es_ci = ordered_json::object(),
                   children_var = ordered_json::object(), children_es = ordered_json::object(),
                   benefit = ordered_json::object(), contribution = ordered_json::object(),
                   share = ordered_json::object();
      const bool parent = !s.levels.empty() && std::isfinite(s.levels.front().children_es);
      const bool below = !n.parent.empty();
      for (const BookLevel& l : s.levels) {
        const std::string key = confidence_key(l.confidence);
        var[key] = l.var;
        es[key] = l.es;
        var_ci[key] = {l.var_lo, l.var_hi};
        es_ci[key] = {l.es_lo, l.es_hi};
        children_var[key] = l.children_var;
        children_es[key] = l.children_es;
        benefit[key] = l.children_es - l.es;
        contribution[key] = l.es_contribution;
        share[key] = l.share_of_parent_es;
      }
      scenarios.push_back(
          {{"scenario", s.scenario},
           {"paths", s.paths},
           {"non_finite_paths", s.non_finite},
           {"mean_loss", s.mean_loss},
           {"stdev_loss", s.stdev_loss},
           {"worst_loss", s.worst_loss},
           {"effective_tail_paths", std::isfinite(s.effective_tail_paths)
                                        ? ordered_json(s.effective_tail_paths)
                                        : ordered_json(nullptr)},
           {"var", var},
           {"es", es},
           {"var_ci", var_ci},
           {"es_ci", es_ci},
           {"children_var", parent ? children_var : ordered_json(nullptr)},
           {"children_es", parent ? children_es : ordered_json(nullptr)},
           {"diversification_es", parent ? benefit : ordered_json(nullptr)},
           {"es_contribution_to_parent", below ? contribution : ordered_json(nullptr)},
           {"share_of_parent_es", below ? share : ordered_json(nullptr)}});
    }
    nodes.push_back({{"name", n.name},
                     {"parent", n.parent.empty() ? ordered_json(nullptr) : ordered_json(n.parent)},
                     {"depth", n.depth},
                     {"own_positions", n.own_positions},
                     {"positions", n.positions},
                     {"value", n.value},
                     {"scenarios", scenarios}});
  }
  return {{"top", b.nodes.front().name},
          {"method",
           "every book revalued on the run's paths (each path's loss bit for bit "
           "that of a run of the book alone; every book over the run's paths); "
           "diversification_es = children_es - es at each parent; "
           "es_contribution_to_parent = the parent's Euler component ES of the book's "
           "positions (they add up to the parent's ES); under importance sampling "
           "every book weighed on the run's weighted paths (the measure the pilot chose "
           "for the top), effective_tail_paths the Kish effective number of the paths in the "
           "book's own tail (at "
           "or beyond its VaR at the highest level)"},
          {"nodes", nodes}};
}

static nlohmann::ordered_json parametric_json(const ParametricRisk& p) {
  using nlohmann::ordered_json;
  if (!p.computed) return nullptr;
  ordered_json var = ordered_json::object(), es = ordered_json::object();
  for (const ParametricLevel& l : p.levels) {
    var[confidence_key(l.confidence)] = l.var;
    es[confidence_key(l.confidence)] = l.es;
  }
  return {{"method", "delta_gamma_normal"},
          {"scenario", "baseline"},
          {"var", var},
          {"es", es},
          {"mean_loss", p.mean_loss},
          {"stdev_loss", p.stdev_loss},
          {"time_decay", p.decay},
          {"vega_term", p.vega_term},
          {"note", "the book's P&L to second order in each asset's log-return around today's "
                   "spots, at the horizon's time to expiry, under the model's normal mean and "
                   "covariance, the loss taken as normal; implied vols are not risk factors in "
                   "this model, so the vega term is 0. A cross-check of the Monte Carlo "
                   "baseline: close for a near-linear book, apart where gamma or fat tails "
                   "matter"}};
}

nlohmann::ordered_json report_json(const RunReport& r) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["schema"] = "chipshock.report.v1";
  j["chipshock_version"] = r.version;
  j["run"] = {{"paths", r.paths},
              {"seed", r.seed},
              {"rng", r.rng},
              {"horizon_days", r.horizon_days},
              {"steps_per_day", r.steps_per_day},
              {"backend", r.backend},
              {"threads", r.threads},
              {"ranks", r.ranks},
              {"gpus", r.gpus},
              {"cpu_isa", r.cpu_isa},
              {"elapsed_seconds", r.elapsed_seconds},
              {"paths_per_second", r.paths_per_second()}};
  if (!r.gpu_name.empty()) j["run"]["gpu"] = r.gpu_name;
  if (r.phases.measured) {
    ordered_json ph = ordered_json::object();
    for (std::size_t k = 0; k < kPhaseCount; ++k)
      ph[phase_name(static_cast<Phase>(k))] = r.phases.seconds[k];
    ph["other"] = r.phases.other();
    ph["wall"] = r.phases.wall_seconds;
    j["run"]["phases"] = ph;
  }
  ordered_json conf = ordered_json::array();
  for (double c : r.confidences) conf.push_back(c);
  j["model"] = {{"innovations", r.dof > 0 ? "student_t" : "gaussian"},
                {"dof", r.dof > 0 ? ordered_json(r.dof) : ordered_json(nullptr)},
                {"assets", r.n_assets},
                {"trading_days_per_year", kTradingDaysPerYear},
                {"confidence_levels", conf},
                {"market_file", r.market_file},
                {"portfolio_file", r.portfolio_file},
                {"as_of", r.as_of.empty() ? ordered_json(nullptr) : ordered_json(r.as_of)}};
  j["model"]["antithetic"] = r.antithetic;
  if (!r.correlation_repair.method.empty())  // --repair-correlation replaced the file's matrix
    j["model"]["correlation_repair"] = {
        {"method", r.correlation_repair.method},
        {"frobenius_distance", r.correlation_repair.distance},
        {"min_eigenvalue_given", r.correlation_repair.min_eigenvalue_given},
        {"min_eigenvalue_repaired", r.correlation_repair.min_eigenvalue},
        {"iterations", r.correlation_repair.iterations}};
  j["portfolio"] = {{"name", r.portfolio_name},
                    {"currency", r.currency},
                    {"value", r.portfolio_value}};
  ordered_json scenarios = ordered_json::array();
  for (const ScenarioResult& s : r.scenarios) {
    ordered_json var = ordered_json::object(), es = ordered_json::object(),
                 ci = ordered_json::object(), es_ci = ordered_json::object();
    for (const LevelRisk& l : s.levels) {
      const std::string key = confidence_key(l.confidence);
      var[key] = l.var;
      es[key] = l.es;
      ci[key] = {l.var_lo, l.var_hi};
      es_ci[key] = {l.es_lo, l.es_hi};
    }
    ordered_json definition = nullptr;
    if (!s.description.empty() || !s.file.empty())
      definition = {{"description", s.description},
                    {"source", s.source},
                    {"file", s.file},
                    {"calibration_date", s.calibration_date.empty()
                                             ? ordered_json(nullptr)
                                             : ordered_json(s.calibration_date)}};
    scenarios.push_back({{"name", s.name},
                         {"kind", s.kind},
                         {"definition", definition},
                         {"skipped_tickers", s.skipped_tickers},
                         {"notes", s.notes},
                         {"var", var},
                         {"es", es},
                         {"var_ci", ci},
                         {"es_ci", es_ci},
                         {"mean_loss", s.mean_loss},
                         {"stdev_loss", s.stdev_loss},
                         {"prob_loss", s.prob_loss},
                         {"worst_loss", s.worst_loss},
                         {"paths", s.paths},
                         {"non_finite_paths", s.non_finite},
                         {"histogram", histogram_json(s.histogram)},
                         {"tail_curve", tail_curve_json(s.tail_curve)},
                         {"components", components_json(s)},
                         {"convergence", convergence_json(s.convergence)},
                         {"sampling", sampling_json(s.importance)},
                         {"target_met", s.kind == "monte_carlo" && r.target_rel_error > 0
                                            ? ordered_json(s.target_met)
                                            : ordered_json(nullptr)}});
    if (!s.stressed.first.empty())  // run --stressed's entry
      scenarios.back()["stressed_window"] = {
          {"first", s.stressed.first},
          {"last", s.stressed.last},
          {"returns", s.stressed.returns},
          {"confidence", s.stressed.confidence},
          {"portfolio", s.stressed.portfolio},
          {"historical_es", s.stressed.es},
          {"historical_current_es", s.stressed.current_es},
          {"spots_as_of", s.stressed_spots_as_of.empty() ? ordered_json(nullptr)
                                                         : ordered_json(s.stressed_spots_as_of)}};
  }
  j["scenarios"] = scenarios;
  j["fan_chart"] = fan_json(r.fan);
  j["path_risk"] = path_risk_json(r.path_risk);
  j["run"]["target"] =
      r.target_rel_error > 0
          ? ordered_json{{"rel_error", r.target_rel_error},
                         {"confidence", 0.975},
                         {"max_paths", r.max_paths},
                         {"rule", "paths double from run.paths until the 95% ES interval's "
                                  "half-width is within rel_error of ES; each scenario's "
                                  "paths is the count it needed"}}
          : ordered_json(nullptr);
  j["what_if"] = what_if_json(r.what_if);
  j["books"] = books_json(r.books);
  j["greeks"] = greeks_json(r.parametric);
  j["parametric"] = parametric_json(r.parametric);
  if (!r.comparisons.empty()) j["backend_comparison"] = comparison_json(r.comparisons);
  return j;
}

static std::string signed_money(double x) {
  return (x > 0 ? "+" : x < 0 ? "-" : "") + format_money(std::fabs(x));
}

static std::string percent(double c) {
  std::ostringstream s;
  s << c * 100 << "%";
  return s.str();
}

static std::string convergence_markdown(const RunReport& r) {
  std::ostringstream md;
  for (const ScenarioResult& s : r.scenarios) {
    if (s.convergence.size() < 2) continue;
    md << "\n### Convergence: " << escape_markdown(s.name) << "\n\n";
    if (r.target_rel_error > 0)
      md << "Paths doubled until the 95% interval of the 97.5% ES was within "
         << r.target_rel_error * 100 << "% of ES: "
         << (s.target_met ? "met" : "not met (stopped at --max-paths)") << " at " << s.paths
         << " paths.\n\n";
    md << "| Paths | Confidence | VaR | VaR 95% interval | ES | ES 95% interval | ES half-width |\n"
          "|---:|---:|---:|---|---:|---|---:|\n";
    for (const ConvergencePoint& p : s.convergence)
      for (const LevelRisk& l : p.levels)
        md << "| " << p.paths << " | " << percent(l.confidence) << " | " << format_money(l.var)
           << " | " << format_money(l.var_lo) << " – " << format_money(l.var_hi) << " | "
           << format_money(l.es) << " | " << format_money(l.es_lo) << " – "
           << format_money(l.es_hi) << " | "
           << percent(l.es != 0 ? 0.5 * (l.es_hi - l.es_lo) / std::fabs(l.es) : 0) << " |\n";
  }
  return md.str();
}

static std::string components_markdown(const RunReport& r) {
  std::ostringstream md;
  for (const ScenarioResult& s : r.scenarios) {
    if (s.allocation.levels.empty()) continue;
    const AllocationLevel& a = s.allocation.levels.back();
    md << "\n### Component VaR and ES at " << percent(a.confidence) << ": " << escape_markdown(s.name) << "\n\n"
       << "Euler allocation on the " << s.allocation.paths_resimulated
       << " tail paths simulated again per position. Components of ES add up to "
       << format_money(a.es_resimulated) << " (run's ES " << format_money(a.es)
       << "); components of VaR to the mean loss " << format_money(a.var_window_mean) << " ± "
       << format_money(a.var_window_se) << " of the " << a.var_window_paths
       << " paths nearest VaR (run's VaR " << format_money(a.var) << ").\n\n"
       << "| Position | ES contribution | Share of ES | VaR contribution | ± | Marginal ES per unit |\n"
          "|---|---:|---:|---:|---:|---:|\n";
    for (const PositionContribution& p : s.components)
      if (p.confidence == a.confidence)
        md << "| " << escape_markdown(p.position) << " | " << format_money(p.es_contribution) << " | "
           << percent(a.es_resimulated != 0 ? p.es_contribution / a.es_resimulated : 0) << " | "
           << format_money(p.var_contribution) << " | " << format_money(p.var_contribution_se)
           << " | " << format_money(p.marginal_es()) << " |\n";
    for (const bool by_sector : {false, true}) {
      const auto groups = group_components(s.components, a.confidence, by_sector);
      if (by_sector && groups.size() == 1 && groups.front().key == "(none)") continue;
      md << "\n| " << (by_sector ? "Sector" : "Ticker") << " | ES contribution | VaR contribution |\n"
         << "|---|---:|---:|\n";
      for (const auto& g : groups)
        md << "| " << escape_markdown(g.key) << " | " << format_money(g.es) << " | " << format_money(g.var) << " |\n";
    }
  }
  return md.str();
}

static std::string what_if_markdown(const RunReport& r) {
  if (r.what_if.empty()) return "";
  std::ostringstream md;
  md << "\n### What-if: " << escape_markdown(r.what_if.name) << "\n\nAdded to the book (" << markdown_code(r.what_if.file)
     << "):";
  for (const std::string& p : r.what_if.positions) md << " " << escape_markdown(p) << ";";
  md << " every scenario run again with the same seed and paths (common random numbers).\n\n"
        "| Scenario | Confidence | VaR | VaR change | ES | ES change | ES change, first order |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n";
  for (const WhatIfScenario& w : r.what_if.scenarios)
    for (const WhatIfLevel& l : w.levels)
      md << "| " << escape_markdown(w.scenario) << " | " << percent(l.confidence) << " | " << format_money(l.var)
         << " | " << signed_money(l.var_change) << " | " << format_money(l.es) << " | "
         << signed_money(l.es_change) << " | "
         << (std::isfinite(l.es_change_first_order) ? signed_money(l.es_change_first_order) : "–")
         << " |\n";
  return md.str();
}

static std::string books_markdown(const RunReport& r) {
  if (r.books.empty()) return "";
  std::ostringstream md;
  md << "\n### Books\n\nEvery book revalued on the same paths as the whole (each path's loss "
        "that of a run of the book alone; every book over the run's paths). Diversification: "
        "the parent's books' own ES added up, less the parent's ES; contribution: the book's "
        "Euler share of its parent's ES. The highest level; books.csv has every level.\n";
  const BookNodeReport& top = r.books.nodes.front();
  for (std::size_t k = 0; k < top.scenarios.size(); ++k) {
    if (top.scenarios[k].levels.empty()) continue;
    const std::size_t l = top.scenarios[k].levels.size() - 1;
    md << "\n| " << escape_markdown(top.scenarios[k].scenario) << ", "
       << percent(top.scenarios[k].levels[l].confidence)
       << " | VaR | ES | Diversification | Contribution to parent ES | Share |\n"
          "|---|---:|---:|---:|---:|---:|\n";
    for (const BookNodeReport& n : r.books.nodes) {
      const BookLevel& v = n.scenarios[k].levels[l];
      md << "| " << std::string(static_cast<std::size_t>(2 * n.depth), '.') << escape_markdown(n.name)
         << " | " << format_money(v.var) << " | " << format_money(v.es) << " | "
         << (std::isfinite(v.children_es) ? format_money(v.children_es - v.es) : "–") << " | "
         << (std::isfinite(v.es_contribution) ? signed_money(v.es_contribution) : "–") << " | "
         << (std::isfinite(v.share_of_parent_es)
                 ? percent(std::round(v.share_of_parent_es * 1000) / 1000)
                 : "–")
         << " |\n";
    }
  }
  return md.str();
}

const LevelRisk* baseline_level(const RunReport& r, double confidence) {
  for (const ScenarioResult& s : r.scenarios)
    if (s.name == "baseline")
      for (const LevelRisk& l : s.levels)
        if (l.confidence == confidence) return &l;
  return nullptr;
}

static std::string greeks_markdown(const RunReport& r) {
  const ParametricRisk& p = r.parametric;
  if (!p.computed) return "";
  std::ostringstream md;
  md << "\n### Greeks and a parametric cross-check\n\nPer position, today, in " << r.currency
     << ": delta = dV/dS x S, gamma = d2V/dS2 x S^2 (a relative spot move r gains delta r + "
        "gamma r^2 / 2), vega per implied-vol point, theta over one trading day.\n\n"
        "| Position | Value | Delta | Gamma | Vega | Theta |\n|---|---:|---:|---:|---:|---:|\n";
  const auto row = [&](const PositionGreeks& g) {
    md << "| " << escape_markdown(g.position) << " | " << signed_money(g.value) << " | "
       << signed_money(g.delta) << " | " << signed_money(g.gamma) << " | "
       << signed_money(g.vega) << " | " << signed_money(g.theta) << " |\n";
  };
  for (const PositionGreeks& g : p.positions) row(g);
  row(p.total);
  md << "\nDelta-gamma-normal VaR and ES of the baseline (second order in the log-returns, the "
        "model's mean and covariance, the loss taken as normal; implied vols are not risk "
        "factors, so no vega term):\n\n| Confidence | Monte Carlo VaR | Parametric VaR | "
        "Monte Carlo ES | Parametric ES |\n|---:|---:|---:|---:|---:|\n";
  for (const ParametricLevel& l : p.levels) {
    const LevelRisk* m = baseline_level(r, l.confidence);
    md << "| " << percent(l.confidence) << " | " << (m != nullptr ? format_money(m->var) : "–")
       << " | " << format_money(l.var) << " | " << (m != nullptr ? format_money(m->es) : "–")
       << " | " << format_money(l.es) << " |\n";
  }
  return md.str();
}

std::string report_markdown(const RunReport& r) {
  std::ostringstream md;
  md << "# chipshock risk report: " << escape_markdown(r.portfolio_name) << "\n\n";
  md << "| | |\n|---|---|\n";
  md << "| Portfolio value | " << r.currency << " " << format_money(r.portfolio_value) << " |\n";
  md << "| Model | " << model_name(r.dof) << " log-Euler GBM, " << r.n_assets
     << " correlated assets, 252 trading days a year |\n";
  md << "| Horizon | " << r.horizon_days << " trading day" << (r.horizon_days == 1 ? "" : "s")
     << ", " << r.steps_per_day << " step" << (r.steps_per_day == 1 ? "" : "s") << " a day |\n";
  if (!r.as_of.empty()) md << "| As of | " << r.as_of << " |\n";
  if (!r.correlation_repair.method.empty()) md << "| Correlation | " << correlation_repair_text(r) << " |\n";
  md << "| Paths | "
     << (r.target_rel_error > 0 ? paths_used(r) : std::to_string(r.paths) + " per scenario")
     << ", seed " << r.seed << " |\n";
  md << "| Random numbers | " << rng_description(r.rng) << " |\n";
  md << "| Backend | " << r.backend << " (" << r.threads << " threads, CPU kernel "
     << r.cpu_isa << ")" << escape_markdown(ranks_text(r)) << " |\n";
  if (!r.gpu_name.empty()) md << "| GPU | " << r.gpu_name << " |\n";
  md << "| Run time | " << r.elapsed_seconds << " s (" << std::llround(r.paths_per_second())
     << " paths/s) |\n";
  md << "| Inputs | " << markdown_code(r.market_file) << ", " << markdown_code(r.portfolio_file) << " |\n\n";
  md << "Losses are positive numbers in " << r.currency
     << ": value today minus value at the horizon. VaR is the empirical quantile; ES the mean "
        "loss beyond it; the VaR interval is a 95% distribution-free order-statistic interval.\n\n";
  md << "| Scenario | Confidence | VaR | ES | VaR 95% interval | ES 95% interval |\n"
        "|---|---:|---:|---:|---|---|\n";
  for (const ScenarioResult& s : r.scenarios)
    for (const LevelRisk& l : s.levels)
      md << "| " << escape_markdown(s.name) << " | " << percent(l.confidence) << " | " << format_money(l.var)
         << " | " << format_money(l.es) << " | " << format_money(l.var_lo) << " – "
         << format_money(l.var_hi) << " | " << format_money(l.es_lo) << " – "
         << format_money(l.es_hi) << " |\n";
  if (r.scenarios.size() > 1) {
    const ScenarioResult& base = r.scenarios.front();
    md << "\nChange against the baseline (same seed, so the paths share their random numbers):\n\n"
          "| Scenario | Confidence | VaR change | ES change |\n|---|---:|---:|---:|\n";
    for (std::size_t k = 1; k < r.scenarios.size(); ++k)
      for (std::size_t l = 0; l < r.scenarios[k].levels.size() && l < base.levels.size(); ++l) {
        const LevelRisk& a = r.scenarios[k].levels[l];
        const LevelRisk& b = base.levels[l];
        md << "| " << escape_markdown(r.scenarios[k].name) << " | " << percent(a.confidence) << " | "
           << signed_money(a.var - b.var) << " | " << signed_money(a.es - b.es) << " |\n";
      }
  }
  md << "\n| Scenario | Mean loss | Stdev | P(loss > 0) | Worst loss | Non-finite paths |\n"
        "|---|---:|---:|---:|---:|---:|\n";
  for (const ScenarioResult& s : r.scenarios)
    md << "| " << escape_markdown(s.name) << " | " << format_money(s.mean_loss) << " | "
       << format_money(s.stdev_loss) << " | " << percent(s.prob_loss) << " | "
       << format_money(s.worst_loss) << " | " << s.non_finite << " |\n";
  bool any_definition = false;
  for (const ScenarioResult& s : r.scenarios)
    any_definition |= !s.description.empty() || !s.notes.empty();
  if (any_definition) {
    md << "\n## Scenario definitions\n";
    for (const ScenarioResult& s : r.scenarios) {
      if (s.description.empty() && s.notes.empty()) continue;
      md << "\n### " << escape_markdown(s.name) << "\n";
      if (!s.description.empty()) md << "\n" << escape_markdown(s.description) << "\n";
      if (!s.source.empty()) md << "\n**Source.** " << escape_markdown(s.source) << "\n";
      if (!s.calibration_date.empty()) md << "\n**Calibration date.** " << escape_markdown(s.calibration_date) << "\n";
      if (!s.file.empty()) md << "\n**File.** " << markdown_code(s.file) << "\n";
      if (!s.skipped_tickers.empty()) {
        md << "\n**Skipped tickers** (named by the scenario, not in the market):";
        for (const auto& t : s.skipped_tickers) md << " " << escape_markdown(t);
        md << "\n";
      }
      for (const auto& n : s.notes) md << "\n- " << escape_markdown(n);
      if (!s.notes.empty()) md << "\n";
    }
  }
  md << path_risk_markdown(r.path_risk, r.currency);
  md << convergence_markdown(r);
  md << components_markdown(r);
  md << what_if_markdown(r);
  md << books_markdown(r);
  md << greeks_markdown(r);
  md << comparison_markdown(r.comparisons);
  md << "\n_chipshock " << r.version << "_\n";
  return md.str();
}

// The paths the run used: --paths for every scenario, or under --target-rel-error each
// scenario's own count (the doubling stops where its target is met), not the starting count.
std::string paths_used(const RunReport& r) {
  if (!(r.target_rel_error > 0)) return std::to_string(r.paths) + " paths";
  std::uint64_t lo = 0, hi = 0;
  std::string by_scenario;
  for (const ScenarioResult& s : r.scenarios) {
    if (s.kind != "monte_carlo") continue;
    lo = lo == 0 ? s.paths : std::min(lo, s.paths);
    hi = std::max(hi, s.paths);
    by_scenario += (by_scenario.empty() ? "" : ", ") + s.name + " " + std::to_string(s.paths);
  }
  std::ostringstream out;
  out << (lo == hi ? std::to_string(hi) : std::to_string(lo) + "-" + std::to_string(hi))
      << " paths (doubled from " << r.paths << " toward a " << r.target_rel_error * 100
      << "% ES error";
  if (lo != hi) out << "; " << by_scenario;
  out << ")";
  return out.str();
}

std::string ranks_text(const RunReport& r) {
  if (r.ranks <= 1) return "";
  std::string out = ", " + std::to_string(r.ranks) + " MPI ranks (" + std::to_string(r.threads) +
                    " threads each)";
  if (r.gpus.size() > 1) {
    out += ", GPUs ";
    for (std::size_t k = 0; k < r.gpus.size(); ++k) out += (k ? "; " : "") + r.gpus[k];
  }
  return out;
}

std::string correlation_repair_text(const RunReport& r) {
  const Market::Repair& c = r.correlation_repair;
  if (c.method.empty()) return "";
  std::ostringstream out;
  out.precision(4);
  out << "the market file's matrix is not positive definite (smallest eigenvalue "
      << c.min_eigenvalue_given << "); replaced by the nearest correlation matrix (" << c.method
      << ", Frobenius distance " << c.distance << ", smallest eigenvalue " << c.min_eigenvalue
      << ", " << c.iterations << " iterations)";
  return out.str();
}

std::string target_warnings(const RunReport& r) {
  std::ostringstream out;
  if (!(r.target_rel_error > 0)) return "";
  for (const ScenarioResult& s : r.scenarios)
    if (s.kind == "monte_carlo" && !s.target_met)
      out << "chipshock: warning: " << s.name << ": the target error (" << r.target_rel_error * 100
          << "% of the 97.5% ES) was not met: stopped at the cap of " << s.paths
          << " paths (--max-paths); its ES intervals are wider than asked\n";
  return out.str();
}

// run --stressed: the stressed entry's ES and VaR over the current ones, level by level, with
// its window.
static std::string stressed_summary(const RunReport& r) {
  std::ostringstream out;
  if (r.scenarios.empty()) return "";
  const ScenarioResult& base = r.scenarios.front();
  for (const ScenarioResult& s : r.scenarios) {
    if (s.stressed.first.empty()) continue;
    out << "stressed (window " << s.stressed.first << " .. " << s.stressed.last << ", "
        << s.stressed.returns << " returns) against current:";
    for (std::size_t k = 0; k < s.levels.size() && k < base.levels.size(); ++k) {
      char text[160];
      std::snprintf(text, sizeof text, " %s ES %.2fx, VaR %.2fx;",
                    percent(s.levels[k].confidence).c_str(),
                    base.levels[k].es > 0 ? s.levels[k].es / base.levels[k].es : 0.0,
                    base.levels[k].var > 0 ? s.levels[k].var / base.levels[k].var : 0.0);
      out << text;
    }
    out << "\n";
  }
  return out.str();
}

std::string report_summary(const RunReport& r) {
  std::ostringstream out;
  char line[256];
  out << r.portfolio_name << ": " << r.currency << " " << format_money(r.portfolio_value)
      << "\n";
  out << paths_used(r) << ", " << r.horizon_days << "-day horizon, " << r.steps_per_day
      << " step(s)/day, seed " << r.seed << ", rng " << r.rng << ", " << model_name(r.dof)
      << ", " << r.backend
      << " (" << r.threads << " threads)" << (r.gpu_name.empty() ? "" : ", GPU " + r.gpu_name)
      << ranks_text(r) << "\n\n";
  int w = 8;
  for (const ScenarioResult& s : r.scenarios) w = std::max(w, static_cast<int>(s.name.size()));
  w = std::min(w, 48);
  std::snprintf(line, sizeof line, "%-*s %7s %18s %18s %18s %37s\n", w, "scenario", "conf", "VaR",
                "ES", "ES vs baseline", "VaR 95% interval");
  out << line;
  for (const ScenarioResult& s : r.scenarios)
    for (std::size_t k = 0; k < s.levels.size(); ++k) {
      const LevelRisk& l = s.levels[k];
      const std::string ci = format_money(l.var_lo) + " – " + format_money(l.var_hi);
      std::string delta;
      if (&s != &r.scenarios.front() && k < r.scenarios.front().levels.size())
        delta = signed_money(l.es - r.scenarios.front().levels[k].es);
      std::snprintf(line, sizeof line, "%-*s %7s %18s %18s %18s %39s\n", w,
                    s.name.substr(0, 48).c_str(), percent(l.confidence).c_str(),
                    format_money(l.var).c_str(), format_money(l.es).c_str(), delta.c_str(),
                    ci.c_str());
      out << line;
    }
  std::snprintf(line, sizeof line, "\n%.3f s, %.0f paths/s, CPU kernel %s\n", r.elapsed_seconds,
                r.paths_per_second(), r.cpu_isa.c_str());
  out << line;
  out << comparison_summary(r.comparisons);
  for (const ScenarioResult& s : r.scenarios)
    for (const auto& t : s.skipped_tickers)
      out << "note: " << s.name << ": " << t << " is not in the market; skipped\n";
  for (const ScenarioResult& s : r.scenarios)
    for (const auto& n : s.notes) out << "note: " << s.name << ": " << n << "\n";
  if (!r.correlation_repair.method.empty())
    out << "note: correlation: " << correlation_repair_text(r) << "\n";
  out << stressed_summary(r);
  out << path_risk_summary(r.path_risk);
  return out.str();
}

std::string non_finite_warnings(const RunReport& r) {
  std::ostringstream out;
  for (const ScenarioResult& s : r.scenarios)
    if (s.non_finite > 0)
      out << "chipshock: warning: " << s.name << ": " << s.non_finite << " of " << s.paths
          << " paths had a NaN or infinite loss and were left out of every statistic (exit code "
             "4)\n";
  return out.str();
}

}  // namespace chipshock
