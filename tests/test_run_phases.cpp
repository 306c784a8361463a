// Where a run's time goes (host/run_phases.hpp): nested scopes pause the outer one, absorbing
// scopes keep their insides, and `chipshock run` reports every phase in report.json run.phases
// (adding up to its wall time) and, with --timings, in the summary.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli_util.hpp"
#include "host/run_phases.hpp"
#include "test_util.hpp"

using namespace chipshock;
using namespace chipshock::testing;

namespace {

void busy(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
  }
}

double at(Phase p) { return phase_seconds()[static_cast<std::size_t>(p)]; }

}  // namespace

TEST_CASE("phase scopes count each second once, inner scopes pausing the outer", "[phases]") {
  reset_phase_seconds();
  {
    const PhaseScope tail(Phase::kTail);
    busy(0.02);
    {
      const PhaseScope sim(Phase::kSimulate);
      busy(0.03);
    }
    busy(0.01);
  }
  CHECK(at(Phase::kSimulate) >= 0.03);
  CHECK(at(Phase::kSimulate) < 0.03 + 0.02);
  CHECK(at(Phase::kTail) >= 0.03);
  CHECK(at(Phase::kTail) < 0.03 + 0.02);
  CHECK(at(Phase::kComponents) == 0.0);
  reset_phase_seconds();
  CHECK(at(Phase::kTail) == 0.0);
}

TEST_CASE("an absorbing scope keeps the scopes opened inside it", "[phases]") {
  reset_phase_seconds();
  {
    const PhaseScope pilot(Phase::kImportancePilot, PhaseScope::kAbsorb);
    const PhaseScope sim(Phase::kSimulate);
    const PhaseScope tail(Phase::kTail);
    busy(0.02);
  }
  CHECK(at(Phase::kImportancePilot) >= 0.02);
  CHECK(at(Phase::kSimulate) == 0.0);
  CHECK(at(Phase::kTail) == 0.0);
  CHECK(std::string(phase_name(Phase::kValuePaths)) == "value_paths");
}

TEST_CASE("run reports its phases in report.json and with --timings", "[phases][cli]") {
  TempDir dir;
  const std::string out = dir.file("r");
  const CliResult r = run_chipshock(
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml "
      "--paths 40k --horizon 5 --stop-loss 1e6 --threads 2 --timings --out '" +
      out + "'");
  REQUIRE(r.code == 0);
  CHECK(r.out.find("phases: simulate ") != std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(slurp_file(out + "/report.json"));
  const nlohmann::json& ph = j.at("run").at("phases");
  double sum = 0;
  for (const char* k : {"simulate", "tail", "components", "value_paths", "importance_pilot",
                        "estimate", "checkpoint", "reports", "other"}) {
    INFO(k);
    REQUIRE(ph.contains(k));
    CHECK(ph.at(k).get<double>() >= 0);
    sum += ph.at(k).get<double>();
  }
  const double wall = ph.at("wall").get<double>();
  CHECK(sum == Approx(wall).epsilon(1e-6));
  CHECK(ph.at("simulate").get<double>() > 0);
  CHECK(ph.at("components").get<double>() > 0);
  CHECK(ph.at("value_paths").get<double>() > 0);  // the fan and --stop-loss
  CHECK(ph.at("reports").get<double>() > 0);
  CHECK(wall >= j.at("run").at("elapsed_seconds").get<double>());
  // --quiet: the phases line alone, on stderr
  const CliResult q = run_chipshock(
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml "
      "--paths 10k --quiet --timings");
  REQUIRE(q.code == 0);
  CHECK(q.out.empty());
  CHECK(q.err.rfind("phases: simulate ", 0) == 0);
}
