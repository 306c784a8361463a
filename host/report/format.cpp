#include "host/report/format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace chipshock {

std::string confidence_key(double c) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, c);
  return std::string(buf, res.ptr);
}

std::string format_money(double x) {
  if (!std::isfinite(x)) return std::isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf");
  char buf[400];  // %.2f of the largest double is 312 characters
  std::snprintf(buf, sizeof buf, "%.2f", std::fabs(x));
  const std::string digits(buf);
  const std::size_t dot = digits.find('.');
  std::string grouped = x < 0 && digits != "0.00" ? "-" : "";
  for (std::size_t i = 0; i < dot; ++i) {
    if (i > 0 && (dot - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped + digits.substr(dot);
}

std::string format_whole_money(double x) {
  std::string s = format_money(std::round(x));
  if (s.size() > 3 && s.compare(s.size() - 3, 3, ".00") == 0) s.resize(s.size() - 3);
  return s == "-0" ? "0" : s;
}

}  // namespace chipshock
