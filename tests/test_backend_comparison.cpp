// --backend both in the reports: per scenario and level, the GPU's and the CPU's VaR and ES,
// their relative difference and the speedup, added to report.json without touching the v1
// fields. Built from fabricated results, so it runs without a GPU.
#include <catch2/catch.hpp>
#include <cmath>

#include "host/report/backend_comparison.hpp"
#include "host/report/run_report.hpp"

using namespace chipshock;
using Catch::Matchers::Contains;

namespace {

ScenarioResult result(const std::string& name, double var, double es, double seconds) {
  ScenarioResult r;
  r.name = name;
  r.paths = 1000;
  r.seconds = seconds;
  r.levels.push_back({0.99, var, es, var * 0.9, var * 1.1});
  return r;
}

RunReport report(bool both) {
  RunReport r;
  r.version = "test";
  r.portfolio_name = "book";
  r.currency = "USD";
  r.paths = 1000;
  r.backend = both ? "both" : "cpu";
  r.threads = 2;
  r.confidences = {0.99};
  r.scenarios.push_back(result("baseline", 100.0, 120.0, 0.01));
  if (both) {
    r.gpu_name = "Test GPU";
    r.comparisons.push_back({"baseline", result("baseline", 100.0, 120.0, 0.01),
                             result("baseline", 100.0005, 120.0, 2.0), ""});
  }
  return r;
}

}  // namespace

TEST_CASE("relative differences are symmetric and zero for equal numbers", "[comparison]") {
  CHECK(relative_difference(0, 0) == 0);
  CHECK(relative_difference(5, 5) == 0);
  CHECK(relative_difference(100, 99) == Approx(0.01));
  CHECK(relative_difference(99, 100) == relative_difference(100, 99));
  CHECK(relative_difference(-1, 1) == Approx(2.0));
}

TEST_CASE("report.json carries the GPU name and the comparison only for a GPU run",
          "[comparison]") {
  const auto plain = report_json(report(false));
  CHECK_FALSE(plain["run"].contains("gpu"));
  CHECK_FALSE(plain.contains("backend_comparison"));
  CHECK(plain["run"]["backend"] == "cpu");

  const auto j = report_json(report(true));
  CHECK(j["schema"] == "chipshock.report.v1");
  CHECK(j["run"]["backend"] == "both");
  CHECK(j["run"]["gpu"] == "Test GPU");
  CHECK(j["scenarios"][0]["var"]["0.99"] == 100.0);  // the v1 fields are unchanged
  REQUIRE(j["backend_comparison"].size() == 1);
  const auto& c = j["backend_comparison"][0];
  CHECK(c["scenario"] == "baseline");
  CHECK(c["gpu_seconds"] == 0.01);
  CHECK(c["cpu_seconds"] == 2.0);
  CHECK(c["speedup"].get<double>() == Approx(200.0));
  const auto& l = c["levels"]["0.99"];
  CHECK(l["gpu_var"] == 100.0);
  CHECK(l["cpu_var"] == 100.0005);
  CHECK(l["var_rel_diff"].get<double>() == Approx(0.0005 / 100.0005));
  CHECK(l["es_rel_diff"] == 0.0);
  CHECK(c["max_rel_diff"].get<double>() == Approx(0.0005 / 100.0005));
}

TEST_CASE("report.md and the summary show both numbers and the speedup", "[comparison]") {
  const std::string md = report_markdown(report(true));
  CHECK_THAT(md, Contains("## GPU and CPU on the same paths") && Contains("| GPU | Test GPU |") &&
                     Contains("200.0x"));
  CHECK_THAT(report_summary(report(true)), Contains("speedup 200.0x") && Contains("Test GPU"));
  CHECK_THAT(report_markdown(report(false)), !Contains("GPU and CPU"));
}

TEST_CASE("a book hierarchy's rows: each book compared, its seconds its run's, not summed again",
          "[comparison][books]") {
  RunReport r = report(true);
  r.comparisons.push_back({"baseline", result("baseline", 40.0, 50.0, 0.01),
                           result("baseline", 40.0, 50.002, 2.0), "desk A"});
  const auto j = report_json(r);
  REQUIRE(j["backend_comparison"].size() == 2);
  CHECK(j["backend_comparison"][0]["book"].is_null());
  CHECK(j["backend_comparison"][1]["book"] == "desk A");
  CHECK(j["backend_comparison"][1]["levels"]["0.99"]["es_rel_diff"].get<double>() ==
        Approx(0.002 / 50.002));
  const BackendAgreement a = agreement_of(r.comparisons, r.gpu_name);
  CHECK(a.gpu_seconds == 0.01);  // the book's row shares its run's pass
  CHECK(a.cpu_seconds == 2.0);
  CHECK(a.max_relative_difference == Approx(0.002 / 50.002));
  const std::string md = comparison_markdown(r.comparisons);
  CHECK_THAT(md, Contains("| baseline / desk A | 99% |"));
  CHECK(md.find("| baseline / desk A | 0.01") == std::string::npos);  // no second timing row
  const std::string summary = comparison_summary(r.comparisons);
  CHECK_THAT(summary, Contains("every book of the hierarchy: max rel. diff of VaR/ES 4.00e-05"));
}
