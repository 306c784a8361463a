// The report's CSV files, for pandas or a spreadsheet: RFC 4180 (comma-separated, fields with
// a comma, quote or line break quoted, quotes doubled, CRLF line ends), a header row, '.' as
// the decimal mark, no thousands separators, numbers as the shortest decimal that reads back as
// the same double (so they equal report.json's).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "host/report/run_report.hpp"

namespace chipshock {

// One field, quoted when it needs to be.
std::string csv_field(const std::string& text);
// Shortest round-trip decimal; "inf", "-inf", "nan" for non-finite values.
std::string csv_number(double x);

// scenarios.csv: one row per scenario and confidence level (one row with empty risk columns for
// an entry without levels, e.g. a replay).
//   scenario,kind,confidence,var,es,var_lo,var_hi,var_change,es_change,mean_loss,stdev_loss,
//   prob_loss,worst_loss,paths,non_finite_paths,currency,es_lo,es_hi,sampling,target_met
// sampling: plain or importance; target_met: true/false under --target-rel-error, else empty.
// var_change/es_change: against the baseline at the same level (0 for the baseline itself).
std::string scenarios_csv(const RunReport& r);

// loss_histogram.csv: one row per bin of each scenario with a histogram; the first and last rows
// of a scenario hold the paths below the first bin (bin_lo -inf) and above the last (bin_hi inf).
//   scenario,bin_lo,bin_hi,count,density     (density = count / (paths * width), 1/currency;
//                                             empty for the two open-ended rows)
std::string loss_histogram_csv(const RunReport& r);

// components.csv: per-position contribution to ES. Always written; only the header row while
// component ES is not computed.
//   scenario,confidence,position,es_contribution,share_of_es
std::string components_csv(const RunReport& r);

// The tables below are read from report.json itself (its parsed text), so their numbers are
// report.json's by construction; each is only its header row when report.json has no such part.

// report_values.csv: every number and boolean in report.json, one row each, in document order.
//   pointer,value      (pointer: RFC 6901, e.g. /scenarios/0/var/0.99; value as report.json
//                       has it, true/false for booleans)
std::string report_values_csv(const nlohmann::ordered_json& report);

// what_if.csv (--what-if): one row per scenario and level of the changed book.
//   scenario,paths,confidence,var,es,var_change,es_change,es_change_first_order
std::string what_if_csv(const nlohmann::ordered_json& report);

// path_risk.csv (--stop-loss), long: one row per scenario and measure.
//   scenario,measure,day,value,stop_loss,paths,horizon_days
// measures: max_drawdown_mean, max_drawdown_p50, max_drawdown_p95, max_drawdown_p99,
// prob_breach_any_day, prob_breach_at_horizon, non_finite_paths (day empty), and
// first_breach_probability for each day 1 .. horizon_days.
std::string path_risk_csv(const nlohmann::ordered_json& report);

// convergence.csv: each scenario's estimates at each stop of the run.
//   scenario,paths,confidence,var,var_lo,var_hi,es,es_lo,es_hi
std::string convergence_csv(const nlohmann::ordered_json& report);

// fan_chart.csv: percentiles of the book's value by day (day 0 = today).
//   scenario,day,percentile,value
std::string fan_chart_csv(const nlohmann::ordered_json& report);

// backend_comparison.csv (--backend both): one row per scenario and level.
//   scenario,confidence,gpu_var,cpu_var,var_rel_diff,gpu_es,cpu_es,es_rel_diff,gpu_seconds,
//   cpu_seconds,speedup,max_rel_diff
std::string backend_comparison_csv(const nlohmann::ordered_json& report);

// books.csv (a book hierarchy): one row per run (baseline, each scenario), book and level,
// the books in the tree's order (parents first).
//   scenario,book,parent,depth,confidence,var,es,var_lo,var_hi,es_lo,es_hi,children_var,
//   children_es,diversification_es,es_contribution_to_parent,share_of_parent_es,mean_loss,
//   stdev_loss,paths,positions,value
// children_*: the sums of the children's own VaR and ES (parents only); diversification_es =
// children_es - es; es_contribution_to_parent: the book's Euler share of its parent's ES (empty
// at the top); parent empty at the top.
std::string books_csv(const nlohmann::ordered_json& report);

// greeks.csv: each position's greeks (host/analytics/greeks.hpp for the units), then a row
// "total" (ticker and quantity empty).
//   position,ticker,quantity,value,delta,gamma,vega,theta
std::string greeks_csv(const nlohmann::ordered_json& report);

// parametric.csv: the delta-gamma-normal VaR/ES next to the Monte Carlo baseline's, per level.
//   scenario,confidence,parametric_var,parametric_es,monte_carlo_var,monte_carlo_es,mean_loss,
//   stdev_loss         (mean_loss, stdev_loss: the parametric loss distribution's)
std::string parametric_csv(const nlohmann::ordered_json& report);
}  // namespace chipshock
