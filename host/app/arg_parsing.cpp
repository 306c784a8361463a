#include "host/app/arg_parsing.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "host/input_error.hpp"

namespace chipshock {

std::uint64_t parse_paths(const std::string& text) {
  const auto bad = [&](const std::string& why) -> InputError {
    return InputError("", 0, "--paths", "'" + text + "': " + why,
                      "examples: 1000000, 1e6, 1M, 2.5M, 500k, 10B");
  };
  std::string s = text;
  double scale = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 'k': case 'K': scale = 1e3; break;
      case 'm': case 'M': scale = 1e6; break;
      case 'b': case 'B': case 'g': case 'G': scale = 1e9; break;
      default: break;
    }
    if (scale != 1) s.pop_back();
  }
  if (s.empty() || s.find_first_not_of("0123456789.eE+") != std::string::npos)
    throw bad("not a number");
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end) * scale;
  if (end != s.c_str() + s.size() || !std::isfinite(v)) throw bad("not a number");
  if (v < 1) throw bad("must be at least 1");
  if (v != std::floor(v)) throw bad("must be a whole number of paths");
  if (v > static_cast<double>(kMaxPaths)) throw bad("more than 1e14 paths is not a plausible run");
  return static_cast<std::uint64_t>(v);
}

std::uint64_t parse_unsigned(const std::string& text, const std::string& option) {
  const bool digits = !text.empty() && text.size() <= 20 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  errno = 0;
  const unsigned long long v = digits ? std::strtoull(text.c_str(), nullptr, 10) : 0;
  if (!digits || errno == ERANGE)
    throw InputError("", 0, option, "'" + text + "' is not a whole number in [0, 2^64)");
  return v;
}

std::vector<double> parse_confidences(const std::string& text) {
  std::vector<double> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    char* end = nullptr;
    const double c = std::strtod(item.c_str(), &end);
    if (item.empty() || end != item.c_str() + item.size() || !(c >= 0.5 && c < 1))
      throw InputError("", 0, "--confidence",
                       "'" + item + "' is not a level in [0.5, 1)",
                       "example: --confidence 0.95,0.975,0.99");
    out.push_back(c);
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    throw InputError("", 0, "--confidence", "'" + text + "' lists a level twice");
  return out;
}

}  // namespace chipshock
