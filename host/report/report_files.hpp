// The files `chipshock run --out DIR` writes, each atomically (temporary file, then rename):
// report.json (the contract), report.md, report.html, scenarios.csv, loss_histogram.csv and
// components.csv.
#pragma once

#include <string>
#include <vector>

#include "host/report/run_report.hpp"

namespace chipshock {

// The file names, in the order they are written.
const std::vector<std::string>& report_file_names();

// report.json exactly as written to the folder (and printed by --json).
std::string report_json_text(const RunReport& r);

// Every report file but report.json, rendered: what `chipshock run` makes before it composes
// report.json, so that report.json's run.phases includes this work.
struct ReportFile {
  std::string name, content;
};
std::vector<ReportFile> render_report_files(const RunReport& r);

// Writes report.json (`json`, from report_json_text) and `files` into `out_dir` (which must
// exist), in report_file_names() order. Throws std::runtime_error.
void write_report_files(const std::string& out_dir, const std::string& json,
                        const std::vector<ReportFile>& files);

// Both: every report file of r into `out_dir`.
void write_reports(const RunReport& r, const std::string& out_dir);

}  // namespace chipshock
