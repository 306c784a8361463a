// --checkpoint / --resume end to end: a run killed with SIGKILL midway, resumed with the same
// command, writes exactly the report files of an uninterrupted run (report.json with its
// convergence tables and component ES, and every CSV; timings aside). On the CPU backend, so
// that the run is slow enough to be caught midway on any machine. A checkpoint is refused
// (exit 2, naming the file and what changed) when a setting or an input file changed.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "checkpoint_kill.hpp"
#include "cli_util.hpp"
#include "host/checkpoint/run_checkpoint.hpp"
#include "host/input_error.hpp"
#include "report_compare.hpp"

using namespace chipshock;
using namespace chipshock::testing;
using Catch::Matchers::Contains;

namespace {

// The sanitizer job (CHIPSHOCK_TEST_LIGHT=1) runs the same checks on fewer paths.
std::uint64_t scaled(std::uint64_t paths) {
  return testing::paths_or_light(paths, paths / 4);
}

}  // namespace

TEST_CASE("a run killed with SIGKILL resumes to the same report.json, components included",
          "[checkpoint][cli]") {
  TempDir dir;
  std::filesystem::copy_file(source_path("scenarios/market/ai_chips.toml"), dir.file("m.toml"));
  const std::string market_text = slurp_file(dir.file("m.toml"));
  const std::string ckpt = dir.file("run.ckpt");
  const std::uint64_t paths = scaled(1200000);
  const auto args_with = [&](const std::string& seed, const std::string& horizon) {
    return "run --market '" + dir.file("m.toml") +
           "' --portfolio scenarios/portfolio/ai_book.toml --paths " + std::to_string(paths) +
           " --horizon " + horizon + " --seed " + seed +
           " --scenario cheaper_model_disruption --backend cpu --quiet ";
  };
  const std::string args = args_with("5", "5");
  const std::string with_ckpt = args + "--threads 1 --batch 20000 --checkpoint '" + ckpt + "' ";

  // Start, and kill -9 once the checkpoint shows the scenario (the second run) partly done.
  const RunCheckpoint at_kill = kill_when(with_ckpt + "--out '" + dir.file("killed") + "'", ckpt,
                                          dir.file("killed.log"), [&](const RunCheckpoint& c) {
                                            return c.scenarios.size() == 2 &&
                                                   !c.scenarios[1].complete &&
                                                   c.scenarios[1].next_path > paths / 12 &&
                                                   c.scenarios[1].next_path < paths * 5 / 6;
                                          });
  CHECK(slurp_file(dir.file("killed.log")).empty());  // killed before it printed anything
  CHECK(!std::filesystem::exists(dir.file("killed/report.json")));
  const RunCheckpoint saved = read_checkpoint(ckpt);
  REQUIRE(saved.scenarios.size() == 2);
  CHECK(saved.scenarios[0].complete);
  CHECK(saved.scenarios[0].done == paths);
  CHECK(!saved.scenarios[0].table.empty());  // the baseline's convergence rows
  CHECK(saved.scenarios[1].next_path >= at_kill.scenarios[1].next_path);
  CHECK(!saved.scenarios[1].complete);

  // Refusals: the checkpoint stays usable after each.
  CliResult r = run_chipshock(with_ckpt);
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("run.ckpt") && Contains("exists already") && Contains("--resume"));
  r = run_chipshock(args_with("6", "5") + "--checkpoint '" + ckpt + "' --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("run.ckpt") && Contains("seed = 5; this run has 6"));
  r = run_chipshock(args_with("5", "4") + "--checkpoint '" + ckpt + "' --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("horizon_days"));
  r = run_chipshock(args + "--no-components --antithetic --checkpoint '" + ckpt + "' --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("antithetic"));
  dir.write("m.toml", market_text + "\n# edited\n");
  r = run_chipshock(with_ckpt + " --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("run.ckpt") && Contains("m.toml changed since the checkpoint"));
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

  // Resume (another batch size and thread count: they do not matter), then the uninterrupted
  // run.
  r = run_chipshock(args + "--batch 70000 --threads 2 --checkpoint '" + ckpt +
                    "' --resume --out '" + dir.file("resumed") + "'");
  INFO("stderr of the resumed run: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(!std::filesystem::exists(ckpt));  // spent once the run completed
  r = run_chipshock(args + "--threads 2 --out '" + dir.file("whole") + "'");
  REQUIRE(r.code == 0);
  check_same_reports(dir.file("resumed"), dir.file("whole"));
  const auto j = nlohmann::json::parse(slurp_file(dir.file("whole/report.json")));
  CHECK(j["scenarios"][1]["components"]["levels"]["0.99"]["by_position"].size() > 3);
  CHECK(j["scenarios"][1]["convergence"].size() > 2);
}

TEST_CASE("a run to a target error with --what-if, killed in its what-if runs, resumes the same",
          "[checkpoint][cli]") {
  TempDir dir;
  const std::string ckpt = dir.file("run.ckpt");
  const std::string args =
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml "
      "--paths " +
      std::to_string(scaled(100000)) + " --target-rel-error 0.003 --max-paths " +
      std::to_string(scaled(800000)) +
      " --horizon 5 --seed 3 --what-if scenarios/portfolio/what_if_nvda_hedge.toml "
      "--backend cpu --threads 1 --quiet ";
  // Runs: 0 the baseline (to the target), 1 the what-if baseline (as many paths).
  kill_when(args + "--batch 10000 --checkpoint '" + ckpt + "' --out '" + dir.file("killed") + "'",
            ckpt, dir.file("killed.log"), [&](const RunCheckpoint& c) {
              return c.scenarios.size() == 2 && c.scenarios[1].next_path > 20000 &&
                     !c.scenarios[1].complete;
            });
  const RunCheckpoint saved = read_checkpoint(ckpt);
  REQUIRE(saved.scenarios.size() == 2);
  CHECK(saved.scenarios[0].complete);
  CHECK(saved.scenarios[1].name == "what-if: baseline");
  CliResult r = run_chipshock(args + "--checkpoint '" + ckpt + "' --resume --out '" +
                              dir.file("resumed") + "'");
  INFO("stderr of the resumed run: " << r.err);
  REQUIRE(r.code == 0);
  r = run_chipshock(args + "--out '" + dir.file("whole") + "'");
  REQUIRE(r.code == 0);
  check_same_reports(dir.file("resumed"), dir.file("whole"));
  const auto j = nlohmann::json::parse(slurp_file(dir.file("whole/report.json")));
  CHECK(j["scenarios"][0]["convergence"].size() >= 2);
  CHECK(!j["what_if"].is_null());
}

TEST_CASE("a damaged or older checkpoint is refused with exit 2", "[checkpoint][cli]") {
  TempDir dir;
  const std::string run =
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml "
      "--paths 20k --checkpoint '";
  dir.write("bad.ckpt", "chipshock checkpoint v2\nthis is not the rest of one");
  CliResult r = run_chipshock(run + dir.file("bad.ckpt") + "' --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("bad.ckpt") && Contains("not a usable checkpoint"));
  dir.write("old.ckpt", std::string("chipshock checkpoint v1\n") + std::string(40, '\0'));
  r = run_chipshock(run + dir.file("old.ckpt") + "' --resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("old.ckpt") && Contains("another version"));
}

TEST_CASE("a checkpoint written before a setting existed resumes under that setting's old value",
          "[checkpoint]") {
  chipshock::RunCheckpoint saved, now;
  saved.settings = {{"paths", 1000}, {"seed", 7}};  // before importance sampling could checkpoint
  now.settings = {{"paths", 1000}, {"seed", 7}, {"importance_sampling", false}};
  CHECK_NOTHROW(chipshock::check_resumable(saved, now, "old.ckpt"));
  now.settings["importance_sampling"] = true;  // it cannot have been an importance-sampling run
  CHECK_THROWS_AS(chipshock::check_resumable(saved, now, "old.ckpt"), chipshock::InputError);
  now.settings = {{"paths", 1000}, {"seed", 7}, {"brand_new", 1}};  // unknown: still refused
  CHECK_THROWS_AS(chipshock::check_resumable(saved, now, "old.ckpt"), chipshock::InputError);
}

TEST_CASE("a book hierarchy killed midway resumes to the same books", "[checkpoint][cli][books]") {
  TempDir dir;
  const std::string ckpt = dir.file("run.ckpt");
  const std::uint64_t paths = scaled(600000);
  const std::string args =
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_desks.toml "
      "--paths " + std::to_string(paths) +
      " --horizon 5 --seed 8 --scenario cheaper_model_disruption --backend cpu --quiet ";
  const std::string with_ckpt = args + "--threads 1 --batch 10000 --checkpoint '" + ckpt + "' ";
  // killed in the scenario (the second run), its books partly folded
  kill_when(with_ckpt + "--out '" + dir.file("killed") + "'", ckpt, dir.file("killed.log"),
            [&](const RunCheckpoint& c) {
              return c.scenarios.size() == 2 && !c.scenarios[1].complete &&
                     c.scenarios[1].next_path > paths / 6 &&
                     c.scenarios[1].next_path < paths * 5 / 6;
            });
  const RunCheckpoint saved = read_checkpoint(ckpt);
  REQUIRE(saved.scenarios.size() == 2);
  CHECK(saved.scenarios[0].complete);
  CHECK(saved.scenarios[0].observer.size() == 6);  // every node of the tree
  REQUIRE(saved.scenarios[1].observer.size() == 6);

  // a damaged book, or one too few, is refused (exit 2) and leaves the checkpoint usable
  RunCheckpoint bad = saved;
  bad.scenarios[1].observer[2][20] ^= 0x5a;
  std::ofstream(ckpt, std::ios::binary | std::ios::trunc) << encode_checkpoint(bad);
  CliResult r = run_chipshock(with_ckpt + "--resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("run.ckpt") && Contains("book hierarchy is damaged"));
  bad = saved;
  bad.scenarios[1].observer.pop_back();
  std::ofstream(ckpt, std::ios::binary | std::ios::trunc) << encode_checkpoint(bad);
  r = run_chipshock(with_ckpt + "--resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("holds 5 books; this run has 6"));
  bad = saved;  // books of other paths than the run's
  bad.scenarios[1].observer = bad.scenarios[0].observer;
  std::ofstream(ckpt, std::ios::binary | std::ios::trunc) << encode_checkpoint(bad);
  r = run_chipshock(with_ckpt + "--resume");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("books hold other paths than the run"));
  std::ofstream(ckpt, std::ios::binary | std::ios::trunc) << encode_checkpoint(saved);

  r = run_chipshock(args + "--batch 30000 --threads 2 --checkpoint '" + ckpt + "' --resume --out '" +
                    dir.file("resumed") + "'");
  INFO("stderr of the resumed run: " << r.err);
  REQUIRE(r.code == 0);
  r = run_chipshock(args + "--threads 2 --out '" + dir.file("whole") + "'");
  REQUIRE(r.code == 0);
  check_same_reports(dir.file("resumed"), dir.file("whole"));
  const auto j = nlohmann::json::parse(slurp_file(dir.file("whole/report.json")));
  REQUIRE(j["books"]["nodes"].size() == 6);
  CHECK(j["books"]["nodes"][3]["scenarios"][1]["paths"] == paths);
}
