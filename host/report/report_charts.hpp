// The report's charts, as inline SVG built from svg_chart.hpp. Each function returns one
// complete <svg> element, or "" when the data for it does not exist (the HTML then says so).
#pragma once

#include <string>

#include "host/report/run_report.hpp"

namespace chipshock {

// Two panels: the binned loss distribution (share of paths per bin, VaR and ES at the highest
// confidence marked) and the exact upper tail on a log scale, P(loss >= x) from the kept top-k
// losses, with VaR (dot) and ES (square) at every confidence. "" without a histogram.
std::string loss_distribution_chart(const ScenarioResult& s, const std::string& currency);

// Horizontal bars: ES per scenario and confidence, with VaR marked on each bar.
std::string scenario_comparison_chart(const RunReport& r);

// Portfolio value percentiles (5-95%, 25-75%, median) per day, one panel per scenario on a
// shared value axis. "" when no fan was computed.
std::string value_fan_chart(const ValueFan& fan, const std::string& currency);

// Per-position contribution to ES (component ES), largest first. "" when none were computed.
std::string contribution_chart(const ScenarioResult& s, const std::string& currency);

}  // namespace chipshock
