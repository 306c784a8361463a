#include "host/report/path_risk_report.hpp"

#include <cstdio>
#include <sstream>

#include "host/report/format.hpp"
#include "host/report/html_escape.hpp"
#include "host/report/markdown_escape.hpp"

namespace chipshock {

namespace {

std::string pct(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * x);
  return buf;
}

// The most likely first-breach day (the mode), 0 when there is no breach.
int modal_day(const PathRiskResult& r) {
  int best = 0;
  double p = 0;
  for (std::size_t d = 0; d < r.first_breach.size(); ++d)
    if (r.first_breach[d] > p) {
      p = r.first_breach[d];
      best = static_cast<int>(d) + 1;
    }
  return best;
}

}  // namespace

nlohmann::ordered_json path_risk_json(const PathRisk& p) {
  using nlohmann::ordered_json;
  if (p.scenarios.empty()) return nullptr;
  ordered_json out;
  out["stop_loss"] = p.stop_loss;
  out["horizon_days"] = p.horizon_days;
  out["paths"] = p.paths;
  out["seconds"] = p.seconds;
  ordered_json list = ordered_json::array();
  for (const PathRiskResult& r : p.scenarios) {
    ordered_json first = ordered_json::array();
    for (std::size_t d = 0; d < r.first_breach.size(); ++d)
      first.push_back({{"day", d + 1}, {"probability", r.first_breach[d]}});
    list.push_back({{"name", r.scenario},
                    {"max_drawdown",
                     {{"mean", r.drawdown_mean},
                      {"p50", r.drawdown_p50},
                      {"p95", r.drawdown_p95},
                      {"p99", r.drawdown_p99}}},
                    {"prob_breach_any_day", r.prob_breach},
                    {"prob_breach_at_horizon", r.prob_breach_at_horizon},
                    {"first_breach_day", first},
                    {"non_finite_paths", r.non_finite}});
  }
  out["scenarios"] = list;
  return out;
}

std::string path_risk_markdown(const PathRisk& p, const std::string& currency) {
  if (p.scenarios.empty()) return "";
  std::ostringstream md;
  md << "\n## Path-dependent risk\n\n"
     << "Daily book values over the " << p.horizon_days << "-day horizon on " << p.paths
     << " paths (the first paths of the run). Stop-loss: a loss of " << currency << " "
     << format_money(p.stop_loss) << " from today's value.\n\n"
     << "| Scenario | Max drawdown mean | p50 | p95 | p99 | P(breach on any day) | "
        "P(breach at horizon) | Most likely first-breach day |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const PathRiskResult& r : p.scenarios) {
    const int day = modal_day(r);
    md << "| " << escape_markdown(r.scenario) << " | " << format_money(r.drawdown_mean) << " | "
       << format_money(r.drawdown_p50) << " | " << format_money(r.drawdown_p95) << " | "
       << format_money(r.drawdown_p99) << " | " << pct(r.prob_breach) << " | "
       << pct(r.prob_breach_at_horizon) << " | " << (day > 0 ? std::to_string(day) : "-")
       << " |\n";
  }
  return md.str();
}

std::string path_risk_html(const PathRisk& p, const std::string& currency) {
  if (p.scenarios.empty()) return "";
  std::ostringstream h;
  h << "<h2 id=\"path-risk\">Path-dependent risk</h2>\n<p>Daily book values over the "
    << p.horizon_days << "-day horizon on " << p.paths
    << " paths (the first paths of the run). Stop-loss: a loss of " << escape_html(currency)
    << " " << format_money(p.stop_loss)
    << " from today's value.</p>\n<table>\n<tr><th>Scenario</th>"
       "<th class=\"n\">Max drawdown mean</th><th class=\"n\">p50</th><th class=\"n\">p95</th>"
       "<th class=\"n\">p99</th><th class=\"n\">P(breach, any day)</th>"
       "<th class=\"n\">P(breach at horizon)</th><th class=\"n\">Likeliest first breach</th>"
       "</tr>\n";
  for (const PathRiskResult& r : p.scenarios) {
    const int day = modal_day(r);
    h << "<tr><td>" << breakable_html(r.scenario) << "</td><td class=\"n\">"
      << format_whole_money(r.drawdown_mean) << "</td><td class=\"n\">" << format_whole_money(r.drawdown_p50)
      << "</td><td class=\"n\">" << format_whole_money(r.drawdown_p95) << "</td><td class=\"n\">"
      << format_whole_money(r.drawdown_p99) << "</td><td class=\"n\">" << pct(r.prob_breach)
      << "</td><td class=\"n\">" << pct(r.prob_breach_at_horizon) << "</td><td class=\"n\">"
      << (day > 0 ? "day " + std::to_string(day) : std::string("\u2014")) << "</td></tr>\n";
  }
  h << "</table>\n";
  return h.str();
}

std::string path_risk_summary(const PathRisk& p) {
  if (p.scenarios.empty()) return "";
  std::ostringstream out;
  out << "\npath-dependent risk (" << p.paths << " paths, stop-loss " << format_money(p.stop_loss)
      << "):\n";
  char line[256];
  for (const PathRiskResult& r : p.scenarios) {
    std::snprintf(line, sizeof line,
                  "  %-28s max drawdown p99 %16s   P(breach any day) %7s   at horizon %7s\n",
                  r.scenario.substr(0, 28).c_str(), format_money(r.drawdown_p99).c_str(),
                  pct(r.prob_breach).c_str(), pct(r.prob_breach_at_horizon).c_str());
    out << line;
  }
  return out.str();
}

}  // namespace chipshock
