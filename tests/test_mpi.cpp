// mpirun -np 2: each rank simulates half of the paths (the histogram pilot spans both ranks),
// rank 0 merges tails and sums and reports the numbers of one process bit for bit; a bad input
// is reported once, with exit code 2.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_util.hpp"

using namespace chipshock::testing;
using Catch::Matchers::Contains;

namespace {

// Root in CI containers: Open MPI refuses root unless told; no CMA between ranks in containers.
const std::string kMpirun =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
    "OMPI_MCA_btl_vader_single_copy_mechanism=none '" CHIPSHOCK_MPIEXEC "' --oversubscribe --timeout 240 -np 2";

const std::string kSample =
    "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml ";

}  // namespace

TEST_CASE("mpirun -np 2 reports the numbers of one process bit for bit", "[mpi][cli]") {
  // 100003 paths: rank 0 holds [0, 50001), so the 65536-path histogram pilot spans both ranks.
  const std::string args = kSample +
                           "--paths 100003 --horizon 3 --seed 9 --threads 1 --batch 7000 "
                           "--scenario cheaper_model_disruption --json";
  const CliResult two = run_chipshock(args, kMpirun);
  INFO("stderr: " << two.err);
  REQUIRE(two.code == 0);
  const CliResult one = run_chipshock(args);
  REQUIRE(one.code == 0);
  const auto a = nlohmann::json::parse(two.out), b = nlohmann::json::parse(one.out);
  CHECK(a["scenarios"] == b["scenarios"]);
  CHECK(a["fan_chart"]["series"] == b["fan_chart"]["series"]);
  CHECK(a["run"]["paths"] == 100003);
  CHECK(a["scenarios"][0]["histogram"]["counts"].size() > 10);
}

TEST_CASE("under mpirun a bad input is reported once, with exit code 2", "[mpi][cli][errors]") {
  const CliResult r = run_chipshock(
      "run --market scenarios/market/missing.toml --portfolio scenarios/portfolio/ai_book.toml",
      kMpirun);
  CHECK(r.code == 2);
  const std::string what = "missing.toml";
  std::size_t times = 0;
  for (std::size_t p = r.err.find("chipshock: "); p != std::string::npos;
       p = r.err.find("chipshock: ", p + 1))
    ++times;
  CHECK_THAT(r.err, Contains(what));
  CHECK(times == 1);
}
