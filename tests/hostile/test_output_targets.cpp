// Hostile targets (issue "nothing wrong, nothing lost", class 2): a file the program writes or
// reads back must be a regular file, and the checkpoint must not be one of the run's inputs or
// report files. Each case must be refused up front with exit 2 naming the option and the path,
// within seconds (never blocking on a FIFO or reading a device), and leave what was there as
// it was. The checks are by file type, so they hold when the tests run as root.
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../cli_util.hpp"
#include "../test_util.hpp"

using namespace chipshock::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kRun = kSampleRun + "--paths 10k --backend cpu --threads 2 --quiet ";
const std::string kCalibrate = "calibrate --prices scenarios/data/prices --window 250 --quiet ";

// `chipshock args` with a 30 s limit (a blocked open is a failure, not a hang of the suite).
CliResult run_limited(const std::string& args) { return run_chipshock(args, "timeout 30"); }

std::string make_fifo(const TempDir& dir, const std::string& name) {
  const std::string path = dir.file(name);
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  return path;
}

struct Case {
  std::string what, args, expect;  // expect: in stderr
};

void check_refused(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(c.what << ": " << c.args);
    const CliResult r = run_limited(c.args);
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains(c.expect));
  }
}

}  // namespace

TEST_CASE("report files that are not regular files are refused before the run",
          "[hostile][targets]") {
  TempDir dir;
  const std::string out = dir.file("reports");
  std::filesystem::create_directories(out + "/report.md");  // a folder where a report goes
  check_refused({{"a folder named report.md", kRun + "--out '" + out + "'",
                  "report.md is a folder, not a regular file"}});
  std::filesystem::remove(out + "/report.md");
  make_fifo(dir, "reports/report.json");
  check_refused({{"a FIFO named report.json", kRun + "--out '" + out + "'",
                  "report.json is a FIFO, not a regular file"}});
  CHECK(std::filesystem::is_fifo(out + "/report.json"));  // left as it was
  const CliResult ok = run_limited(kRun + "--out '" + dir.file("fine") + "'");
  CHECK(ok.code == 0);
}

TEST_CASE("a checkpoint that is not a regular file, or is another of the run's files, is refused",
          "[hostile][targets][checkpoint]") {
  TempDir dir;
  const std::string fifo = make_fifo(dir, "ckpt.fifo");
  std::filesystem::create_directories(dir.file("ckpt.dir"));
  const std::string out = dir.file("out");
  // a copy of the market, so that a failure cannot damage the repository's file
  std::filesystem::copy_file(source_path("scenarios/market/ai_chips.toml"), dir.file("m.toml"));
  const std::string market_copy_run =
      "run --market '" + dir.file("m.toml") +
      "' --portfolio scenarios/portfolio/ai_book.toml --paths 10k --backend cpu --quiet ";
  check_refused({
      {"a FIFO", kRun + "--checkpoint '" + fifo + "'", "is a FIFO, not a regular file"},
      {"a FIFO, resumed (would block)", kRun + "--checkpoint '" + fifo + "' --resume",
       "is a FIFO, not a regular file"},
      {"a device", kRun + "--checkpoint /dev/null --resume", "is a device, not a regular file"},
      {"/dev/zero, resumed (would never end)", kRun + "--checkpoint /dev/zero --resume",
       "is a device, not a regular file"},
      {"a folder", kRun + "--checkpoint '" + dir.file("ckpt.dir") + "'",
       "is a folder, not a regular file"},
      {"the report.json it writes",
       kRun + "--out '" + out + "' --checkpoint '" + out + "/report.json'",
       "is also the --out file"},
      {"the same report through another name",
       kRun + "--out '" + out + "' --checkpoint '" + out + "/../out/./components.csv'",
       "is also the --out file"},
      {"the market file", market_copy_run + "--checkpoint '" + dir.file("m.toml") + "' --resume",
       "is also the --market file"},
      {"the portfolio file", kRun + "--checkpoint scenarios/portfolio/ai_book.toml --resume",
       "is also the --portfolio file"},
      {"a scenario file",
       kRun + "--scenario cheaper_model_disruption --checkpoint "
              "scenarios/builtin/cheaper_model_disruption.toml --resume",
       "--checkpoint"},
  });
  CHECK(std::filesystem::is_fifo(fifo));
  // The market copy is untouched: same bytes as the repository's.
  CHECK(slurp_file(dir.file("m.toml")) ==
        slurp_file(source_path("scenarios/market/ai_chips.toml")));
}

TEST_CASE("inputs that are not regular files are refused, not read forever", "[hostile][targets]") {
  TempDir dir;
  const std::string fifo = make_fifo(dir, "market.fifo");
  check_refused({
      {"a FIFO market",
       "run --market '" + fifo +
           "' --portfolio scenarios/portfolio/ai_book.toml --paths 10k --quiet",
       "market.fifo"},
      {"/dev/zero as market",
       "run --market /dev/zero --portfolio scenarios/portfolio/ai_book.toml --paths 10k --quiet",
       "/dev/zero"},
      {"a folder as portfolio",
       "run --market scenarios/market/ai_chips.toml --portfolio scenarios --paths 10k --quiet",
       "scenarios"},
  });
}

TEST_CASE("calibrate --out refuses a target that is not a regular file, even with --force",
          "[hostile][targets][calibrate]") {
  TempDir dir;
  const std::string fifo = make_fifo(dir, "market.fifo");
  check_refused({
      {"a FIFO", kCalibrate + "--out '" + fifo + "' --force", "is a FIFO, not a regular file"},
      {"a device", kCalibrate + "--out /dev/null --force", "is a device, not a regular file"},
      {"a folder", kCalibrate + "--out '" + dir.path().string() + "' --force",
       "is a folder, not a regular file"},
  });
  CHECK(std::filesystem::is_fifo(fifo));
  const CliResult ok = run_limited(kCalibrate + "--out '" + dir.file("m.toml") + "'");
  CHECK(ok.code == 0);
}
