#include "host/report/report_files.hpp"

#include <filesystem>

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

void write_report_files(const std::string& out_dir, const std::string& json,
                        const std::vector<ReportFile>& files) {
  const std::filesystem::path dir(out_dir);
  write_file_atomically((dir / "report.json").string(), json);
  for (const ReportFile& f : files) write_file_atomically((dir / f.name).string(), f.content);
}

void write_reports(const RunReport& r, const std::string& out_dir) {
  write_report_files(out_dir, report_json_text(r), render_report_files(r));
}

}  // namespace chipshock
