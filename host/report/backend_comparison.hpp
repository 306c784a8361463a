// --backend both: the same paths on the GPU and the CPU, compared per scenario and confidence
// level (VaR, ES, their relative difference) with the speedup. Added to report.json as
// "backend_comparison", to report.md and to the terminal summary; absent for other backends.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/risk_engine.hpp"

namespace chipshock {

struct BackendComparison {
  std::string scenario;
  ScenarioResult gpu, cpu;
};

// |a - b| / max(|a|, |b|), 0 when both are 0.
double relative_difference(double a, double b);

// [ { "scenario", "gpu_seconds", "cpu_seconds", "speedup", "max_rel_diff",
//     "levels": { "0.99": { "gpu_var", "cpu_var", "var_rel_diff", "gpu_es", "cpu_es",
//                           "es_rel_diff" }, ... } }, ... ]
struct BackendAgreement;
// The comparisons in one line: total GPU and CPU seconds, the largest relative difference.
BackendAgreement agreement_of(const std::vector<BackendComparison>& c, const std::string& gpu_name);

nlohmann::ordered_json comparison_json(const std::vector<BackendComparison>& c);
std::string comparison_markdown(const std::vector<BackendComparison>& c);
std::string comparison_summary(const std::vector<BackendComparison>& c);

}  // namespace chipshock
