// Hostile output (issue "nothing wrong, nothing lost", class 3): standard output that refuses
// bytes is an error, never exit 0. Every command that prints to stdout is run with stdout on
// /dev/full (every write fails with ENOSPC) and must exit non-zero, saying so on stderr; the
// same commands with a working stdout exit 0.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "../cli_util.hpp"
#include "../test_util.hpp"

using namespace chipshock::testing;

namespace {

const std::string kSample = kSampleRun + "--paths 10k --backend cpu --threads 2 ";

// Exit code and stderr of `chipshock args` with stdout on `target`.
CliResult run_into(const std::string& args, const std::string& target) {
  TempDir tmp;
  const std::string cmd = std::string("cd '") + CHIPSHOCK_SOURCE_DIR + "' && '" + CHIPSHOCK_BINARY +
                          "' " + args + " >" + target + " 2>'" + tmp.file("err") + "' </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, "", slurp_file(tmp.file("err"))};
}

}  // namespace

TEST_CASE("stdout that refuses bytes fails every command that prints", "[hostile][streams]") {
  if (!std::filesystem::exists("/dev/full")) {
    WARN("SKIPPED: no /dev/full on this machine");
    return;
  }
  const std::vector<std::string> printing = {
      kSample + "--json",                       // report.json on stdout
      kSample,                                  // the summary table
      kSample + "--timings --out /dev/null/x",  // bad --out: exit 2 stays 2
      "--help",
      "run --help",
      "--version",
      "scenarios",
      "scenarios --verbose",
      "calibrate --prices scenarios/data/prices --window 250 --out -",
  };
  for (const std::string& args : printing) {
    INFO(args);
    const CliResult ok = run_into(args, "/dev/null");
    const CliResult full = run_into(args, "/dev/full");
    CAPTURE(ok.code, ok.err, full.code, full.err);
    if (ok.code == 0) {
      CHECK(full.code != 0);
      CHECK(full.err.find("error writing to standard output") != std::string::npos);
    } else {
      CHECK(full.code == ok.code);  // a refusal keeps its own code
    }
  }
  // Nothing on stdout (--quiet with --out): no failure to report.
  TempDir out;
  const CliResult quiet = run_into(kSample + "--quiet --out '" + out.file("r") + "'", "/dev/full");
  CHECK(quiet.code == 0);
  CHECK(std::filesystem::exists(out.file("r/report.json")));
}
