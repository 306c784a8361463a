// One SIMD register of paths: the lane types the CPU backend instantiates the shared per-path
// templates with (kernels/path_model.cuh, kernels/box_muller.cuh, kernels/philox.cuh), written
// once with Highway's portable operations for the instruction set the including file is
// compiled for: AVX2 (8 float lanes) or AVX-512 (16). Each of host/cpu/cpu_kernel_*.cpp
// compiles it for its own target, so every type and function here lives in Highway's namespace
// of that target (hwy::N_AVX2 -> chipshock::simd::N_AVX2, ...): the two builds never share a
// symbol (scripts/check_kernel_symbols.sh checks this), and the CPU backend picks one at run
// time (host/cpu/cpu_isa.hpp).
//
// Every operation is an IEEE-754 operation lane by lane (add, multiply, FMA, square root, exact
// conversions and bit operations) in the same order at every width, so a path's numbers do not
// depend on the width it ran at: the targets agree bit for bit (tests/test_cpu_isa.cpp).
//
// The transcendental functions are vectorised single-precision versions of the Cephes
// algorithms (S. L. Moshier, "Methods and Programs for Mathematical Functions", 1989): log with a
// degree-9 polynomial on [sqrt(1/2)-1, sqrt(2)-1] (Cephes's coefficients, evaluated by Estrin's
// scheme), sin/cos with Cody-Waite reduction by pi/4 and degree-3 polynomials. Both are within
// 2 ulp of the correctly rounded result on the ranges Box-Muller feeds them ((0, 1] and
// (0, 2 pi)); tests/test_simd_lanes.cpp measures that (the log is within 0.86 ulp on every
// positive normal float). Double exp for the revaluation, the correlation product, and the
// normal quantile of quasi-random points.
#pragma once

#include <hwy/highway.h>

#include <cmath>
#include <cstdint>

#include "kernels/normal_quantile.cuh"

#if !defined(__AVX2__) || !defined(__FMA__)
#error "the CPU backend needs AVX2 and FMA: build for x86-64-v3 or later"
#endif
#if HWY_TARGET != HWY_AVX2 && HWY_TARGET != HWY_AVX3
#error "Highway's static target must be AVX2 or AVX3 (is HWY_DISABLE_PCLMUL_AES defined?)"
#endif

namespace chipshock::simd {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

using FloatTag = hn::ScalableTag<float>;
using WordTag = hn::RebindToUnsigned<FloatTag>;
using IntTag = hn::RebindToSigned<FloatTag>;
using Word64Tag = hn::Repartition<std::uint64_t, WordTag>;
using DoubleTag = hn::Repartition<double, FloatTag>;  // half as many lanes
using HalfFloatTag = hn::Half<FloatTag>;
using HalfIntTag = hn::Rebind<std::int32_t, DoubleTag>;
using Int64Tag = hn::RebindToSigned<DoubleTag>;

using FloatVec = hn::Vec<FloatTag>;
using WordVec = hn::Vec<WordTag>;
using IntVec = hn::Vec<IntTag>;
using DoubleVec = hn::Vec<DoubleTag>;

// Paths per register (8 for AVX2, 16 for AVX-512), and doubles per register (half of that).
constexpr int kLanes = HWY_LANES(float);
constexpr int kDoubleLanes = HWY_LANES(double);

// The instruction set of this build, as report.json names it.
constexpr const char* kIsaName = HWY_TARGET == HWY_AVX2 ? "avx2" : "avx512";

struct FloatLanes {
  FloatVec v;
  FloatLanes() = default;
  FloatLanes(float s) : v(hn::Set(FloatTag(), s)) {}  // NOLINT: broadcast, as a scalar promotes
  explicit FloatLanes(FloatVec x) : v(x) {}
  float operator[](int lane) const { return hn::ExtractLane(v, static_cast<std::size_t>(lane)); }
  static FloatLanes load(const float* p) { return FloatLanes(hn::Load(FloatTag(), p)); }
  static FloatLanes load_unaligned(const float* p) { return FloatLanes(hn::LoadU(FloatTag(), p)); }
};

struct WordLanes {
  WordVec v;
  WordLanes() = default;
  explicit WordLanes(std::uint32_t s) : v(hn::Set(WordTag(), s)) {}
  explicit WordLanes(WordVec x) : v(x) {}
  static WordLanes load(const std::uint32_t* p) { return WordLanes(hn::Load(WordTag(), p)); }
};

HWY_INLINE FloatLanes operator+(FloatLanes a, FloatLanes b) { return FloatLanes(hn::Add(a.v, b.v)); }
HWY_INLINE FloatLanes operator-(FloatLanes a, FloatLanes b) { return FloatLanes(hn::Sub(a.v, b.v)); }
HWY_INLINE FloatLanes operator*(FloatLanes a, FloatLanes b) { return FloatLanes(hn::Mul(a.v, b.v)); }
HWY_INLINE FloatLanes operator+(FloatLanes a, float b) { return a + FloatLanes(b); }
HWY_INLINE FloatLanes operator*(float a, FloatLanes b) { return FloatLanes(a) * b; }
HWY_INLINE FloatLanes operator*(FloatLanes a, float b) { return a * FloatLanes(b); }

HWY_INLINE WordLanes operator^(WordLanes a, WordLanes b) { return WordLanes(hn::Xor(a.v, b.v)); }
HWY_INLINE WordLanes operator^(WordLanes a, std::uint32_t b) { return a ^ WordLanes(b); }

HWY_INLINE FloatLanes fma_lanes(FloatLanes a, FloatLanes b, FloatLanes c) {
  return FloatLanes(hn::MulAdd(a.v, b.v, c.v));
}
HWY_INLINE FloatLanes fma_lanes(float a, FloatLanes b, FloatLanes c) {
  return fma_lanes(FloatLanes(a), b, c);
}
HWY_INLINE FloatLanes lane_fma(FloatLanes a, float b, float c) {
  return fma_lanes(a, FloatLanes(b), FloatLanes(c));
}
HWY_INLINE FloatLanes lane_sqrt(FloatLanes x) { return FloatLanes(hn::Sqrt(x.v)); }

// Philox's 32x32 -> 64 multiply on every lane: the even lanes' products, then the odd lanes'
// (shifted down into the even positions), recombined into low and high words.
HWY_INLINE WordLanes mulhilo(std::uint32_t a, WordLanes b, WordLanes& hi) {
  const WordTag du;
  const Word64Tag du64;
  const WordVec m = hn::Set(du, a);
  const auto even = hn::MulEven(m, b.v);
  const auto odd = hn::MulEven(m, hn::BitCast(du, hn::ShiftRight<32>(hn::BitCast(du64, b.v))));
  hi = WordLanes(hn::OddEven(hn::BitCast(du, odd), hn::BitCast(du, hn::ShiftRight<32>(even))));
  return WordLanes(hn::OddEven(hn::BitCast(du, hn::ShiftLeft<32>(odd)), hn::BitCast(du, even)));
}

// Correctly rounded uint32 -> float: both 16-bit halves convert exactly and the one rounding
// happens in the final FMA, as in a scalar conversion.
HWY_INLINE FloatLanes lane_to_float(WordLanes x) {
  const FloatTag df;
  const IntTag di;
  const FloatVec hi = hn::ConvertTo(df, hn::BitCast(di, hn::ShiftRight<16>(x.v)));
  const FloatVec lo = hn::ConvertTo(df, hn::BitCast(di, hn::And(x.v, hn::Set(WordTag(), 0xFFFFu))));
  return FloatLanes(hn::MulAdd(hi, hn::Set(df, 65536.0f), lo));
}

// Natural log for x in (0, +inf) (normal floats; Box-Muller never passes 0, negatives or NaN).
HWY_INLINE FloatLanes lane_log(FloatLanes xin) {
  const FloatTag df;
  const IntTag di;
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)) (so that m - 1 is small), in integer arithmetic:
  // subtracting the bits of sqrt(1/2) (as a float) puts e in the exponent field of t, and
  // removing e from x's exponent leaves m. m - 1 is exact.
  const IntVec bits = hn::BitCast(di, xin.v);
  const IntVec t = hn::Sub(bits, hn::Set(di, 0x3F3504F3));
  const FloatVec e = hn::ConvertTo(df, hn::ShiftRight<23>(t));
  const FloatVec m =
      hn::BitCast(df, hn::Sub(bits, hn::And(t, hn::Set(di, static_cast<std::int32_t>(0xFF800000u)))));
  const FloatVec x = hn::Sub(m, hn::Set(df, 1.0f));
  const FloatVec z = hn::Mul(x, x);
  // The degree-8 polynomial by Estrin's scheme (four FMAs deep instead of Horner's nine: the
  // log is on Box-Muller's critical path), and x^3 formed beside it.
  const FloatVec x4 = hn::Mul(z, z);
  const auto c = [&](float k) { return hn::Set(df, k); };
  const FloatVec p01 = hn::MulAdd(c(-2.4999993993e-1f), x, c(3.3333331174e-1f));
  const FloatVec p23 = hn::MulAdd(c(-1.6668057665e-1f), x, c(2.0000714765e-1f));
  const FloatVec p45 = hn::MulAdd(c(-1.2420140846e-1f), x, c(1.4249322787e-1f));
  const FloatVec p67 = hn::MulAdd(c(-1.1514610310e-1f), x, c(1.1676998740e-1f));
  const FloatVec p03 = hn::MulAdd(p23, z, p01);
  const FloatVec p47 = hn::MulAdd(p67, z, p45);
  const FloatVec p48 = hn::MulAdd(c(7.0376836292e-2f), x4, p47);
  const FloatVec p = hn::MulAdd(p48, x4, p03);
  // y = p x^3 - x^2/2 + e ln2_lo, the small terms, with the last two summed beside p.
  const FloatVec small = hn::MulAdd(z, c(-0.5f), hn::Mul(e, c(-2.12194440e-4f)));
  const FloatVec y = hn::MulAdd(p, hn::Mul(x, z), small);
  const FloatVec r = hn::Add(x, y);
  return FloatLanes(hn::MulAdd(e, c(0.693359375f), r));  // high part of ln 2
}

// sin and cos of x >= 0 (Box-Muller's angle lies in (0, 2 pi)).
HWY_INLINE void lane_sincos(FloatLanes xin, FloatLanes& s, FloatLanes& co) {
  const FloatTag df;
  const IntTag di;
  const auto c = [&](float k) { return hn::Set(df, k); };
  const FloatVec x0 = xin.v;
  // Octant j (made even) and the reduced argument x - j pi/4 in three Cody-Waite parts.
  IntVec j = hn::ConvertTo(di, hn::Mul(x0, c(1.27323954473516f)));  // truncates
  j = hn::And(hn::Add(j, hn::Set(di, 1)), hn::Set(di, ~1));
  const FloatVec y = hn::ConvertTo(df, j);
  FloatVec x = hn::MulAdd(y, c(-0.78515625f), x0);
  x = hn::MulAdd(y, c(-2.4187564849853515625e-4f), x);
  x = hn::MulAdd(y, c(-3.77489497744594108e-8f), x);

  const FloatVec sign_sin = hn::BitCast(df, hn::ShiftLeft<29>(hn::And(j, hn::Set(di, 4))));
  const FloatVec sign_cos = hn::BitCast(
      df, hn::ShiftLeft<29>(hn::AndNot(hn::Sub(j, hn::Set(di, 2)), hn::Set(di, 4))));
  // In octants 2 and 6 (j & 2) sine and cosine swap polynomials: j << 30 has that bit as its
  // sign.
  const FloatVec swap = hn::BitCast(df, hn::ShiftLeft<30>(j));

  const FloatVec z = hn::Mul(x, x);
  FloatVec pc = c(2.443315711809948e-5f);
  pc = hn::MulAdd(pc, z, c(-1.388731625493765e-3f));
  pc = hn::MulAdd(pc, z, c(4.166664568298827e-2f));
  pc = hn::Mul(hn::Mul(pc, z), z);
  pc = hn::MulAdd(z, c(-0.5f), pc);
  pc = hn::Add(pc, c(1.0f));

  FloatVec ps = c(-1.9515295891e-4f);
  ps = hn::MulAdd(ps, z, c(8.3321608736e-3f));
  ps = hn::MulAdd(ps, z, c(-1.6666654611e-1f));
  ps = hn::MulAdd(hn::Mul(ps, z), x, x);

  const FloatVec sin_v = hn::IfNegativeThenElse(swap, pc, ps);
  const FloatVec cos_v = hn::IfNegativeThenElse(swap, ps, pc);
  s = FloatLanes(hn::Xor(sin_v, sign_sin));
  co = FloatLanes(hn::Xor(cos_v, sign_cos));
}

// e^x on kDoubleLanes doubles, for the revaluation (spot0 * e^(log-return)). x = k ln 2 + r
// with k = round(x / ln 2), |r| <= ln(2)/2 (ln 2 in two parts, fdlibm's, so k ln2_hi is exact);
// e^r by its Taylor polynomial of degree 13 (truncation < 0.03 ulp on that interval) in Horner
// form; 2^k applied in two factors so that subnormal results round once. Within 1 ulp of e^x
// wherever the result is normal; +inf above 709.79, 0 below -745.83, NaN for NaN
// (tests/test_simd_lanes.cpp).
HWY_INLINE DoubleVec lane_exp(DoubleVec xin) {
  const DoubleTag dd;
  const auto c = [&](double k) { return hn::Set(dd, k); };
  // Clamp; NaN passes through (x86's max and min return their second operand when one is NaN).
  const DoubleVec x = hn::Min(c(710.0), hn::Max(c(-746.0), xin));
  const DoubleVec k = hn::Round(hn::Mul(x, c(1.4426950408889634)));
  DoubleVec r = hn::NegMulAdd(k, c(6.93147180369123816490e-01), x);
  r = hn::NegMulAdd(k, c(1.90821492927058770002e-10), r);
  // 1/13!, 1/12!, ..., 1/2!, 1, 1
  DoubleVec p = c(1.6059043836821614599e-10);
  p = hn::MulAdd(p, r, c(2.0876756987868098979e-09));
  p = hn::MulAdd(p, r, c(2.5052108385441718775e-08));
  p = hn::MulAdd(p, r, c(2.7557319223985890653e-07));
  p = hn::MulAdd(p, r, c(2.7557319223985890653e-06));
  p = hn::MulAdd(p, r, c(2.4801587301587301587e-05));
  p = hn::MulAdd(p, r, c(1.9841269841269841270e-04));
  p = hn::MulAdd(p, r, c(1.3888888888888888889e-03));
  p = hn::MulAdd(p, r, c(8.3333333333333333333e-03));
  p = hn::MulAdd(p, r, c(4.1666666666666666667e-02));
  p = hn::MulAdd(p, r, c(1.6666666666666666667e-01));
  p = hn::MulAdd(p, r, c(0.5));
  p = hn::MulAdd(p, r, c(1.0));
  p = hn::MulAdd(p, r, c(1.0));
  // 2^k = 2^k1 2^k2, both normal for k in [-1076, 1024]; k is an integer, so the conversion
  // (which truncates) is exact.
  const HalfIntTag di32;
  const Int64Tag di64;
  const auto ki = hn::DemoteTo(di32, k);
  const auto k1 = hn::ShiftRight<1>(ki);
  const auto k2 = hn::Sub(ki, k1);
  const auto bias = hn::Set(di32, 1023);
  const DoubleVec s1 =
      hn::BitCast(dd, hn::ShiftLeft<52>(hn::PromoteTo(di64, hn::Add(k1, bias))));
  const DoubleVec s2 =
      hn::BitCast(dd, hn::ShiftLeft<52>(hn::PromoteTo(di64, hn::Add(k2, bias))));
  return hn::Mul(hn::Mul(p, s1), s2);
}

// The lower and upper halves of a float register as doubles (exact).
HWY_INLINE DoubleVec lower_as_double(FloatLanes x) {
  return hn::PromoteTo(DoubleTag(), hn::LowerHalf(HalfFloatTag(), x.v));
}
HWY_INLINE DoubleVec upper_as_double(FloatLanes x) {
  return hn::PromoteTo(DoubleTag(), hn::UpperHalf(HalfFloatTag(), x.v));
}

// kDoubleLanes doubles, for the normal quantile of quasi-random points (--rng sobol).
struct DoubleLanes {
  DoubleVec v;
  DoubleLanes() = default;
  DoubleLanes(double s) : v(hn::Set(DoubleTag(), s)) {}  // NOLINT: broadcast, as a scalar would
  explicit DoubleLanes(DoubleVec x) : v(x) {}
};
HWY_INLINE DoubleLanes operator*(DoubleLanes a, DoubleLanes b) { return DoubleLanes(hn::Mul(a.v, b.v)); }
HWY_INLINE DoubleLanes operator/(DoubleLanes a, DoubleLanes b) { return DoubleLanes(hn::Div(a.v, b.v)); }
HWY_INLINE DoubleLanes operator-(DoubleLanes a) { return DoubleLanes(hn::Neg(a.v)); }
HWY_INLINE DoubleLanes quantile_fma(DoubleLanes a, DoubleLanes b, DoubleLanes c) {
  return DoubleLanes(hn::MulAdd(a.v, b.v, c.v));
}

// Phi^-1 of kDoubleLanes probabilities in (0, 1), bit-identical to kernels/normal_quantile.cuh:
// the central range (|p - 1/2| <= 0.425, 85% of uniform points) on the vector by the same
// template, the tails, which need a log, lane by lane with the scalar function.
HWY_INLINE void normal_quantile_lanes(const double* p, double* z) {
  const DoubleTag dd;
  const DoubleVec q = hn::Sub(hn::LoadU(dd, p), hn::Set(dd, 0.5));
  const auto central = hn::Le(hn::Abs(q), hn::Set(dd, 0.425));
  hn::StoreU(chipshock::normal_quantile_central(DoubleLanes(q)).v, dd, z);
  if (!hn::AllTrue(dd, central))
    for (int l = 0; l < kDoubleLanes; ++l)
      if (!(std::fabs(p[l] - 0.5) <= 0.425)) z[l] = chipshock::normal_quantile(p[l]);
}

// eps = A z on kLanes paths, for the lower triangle A of kernels/path_model.cuh's correlate,
// with the same per-asset order (a_i0 z_0, then an FMA for each j = 1, ..., i: bit-identical to
// the generic loop) but tiled by rows: a tile's running sums stay in registers while it walks
// the columns, each z_j is loaded once per tile and each a_ij broadcast once. The generic column
// loop instead loads and stores every eps_i once per column.
template <int kRows>
HWY_INLINE void correlate_rows(const float* a, int n, const FloatLanes* z, FloatLanes* eps,
                               int i0) {
  const FloatTag df;
  FloatVec acc[kRows];
  const float* row[kRows];
#pragma GCC unroll 8
  for (int t = 0; t < kRows; ++t) {
    row[t] = a + static_cast<long>(i0 + t) * n;
    acc[t] = hn::Mul(hn::Set(df, row[t][0]), z[0].v);
  }
  for (int j = 1; j < i0; ++j) {  // columns left of the tile: every row of it takes them
    const FloatVec zj = z[j].v;
#pragma GCC unroll 8
    for (int t = 0; t < kRows; ++t) acc[t] = hn::MulAdd(hn::Set(df, row[t][j]), zj, acc[t]);
  }
#pragma GCC unroll 8
  for (int d = 0; d < kRows; ++d) {  // the tile's own triangle: column i0 + d, rows d and below
    if (d == 0 && i0 == 0) continue;  // column 0 is the product above
    const FloatVec zj = z[i0 + d].v;
#pragma GCC unroll 8
    for (int t = d; t < kRows; ++t)
      acc[t] = hn::MulAdd(hn::Set(df, row[t][i0 + d]), zj, acc[t]);
  }
#pragma GCC unroll 8
  for (int t = 0; t < kRows; ++t) eps[i0 + t] = FloatLanes(acc[t]);
}

HWY_INLINE void correlate(const float* a, int n, const FloatLanes* z, FloatLanes* eps) {
  int i0 = 0;
  for (; i0 + 8 <= n; i0 += 8) correlate_rows<8>(a, n, z, eps, i0);
  if (n - i0 >= 4) {
    correlate_rows<4>(a, n, z, eps, i0);
    i0 += 4;
  }
  if (n - i0 >= 2) {
    correlate_rows<2>(a, n, z, eps, i0);
    i0 += 2;
  }
  if (n - i0 >= 1) correlate_rows<1>(a, n, z, eps, i0);
}

}  // namespace HWY_NAMESPACE
}  // namespace chipshock::simd
