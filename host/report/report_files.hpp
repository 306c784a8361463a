// The files `chipshock run --out DIR` writes, as one set (host/files/file_set.hpp: a reader sees
// one run's set, never a mix): report.json (the contract), report.md, report.html,
// the CSV tables (host/report/csv_report.hpp).
#pragma once

#include <string>
#include <vector>

#include "host/files/file_set.hpp"
#include "host/report/run_report.hpp"

namespace chipshock {

// The names of the set's files (report.json is written last).
const std::vector<std::string>& report_file_names();

// report.json exactly as written to the folder (and printed by --json).
std::string report_json_text(const RunReport& r);

// Every report file but report.json, rendered: what `chipshock run` makes before it composes
// report.json, so that report.json's run.phases includes this work.
struct ReportFile {
  std::string name, content;
};
std::vector<ReportFile> render_report_files(const RunReport& r);

// Replaces the set in `out_dir` (which must exist) with report.json (`json`, from
// report_json_text) and `files`, as one set. Throws std::runtime_error (the old set then stays).
FileSetWrite write_report_files(const std::string& out_dir, const std::string& json,
                                const std::vector<ReportFile>& files);

}  // namespace chipshock
