// Small helpers shared by the tests: a temporary folder and file writing.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace chipshock::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("chipshock-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name, std::ios::binary) << content;
    return file(name);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The sanitizer job (CHIPSHOCK_TEST_LIGHT=1, test code at -O0) runs the same checks on fewer
// paths: light_tests() says whether this is that job, paths_or_light picks the count.
inline bool light_tests() {
  const char* light = std::getenv("CHIPSHOCK_TEST_LIGHT");
  return light != nullptr && *light == '1';
}
inline std::uint64_t paths_or_light(std::uint64_t full, std::uint64_t light) {
  return light_tests() ? light : full;
}

inline std::string source_path(const std::string& relative) {
  return std::string(CHIPSHOCK_SOURCE_DIR) + "/" + relative;
}

}  // namespace chipshock::testing
