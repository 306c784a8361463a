// The standard normal quantile Phi^-1(p) in double: Wichura's algorithm AS 241 (PPND16),
// "The percentage points of the normal distribution", Applied Statistics 37(3), 1988, 477-484.
// Rational approximations on three ranges, relative error about 1e-16. It turns quasi-random
// uniforms into normals one coordinate at a time (Box-Muller would mix two Sobol' dimensions).
//
// The polynomials are evaluated by Horner's rule with explicit FMAs, so every compiler, the
// device and the CPU's vector version of the central range (host/cpu/simd_lanes.hpp, through
// the lane-type template below) round them identically.
#pragma once

#include <cmath>

#include "portability.cuh"

namespace chipshock {

CHIPSHOCK_HD CHIPSHOCK_INLINE double quantile_fma(double a, double b, double c) {
  return fma(a, b, c);
}

// c0 + x (c1 + x (c2 + ...)), one FMA per coefficient.
template <class D>
CHIPSHOCK_HD CHIPSHOCK_INLINE D horner(const D&, double c) {
  return D(c);
}
template <class D, class... Rest>
CHIPSHOCK_HD CHIPSHOCK_INLINE D horner(const D& x, double c, Rest... rest) {
  return quantile_fma(horner(x, rest...), x, D(c));
}

// The central range |q| <= 0.425, q = p - 1/2 (p in [0.075, 0.925]). D is double or a lane
// type with *, /, unary - and a quantile_fma overload.
template <class D>
CHIPSHOCK_HD CHIPSHOCK_INLINE D normal_quantile_central(const D& q) {
  const D r = quantile_fma(-q, q, D(0.180625));
  return q *
         horner(r, 3.3871328727963666080e+0, 1.3314166789178437745e+2, 1.9715909503065514427e+3,
                1.3731693765509461125e+4, 4.5921953931549871457e+4, 6.7265770927008700853e+4,
                3.3430575583588128105e+4, 2.5090809287301226727e+3) /
         horner(r, 1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2,
                5.3941960214247511077e+3, 2.1213794301586595867e+4, 3.9307895800092710610e+4,
                2.8729085735721942674e+4, 5.2264952788528545610e+3);
}

// p in (0, 1); the callers pass (k + 0.5) 2^-32, so neither end is ever reached.
CHIPSHOCK_HD inline double normal_quantile(double p) {
  const double q = p - 0.5;
  if (fabs(q) <= 0.425) return normal_quantile_central(q);
  double r = sqrt(-log(q < 0.0 ? p : 1.0 - p));
  double x;
  if (r <= 5.0) {  // tails down to p = exp(-25), about 1e-11
    r -= 1.6;
    x = horner(r, 1.42343711074968357734e+0, 4.63033784615654529590e+0, 5.76949722146069140550e+0,
               3.64784832476320460504e+0, 1.27045825245236838258e+0, 2.41780725177450611770e-1,
               2.27238449892691845833e-2, 7.74545014278341407640e-4) /
        horner(r, 1.0, 2.05319162663775882187e+0, 1.67638483018380384940e+0,
               6.89767334985100004550e-1, 1.48103976427480074590e-1, 1.51986665636164571966e-2,
               5.47593808499534494600e-4, 1.05075007164441684324e-9);
  } else {  // far tails
    r -= 5.0;
    x = horner(r, 6.65790464350110377720e+0, 5.46378491116411436990e+0, 1.78482653991729133580e+0,
               2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
               2.71155556874348757815e-5, 2.01033439929228813265e-7) /
        horner(r, 1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1,
               1.48753612908506148525e-2, 7.86869131145613259100e-4, 1.84631831751005468180e-5,
               1.42151175831644588870e-7, 2.04426310338993978564e-15);
  }
  return q < 0.0 ? -x : x;
}

}  // namespace chipshock
