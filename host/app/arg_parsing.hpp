// Parsing of the numeric command-line arguments, with errors that name the option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chipshock {

constexpr std::uint64_t kMaxPaths = 100000000000000ull;  // 1e14: beyond any plausible run

// "1000000", "1e6", "1M", "2.5M", "500k", "10B" (also "1G") -> a positive whole path count.
std::uint64_t parse_paths(const std::string& text);

// A decimal integer in [0, 2^64): no sign, no wrap-around.
std::uint64_t parse_unsigned(const std::string& text, const std::string& option);

// "0.95,0.975,0.99" -> sorted, distinct levels, each in [0.5, 1).
std::vector<double> parse_confidences(const std::string& text);

}  // namespace chipshock
