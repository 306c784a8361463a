// Running the chipshock binary from a test: exit code, stdout and stderr, optionally in the
// background (for kill -9 tests).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.hpp"

namespace chipshock::testing {

// `chipshock run` on the sample market and book, for tests to add options to.
inline const std::string kSampleRun =
    "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml ";

struct CliResult {
  int code;
  std::string out, err;
};

inline std::string slurp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `prefix 'chipshock' args` from the source folder (prefix: environment variables or a
// launcher such as mpirun).
inline CliResult run_chipshock(const std::string& args, const std::string& prefix = "") {
  TempDir tmp;
  const std::string cmd = std::string("cd '") + CHIPSHOCK_SOURCE_DIR + "' && " + prefix + " '" +
                          CHIPSHOCK_BINARY + "' " + args + " >'" + tmp.file("out") + "' 2>'" +
                          tmp.file("err") + "' </dev/null";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp_file(tmp.file("out")),
          slurp_file(tmp.file("err"))};
}

// Starts chipshock in the background (after `prefix`, e.g. an mpirun command line); returns its
// process id (the prefix's command's, when given; 0 on failure).
inline long start_chipshock(const std::string& args, const std::string& log,
                            const std::string& prefix = "") {
  TempDir tmp;
  const std::string cmd = std::string("cd '") + CHIPSHOCK_SOURCE_DIR + "' && { " + prefix + " '" +
                          CHIPSHOCK_BINARY + "' " + args + " >'" + log + "' 2>&1 </dev/null & " +
                          "echo $! >'" + tmp.file("pid") + "'; }";
  if (std::system(cmd.c_str()) != 0) return 0;
  return std::atol(slurp_file(tmp.file("pid")).c_str());
}

}  // namespace chipshock::testing
