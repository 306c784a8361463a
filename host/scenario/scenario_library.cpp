#include "host/scenario/scenario_library.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "host/input_error.hpp"

#ifndef CHIPSHOCK_SOURCE_DIR
#define CHIPSHOCK_SOURCE_DIR ""
#endif

namespace chipshock {

namespace fs = std::filesystem;

namespace {

fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

bool is_data_root(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p / "builtin", ec) || fs::is_directory(p / "data" / "prices", ec);
}

std::string& data_root_fallback() {
  static std::string dir;
  return dir;
}

}  // namespace

void set_data_root_fallback(const std::string& dir) { data_root_fallback() = dir; }

std::string data_root() {
  if (const char* env = std::getenv("CHIPSHOCK_DATA_DIR"); env != nullptr && *env != '\0')
    return env;
  std::vector<fs::path> candidates;
  if (!data_root_fallback().empty()) candidates.push_back(data_root_fallback());
  const fs::path exe = executable_dir();
  if (!exe.empty()) {
    candidates.push_back(exe / ".." / "scenarios");
    candidates.push_back(exe / ".." / ".." / "scenarios");
    candidates.push_back(exe / ".." / "share" / "chipshock" / "scenarios");
  }
  if (std::string(CHIPSHOCK_SOURCE_DIR) != "")
    candidates.push_back(fs::path(CHIPSHOCK_SOURCE_DIR) / "scenarios");
  for (const fs::path& c : candidates)
    if (is_data_root(c)) return fs::weakly_canonical(c).string();
  return "";
}

std::vector<std::string> builtin_scenario_files() {
  std::vector<std::string> files;
  const std::string root = data_root();
  if (root.empty()) return files;
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(root) / "builtin", ec), end; !ec && it != end;
       it.increment(ec))
    if (it->path().extension() == ".toml" && it->is_regular_file(ec))
      files.push_back(it->path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string resolve_scenario(const std::string& arg) {
  std::error_code ec;
  const bool looks_like_file = arg.find('/') != std::string::npos ||
                               (arg.size() > 5 && arg.substr(arg.size() - 5) == ".toml");
  if (looks_like_file || fs::is_regular_file(arg, ec)) {
    if (!fs::exists(arg, ec))
      throw InputError(arg, 0, "", "cannot open scenario file: no such file");
    return arg;
  }
  std::string names;
  for (const std::string& f : builtin_scenario_files()) {
    const std::string stem = fs::path(f).stem().string();
    if (stem == arg) return f;
    names += (names.empty() ? "" : ", ") + stem;
  }
  throw InputError("", 0, "--scenario", "unknown scenario '" + arg + "'",
                   names.empty() ? "no built-in scenarios found (set CHIPSHOCK_DATA_DIR to the "
                                   "project's scenarios/ folder), or give a scenario file"
                                 : "built-ins: " + names + "; or give a path to a .toml file");
}

std::string default_prices_dir() {
  const std::string root = data_root();
  if (root.empty()) return "";
  const fs::path p = fs::path(root) / "data" / "prices";
  std::error_code ec;
  return fs::is_directory(p, ec) ? p.string() : "";
}

}  // namespace chipshock
