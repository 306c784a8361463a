// cuRAND's single-precision Box-Muller transform (curand_normal4 on Philox): two 32-bit words
// give two standard normals. Templated over the lane type so that the CPU backend runs it on SIMD
// vectors; the lane type supplies to_unit_interval, fma, log, sqrt and sincos overloads.
#pragma once

#include <cmath>
#include <cstdint>

#include "philox.cuh"
#include "portability.cuh"

namespace chipshock {

// cuRAND's constants: 2^-32 rounded to float, and 2^-32 * 2*pi.
constexpr float kTwoPow32Inv = 2.3283064e-10f;
constexpr float kTwoPow32Inv2Pi = 2.3283064e-10f * 6.2831855f;

// Scalar lane operations. On the device these are the functions cuRAND's own transform uses.
CHIPSHOCK_HD CHIPSHOCK_INLINE float lane_fma(float a, float b, float c) { return fmaf(a, b, c); }
CHIPSHOCK_HD CHIPSHOCK_INLINE float lane_log(float x) { return logf(x); }
CHIPSHOCK_HD CHIPSHOCK_INLINE float lane_sqrt(float x) { return sqrtf(x); }
CHIPSHOCK_HD CHIPSHOCK_INLINE void lane_sincos(float x, float& s, float& c) {
#if defined(__CUDA_ARCH__)
  __sincosf(x, &s, &c);
#else
  s = sinf(x);
  c = cosf(x);
#endif
}
CHIPSHOCK_HD CHIPSHOCK_INLINE float lane_to_float(std::uint32_t x) {
  return static_cast<float>(x);
}

// (u, v) -> (sqrt(-2 ln u) sin v, sqrt(-2 ln u) cos v), u in (0, 1], v in (0, 2 pi).
template <class F, class U>
CHIPSHOCK_HD CHIPSHOCK_INLINE void box_muller(const U& a, const U& b, F& n0, F& n1) {
  const F u = lane_fma(lane_to_float(a), kTwoPow32Inv, kTwoPow32Inv / 2);
  const F v = lane_fma(lane_to_float(b), kTwoPow32Inv2Pi, kTwoPow32Inv2Pi / 2);
  const F s = lane_sqrt(lane_log(u) * -2.0f);
  F sn, cs;
  lane_sincos(v, sn, cs);
  n0 = sn * s;
  n1 = cs * s;
}

// Uniform in (0, 1] from one word, as cuRAND's curand_uniform.
template <class F, class U>
CHIPSHOCK_HD CHIPSHOCK_INLINE F unit_uniform(const U& a) {
  return lane_fma(lane_to_float(a), kTwoPow32Inv, kTwoPow32Inv / 2);
}

// The four normals cuRAND's curand_normal4 returns for one Philox output block.
template <class F, class U>
CHIPSHOCK_HD CHIPSHOCK_INLINE void normal4_from_block(const Word4<U>& r, F out[4]) {
  box_muller(r.x, r.y, out[0], out[1]);
  box_muller(r.z, r.w, out[2], out[3]);
}

}  // namespace chipshock
