#include "host/report/report_files.hpp"

#include "host/report/csv_report.hpp"
#include "host/report/html_report.hpp"

namespace chipshock {

const std::vector<std::string>& report_file_names() {
  static const std::vector<std::string> names = {"report.json",   "report.md",
                                                 "report.html",   "scenarios.csv",
                                                 "loss_histogram.csv", "components.csv"};
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
  set.push_back({"report.json", json});  // last: where the set is written file by file
  return write_file_set(out_dir, set, report_file_names());
}

}  // namespace chipshock
