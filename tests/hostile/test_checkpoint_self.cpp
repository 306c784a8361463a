// Checkpoints are checked against themselves (issue "nothing wrong, nothing lost", class 2): a
// checkpoint whose header (stops, next path, completeness) and saved losses disagree is refused
// with exit 2 naming the file, never an internal error and never a report of paths that were
// not simulated. Each case edits a real checkpoint of a killed run and writes it back whole (its
// own checksum), as damage or an edit would.
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "../checkpoint_kill.hpp"
#include "../cli_util.hpp"
#include "../test_util.hpp"

using namespace chipshock;
using namespace chipshock::testing;
using Catch::Matchers::Contains;

TEST_CASE("a checkpoint whose header and losses disagree is refused", "[hostile][checkpoint]") {
  TempDir tmp;
  const std::string ckpt = tmp.file("run.ckpt");
  const std::string args =
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml "
      "--backend cpu --threads 1 --paths 400k --horizon 10 --batch 2000 --quiet --checkpoint '" +
      ckpt + "' --out '" + tmp.file("out") + "'";
  const RunCheckpoint killed = kill_when(args, ckpt, tmp.file("log"), [](const RunCheckpoint& c) {
    return !c.scenarios.empty() && c.scenarios[0].next_path >= 10000 &&
           !c.scenarios[0].state.empty();
  });
  const std::vector<std::pair<std::string, std::function<void(ScenarioCheckpoint&)>>> edits = {
      {"losses hold", [](ScenarioCheckpoint& s) { s.next_path += 2000; }},
      {"losses hold", [](ScenarioCheckpoint& s) { s.next_path -= 2000; }},
      {"says complete", [](ScenarioCheckpoint& s) { s.complete = true; }},
      {"out of order", [](ScenarioCheckpoint& s) { s.reached = 1ull << 40; }},
      {"out of order", [](ScenarioCheckpoint& s) { s.done = s.reached + 1; }},
  };
  for (const auto& [expect, edit] : edits) {
    INFO(expect);
    RunCheckpoint c = killed;
    edit(c.scenarios[0]);
    std::ofstream(ckpt, std::ios::binary | std::ios::trunc) << encode_checkpoint(c);
    const CliResult r = run_chipshock(args + " --resume");
    CHECK(r.code == 2);
    CHECK_THAT(r.err,
               Contains("run.ckpt") && Contains("disagrees with itself") && Contains(expect));
  }
  // The checkpoint as it was resumes and completes.
  std::ofstream(ckpt, std::ios::binary | std::ios::trunc) << encode_checkpoint(killed);
  const CliResult r = run_chipshock(args + " --resume");
  INFO(r.err);
  CHECK(r.code == 0);
}
