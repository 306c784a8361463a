// Parsing of the numeric command-line arguments, with errors that name the option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chipshock {

constexpr std::uint64_t kMaxPaths = 100000000000000ull;  // 1e14: beyond any plausible run

// "1000000", "1e6", "1M", "2.5M", "500k", "10B" (also "1G") -> a positive whole path count.
std::uint64_t parse_paths(const std::string& text);

// "0.95,0.975,0.99" -> sorted, distinct levels, each strictly inside (0, 1).
std::vector<double> parse_confidences(const std::string& text);

}  // namespace chipshock
