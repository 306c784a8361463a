// Path-dependent risk in the reports: report.json "path_risk", a report.md section and lines of
// the terminal summary. Empty output when no stop-loss was given.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "host/analytics/path_risk.hpp"

namespace chipshock {

nlohmann::ordered_json path_risk_json(const PathRisk& p);  // null when not computed
std::string path_risk_markdown(const PathRisk& p, const std::string& currency);
std::string path_risk_summary(const PathRisk& p);
// report.html's section (a table per scenario, as report.md's); "" when not computed.
std::string path_risk_html(const PathRisk& p, const std::string& currency);

}  // namespace chipshock
