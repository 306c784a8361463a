// Number formatting shared by the reports and the commands' summaries.
#pragma once

#include <string>

namespace chipshock {

// Shortest decimal string that reads back as the same double: 0.95 -> "0.95".
std::string confidence_key(double confidence);

// 1234567.891 -> "1,234,567.89"
std::string format_money(double x);

// Whole currency units, for the HTML tables: 1234567.891 -> "1,234,568" (-0 -> "0").
std::string format_whole_money(double x);

}  // namespace chipshock
