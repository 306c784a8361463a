// Multivariate Student-t innovations as a normal scale mixture: eps = z * sqrt((nu-2)/chi2_nu),
// one chi-square draw per path and step shared by all assets, so eps has unit variance and the
// assets' tail dependence of a multivariate t. chi2_nu = 2 Gamma(nu/2), drawn by Marsaglia and
// Tsang's method (ACM TOMS 26(3), 2000) from the path's own mixing stream.
#pragma once

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
// multivariate t. Each try uses one block: words x,y give a normal, word z the uniform.
template <class Stream>
CHIPSHOCK_HD inline float student_t_scale(Stream& stream, float dof) {
  const float d = 0.5f * dof - 1.0f / 3.0f;
  const float c = 1.0f / sqrtf(9.0f * d);
  float gamma = d;  // the mean, used only if every try were rejected (probability < 1e-80)
  for (int t = 0; t < kMaxGammaTries; ++t) {
    const Word4<std::uint32_t> r = stream.next4();
    float z, unused;
    box_muller(r.x, r.y, z, unused);
    const float u = unit_uniform<float>(r.z);
    float v = 1.0f + c * z;
    if (v <= 0.0f) continue;
    v = v * v * v;
    if (logf(u) < 0.5f * z * z + d - d * v + d * logf(v)) {
      gamma = d * v;
      break;
    }
  }
  return sqrtf((dof - 2.0f) / (2.0f * gamma));
}

}  // namespace chipshock
