// Multivariate Student-t innovations as a normal scale mixture: eps = z * sqrt((nu-2)/chi2_nu),
// one chi-square draw per path and step shared by all assets, so eps has unit variance and the
// assets' tail dependence of a multivariate t. chi2_nu = 2 Gamma(nu/2), drawn by Marsaglia and
// Tsang's method (ACM TOMS 26(3), 2000) from the path's own mixing stream.
#pragma once

#include <cmath>
#include <cstdint>

#include "box_muller.cuh"
#include "philox.cuh"
#include "portability.cuh"

namespace chipshock {

// A scalar sequence of Philox blocks: counter {block_lo, block_hi, path_lo, path_hi}. Equal to
// cuRAND's curand4 stream after curand_init(seed, path, offset) when offset is a multiple of 4.
class PhiloxBlockStream {
 public:
  PhiloxBlockStream() = default;
  CHIPSHOCK_HD PhiloxBlockStream(std::uint64_t seed, std::uint64_t path, std::uint64_t offset)
      : ctr_{static_cast<std::uint32_t>(offset >> 2), static_cast<std::uint32_t>(offset >> 34),
             static_cast<std::uint32_t>(path), static_cast<std::uint32_t>(path >> 32)},
        key_(philox_key(seed)) {}

  CHIPSHOCK_HD Word4<std::uint32_t> next4() {
    const Word4<std::uint32_t> r = philox4x32_10(ctr_, key_);
    if (++ctr_.x == 0) ++ctr_.y;  // blocks never carry into the path words
    return r;
  }

 private:
  Word4<std::uint32_t> ctr_{0, 0, 0, 0};
  PhiloxKey key_{0, 0};
};

constexpr int kMaxGammaTries = 64;  // acceptance is > 95% per try for shape > 1

// sqrt((nu - 2) / chi2_nu): the factor that turns a standard normal vector into a unit-variance
// multivariate t. Each try uses one block: words x,y give a normal (Box-Muller), word z the
// uniform. The accept/reject decision branches on values computed with sin and log, whose float
// versions differ between the CPU's libm and the GPU in the last bits, often enough to flip a
// decision somewhere in a million draws and so change a path's loss outright. In double the two
// agree to ~1e-16 and a flip would need a margin that small; the result is rounded to float once.
template <class Stream>
CHIPSHOCK_HD inline float student_t_scale(Stream& stream, float dof) {
  constexpr double kTwoPow32InvD = 1.0 / 4294967296.0;
  constexpr double kTwoPiD = 6.283185307179586;
  const double nu = dof;
  const double d = 0.5 * nu - 1.0 / 3.0;
  const double c = 1.0 / sqrt(9.0 * d);
  double gamma = d;  // the mean, used only if every try were rejected (probability < 1e-80)
  for (int t = 0; t < kMaxGammaTries; ++t) {
    const Word4<std::uint32_t> r = stream.next4();
    // uniforms in (0, 1), exact in double
    const double u1 = (static_cast<double>(r.x) + 0.5) * kTwoPow32InvD;
    const double u2 = (static_cast<double>(r.y) + 0.5) * kTwoPow32InvD;
    const double u = (static_cast<double>(r.z) + 0.5) * kTwoPow32InvD;
    const double z = sqrt(-2.0 * log(u1)) * sin(kTwoPiD * u2);
    double v = 1.0 + c * z;
    if (v <= 0.0) continue;
    v = v * v * v;
    // Marsaglia and Tsang's squeeze accepts ~98% of tries without the two logs of the full test.
    const double z2 = z * z;
    if (u < 1.0 - 0.0331 * z2 * z2 || log(u) < 0.5 * z2 + d - d * v + d * log(v)) {
      gamma = d * v;
      break;
    }
  }
  return static_cast<float>(sqrt((nu - 2.0) / (2.0 * gamma)));
}

}  // namespace chipshock
