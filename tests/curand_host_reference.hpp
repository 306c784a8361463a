// Outputs of cuRAND's Philox device API run on the host (see curand_host_reference.cu).
#pragma once

#include <cstdint>

namespace chipshock::testing {

// n outputs of curand() after curand_init(seed, subsequence, offset).
void curand_words(std::uint64_t seed, std::uint64_t subsequence, std::uint64_t offset, int n,
                  std::uint32_t* out);
// n4 calls of curand4(), 4 * n4 words.
void curand_words4(std::uint64_t seed, std::uint64_t subsequence, std::uint64_t offset, int n4,
                   std::uint32_t* out);
// n4 calls of curand_normal4(), 4 * n4 normals (host branch: libm sinf/cosf).
void curand_normals4(std::uint64_t seed, std::uint64_t subsequence, std::uint64_t offset, int n4,
                     float* out);

// n outputs of curand() on cuRAND's scrambled Sobol32 device state after
// curand_init(directions (32 words), scramble, offset): points offset, offset + 1, ...
void curand_sobol_device_api(const std::uint32_t* directions, std::uint32_t scramble,
                             std::uint32_t offset, int n, std::uint32_t* out);
// cuRAND's host generator CURAND_RNG_QUASI_SCRAMBLED_SOBOL32 (no GPU needed) with `dims`
// dimensions and generator offset `offset` (points skipped): points * dims words, all points
// of dimension 0 first, then dimension 1, ...
void curand_sobol_host_generator(int dims, std::uint64_t offset, int points, std::uint32_t* out);

}  // namespace chipshock::testing
