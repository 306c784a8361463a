// --backend both: the same paths on the GPU and the CPU, compared per scenario and confidence
// level (VaR, ES, their relative difference) with the speedup. Added to report.json as
// "backend_comparison", to report.md and to the terminal summary; absent for other backends.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/risk_engine.hpp"

namespace chipshock {

// BackendComparison (one scenario on both backends) is host/risk_engine.hpp's.

// |a - b| / max(|a|, |b|), 0 when both are 0.
double relative_difference(double a, double b);

// [ { "scenario", "gpu_seconds", "cpu_seconds", "speedup", "max_rel_diff",
//     "levels": { "0.99": { "gpu_var", "cpu_var", "var_rel_diff", "gpu_es", "cpu_es",
//                           "es_rel_diff" }, ... } }, ... ]
// --backend both, in one line for the report header: the GPU run checked against the CPU run
// (agreement_of below); absent for single-backend runs.
struct BackendAgreement {
  std::string gpu_name;
  double gpu_seconds = 0, cpu_seconds = 0;
  double max_relative_difference = 0;  // largest |gpu - cpu| / |cpu| over every VaR and ES
  std::string agreement;               // in words, e.g. "agree to float rounding"
  double speedup() const { return gpu_seconds > 0 ? cpu_seconds / gpu_seconds : 0.0; }
};

// The comparisons in one line: total GPU and CPU seconds, the largest relative difference.
BackendAgreement agreement_of(const std::vector<BackendComparison>& c, const std::string& gpu_name);

nlohmann::ordered_json comparison_json(const std::vector<BackendComparison>& c);
std::string comparison_markdown(const std::vector<BackendComparison>& c);
std::string comparison_summary(const std::vector<BackendComparison>& c);

}  // namespace chipshock
