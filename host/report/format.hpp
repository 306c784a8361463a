// Number formatting shared by the reports and the commands' summaries.
#pragma once

#include <string>

namespace chipshock {

// Shortest decimal string that reads back as the same double: 0.95 -> "0.95".
std::string confidence_key(double confidence);

// 1234567.891 -> "1,234,567.89"
std::string format_money(double x);

}  // namespace chipshock
