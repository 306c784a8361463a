#include "host/report/html_report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "host/report/html_escape.hpp"
#include "host/report/path_risk_report.hpp"
#include "host/report/report_charts.hpp"

namespace chipshock {

namespace {

const char* const kStyle = R"(
:root { color-scheme: light; }
body { font: 13px/1.45 Helvetica, Arial, sans-serif; color: #222; max-width: 720px;
       margin: 24px auto; padding: 0 16px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #ccc; padding-bottom: 2px; }
h3 { font-size: 13.5px; margin: 18px 0 4px; }
p.sub { color: #555; margin: 0 0 12px; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 11.5px; }
th, td { padding: 3px 6px; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
th { text-align: left; background: #f3f3f3; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n { white-space: nowrap; }
table { max-width: 100%; }
td:first-child { overflow-wrap: anywhere; }
span.ci { color: #666; font-size: 10.5px; }
table.facts th { background: none; font-weight: normal; color: #555; width: 170px; }
tr.first td { border-top: 1px solid #999; }
td.up { color: #B34700; } td.down { color: #005A8C; }
figure { margin: 10px 0 18px; }
figure svg { width: 100%; height: auto; max-width: 680px; display: block; }
figcaption { font-size: 11.5px; color: #444; margin-top: 4px; }
.note { font-size: 12px; color: #444; background: #f6f6f6; border-left: 3px solid #bbb;
        padding: 6px 10px; margin: 8px 0; }
.placeholder { font-size: 12px; color: #555; font-style: italic; }
code { font-size: 11.5px; }
footer { margin-top: 30px; font-size: 11px; color: #666; }
@page { size: A4; margin: 15mm; }
@media print {
  body { margin: 0; padding: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; }
  figure, table, .scenario { break-inside: avoid; }
}
)";

// Money in the HTML tables: whole currency units (report.json and the CSVs keep every digit).
std::string money(double x) { return escape_html(format_whole_money(x)); }

std::string signed_money(double x) {
  const std::string m = money(std::fabs(x));
  return (m == "0" ? "" : x > 0 ? "+" : "\u2212") + m;
}

std::string pct(double c) {
  std::ostringstream s;
  s << c * 100 << "%";
  return s.str();
}

std::string model_text(const RunReport& r) {
  std::ostringstream s;
  if (r.dof > 0)
    s << "Student-t innovations (dof " << r.dof << ")";
  else
    s << "Gaussian innovations";
  s << ", log-Euler GBM, " << r.n_assets << " correlated assets, " << kTradingDaysPerYear
    << " trading days a year";
  return s.str();
}

std::string fact(const std::string& name, const std::string& html_value) {
  return "<tr><th>" + escape_html(name) + "</th><td>" + html_value + "</td></tr>\n";
}

std::string seconds_text(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, s < 10 ? "%.2f s" : "%.1f s", s);
  return buf;
}

std::string rate_text(double per_second) {
  char buf[64];
  if (per_second >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2f M paths/s", per_second / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.0f paths/s", per_second);
  return buf;
}

void header(std::ostringstream& h, const RunReport& r) {
  h << "<header>\n<h1>Risk report: " << escape_html(r.portfolio_name) << "</h1>\n";
  h << "<p class=\"sub\">Monte Carlo VaR and expected shortfall, " << r.horizon_days
    << "-day horizon" << (r.as_of.empty() ? "" : ", as of " + escape_html(r.as_of))
    << "</p>\n<table class=\"facts\">\n";
  h << fact("Portfolio value", escape_html(r.currency) + " " + money(r.portfolio_value));
  h << fact("As-of date", r.as_of.empty() ? "<span class=\"placeholder\">not given in the "
                                            "market file</span>"
                                          : escape_html(r.as_of));
  h << fact("Model", escape_html(model_text(r)));
  h << fact("Horizon", std::to_string(r.horizon_days) + " trading day" +
                           (r.horizon_days == 1 ? "" : "s") + ", " +
                           std::to_string(r.steps_per_day) + " step" +
                           (r.steps_per_day == 1 ? "" : "s") + " a day");
  if (!r.correlation_repair.method.empty())
    h << fact("Correlation", escape_html(correlation_repair_text(r)));
  h << fact("Paths", r.target_rel_error > 0 ? escape_html(paths_used(r))
                                            : std::to_string(r.paths) + " per scenario");
  h << fact("Seed", std::to_string(r.seed));
  h << fact("Random numbers", escape_html(rng_description(r.rng)));
  std::string backend = escape_html(r.backend);
  if (!r.gpu_name.empty()) backend += " (" + escape_html(r.gpu_name) + ")";
  if (r.backend == "cpu" || r.backend == "both")
    backend += ", " + std::to_string(r.threads) + " CPU thread" + (r.threads == 1 ? "" : "s");
  backend += escape_html(ranks_text(r));
  h << fact("Backend", backend);
  h << fact("Run time", seconds_text(r.elapsed_seconds) + ", " + rate_text(r.paths_per_second()));
  // --- backend comparison (--backend both): filled by the GPU backend's code when present ---
  if (r.comparison) {
    const BackendAgreement& c = *r.comparison;
    char buf[160];
    std::snprintf(buf, sizeof buf, "GPU %s, CPU %s: GPU %.1f\u00d7 faster",
                  seconds_text(c.gpu_seconds).c_str(), seconds_text(c.cpu_seconds).c_str(),
                  c.speedup());
    h << fact("GPU vs CPU", escape_html(buf));
    std::snprintf(buf, sizeof buf, "largest relative difference in VaR/ES %.2g", 
                  c.max_relative_difference);
    h << fact("GPU/CPU agreement",
              escape_html(buf) + (c.agreement.empty() ? "" : "; " + escape_html(c.agreement)));
  }
  // --- end of backend comparison ---
  h << fact("Inputs", "<code>" + escape_html(r.market_file) + "</code>, <code>" +
                          escape_html(r.portfolio_file) + "</code>");
  h << "</table>\n</header>\n";
}

void risk_table(std::ostringstream& h, const RunReport& r) {
  h << "<h2 id=\"risk\">VaR and expected shortfall</h2>\n<p>Losses in " << escape_html(r.currency)
    << " (whole units), positive = loss (value today minus value at the horizon). VaR is the empirical "
       "quantile; ES the mean loss beyond it; the VaR interval is a 95% distribution-free "
       "order-statistic interval, the ES interval the 95% asymptotic interval "
       "ES &plusmn; 1.96 se, se&sup2; = [Var(L | L &ge; VaR) + &alpha;(ES &minus; VaR)&sup2;] / "
       "(N(1 &minus; &alpha;)). Changes are against the baseline with the same seed, "
       "so the paths share their random numbers.</p>\n";
  h << "<table>\n<tr><th>Scenario</th><th class=\"n\">Confidence</th><th class=\"n\">VaR "
       "(95% interval)</th><th class=\"n\">ES (95% interval)</th><th class=\"n\">VaR vs "
       "baseline</th><th class=\"n\">ES vs baseline</th></tr>\n";
  const ScenarioResult* base = r.scenarios.empty() ? nullptr : &r.scenarios.front();
  for (const ScenarioResult& s : r.scenarios) {
    if (s.levels.empty()) {
      h << "<tr class=\"first\"><td>" << escape_html(s.name) << "</td><td class=\"n\" "
        << "colspan=\"5\">single loss " << money(s.mean_loss) << " (" << escape_html(s.kind)
        << "; no distribution)</td></tr>\n";
      continue;
    }
    for (std::size_t k = 0; k < s.levels.size(); ++k) {
      const LevelRisk& l = s.levels[k];
      h << "<tr" << (k == 0 ? " class=\"first\"" : "") << "><td>"
        << (k == 0 ? breakable_html(s.name) : "") << "</td><td class=\"n\">" << pct(l.confidence)
        << "</td><td class=\"n\">" << money(l.var) << "<br><span class=\"ci\">"
        << money(l.var_lo) << " \u2013 " << money(l.var_hi) << "</span></td><td class=\"n\">"
        << money(l.es) << "<br><span class=\"ci\">" << money(l.es_lo) << " \u2013 "
        << money(l.es_hi) << "</span></td>";
      if (&s != base && base && k < base->levels.size()) {
        const double dv = l.var - base->levels[k].var, de = l.es - base->levels[k].es;
        h << "<td class=\"n " << (dv > 0 ? "up" : "down") << "\">" << signed_money(dv)
          << "</td><td class=\"n " << (de > 0 ? "up" : "down") << "\">" << signed_money(de)
          << "</td>";
      } else {
        h << "<td class=\"n\">\u2014</td><td class=\"n\">\u2014</td>";
      }
      h << "</tr>\n";
    }
  }
  h << "</table>\n";
  h << "<table>\n<tr><th>Scenario</th><th>Kind</th><th class=\"n\">Mean loss</th><th "
       "class=\"n\">Stdev</th><th class=\"n\">P(loss &gt; 0)</th><th class=\"n\">Worst loss</th>"
       "<th class=\"n\">Non-finite paths</th></tr>\n";
  for (const ScenarioResult& s : r.scenarios)
    h << "<tr><td>" << escape_html(s.name) << "</td><td>" << escape_html(s.kind)
      << "</td><td class=\"n\">" << money(s.mean_loss) << "</td><td class=\"n\">"
      << money(s.stdev_loss) << "</td><td class=\"n\">" << pct(s.prob_loss)
      << "</td><td class=\"n\">" << money(s.worst_loss) << "</td><td class=\"n\">" << s.non_finite
      << "</td></tr>\n";
  h << "</table>\n";
}

// Estimates and intervals against paths (each doubling, or the checkpoints of a run to a target
// error), and the --what-if table.
void convergence_tables(std::ostringstream& h, const RunReport& r) {
  bool any = false;
  for (const ScenarioResult& s : r.scenarios) any |= s.convergence.size() > 1;
  if (!any) return;
  h << "<h2 id=\"convergence\">Convergence</h2>\n<p>ES and its 95% interval after the first "
       "paths of each run (the same paths a shorter run would simulate).";
  if (r.target_rel_error > 0)
    h << " Paths were doubled until the 97.5% ES interval's half-width was within "
      << r.target_rel_error * 100 << "% of ES, or " << r.max_paths << " paths.";
  h << "</p>\n";
  for (const ScenarioResult& s : r.scenarios) {
    if (s.convergence.size() < 2) continue;
    h << "<table>\n<tr><th>" << breakable_html(s.name) << ": paths</th>";
    for (const LevelRisk& l : s.levels) h << "<th class=\"n\">ES " << pct(l.confidence) << "</th>";
    h << "</tr>\n";
    for (const ConvergencePoint& p : s.convergence) {
      h << "<tr><td class=\"n\">" << p.paths << "</td>";
      for (const LevelRisk& l : p.levels)
        h << "<td class=\"n\">" << money(l.es) << "<br><span class=\"ci\">" << money(l.es_lo)
          << " \u2013 " << money(l.es_hi) << "</span></td>";
      h << "</tr>\n";
    }
    h << "</table>\n";
    if (r.target_rel_error > 0)
      h << "<p class=\"note\">" << (s.target_met ? "Target met" : "Target not met (path cap)")
        << " at " << s.paths << " paths.</p>\n";
  }
}

void what_if_table(std::ostringstream& h, const RunReport& r) {
  if (r.what_if.empty()) return;
  h << "<h2 id=\"what-if\">What-if: " << escape_html(r.what_if.name) << "</h2>\n<p>Added:";
  for (const std::string& p : r.what_if.positions) h << " " << escape_html(p) << ";";
  h << " each scenario run again with the same seed and paths, so the change is the trade's "
       "effect (incremental VaR and ES), not Monte Carlo noise. First order: the added "
       "quantities times the marginal ES per unit (Euler component / quantity) of instruments "
       "already held.</p>\n<table>\n<tr><th>Scenario</th><th class=\"n\">Confidence</th>"
       "<th class=\"n\">VaR</th><th class=\"n\">VaR change</th><th class=\"n\">ES</th>"
       "<th class=\"n\">ES change</th><th class=\"n\">first order</th></tr>\n";
  for (const WhatIfScenario& w : r.what_if.scenarios)
    for (const WhatIfLevel& l : w.levels)
      h << "<tr><td>" << escape_html(w.scenario) << "</td><td class=\"n\">" << pct(l.confidence)
        << "</td><td class=\"n\">" << money(l.var) << "</td><td class=\"n\">"
        << signed_money(l.var_change) << "</td><td class=\"n\">" << money(l.es)
        << "</td><td class=\"n\">" << signed_money(l.es_change) << "</td><td class=\"n\">"
        << (std::isfinite(l.es_change_first_order) ? signed_money(l.es_change_first_order)
                                                    : std::string("\u2014"))
        << "</td></tr>\n";
  h << "</table>\n";
}

// A book hierarchy: per run, each book's VaR and ES at the highest level, the diversification
// at each parent and each book's Euler share of its parent's ES (books.csv has every level).
void books_tables(std::ostringstream& h, const RunReport& r) {
  if (r.books.empty()) return;
  const BookNodeReport& top = r.books.nodes.front();
  h << "<h2 id=\"books\">Books</h2>\n<p>Every book revalued on the same paths as the whole "
       "(each path's loss is, bit for bit, that of a run of the book alone; every book over the "
       "run's paths). Diversification: the parent's "
       "books' own ES added up, less the parent's ES. Contribution: the book's Euler share of "
       "its parent's ES (the shares of a parent's books add up to 100%). The highest level "
       "only; books.csv has every level.</p>\n";
  for (std::size_t k = 0; k < top.scenarios.size(); ++k) {
    const BookScenario& ts = top.scenarios[k];
    if (ts.levels.empty()) continue;
    const std::size_t l = ts.levels.size() - 1;
    h << "<h3>" << breakable_html(ts.scenario) << ", " << pct(ts.levels[l].confidence)
      << "</h3>\n<table>\n<tr><th>Book</th><th class=\"n\">VaR</th><th class=\"n\">ES</th>"
         "<th class=\"n\">Diversification</th><th class=\"n\">Contribution to parent "
         "ES</th><th class=\"n\">Share</th></tr>\n";
    for (const BookNodeReport& n : r.books.nodes) {
      const BookLevel& v = n.scenarios[k].levels[l];
      const std::string none = "\u2014";
      h << "<tr><td style=\"padding-left:" << 0.3 + 1.2 * n.depth << "em\">"
        << breakable_html(n.name) << "</td><td class=\"n\">" << money(v.var)
        << "</td><td class=\"n\">" << money(v.es) << "</td><td class=\"n\">"
        << (std::isfinite(v.children_es) ? money(v.children_es - v.es) : none)
        << "</td><td class=\"n\">"
        << (std::isfinite(v.es_contribution) ? signed_money(v.es_contribution) : none)
        << "</td><td class=\"n\">"
        << (std::isfinite(v.share_of_parent_es) ? pct(std::round(v.share_of_parent_es * 1000) / 1000)
                                                : none)
        << "</td></tr>\n";
    }
    h << "</table>\n";
  }
}

// Greeks per position and the delta-gamma-normal VaR/ES next to the Monte Carlo baseline's.
void greeks_tables(std::ostringstream& h, const RunReport& r) {
  const ParametricRisk& p = r.parametric;
  if (!p.computed) return;
  h << "<h2 id=\"greeks\">Greeks and a parametric cross-check</h2>\n<p>Today, in "
    << escape_html(r.currency)
    << ": delta = dV/dS &times; S (a relative spot move r gains delta&nbsp;r + "
       "gamma&nbsp;r&sup2;/2), gamma = d&sup2;V/dS&sup2; &times; S&sup2;, vega per implied-vol "
       "point, theta over one trading day (spot held).</p>\n<table>\n<tr><th>Position</th>"
       "<th class=\"n\">Value</th><th class=\"n\">Delta</th><th class=\"n\">Gamma</th>"
       "<th class=\"n\">Vega</th><th class=\"n\">Theta</th></tr>\n";
  const auto row = [&](const PositionGreeks& g) {
    h << "<tr><td>" << escape_html(g.position) << "</td><td class=\"n\">" << signed_money(g.value)
      << "</td><td class=\"n\">" << signed_money(g.delta) << "</td><td class=\"n\">"
      << signed_money(g.gamma) << "</td><td class=\"n\">" << signed_money(g.vega)
      << "</td><td class=\"n\">" << signed_money(g.theta) << "</td></tr>\n";
  };
  for (const PositionGreeks& g : p.positions) row(g);
  row(p.total);
  h << "</table>\n";
  h << "<p>Delta-gamma-normal VaR and ES of the baseline over the " << r.horizon_days
    << "-day horizon: the P&amp;L to second order in each asset's log-return, under the model's "
       "mean and covariance, taken as normal (mean loss "
    << signed_money(p.mean_loss) << ", standard deviation " << money(p.stdev_loss)
    << "; implied vols are not risk factors here, so the vega term is 0). Close to the Monte "
       "Carlo numbers for a near-linear book; far from them where gamma or fat tails matter."
       "</p>\n<table>\n<tr><th class=\"n\">Confidence</th><th class=\"n\">Monte Carlo VaR</th>"
       "<th class=\"n\">Parametric VaR</th><th class=\"n\">Monte Carlo ES</th>"
       "<th class=\"n\">Parametric ES</th></tr>\n";
  for (const ParametricLevel& l : p.levels) {
    const LevelRisk* m = baseline_level(r, l.confidence);
    const std::string none = "\u2014";
    h << "<tr><td class=\"n\">" << pct(l.confidence) << "</td><td class=\"n\">"
      << (m != nullptr ? money(m->var) : none) << "</td><td class=\"n\">" << money(l.var)
      << "</td><td class=\"n\">" << (m != nullptr ? money(m->es) : none)
      << "</td><td class=\"n\">" << money(l.es) << "</td></tr>\n";
  }
  h << "</table>\n";
}

void figure(std::ostringstream& h, const std::string& svg, const std::string& caption) {
  h << "<figure>\n" << svg << "\n<figcaption>" << caption << "</figcaption>\n</figure>\n";
}

void charts(std::ostringstream& h, const RunReport& r) {
  h << "<h2 id=\"comparison\">Scenario comparison</h2>\n";
  const std::string bars = scenario_comparison_chart(r);
  if (!bars.empty())
    figure(h, bars,
           "Expected shortfall per scenario at each confidence level (bars); the black tick on "
           "each bar is the VaR at the same level.");

  h << "<h2 id=\"distributions\">Loss distributions</h2>\n";
  for (const ScenarioResult& s : r.scenarios) {
    h << "<div class=\"scenario\">\n<h3>" << escape_html(s.name) << "</h3>\n";
    const std::string chart = loss_distribution_chart(s, r.currency);
    if (chart.empty() && s.importance.on) {
      h << "<p class=\"placeholder\">No histogram: the paths were drawn under importance "
           "sampling, so their counts describe the shifted measure, not the loss distribution. "
           "The weighted upper tail, P(loss &ge; x), is report.json's tail_curve.</p>\n";
    } else if (chart.empty()) {
      h << "<p class=\"placeholder\">No loss distribution: this entry (" << escape_html(s.kind)
        << ") is not a simulated distribution.</p>\n";
    } else {
      const LossHistogram& hist = s.histogram;
      std::ostringstream cap;
      cap << "Left: all " << hist.total() << " finite path losses in " << hist.bins().count
          << " bins of " << escape_html(r.currency) << " " << money(hist.bins().width)
          << " (bin range fixed from the first " << histogram_pilot_paths(s.paths)
          << " paths); " << hist.underflow() << " below and " << hist.overflow()
          << " above the bins; the axis shows the central 99.9% of paths. Right: the exact upper tail "
             "from the " 
          << "largest simulated losses, P(loss &ge; x) on a log scale, with VaR (dot) and ES "
             "(square) at each confidence level on its dotted line 1 &minus; confidence.";
      figure(h, chart, cap.str());
    }
    h << "</div>\n";
  }

  h << "<h2 id=\"fan\">Portfolio value over the horizon</h2>\n";
  const std::string fan = value_fan_chart(r.fan, r.currency);
  if (fan.empty()) {
    h << "<p class=\"placeholder\">Not computed for this run.</p>\n";
  } else {
    std::ostringstream cap;
    cap << "Percentiles of the portfolio value on days 0 to " << r.fan.days.back() << " ("
        << r.fan.days.size() - 1 << " evaluation days), from " << r.fan.paths
        << " paths per day and scenario with the run's seed: the value on day d is path i's "
           "horizon-d run, which shares its first d days of random numbers with the main run. "
           "Computed in "
        << seconds_text(r.fan.seconds) << ", not counted in the run time.";
    for (const std::string& n : r.fan.notes) cap << " " << escape_html(n) << ".";
    figure(h, fan, cap.str());
  }

  h << "<h2 id=\"contributions\">Contribution to expected shortfall by position</h2>\n";
  bool any = false;
  for (const ScenarioResult& s : r.scenarios) {
    const std::string chart = contribution_chart(s, r.currency);
    if (chart.empty()) continue;
    any = true;
    figure(h, chart,
           "Component ES of " + escape_html(s.name) +
               " at the highest confidence level (Euler allocation): each position's expected "
               "loss on the ES tail paths, simulated again per position with the ES weights; "
               "the bars add up to ES. By ticker and sector, and component VaR: report.md, "
               "report.json, components.csv.");
  }
  if (!any)
    h << "<p class=\"placeholder\">Not computed for this run (--no-components, or no "
         "simulated scenario). <code>components.csv</code> holds only its header.</p>\n";
}

void definitions(std::ostringstream& h, const RunReport& r) {
  h << "<h2 id=\"definitions\">Scenario definitions</h2>\n";
  for (const ScenarioResult& s : r.scenarios) {
    h << "<div class=\"scenario\">\n<h3>" << escape_html(s.name) << "</h3>\n";
    if (&s == &r.scenarios.front() && s.description.empty()) {
      h << "<p>The model as calibrated in the market file, with no stress applied.</p>\n";
    } else {
      h << "<p>" << (s.description.empty() ? "<span class=\"placeholder\">No description."
                                               "</span>"
                                             : escape_html(s.description))
        << "</p>\n<table class=\"facts\">\n";
      h << fact("Kind", escape_html(s.kind));
      h << fact("Calibration source", s.source.empty() ? "<span class=\"placeholder\">not "
                                                         "stated in the file</span>"
                                                       : escape_html(s.source));
      if (!s.calibration_date.empty()) h << fact("Calibration date", escape_html(s.calibration_date));
      if (!s.file.empty()) h << fact("File", "<code>" + escape_html(s.file) + "</code>");
      if (!s.skipped_tickers.empty()) {
        std::string t;
        for (const std::string& x : s.skipped_tickers) t += (t.empty() ? "" : ", ") + x;
        h << fact("Skipped tickers", escape_html(t) + " (named by the scenario, not in the market)");
      }
      h << "</table>\n";
    }
    for (const std::string& n : s.notes) h << "<p class=\"note\">" << escape_html(n) << "</p>\n";
    if (s.non_finite > 0)
      h << "<p class=\"note\">" << s.non_finite
        << " paths had a NaN or infinite loss and were left out of every statistic.</p>\n";
    h << "</div>\n";
  }
}

}  // namespace

std::string report_html(const RunReport& r) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
    << escape_html("chipshock risk report: " + r.portfolio_name) << "</title>\n<style>" << kStyle
    << "</style>\n</head>\n<body>\n";
  header(h, r);
  risk_table(h, r);
  convergence_tables(h, r);
  what_if_table(h, r);
  books_tables(h, r);
  greeks_tables(h, r);
  h << path_risk_html(r.path_risk, r.currency);
  charts(h, r);
  definitions(h, r);
  h << "<footer>chipshock " << escape_html(r.version)
    << ". Files next to this one: report.json (the machine-readable contract), report.md, "
       "scenarios.csv, loss_histogram.csv, components.csv, what_if.csv, path_risk.csv, "
       "convergence.csv, fan_chart.csv, backend_comparison.csv, books.csv, greeks.csv, "
       "parametric.csv and "
       "report_values.csv (every "
       "number of report.json).</footer>\n</body>\n</html>\n";
  return h.str();
}

}  // namespace chipshock
