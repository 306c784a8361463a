// cuRAND's own device-API code, compiled for the host: curand_kernel.h declares its functions
// with QUALIFIERS, which we widen to __host__ __device__. This lets CI (nvcc, no GPU) compare
// the host Philox mirror with the real curand_init / curand / curand4 / curand_normal4.
#define QUALIFIERS static inline __host__ __device__
#include <curand_kernel.h>

#include "curand_host_reference.hpp"

namespace chipshock::testing {

void curand_words(std::uint64_t seed, std::uint64_t subsequence, std::uint64_t offset, int n,
                  std::uint32_t* out) {
  curandStatePhilox4_32_10_t state;
  curand_init(seed, subsequence, offset, &state);
  for (int k = 0; k < n; ++k) out[k] = curand(&state);
}

void curand_words4(std::uint64_t seed, std::uint64_t subsequence, std::uint64_t offset, int n4,
                   std::uint32_t* out) {
  curandStatePhilox4_32_10_t state;
  curand_init(seed, subsequence, offset, &state);
  for (int k = 0; k < n4; ++k) {
    const uint4 q = curand4(&state);
    out[4 * k] = q.x;
    out[4 * k + 1] = q.y;
    out[4 * k + 2] = q.z;
    out[4 * k + 3] = q.w;
  }
}

void curand_normals4(std::uint64_t seed, std::uint64_t subsequence, std::uint64_t offset, int n4,
                     float* out) {
  curandStatePhilox4_32_10_t state;
  curand_init(seed, subsequence, offset, &state);
  for (int k = 0; k < n4; ++k) {
    const float4 q = curand_normal4(&state);
    out[4 * k] = q.x;
    out[4 * k + 1] = q.y;
    out[4 * k + 2] = q.z;
    out[4 * k + 3] = q.w;
  }
}

}  // namespace chipshock::testing
