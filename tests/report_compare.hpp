// Comparing two runs' report files: report.json without the fields that differ from run to run
// or machine to machine (timings, thread counts, the CPU's instruction set), the CSV files byte
// for byte.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_util.hpp"

namespace chipshock::testing {

inline nlohmann::json without_timings(nlohmann::json j) {
  if (j.is_object()) {
    for (const char* key :
         {"elapsed_seconds", "paths_per_second", "seconds", "phases", "threads", "cpu_isa",
          "ranks", "gpus"})
      j.erase(key);
    for (auto& [key, value] : j.items()) value = without_timings(value);
  } else if (j.is_array()) {
    for (auto& value : j) value = without_timings(value);
  }
  return j;
}

// The reports in folders a and b are the same; returns a's report.json.
inline nlohmann::json check_same_reports(const std::string& a, const std::string& b) {
  const auto ja = nlohmann::json::parse(slurp_file(a + "/report.json"));
  const auto jb = nlohmann::json::parse(slurp_file(b + "/report.json"));
  {
    INFO(a << "/report.json against " << b << "/report.json");
    const nlohmann::json diff = nlohmann::json::diff(without_timings(jb), without_timings(ja));
    INFO("differences (JSON patch from b to a, first 2000 characters): "
         << diff.dump().substr(0, 2000));
    CHECK(diff.empty());
  }
  // report_values.csv and backend_comparison.csv hold timings: report.json's comparison covers
  // their numbers (they are read from it).
  for (const char* csv : {"scenarios.csv", "loss_histogram.csv", "components.csv", "what_if.csv",
                          "path_risk.csv", "convergence.csv", "fan_chart.csv"}) {
    INFO(a << "/" << csv << " against " << b << "/" << csv);
    CHECK(slurp_file(a + "/" + csv) == slurp_file(b + "/" + csv));
  }
  return ja;
}

}  // namespace chipshock::testing
