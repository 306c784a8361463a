#include "host/report/report_files.hpp"

#include "host/report/csv_report.hpp"
#include "host/report/html_report.hpp"

namespace chipshock {

const std::vector<std::string>& report_file_names() {  // the set's files
  static const std::vector<std::string> names = {
      "report.json",     "report.md",       "report.html",    "scenarios.csv",
      "loss_histogram.csv", "components.csv", "what_if.csv",   "path_risk.csv",
      "convergence.csv", "fan_chart.csv",   "backend_comparison.csv", "books.csv",
      "greeks.csv",      "parametric.csv",  "report_values.csv"};
  return names;
}

std::string report_json_text(const RunReport& r) {
  return report_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::vector<ReportFile> render_report_files(const RunReport& r) {
  return {{"report.md", report_markdown(r)},
          {"report.html", report_html(r)},
          {"scenarios.csv", scenarios_csv(r)},
          {"loss_histogram.csv", loss_histogram_csv(r)},
          {"components.csv", components_csv(r)}};
}

FileSetWrite write_report_files(const std::string& out_dir, const std::string& json,
                                const std::vector<ReportFile>& files) {
  std::vector<SetFile> set;
  for (const ReportFile& f : files) set.push_back({f.name, f.content});
  // The tables read from report.json itself: its numbers, timings included, by construction.
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(json);
  set.push_back({"what_if.csv", what_if_csv(j)});
  set.push_back({"path_risk.csv", path_risk_csv(j)});
  set.push_back({"convergence.csv", convergence_csv(j)});
  set.push_back({"fan_chart.csv", fan_chart_csv(j)});
  set.push_back({"backend_comparison.csv", backend_comparison_csv(j)});
  set.push_back({"books.csv", books_csv(j)});
  set.push_back({"greeks.csv", greeks_csv(j)});
  set.push_back({"parametric.csv", parametric_csv(j)});
  set.push_back({"report_values.csv", report_values_csv(j)});
  set.push_back({"report.json", json});  // last: where the set is written file by file
  return write_file_set(out_dir, set, report_file_names());
}

}  // namespace chipshock
