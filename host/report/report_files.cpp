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

void write_reports(const RunReport& r, const std::string& out_dir) {
  const std::filesystem::path dir(out_dir);
  const auto put = [&](const char* name, const std::string& content) {
    write_file_atomically((dir / name).string(), content);
  };
  put("report.json", report_json_text(r));
  put("report.md", report_markdown(r));
  put("report.html", report_html(r));
  put("scenarios.csv", scenarios_csv(r));
  put("loss_histogram.csv", loss_histogram_csv(r));
  put("components.csv", components_csv(r));
}

}  // namespace chipshock
