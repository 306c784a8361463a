// mpirun -np 2: each rank simulates its share of every stretch between convergence stops (the
// histogram pilot spans both ranks), rank 0 merges tails (with path indices) and sums and
// writes the report: the report.json of one process bit for bit, convergence tables and
// component ES included, also for a run to a target error with --what-if and with
// --checkpoint. A bad input is reported once, with exit code 2. Where chipshock was built
// without MPI or mpirun is missing, every test prints "SKIPPED: ..." (CTest: skipped).
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_util.hpp"
#include "mpi_util.hpp"
#include "report_compare.hpp"
#include "host/checkpoint/run_checkpoint.hpp"
#include "host/parallel/mpi_world.hpp"

using namespace chipshock::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kSample =
    "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml ";

// Runs `args` under mpirun -np 2 and -np 1 and as a plain process; all three reports must be
// the same, and the -np 2 run must say that it merged on rank 0.
nlohmann::json check_ranks_agree(const std::string& args) {
  TempDir dir;
  const CliResult two = run_chipshock(args + " --out '" + dir.file("two") + "'", mpirun(2));
  INFO("stderr of -np 2: " << two.err);
  REQUIRE(two.code == 0);
  CHECK_THAT(two.err, Contains("2 MPI ranks") && Contains("merged on rank 0"));
  const CliResult one = run_chipshock(args + " --out '" + dir.file("one") + "'", mpirun(1));
  INFO("stderr of -np 1: " << one.err);
  REQUIRE(one.code == 0);
  const CliResult plain = run_chipshock(args + " --out '" + dir.file("plain") + "'");
  REQUIRE(plain.code == 0);
  check_same_reports(dir.file("two"), dir.file("one"));
  // The reports name the ranks (issue 19, part 7): report.json's run.ranks, report.md and
  // report.html; a single process says nothing of MPI.
  CHECK(nlohmann::json::parse(slurp_file(dir.file("two") + "/report.json"))["run"]["ranks"] == 2);
  CHECK(nlohmann::json::parse(slurp_file(dir.file("plain") + "/report.json"))["run"]["ranks"] == 1);
  CHECK_THAT(slurp_file(dir.file("two") + "/report.md"), Contains("2 MPI ranks"));
  CHECK_THAT(slurp_file(dir.file("two") + "/report.html"), Contains("2 MPI ranks"));
  CHECK(slurp_file(dir.file("plain") + "/report.md").find("MPI ranks") == std::string::npos);
  return check_same_reports(dir.file("two"), dir.file("plain"));
}

}  // namespace

TEST_CASE("mpirun -np 2 writes the report.json of one process, components included",
          "[mpi][cli]") {
  if (!mpi_usable()) return;
  // 100003 paths: the 65536-path histogram pilot spans both ranks' shares of the first stretch.
  const nlohmann::json j = check_ranks_agree(
      kSample +
      "--paths 100003 --horizon 3 --seed 9 --threads 1 --batch 7000 "
      "--scenario cheaper_model_disruption");
  CHECK(j["run"]["paths"] == 100003);
  CHECK(j["scenarios"][0]["histogram"]["counts"].size() > 10);
  CHECK(j["scenarios"][1]["components"]["levels"]["0.99"]["by_position"].size() > 3);
  CHECK(j["scenarios"][0]["convergence"].size() >= 1);
}

TEST_CASE("mpirun -np 2 with a book hierarchy: every book's figures are one process's",
          "[mpi][cli][books]") {
  if (!mpi_usable()) return;
  // the histogram pilot spans both ranks' shares: each rank's books fold only their own paths
  const nlohmann::json j = check_ranks_agree(
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_desks.toml "
      "--paths 100003 --horizon 3 --seed 9 --threads 1 --batch 7000 "
      "--scenario cheaper_model_disruption");
  REQUIRE(j["books"]["nodes"].size() == 6);
  CHECK(j["books"]["nodes"][1]["scenarios"][1]["paths"] == 100003);
  CHECK(j["books"]["nodes"][1]["scenarios"][0]["es_contribution_to_parent"]["0.99"].is_number());
}

TEST_CASE(
    "mpirun -np 2 with a book hierarchy under importance sampling: every book's weighted "
    "figures are one process's",
    "[mpi][cli][books][importance]") {
  if (!mpi_usable()) return;
  const nlohmann::json j = check_ranks_agree(
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_desks.toml "
      "--paths 40003 --horizon 3 --seed 9 --threads 1 --batch 7000 --importance-sampling");
  REQUIRE(j["books"]["nodes"].size() == 6);
  CHECK(j["books"]["nodes"][2]["scenarios"][0]["effective_tail_paths"].is_number());
  CHECK(j["books"]["nodes"][1]["scenarios"][0]["es_contribution_to_parent"]["0.99"].is_number());
}

TEST_CASE("mpirun -np 2 runs to a target error, --what-if and --checkpoint like one process",
          "[mpi][cli][checkpoint]") {
  if (!mpi_usable()) return;
  TempDir dir;
  const nlohmann::json j = check_ranks_agree(
      kSample + "--paths 40000 --target-rel-error 0.006 --max-paths 320000 --horizon 2 --seed 4 "
                "--threads 1 --batch 9000 --what-if scenarios/portfolio/what_if_nvda_hedge.toml "
                "--checkpoint '" + dir.file("run.ckpt") + "'");
  CHECK(j["scenarios"][0]["convergence"].size() == 4);  // 40k, 80k, 160k, 320k paths
  CHECK(j["scenarios"][0]["target_met"] == true);
  CHECK(!j["what_if"].is_null());
  // Spent checkpoints are removed, every rank's.
  CHECK(!std::filesystem::exists(dir.file("run.ckpt")));
  CHECK(!std::filesystem::exists(dir.file("run.ckpt.rank0of2")));
  CHECK(!std::filesystem::exists(dir.file("run.ckpt.rank1of2")));
}

TEST_CASE("mpirun -np 2 on the GPU backend writes the report.json of one process",
          "[mpi][cli][gpu]") {
  if (!mpi_usable()) return;
  // Each rank takes the GPU of its rank on the node modulo the node's GPUs (both share one on a
  // one-GPU machine). The device's losses do not depend on the batch, the moments are integer
  // sums and the tails exact: the merged report equals one process's, bit for bit.
  const std::string args =
      kSample + "--paths 200003 --horizon 5 --seed 12 --threads 2 --backend gpu "
                "--scenario cheaper_model_disruption";
  TempDir dir;
  const CliResult plain = run_chipshock(args + " --out '" + dir.file("plain") + "'");
  if (plain.code == 3) {
    WARN("SKIPPED: no usable GPU: " << plain.err);
    return;
  }
  INFO("stderr of the plain run: " << plain.err);
  REQUIRE(plain.code == 0);
  const CliResult two = run_chipshock(args + " --out '" + dir.file("two") + "'", mpirun(2));
  INFO("stderr of -np 2: " << two.err);
  REQUIRE(two.code == 0);
  CHECK_THAT(two.err, Contains("2 MPI ranks") && Contains("merged on rank 0"));
  const nlohmann::json a = check_same_reports(dir.file("two"), dir.file("plain"));
  CHECK(a["run"]["backend"] == "gpu");
}

TEST_CASE("under mpirun a bad input is reported once, with exit code 2", "[mpi][cli][errors]") {
  if (!mpi_usable()) return;
  const CliResult r = run_chipshock(
      "run --market scenarios/market/missing.toml --portfolio scenarios/portfolio/ai_book.toml",
      mpirun(2));
  CHECK(r.code == 2);
  std::size_t times = 0;
  for (std::size_t p = r.err.find("chipshock: "); p != std::string::npos;
       p = r.err.find("chipshock: ", p + 1))
    ++times;
  CHECK_THAT(r.err, Contains("missing.toml"));
  CHECK(times == 1);
}

TEST_CASE("mpirun -np 2 with a book hierarchy and --checkpoint, stopped midway, resumes to one "
          "process's books", "[mpi][cli][checkpoint][books]") {
  if (!mpi_usable()) return;
  TempDir dir;
  const std::string ckpt = dir.file("run.ckpt");
  const std::string args =
      "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_desks.toml "
      "--paths 1000000 --horizon 5 --seed 12 --scenario cheaper_model_disruption --backend cpu "
      "--threads 1 --quiet ";
  // SIGTERM to mpirun once both ranks' checkpoints stand inside the scenario (mpirun passes it
  // on to the ranks, which die where they are: the ranks' files may be a stop apart)
  const long pid = start_chipshock(args + "--batch 20000 --checkpoint '" + ckpt + "' --out '" +
                                       dir.file("stopped") + "'",
                                   dir.file("stopped.log"), mpirun(2));
  REQUIRE(pid > 0);
  // rank 0's share of each stretch comes first: its next path is how far the scenario is
  const auto inside = [&](const std::string& file, std::uint64_t at_least) {
    try {
      const chipshock::RunCheckpoint c = chipshock::read_checkpoint(file);
      return c.scenarios.size() == 2 && !c.scenarios[1].complete &&
             c.scenarios[1].next_path >= at_least;
    } catch (const std::exception&) {
      return false;
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(200);
  bool stopped = false;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (inside(ckpt + ".rank0of2", 40000) && inside(ckpt + ".rank1of2", 0)) {
      REQUIRE(::kill(static_cast<pid_t>(pid), SIGTERM) == 0);
      stopped = true;
      break;
    }
  }
  REQUIRE(stopped);
  for (int k = 0; k < 500 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(!std::filesystem::exists(dir.file("stopped/report.json")));
  REQUIRE(std::filesystem::exists(ckpt + ".rank0of2"));
  CHECK(chipshock::read_checkpoint(ckpt + ".rank1of2").scenarios.at(1).observer.size() == 6);

  const CliResult resumed = run_chipshock(args + "--batch 7000 --checkpoint '" + ckpt +
                                              "' --resume --out '" + dir.file("resumed") + "'",
                                          mpirun(2));
  INFO("stderr of the resumed run: " << resumed.err);
  REQUIRE(resumed.code == 0);
  const CliResult plain = run_chipshock(args + "--out '" + dir.file("plain") + "'");
  REQUIRE(plain.code == 0);
  const nlohmann::json j = check_same_reports(dir.file("resumed"), dir.file("plain"));
  REQUIRE(j["books"]["nodes"].size() == 6);
  CHECK(j["books"]["nodes"][2]["scenarios"][1]["paths"] == 1000000);
}
