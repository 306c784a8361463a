// The report's CSV files, for pandas or a spreadsheet: RFC 4180 (comma-separated, fields with
// a comma, quote or line break quoted, quotes doubled, CRLF line ends), a header row, '.' as
// the decimal mark, no thousands separators, numbers as the shortest decimal that reads back as
// the same double (so they equal report.json's).
#pragma once

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
//   prob_loss,worst_loss,paths,non_finite_paths,currency
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

}  // namespace chipshock
