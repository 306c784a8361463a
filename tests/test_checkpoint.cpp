// --checkpoint / --resume end to end: a run killed with SIGKILL midway through its second
// scenario, resumed with the same command, reports exactly the numbers of an uninterrupted run
// (on the CPU backend, so that the run is slow enough to be caught midway on any machine);
// a checkpoint is refused (exit 2) when a setting or an input file changed.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_util.hpp"
#include "host/checkpoint/run_checkpoint.hpp"

using namespace chipshock;
using namespace chipshock::testing;
using Catch::Matchers::Contains;

namespace {

// The report's numbers: every scenario and the fan chart's percentiles (not the timings).
nlohmann::json numbers(const std::string& json_text) {
  const auto j = nlohmann::json::parse(json_text);
  return {j.at("scenarios"), j.at("fan_chart").at("series"), j.at("run").at("paths")};
}

}  // namespace

TEST_CASE("a run killed with SIGKILL resumes to bit-identical numbers, and changes are refused",
          "[checkpoint][cli]") {
  TempDir dir;
  std::filesystem::copy_file(source_path("scenarios/market/ai_chips.toml"), dir.file("m.toml"));
  const std::string market_text = slurp_file(dir.file("m.toml"));
  const std::string ckpt = dir.file("run.ckpt");
  const auto args_with = [&](const std::string& seed, const std::string& horizon) {
    return "run --market '" + dir.file("m.toml") +
           "' --portfolio scenarios/portfolio/ai_book.toml --paths 1200000 --horizon " + horizon +
           " --seed " + seed +
           " --scenario cheaper_model_disruption --backend cpu --threads 1 --json --quiet ";
  };
  const std::string args = args_with("5", "5");
  const std::string with_ckpt = args + "--batch 20000 --checkpoint '" + ckpt + "'";

  // Start, and kill -9 once the checkpoint shows the second scenario partly done.
  const long pid = start_chipshock(with_ckpt, dir.file("killed.log"));
  REQUIRE(pid > 0);
  bool killed = false;
  std::uint64_t killed_at = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
  while (!killed && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!std::filesystem::exists(ckpt)) continue;
    RunCheckpoint c;
    try {
      c = read_checkpoint(ckpt);
    } catch (const std::exception&) {
      continue;  // cannot happen (written atomically); retry rather than fail
    }
    if (c.scenarios.size() == 2 && c.scenarios[1].next_path > 100000 &&
        c.scenarios[1].next_path < 1000000) {
      REQUIRE(::kill(static_cast<pid_t>(pid), SIGKILL) == 0);
      killed = true;
      killed_at = c.scenarios[1].next_path;
    }
  }
  INFO("log of the killed run: " << slurp_file(dir.file("killed.log")));
  REQUIRE(killed);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(slurp_file(dir.file("killed.log")).empty());  // killed before it printed a report
  const RunCheckpoint saved = read_checkpoint(ckpt);
  CHECK(saved.scenarios.at(0).next_path == 1200000);  // the baseline was complete
  CHECK(saved.scenarios.at(1).next_path >= killed_at);
  CHECK(saved.scenarios.at(1).next_path < 1200000);

  // Refusals: the checkpoint stays usable after each.
  CliResult r = run_chipshock(with_ckpt);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("exists already") && Contains("--resume"));
  r = run_chipshock(args_with("6", "5") + "--checkpoint '" + ckpt + "' --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("seed = 5; this run has 6"));
  r = run_chipshock(args_with("5", "4") + "--checkpoint '" + ckpt + "' --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("horizon_days"));
  dir.write("m.toml", market_text + "\n# edited\n");
  r = run_chipshock(with_ckpt + " --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("m.toml changed since the checkpoint"));
  dir.write("m.toml", market_text);
  r = run_chipshock(args + "--checkpoint '" + dir.file("none.ckpt") + "' --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("no checkpoint to resume"));
  r = run_chipshock(args + "--resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("needs --checkpoint"));
  r = run_chipshock(args + "--checkpoint '" + dir.file("no/such/folder/run.ckpt") + "'");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("cannot write the checkpoint"));

  // Resume (another batch size: it does not matter), then the uninterrupted run.
  const CliResult resumed =
      run_chipshock(args + "--batch 70000 --checkpoint '" + ckpt + "' --resume");
  REQUIRE(resumed.code == 0);
  CHECK(!std::filesystem::exists(ckpt));  // spent once the run completed
  const CliResult whole = run_chipshock(args);
  REQUIRE(whole.code == 0);
  CHECK(numbers(resumed.out) == numbers(whole.out));
}

TEST_CASE("a damaged checkpoint is refused with exit 2", "[checkpoint][cli]") {
  TempDir dir;
  dir.write("bad.ckpt", "chipshock checkpoint v1\nthis is not the rest of one");
  const CliResult r = run_chipshock(
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml "
      "--paths 20k --checkpoint '" +
      dir.file("bad.ckpt") + "' --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("not a usable checkpoint"));
}
