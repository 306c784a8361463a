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

// Writes every report file into `out_dir` (which must exist). Throws std::runtime_error.
void write_reports(const RunReport& r, const std::string& out_dir);

}  // namespace chipshock
