// Order-independent summation: each term is rounded once to a fixed-point grid (a power of two
// chosen from the scale of the data) and added as a 128-bit integer. Integer addition is
// associative, so the sum is bit-identical whatever the batch size, thread count or the order in
// which partial sums are merged (across threads, batches, or MPI ranks).
#pragma once

#include <cmath>
#include <cstdint>

namespace chipshock {

__extension__ typedef __int128 Int128;  // GCC and Clang; __extension__ keeps -Wpedantic quiet

class ExactSum {
 public:
  // Terms up to about 2^60 * 2^exponent are exact to 2^exponent; 2^66 such terms fit.
  explicit ExactSum(int exponent = 0) : exponent_(exponent), inv_unit_(std::ldexp(1.0, -exponent)) {}

  // Grid for terms of typical magnitude `scale`: a resolution of scale * 2^-`bits`; terms up to
  // scale * 2^(100 - bits) are representable.
  static int exponent_for(double scale, int bits) { return std::ilogb(scale) - bits; }

  // False for non-finite terms and terms beyond 2^100 grid units, which add() must not get.
  bool representable(double x) const { return std::fabs(x * inv_unit_) < 0x1p100; }

  // Scaling by a power of two is exact; most terms fit the cheap 64-bit conversion.
  void add(double x) {
    const double units = std::nearbyint(x * inv_unit_);
    if (std::fabs(units) < 0x1p62)
      sum_ += static_cast<std::int64_t>(units);
    else
      sum_ += static_cast<Int128>(units);
  }

  void merge(const ExactSum& other) { sum_ += other.sum_; }
  // Adds a sum of grid units formed elsewhere (a GPU) on this grid.
  void add_units(Int128 units) { sum_ += units; }

  int exponent() const { return exponent_; }
  Int128 units() const { return sum_; }  // the sum in grid units (for state images)
  long double value() const { return std::ldexp(static_cast<long double>(sum_), exponent_); }

 private:
  int exponent_;
  double inv_unit_;  // 2^-exponent
  Int128 sum_ = 0;
};

}  // namespace chipshock
