// What a front end other than the CLI (the Python module) asks of a run: every loss kept in path
// order (PathSource::keep_losses, RunFeedback::baseline_losses), a run stopped from outside
// (host/run_cancel.hpp), inputs given as TOML text (RunOptions::texts), and input errors whose
// parts can be shown apart.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "all_features.hpp"
#include "host/app/run_job.hpp"
#include "host/app/run_plan.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/input_error.hpp"
#include "host/parallel/mpi_world.hpp"
#include "host/risk_engine.hpp"
#include "host/run_cancel.hpp"
#include "test_util.hpp"

using namespace chipshock;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

RunOptions small_run() {
  RunOptions o;
  o.market = testing::source_path("scenarios/market/ai_chips.toml");
  o.portfolio = testing::source_path("scenarios/portfolio/ai_book.toml");
  o.scenarios = {"cheaper_model_disruption"};
  o.paths = "20000";
  o.horizon_days = 3;
  o.seed = "11";
  o.backend = BackendChoice::kCpu;
  o.quiet = true;
  return o;
}

RunReport run_with(const RunOptions& o, const RunFeedback& feedback) {
  const MpiWorld one_process;
  PreparedRun p;
  prepare_run(o, one_process, p);
  return execute_run(o, one_process, p, false, feedback);
}

}  // namespace

TEST_CASE("a CPU source keeps every loss it folds, in path order, bit for bit",
          "[run_control]") {
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 7, 1);
  const SimSpec& spec = *t.spec;
  const CpuBackend cpu(2);
  for (const std::uint64_t batch : {777ull, 1ull << 20}) {
    CAPTURE(batch);
    RunSettings s;
    s.paths = 5003;
    s.seed = 5;
    s.batch_paths = batch;
    std::vector<double> kept;
    std::uint64_t calls = 0, next = 0;
    const auto source = cpu_path_source(spec, cpu, s);
    source->keep_losses([&](std::uint64_t first, std::uint64_t count) {
      CHECK(first == next);  // in path order, each path once
      next = first + count;
      ++calls;
      kept.resize(static_cast<std::size_t>(first + count));
      return kept.data() + first;
    });
    ScenarioProgress p;
    PathTeam alone;
    advance_scenario(p, s, *source, alone);
    REQUIRE(kept.size() == s.paths);
    CHECK(calls >= (batch < s.paths ? 2u : 1u));  // in batches (the pilot's paths among them)
    std::vector<double> want(s.paths);
    cpu.simulate_losses(spec, s.seed, 0, s.paths, want.data());
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (kept[i] != want[i]) FAIL("path " << i << ": kept " << kept[i] << ", simulated " << want[i]);
    }
  }
}

TEST_CASE("a run keeps the baseline's losses only, and its numbers do not change",
          "[run_control]") {
  const RunOptions o = small_run();
  const RunReport plain = run_with(o, {});
  std::vector<double> kept;
  RunFeedback feedback;
  feedback.baseline_losses = [&](std::uint64_t first, std::uint64_t count) {
    kept.resize(static_cast<std::size_t>(first + count));
    return kept.data() + first;
  };
  const RunReport keeping = run_with(o, feedback);
  REQUIRE(kept.size() == 20000);
  REQUIRE(plain.scenarios.size() == keeping.scenarios.size());
  for (std::size_t k = 0; k < plain.scenarios.size(); ++k) {
    CHECK(plain.scenarios[k].mean_loss == keeping.scenarios[k].mean_loss);
    CHECK(plain.scenarios[k].levels[2].var == keeping.scenarios[k].levels[2].var);
    CHECK(plain.scenarios[k].levels[2].es == keeping.scenarios[k].levels[2].es);
  }
  // The kept losses are the baseline's: their worst and their mean are the report's.
  long double sum = 0;
  double worst = -1e300;
  for (const double x : kept) {
    sum += x;
    worst = std::max(worst, x);
  }
  const ScenarioResult& base = plain.scenarios[0];
  CHECK(worst == base.worst_loss);
  CHECK(static_cast<double>(sum / kept.size()) == Approx(base.mean_loss).epsilon(1e-12));
  // ... and the 99% VaR is the sorted losses' order statistic the report took.
  std::vector<double> sorted = kept;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  CHECK(std::find(sorted.begin(), sorted.end(), base.levels[2].var) != sorted.end());

  SECTION("not under importance sampling") {
    RunOptions is = o;
    is.importance_sampling = true;
    CHECK_THROWS_AS(run_with(is, feedback), InputError);
  }
}

TEST_CASE("a cancelled run stops with RunCancelled, within the batch it is in", "[run_control]") {
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 7, 1);
  const CpuBackend cpu(2);
  std::vector<double> losses(100000);
  request_run_cancel();
  CHECK_THROWS_AS(cpu.simulate_losses(*t.spec, 1, 0, losses.size(), losses.data()), RunCancelled);
  clear_run_cancel();
  CHECK_NOTHROW(cpu.simulate_losses(*t.spec, 1, 0, 1000, losses.data()));

  // Through a whole run: cancelled from its progress after the first batch.
  RunOptions o = small_run();
  o.batch = "2000";
  std::atomic<int> reports{0};
  RunFeedback feedback;
  feedback.progress = [&](const std::string&, std::uint64_t, std::uint64_t, const char*) {
    if (++reports == 2) request_run_cancel();
  };
  CHECK_THROWS_AS(run_with(o, feedback), RunCancelled);
  clear_run_cancel();
  CHECK(reports.load() < 20);
  // The next run is not affected.
  CHECK(run_with(o, {}).scenarios.size() == 2);
}

TEST_CASE("inputs given as TOML text run as their files do, and are named in errors",
          "[run_control]") {
  const RunOptions files = small_run();
  RunOptions texts = files;
  texts.market = "<market dict>";
  texts.portfolio = "<portfolio dict>";
  texts.scenarios = {"<scenario dict 1>"};
  texts.texts = {{"<market dict>", read_text(files.market)},
                 {"<portfolio dict>", read_text(files.portfolio)},
                 {"<scenario dict 1>",
                  read_text(testing::source_path("scenarios/builtin/cheaper_model_disruption.toml"))}};
  const RunReport a = run_with(files, {});
  const RunReport b = run_with(texts, {});
  REQUIRE(a.scenarios.size() == b.scenarios.size());
  for (std::size_t k = 0; k < a.scenarios.size(); ++k) {
    CHECK(a.scenarios[k].mean_loss == b.scenarios[k].mean_loss);
    CHECK(a.scenarios[k].levels[1].es == b.scenarios[k].levels[1].es);
  }

  RunOptions bad = texts;
  bad.texts["<portfolio dict>"] = "name = \"x\"\n[[positions]]\nticker = \"NOPE\"\nquantity = 1\n";
  try {
    run_with(bad, {});
    FAIL("an unknown ticker was accepted");
  } catch (const InputError& e) {
    CHECK(e.file() == "<portfolio dict>");
    CHECK(e.line() == 3);
    CHECK(e.field().find("ticker") != std::string::npos);
    CHECK(e.message().find("NOPE") != std::string::npos);
    CHECK(std::string(e.what()).find("<portfolio dict>:3") == 0);
  }
}
