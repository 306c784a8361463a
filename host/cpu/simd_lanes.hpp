// Eight paths in one AVX2 register: the lane types the CPU backend instantiates the shared
// per-path templates with (kernels/path_model.cuh, kernels/box_muller.cuh, kernels/philox.cuh).
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

#include <immintrin.h>

#include <cstdint>

#include "kernels/normal_quantile.cuh"

#if !defined(__AVX2__) || !defined(__FMA__)
#error "the CPU backend needs AVX2 and FMA: build with -march=native or -march=x86-64-v3"
#endif

namespace chipshock::simd {

constexpr int kLanes = 8;

struct F32x8 {
  __m256 v;
  F32x8() = default;
  F32x8(float s) : v(_mm256_set1_ps(s)) {}  // NOLINT: broadcast, as a scalar would promote
  explicit F32x8(__m256 x) : v(x) {}
  float operator[](int lane) const {
    alignas(32) float out[kLanes];
    _mm256_store_ps(out, v);
    return out[lane];
  }
};

struct U32x8 {
  __m256i v;
  U32x8() = default;
  explicit U32x8(std::uint32_t s) : v(_mm256_set1_epi32(static_cast<int>(s))) {}
  explicit U32x8(__m256i x) : v(x) {}
};

inline F32x8 operator+(F32x8 a, F32x8 b) { return F32x8(_mm256_add_ps(a.v, b.v)); }
inline F32x8 operator-(F32x8 a, F32x8 b) { return F32x8(_mm256_sub_ps(a.v, b.v)); }
inline F32x8 operator*(F32x8 a, F32x8 b) { return F32x8(_mm256_mul_ps(a.v, b.v)); }
inline F32x8 operator+(F32x8 a, float b) { return a + F32x8(b); }
inline F32x8 operator*(float a, F32x8 b) { return F32x8(a) * b; }
inline F32x8 operator*(F32x8 a, float b) { return a * F32x8(b); }

inline U32x8 operator^(U32x8 a, U32x8 b) { return U32x8(_mm256_xor_si256(a.v, b.v)); }
inline U32x8 operator^(U32x8 a, std::uint32_t b) { return a ^ U32x8(b); }

inline F32x8 fma_lanes(F32x8 a, F32x8 b, F32x8 c) {
  return F32x8(_mm256_fmadd_ps(a.v, b.v, c.v));
}
inline F32x8 fma_lanes(float a, F32x8 b, F32x8 c) { return fma_lanes(F32x8(a), b, c); }
inline F32x8 lane_fma(F32x8 a, float b, float c) { return fma_lanes(a, F32x8(b), F32x8(c)); }
inline F32x8 lane_sqrt(F32x8 x) { return F32x8(_mm256_sqrt_ps(x.v)); }

// Philox's 32x32 -> 64 multiply on eight lanes: even and odd lanes through two vpmuludq.
inline U32x8 mulhilo(std::uint32_t a, U32x8 b, U32x8& hi) {
  const __m256i m = _mm256_set1_epi32(static_cast<int>(a));
  const __m256i even = _mm256_mul_epu32(m, b.v);
  const __m256i odd = _mm256_mul_epu32(m, _mm256_srli_epi64(b.v, 32));
  hi = U32x8(_mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA));
  return U32x8(_mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA));
}

// Correctly rounded uint32 -> float (AVX2 converts only signed): both 16-bit halves convert
// exactly and the one rounding happens in the final add, as in a scalar conversion.
inline F32x8 lane_to_float(U32x8 x) {
  const __m256 hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(x.v, 16));
  const __m256 lo = _mm256_cvtepi32_ps(_mm256_and_si256(x.v, _mm256_set1_epi32(0xFFFF)));
  return F32x8(_mm256_fmadd_ps(hi, _mm256_set1_ps(65536.0f), lo));
}

// Natural log for x in (0, +inf) (normal floats; Box-Muller never passes 0, negatives or NaN).
inline F32x8 lane_log(F32x8 xin) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)) (so that m - 1 is small), in integer arithmetic:
  // subtracting the bits of sqrt(1/2) (as a float) puts e in the exponent field of t, and
  // removing e from x's exponent leaves m. m - 1 is exact.
  const __m256i bits = _mm256_castps_si256(xin.v);
  const __m256i t = _mm256_sub_epi32(bits, _mm256_set1_epi32(0x3F3504F3));
  const __m256 e = _mm256_cvtepi32_ps(_mm256_srai_epi32(t, 23));
  const __m256 m = _mm256_castsi256_ps(
      _mm256_sub_epi32(bits, _mm256_and_si256(t, _mm256_set1_epi32(static_cast<int>(0xFF800000u)))));
  const __m256 x = _mm256_sub_ps(m, _mm256_set1_ps(1.0f));
  const __m256 z = _mm256_mul_ps(x, x);
  // The degree-8 polynomial by Estrin's scheme (four FMAs deep instead of Horner's nine: the
  // log is on Box-Muller's critical path), and x^3 formed beside it.
  const __m256 x4 = _mm256_mul_ps(z, z);
  const __m256 p01 = _mm256_fmadd_ps(_mm256_set1_ps(-2.4999993993e-1f), x, _mm256_set1_ps(3.3333331174e-1f));
  const __m256 p23 = _mm256_fmadd_ps(_mm256_set1_ps(-1.6668057665e-1f), x, _mm256_set1_ps(2.0000714765e-1f));
  const __m256 p45 = _mm256_fmadd_ps(_mm256_set1_ps(-1.2420140846e-1f), x, _mm256_set1_ps(1.4249322787e-1f));
  const __m256 p67 = _mm256_fmadd_ps(_mm256_set1_ps(-1.1514610310e-1f), x, _mm256_set1_ps(1.1676998740e-1f));
  const __m256 p03 = _mm256_fmadd_ps(p23, z, p01);
  const __m256 p47 = _mm256_fmadd_ps(p67, z, p45);
  const __m256 p48 = _mm256_fmadd_ps(_mm256_set1_ps(7.0376836292e-2f), x4, p47);
  const __m256 p = _mm256_fmadd_ps(p48, x4, p03);
  // y = p x^3 - x^2/2 + e ln2_lo, the small terms, with the last two summed beside p.
  const __m256 small = _mm256_fmadd_ps(z, _mm256_set1_ps(-0.5f),
                                       _mm256_mul_ps(e, _mm256_set1_ps(-2.12194440e-4f)));
  const __m256 y = _mm256_fmadd_ps(p, _mm256_mul_ps(x, z), small);
  __m256 r = _mm256_add_ps(x, y);
  r = _mm256_fmadd_ps(e, _mm256_set1_ps(0.693359375f), r);  // high part of ln 2
  return F32x8(r);
}

// sin and cos of x >= 0 (Box-Muller's angle lies in (0, 2 pi)).
inline void lane_sincos(F32x8 xin, F32x8& s, F32x8& c) {
  const __m256 x0 = xin.v;
  // Octant j (made even) and the reduced argument x - j pi/4 in three Cody-Waite parts.
  __m256i j = _mm256_cvttps_epi32(_mm256_mul_ps(x0, _mm256_set1_ps(1.27323954473516f)));
  j = _mm256_and_si256(_mm256_add_epi32(j, _mm256_set1_epi32(1)), _mm256_set1_epi32(~1));
  const __m256 y = _mm256_cvtepi32_ps(j);
  __m256 x = _mm256_fmadd_ps(y, _mm256_set1_ps(-0.78515625f), x0);
  x = _mm256_fmadd_ps(y, _mm256_set1_ps(-2.4187564849853515625e-4f), x);
  x = _mm256_fmadd_ps(y, _mm256_set1_ps(-3.77489497744594108e-8f), x);

  const __m256 sign_sin = _mm256_castsi256_ps(_mm256_slli_epi32(
      _mm256_and_si256(j, _mm256_set1_epi32(4)), 29));
  const __m256 sign_cos = _mm256_castsi256_ps(_mm256_slli_epi32(
      _mm256_andnot_si256(_mm256_sub_epi32(j, _mm256_set1_epi32(2)), _mm256_set1_epi32(4)), 29));
  // In octants 2 and 6 (j & 2) sine and cosine swap polynomials: blendv reads only the top bit
  // of its mask, so j << 30 is the mask.
  const __m256 swap = _mm256_castsi256_ps(_mm256_slli_epi32(j, 30));

  const __m256 z = _mm256_mul_ps(x, x);
  __m256 pc = _mm256_set1_ps(2.443315711809948e-5f);
  pc = _mm256_fmadd_ps(pc, z, _mm256_set1_ps(-1.388731625493765e-3f));
  pc = _mm256_fmadd_ps(pc, z, _mm256_set1_ps(4.166664568298827e-2f));
  pc = _mm256_mul_ps(_mm256_mul_ps(pc, z), z);
  pc = _mm256_fmadd_ps(z, _mm256_set1_ps(-0.5f), pc);
  pc = _mm256_add_ps(pc, _mm256_set1_ps(1.0f));

  __m256 ps = _mm256_set1_ps(-1.9515295891e-4f);
  ps = _mm256_fmadd_ps(ps, z, _mm256_set1_ps(8.3321608736e-3f));
  ps = _mm256_fmadd_ps(ps, z, _mm256_set1_ps(-1.6666654611e-1f));
  ps = _mm256_fmadd_ps(_mm256_mul_ps(ps, z), x, x);

  const __m256 sin_v = _mm256_blendv_ps(ps, pc, swap);
  const __m256 cos_v = _mm256_blendv_ps(pc, ps, swap);
  s = F32x8(_mm256_xor_ps(sin_v, sign_sin));
  c = F32x8(_mm256_xor_ps(cos_v, sign_cos));
}

// e^x on four doubles, for the revaluation (spot0 * e^(log-return)). x = k ln 2 + r with
// k = round(x / ln 2), |r| <= ln(2)/2 (ln 2 in two parts, fdlibm's, so k ln2_hi is exact); e^r by
// its Taylor polynomial of degree 13 (truncation < 0.03 ulp on that interval) in Horner form;
// 2^k applied in two factors so that subnormal results round once. Within 1 ulp of e^x wherever
// the result is normal; +inf above 709.79, 0 below -745.83, NaN for NaN (tests/test_simd_lanes.cpp).
inline __m256d lane_exp(__m256d xin) {
  // Clamp (NaN passes through: max/min return their second operand when one is NaN).
  const __m256d x = _mm256_min_pd(_mm256_set1_pd(710.0), _mm256_max_pd(_mm256_set1_pd(-746.0), xin));
  const __m256d k =
      _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(6.93147180369123816490e-01), x);
  r = _mm256_fnmadd_pd(k, _mm256_set1_pd(1.90821492927058770002e-10), r);
  // 1/13!, 1/12!, ..., 1/2!, 1, 1
  __m256d p = _mm256_set1_pd(1.6059043836821614599e-10);
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(2.0876756987868098979e-09));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(2.5052108385441718775e-08));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(2.7557319223985890653e-07));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(2.7557319223985890653e-06));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(2.4801587301587301587e-05));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.9841269841269841270e-04));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.3888888888888888889e-03));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(8.3333333333333333333e-03));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(4.1666666666666666667e-02));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.6666666666666666667e-01));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(0.5));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
  // 2^k = 2^k1 2^k2, both normal for k in [-1076, 1024].
  const __m128i ki = _mm256_cvtpd_epi32(k);
  const __m128i k1 = _mm_srai_epi32(ki, 1);
  const __m128i k2 = _mm_sub_epi32(ki, k1);
  const __m128i bias = _mm_set1_epi32(1023);
  const __m256d s1 = _mm256_castsi256_pd(
      _mm256_slli_epi64(_mm256_cvtepi32_epi64(_mm_add_epi32(k1, bias)), 52));
  const __m256d s2 = _mm256_castsi256_pd(
      _mm256_slli_epi64(_mm256_cvtepi32_epi64(_mm_add_epi32(k2, bias)), 52));
  return _mm256_mul_pd(_mm256_mul_pd(p, s1), s2);
}

// Four doubles, for the normal quantile of quasi-random points (--rng sobol).
struct F64x4 {
  __m256d v;
  F64x4() = default;
  F64x4(double s) : v(_mm256_set1_pd(s)) {}  // NOLINT: broadcast, as a scalar would promote
  explicit F64x4(__m256d x) : v(x) {}
};
inline F64x4 operator*(F64x4 a, F64x4 b) { return F64x4(_mm256_mul_pd(a.v, b.v)); }
inline F64x4 operator/(F64x4 a, F64x4 b) { return F64x4(_mm256_div_pd(a.v, b.v)); }
inline F64x4 operator-(F64x4 a) { return F64x4(_mm256_xor_pd(a.v, _mm256_set1_pd(-0.0))); }
inline F64x4 quantile_fma(F64x4 a, F64x4 b, F64x4 c) {
  return F64x4(_mm256_fmadd_pd(a.v, b.v, c.v));
}

// Phi^-1 of four probabilities in (0, 1), bit-identical to kernels/normal_quantile.cuh: the
// central range (|p - 1/2| <= 0.425, 85% of uniform points) on the vector by the same template,
// the tails, which need a log, lane by lane with the scalar function.
inline void normal_quantile4(const double* p, double* z) {
  const __m256d q = _mm256_sub_pd(_mm256_loadu_pd(p), _mm256_set1_pd(0.5));
  const __m256d abs_q = _mm256_andnot_pd(_mm256_set1_pd(-0.0), q);
  const int central =
      _mm256_movemask_pd(_mm256_cmp_pd(abs_q, _mm256_set1_pd(0.425), _CMP_LE_OQ));
  _mm256_storeu_pd(z, chipshock::normal_quantile_central(F64x4(q)).v);
  if (central != 0xF)
    for (int l = 0; l < 4; ++l)
      if (!((central >> l) & 1)) z[l] = chipshock::normal_quantile(p[l]);
}

// eps = A z on eight paths, for the lower triangle A of kernels/path_model.cuh's correlate, with
// the same per-asset order (a_i0 z_0, then an FMA for each j = 1, ..., i: bit-identical to the
// generic loop) but tiled by rows: a tile's running sums stay in registers while it walks the
// columns, each z_j is loaded once per tile and each a_ij broadcast once. The generic column
// loop instead loads and stores every eps_i once per column.
template <int kRows>
inline void correlate_rows(const float* a, int n, const F32x8* z, F32x8* eps, int i0) {
  __m256 acc[kRows];
  const float* row[kRows];
#pragma GCC unroll 8
  for (int t = 0; t < kRows; ++t) {
    row[t] = a + static_cast<long>(i0 + t) * n;
    acc[t] = _mm256_mul_ps(_mm256_broadcast_ss(row[t]), z[0].v);
  }
  for (int j = 1; j < i0; ++j) {  // columns left of the tile: every row of it takes them
    const __m256 zj = z[j].v;
#pragma GCC unroll 8
    for (int t = 0; t < kRows; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_broadcast_ss(row[t] + j), zj, acc[t]);
  }
#pragma GCC unroll 8
  for (int d = 0; d < kRows; ++d) {  // the tile's own triangle: column i0 + d, rows d and below
    if (d == 0 && i0 == 0) continue;  // column 0 is the product above
    const __m256 zj = z[i0 + d].v;
#pragma GCC unroll 8
    for (int t = d; t < kRows; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_broadcast_ss(row[t] + i0 + d), zj, acc[t]);
  }
#pragma GCC unroll 8
  for (int t = 0; t < kRows; ++t) eps[i0 + t] = F32x8(acc[t]);
}

inline void correlate(const float* a, int n, const F32x8* z, F32x8* eps) {
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

}  // namespace chipshock::simd
