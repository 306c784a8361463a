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

}  // namespace chipshock::testing
