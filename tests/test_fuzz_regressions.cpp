// Replays the fuzz targets' seed corpus (tests/fuzz/corpus/<target>/) and every input a fuzzer
// once found a bug with (tests/fuzz/regressions/<target>/) through the same functions the
// libFuzzer executables call: each must load or be refused with an InputError, in every build
// (gcc, clang, sanitizers). Folders are listed, not hard-coded, so a new file is picked up at once.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "tests/fuzz/fuzz_targets.hpp"

namespace fs = std::filesystem;
using chipshock::testing::source_path;

namespace {

const std::vector<std::string> kTargets = {"market", "portfolio", "scenario", "price_csv",
                                           "checkpoint"};

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs every file of dir through the target; returns how many ran.
std::size_t replay(const std::string& target, const fs::path& dir) {
  const chipshock::fuzz::Target run = chipshock::fuzz::target_named(target);
  REQUIRE(run != nullptr);
  std::size_t n = 0;
  for (const fs::path& f : files_in(dir)) {
    INFO("fuzz target " << target << ", input " << f.string());
    CHECK_NOTHROW(run(read_all(f)));
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("every seed corpus input loads or is refused with an input error", "[fuzz]") {
  for (const std::string& target : kTargets) {
    const std::size_t n = replay(target, source_path("tests/fuzz/corpus/" + target));
    INFO("tests/fuzz/corpus/" << target << " holds no seed inputs");
    CHECK(n > 0);
  }
}

TEST_CASE("every input a fuzzer found a bug with now loads or is refused cleanly", "[fuzz]") {
  const fs::path root = source_path("tests/fuzz/regressions");
  REQUIRE(fs::is_directory(root));
  // A folder not named after a target would be skipped silently: refuse it.
  for (const auto& e : fs::directory_iterator(root)) {
    if (!e.is_directory()) continue;
    const std::string name = e.path().filename().string();
    INFO("tests/fuzz/regressions/" << name << " is not a fuzz target's folder");
    CHECK(std::find(kTargets.begin(), kTargets.end(), name) != kTargets.end());
  }
  std::size_t total = 0;
  for (const std::string& target : kTargets) total += replay(target, root / target);
  WARN("replayed " << total << " saved fuzz regression inputs");
}
