// End to end: the chipshock binary, its reports, its errors and exit codes.
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "test_util.hpp"

using chipshock::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

struct Result {
  int code;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs chipshock with `args` from the source folder; captures stdout, stderr and exit code.
// `env` (e.g. "CUDA_VISIBLE_DEVICES=") prefixes the command.
Result run_cli(const std::string& args, const std::string& env = "") {
  TempDir tmp;
  const std::string cmd = std::string("cd '") + CHIPSHOCK_SOURCE_DIR + "' && " + env + " '" +
                          CHIPSHOCK_BINARY + "' " + args + " >'" + tmp.file("out") + "' 2>'" +
                          tmp.file("err") + "' </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(tmp.file("out")),
          slurp(tmp.file("err"))};
}

const std::string kSample =
    "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml ";

}  // namespace

TEST_CASE("the help shows an example and the exit codes, --version the version", "[cli]") {
  Result r = run_cli("--help");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Contains("Example") && Contains("Exit codes"));
  r = run_cli("run --help");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Contains("--paths") && Contains("--confidence") && Contains("Example"));
  r = run_cli("--version");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Contains("chipshock 0."));
}

TEST_CASE("run writes report.json (the v1 contract) and report.md", "[cli]") {
  TempDir out;
  const Result r = run_cli(kSample + "--paths 20k --horizon 2 --seed 3 --out '" +
                             out.file("rep") + "'");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Contains("baseline") && Contains("paths/s"));
  const auto j = nlohmann::json::parse(slurp(out.file("rep/report.json")));
  CHECK(j["schema"] == "chipshock.report.v1");
  CHECK(j["run"]["paths"] == 20000);
  CHECK(j["run"]["seed"] == 3);
  CHECK(j["run"]["horizon_days"] == 2);
  CHECK(j["run"]["steps_per_day"] == 1);
  // auto: the GPU where one is usable (gpu_check.sh machines), else the CPU
  CHECK((j["run"]["backend"] == "cpu" || j["run"]["backend"] == "gpu"));
  CHECK(j["run"]["threads"].get<int>() >= 1);
  CHECK(j["run"]["paths_per_second"].get<double>() > 0);
  CHECK(j["portfolio"]["currency"] == "USD");
  CHECK(j["portfolio"]["value"].get<double>() > 1e6);
  REQUIRE(j["scenarios"].size() == 1);
  const auto& s = j["scenarios"][0];
  CHECK(s["name"] == "baseline");
  for (const char* key : {"0.95", "0.975", "0.99"}) {
    CAPTURE(key);
    const double var = s["var"][key], es = s["es"][key];
    const double lo = s["var_ci"][key][0], hi = s["var_ci"][key][1];
    CHECK(var > 0);
    CHECK(es > var);
    CHECK(lo <= var);
    CHECK(var <= hi);
  }
  for (const char* key : {"mean_loss", "stdev_loss", "prob_loss", "worst_loss"})
    CHECK(s.contains(key));
  CHECK_THAT(slurp(out.file("rep/report.md")), Contains("| baseline | 99% |"));
  // Only the two reports: no temporary files left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(out.file("rep"))) {
    CAPTURE(e.path().string());
    ++files;
  }
  CHECK(files == 2);
}

TEST_CASE("the report JSON on stdout (--json) and the numbers do not depend on --threads", "[cli]") {
  const Result a = run_cli(kSample + "--paths 30001 --seed 5 --json --threads 1 --batch 777");
  const Result b = run_cli(kSample + "--paths 30001 --seed 5 --json --threads 2");
  REQUIRE(a.code == 0);
  REQUIRE(b.code == 0);
  const auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
  CHECK(ja["scenarios"] == jb["scenarios"]);
  CHECK(ja["run"]["threads"] == 1);
}

TEST_CASE("bad input exits 2 naming the file, line and field, GPU asked for exits 3",
          "[cli][errors]") {
  TempDir dir;
  const std::string bad_portfolio =
      dir.write("p.toml", "name = \"x\"\n[[positions]]\nticker = \"NOPE\"\nquantity = 1\n");
  struct Case {
    std::string args;
    int code;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"run --market missing.toml --portfolio scenarios/portfolio/ai_book.toml", 2,
       "missing.toml: cannot open file"},
      {"run --market scenarios/market/ai_chips.toml --portfolio '" + bad_portfolio + "'", 2,
       "p.toml:3: positions[0].ticker: unknown ticker 'NOPE'"},
      {kSample + "--paths abc", 2, "--paths: 'abc': not a number"},
      {kSample + "--paths 0", 2, "--paths"},
      {kSample + "--paths 1e20", 2, "not a plausible run"},
      {kSample + "--paths 50", 2, "no loss beyond the 0.99 quantile"},
      {kSample + "--horizon 0", 2, "--horizon"},
      {kSample + "--horizon 9999", 2, "--horizon"},
      {kSample + "--steps-per-day 0", 2, "--steps-per-day"},
      {kSample + "--confidence 0.95,1.5", 2, "--confidence"},
      {kSample + "--backend tpu", 2, "--backend"},
      {kSample + "--seed -1", 2, "--seed"},
      {kSample + "--seed 99999999999999999999999", 2, "--seed"},
      {kSample + "--batch -5", 2, "--batch"},
      {kSample + "--confidence 0.3", 2, "--confidence"},
      {kSample + "--paths 1000 --out /proc", 2, "--out"},
      {kSample + "--no-such-option", 2, "no-such-option"},
      {"run --portfolio scenarios/portfolio/ai_book.toml", 2, "--market: required"},
      {"", 2, "subcommand"},
  };
  for (const Case& c : cases) {
    const Result r = run_cli(c.args);
    CAPTURE(c.args, r.err);
    CHECK(r.code == c.code);
    CHECK_THAT(r.err, Contains(c.expect));
  }
}

TEST_CASE("without a usable GPU, --backend gpu|both exit 3 and auto runs on the CPU saying why",
          "[cli][errors]") {
  // CUDA_VISIBLE_DEVICES= hides every GPU, so this holds on GPU machines too; a build without
  // CUDA has no GPU backend at all.
  const std::string hide = "CUDA_VISIBLE_DEVICES=";
  for (const char* backend : {"gpu", "both"}) {
    const Result r = run_cli(kSample + "--paths 1000 --backend " + backend, hide);
    CAPTURE(backend, r.err);
    CHECK(r.code == 3);
    CHECK_THAT(r.err, Contains("--backend " + std::string(backend) + ": no usable GPU"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  const Result a = run_cli(kSample + "--paths 2000 --json", hide);
  CAPTURE(a.err);
  REQUIRE(a.code == 0);
  CHECK_THAT(a.err, Contains("no usable GPU") && Contains("running on the CPU"));
  CHECK(std::count(a.err.begin(), a.err.end(), '\n') == 1);
  const auto j = nlohmann::json::parse(a.out);
  CHECK(j["run"]["backend"] == "cpu");
  CHECK_FALSE(j["run"].contains("gpu"));
  CHECK_FALSE(j.contains("backend_comparison"));
  const Result q = run_cli(kSample + "--paths 2000 --quiet", hide);
  CHECK(q.code == 0);
  CHECK(q.err.empty());
}
