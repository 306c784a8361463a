// Order-independent summation: each term is rounded once to a fixed-point grid (a power of two
// chosen from the scale of the data) and added as a 128-bit integer. Integer addition is
// associative, so the sum is bit-identical whatever the batch size, thread count or the order in
// which partial sums are merged (across threads, batches, or MPI ranks).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace chipshock {

__extension__ typedef __int128 Int128;  // GCC and Clang; __extension__ keeps -Wpedantic quiet
__extension__ typedef unsigned __int128 UInt128;

// The largest term an ExactSum takes, in grid units: 2^80, so that 2^47 of them (more than the
// 1e14 paths a run may have) still fit the 128-bit sum. kernels/loss_moments.cuh uses the same.
constexpr double kMaxGridUnits = 0x1p80;

class ExactSum {
 public:
  explicit ExactSum(int exponent = 0) : exponent_(exponent), inv_unit_(std::ldexp(1.0, -exponent)) {}

  // Grid for terms of typical magnitude `scale` (> 0): a resolution of scale * 2^-`bits`; terms
  // up to scale * 2^(80 - bits) are representable.
  static int exponent_for(double scale, int bits) { return std::ilogb(scale) - bits; }

  // False for non-finite terms and terms of 2^80 grid units or more, which add() must not get.
  bool representable(double x) const { return std::fabs(x * inv_unit_) < kMaxGridUnits; }

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

// The exact sum of any finite doubles and of their squares, whatever their size: a fixed-point
// integer of 32-bit digits from 2^-2208 (below the square of the smallest double) to 2^2208
// (above 2^47 squares of the largest). For the rare terms beyond an ExactSum's grid, so that no
// finite loss is left out; slower (a few digits per term), and empty until first used. Like
// ExactSum the result does not depend on the order of the terms or of the merges.
class WideSum {
 public:
  static constexpr int kLowest = -2208;  // digit 0 weighs 2^kLowest
  static constexpr int kDigits = 138;

  // x, exactly (finite x only).
  void add(double x) {
    int e = 0;
    const double f = std::frexp(x, &e);  // x = f 2^e, 0.5 <= |f| < 1
    add_scaled(static_cast<Int128>(static_cast<std::int64_t>(std::ldexp(f, 53))), e - 53);
  }
  // x * x, exactly (finite x only; the square need not be a finite double).
  void add_square(double x) {
    int e = 0;
    const double f = std::frexp(x, &e);
    const auto m = static_cast<Int128>(static_cast<std::int64_t>(std::ldexp(f, 53)));
    add_scaled(m * m, 2 * (e - 53));
  }
  void merge(const WideSum& o) {
    if (o.digits_.empty()) return;
    grow();
    for (int i = 0; i < kDigits; ++i) digits_[i] += o.digits_[i];
    normalize();
  }
  bool empty() const { return digits_.empty(); }
  // The sum, rounded (from its three leading digits) to a long double. Deterministic: the
  // digits are canonical after normalize(), whatever the order that formed them.
  long double value() const;

  // --- State access for images: the canonical digits (0 .. 2^32 - 1, the top one signed) ---
  struct Digit {
    int index;
    std::int64_t value;
  };
  std::vector<Digit> nonzero_digits() const {
    std::vector<Digit> out;
    if (digits_.empty()) return out;
    WideSum c = *this;
    c.normalize();
    for (int i = 0; i < kDigits; ++i)
      if (c.digits_[i] != 0) out.push_back({i, c.digits_[i]});
    return out;
  }
  // Sets digit `index` of an empty-or-built sum (images only; the digit must be canonical).
  void set_digit(int index, std::int64_t value) {
    grow();
    digits_[index] = value;
  }
  static bool canonical_digit(int index, std::int64_t value) {
    return index >= 0 && index < kDigits &&
           (index == kDigits - 1 || (value >= 0 && value < (std::int64_t{1} << 32)));
  }

 private:
  void grow() {
    if (digits_.empty()) digits_.assign(kDigits, 0);
  }
  // Adds m * 2^e, |m| < 2^106, whose lowest set bit is at or above 2^kLowest (true of every
  // double and every double's square).
  void add_scaled(Int128 m, int e) {
    if (m == 0) return;
    grow();
    const bool negative = m < 0;
    UInt128 mag = negative ? static_cast<UInt128>(-m) : static_cast<UInt128>(m);
    // A subnormal's mantissa (or its square) can sit below digit 0 while its lowest set bit
    // does not (2^-1074, and 2^-2148 squared): shift out its trailing zeros, exactly.
    for (; e < kLowest; ++e) mag >>= 1;
    const int pos = e - kLowest;
    int d = pos / 32;
    const int shift = pos % 32;
    // Each 32-bit chunk of m, shifted, adds below 2^63 across two digits.
    for (; mag != 0; mag >>= 32, ++d) {
      const std::uint64_t part = static_cast<std::uint64_t>(mag & 0xffffffffu) << shift;
      const auto lo = static_cast<std::int64_t>(part & 0xffffffffu);
      const auto hi = static_cast<std::int64_t>(part >> 32);
      digits_[d] += negative ? -lo : lo;
      if (hi != 0) digits_[d + 1] += negative ? -hi : hi;
    }
    // A digit gains less than 2^33 per term: normalizing every 2^28 terms keeps it below 2^62.
    if (++since_normalized_ >= (1u << 28)) normalize();
  }
  // Carries every digit but the top into [0, 2^32): the unique form of the sum's value.
  void normalize() {
    for (int i = 0; i + 1 < kDigits; ++i) {
      const std::int64_t carry = digits_[i] >> 32;  // floor division (arithmetic shift)
      digits_[i] -= carry * (std::int64_t{1} << 32);
      digits_[i + 1] += carry;
    }
    since_normalized_ = 0;
  }

  std::vector<std::int64_t> digits_;  // empty: zero
  std::uint32_t since_normalized_ = 0;
};

inline long double WideSum::value() const {
  if (digits_.empty()) return 0.0L;
  WideSum c = *this;
  c.normalize();
  const bool negative = c.digits_[kDigits - 1] < 0;
  if (negative) {
    for (std::int64_t& d : c.digits_) d = -d;
    c.normalize();
  }
  int top = kDigits - 1;
  while (top >= 0 && c.digits_[top] == 0) --top;
  if (top < 0) return 0.0L;
  long double v = 0;
  const int low = top >= 2 ? top - 2 : 0;
  for (int i = top; i >= low; --i) v = v * 4294967296.0L + static_cast<long double>(c.digits_[i]);
  v = std::ldexp(v, kLowest + 32 * low);
  return negative ? -v : v;
}

}  // namespace chipshock
