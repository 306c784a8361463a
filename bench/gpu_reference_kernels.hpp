// The two reference rates bench_gpu_throughput sets the engine against, on the same device:
// Philox normals drawn with cuRAND's device API inside a kernel (one path per thread, summed,
// nothing stored), and curandGenerateNormal (host API, Philox4_32_10, written to memory).
#pragma once

#include <cstdint>

namespace chipshock::bench {

// Seconds for `paths` threads to draw `normals_per_path` normals each (curand_init(seed, path,
// 0) then curand_normal4) and sum them. checksum: the sum over all paths (keeps the work alive).
double time_device_api_normals(std::uint64_t paths, int normals_per_path, std::uint64_t seed,
                               double* checksum);

// Seconds for curandGenerateNormal to write `total` normals, 2^28 at a time into one buffer.
double time_curand_generate_normal(std::uint64_t total, std::uint64_t seed);

}  // namespace chipshock::bench
