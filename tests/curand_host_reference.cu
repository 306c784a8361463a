// cuRAND's own device-API code, compiled for the host: curand_kernel.h declares its functions
// with QUALIFIERS, which we widen to __host__ __device__. This lets CI (nvcc, no GPU) compare
// the host Philox mirror with the real curand_init / curand / curand4 / curand_normal4.
#define QUALIFIERS static inline __host__ __device__
#include <curand.h>
#include <curand_kernel.h>

#include <stdexcept>
#include <string>

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

void curand_sobol_device_api(const std::uint32_t* directions, std::uint32_t scramble,
                             std::uint32_t offset, int n, std::uint32_t* out) {
  curandStateScrambledSobol32_t state;
  curand_init(const_cast<std::uint32_t*>(directions), scramble, offset, &state);
  for (int k = 0; k < n; ++k) out[k] = curand(&state);
}

namespace {

void check(curandStatus_t s, const char* call) {
  if (s != CURAND_STATUS_SUCCESS)
    throw std::runtime_error(std::string(call) + " failed (status " +
                             std::to_string(static_cast<int>(s)) + ")");
}

}  // namespace

void curand_sobol_host_generator(int dims, std::uint64_t offset, int points, std::uint32_t* out) {
  curandGenerator_t g = nullptr;
  check(curandCreateGeneratorHost(&g, CURAND_RNG_QUASI_SCRAMBLED_SOBOL32),
        "curandCreateGeneratorHost");
  try {
    check(curandSetQuasiRandomGeneratorDimensions(g, static_cast<unsigned>(dims)),
          "curandSetQuasiRandomGeneratorDimensions");
    check(curandSetGeneratorOffset(g, offset), "curandSetGeneratorOffset");
    check(curandGenerate(g, out, static_cast<std::size_t>(dims) * static_cast<std::size_t>(points)),
          "curandGenerate");
  } catch (...) {
    curandDestroyGenerator(g);
    throw;
  }
  curandDestroyGenerator(g);
}

}  // namespace chipshock::testing
