#include <cuda_runtime.h>
#include <curand.h>
#include <curand_kernel.h>

#include <algorithm>
#include <vector>

#include "bench/gpu_reference_kernels.hpp"
#include "kernels/cuda_check.cuh"

namespace chipshock::bench {

namespace {

constexpr int kBlockThreads = 256;

// The engine's thread layout and generator, without the model: one path per thread,
// grid-stride, curand_normal4 per block of four normals.
__global__ void __launch_bounds__(kBlockThreads)
    normals_only(std::uint64_t seed, std::uint64_t paths, int blocks_per_path, double* block_sums) {
  float sum = 0.0f;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t p = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       p < paths; p += stride) {
    curandStatePhilox4_32_10_t state;
    curand_init(seed, p, 0, &state);
    for (int b = 0; b < blocks_per_path; ++b) {
      const float4 q = curand_normal4(&state);
      sum += (q.x + q.y) + (q.z + q.w);
    }
  }
  // One add per thread into its block's slot: negligible next to the draws.
  atomicAdd(&block_sums[blockIdx.x], static_cast<double>(sum));
}

class Events {
 public:
  Events() {
    CHIPSHOCK_CUDA_CHECK(cudaEventCreate(&start));
    CHIPSHOCK_CUDA_CHECK(cudaEventCreate(&stop));
  }
  ~Events() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
  double seconds() {
    CHIPSHOCK_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CHIPSHOCK_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    return ms * 1e-3;
  }
  cudaEvent_t start = nullptr, stop = nullptr;
};

}  // namespace

double time_device_api_normals(std::uint64_t paths, int normals_per_path, std::uint64_t seed,
                               double* checksum) {
  int device = 0, sms = 0, per_sm = 0;
  CHIPSHOCK_CUDA_CHECK(cudaGetDevice(&device));
  CHIPSHOCK_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  CHIPSHOCK_CUDA_CHECK(
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, normals_only, kBlockThreads, 0));
  const std::uint64_t needed = (paths + kBlockThreads - 1) / kBlockThreads;
  const unsigned grid = static_cast<unsigned>(
      std::min<std::uint64_t>(needed, static_cast<std::uint64_t>(std::max(1, per_sm) * sms)));
  double* sums = nullptr;
  CHIPSHOCK_CUDA_CHECK(cudaMalloc(&sums, grid * sizeof(double)));
  double seconds = 0;
  try {
    CHIPSHOCK_CUDA_CHECK(cudaMemset(sums, 0, grid * sizeof(double)));
    Events ev;
    CHIPSHOCK_CUDA_CHECK(cudaEventRecord(ev.start));
    normals_only<<<grid, kBlockThreads>>>(seed, paths, (normals_per_path + 3) / 4, sums);
    CHIPSHOCK_LAUNCH_CHECK("normals_only");
    CHIPSHOCK_CUDA_CHECK(cudaEventRecord(ev.stop));
    seconds = ev.seconds();
    std::vector<double> host(grid);
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(host.data(), sums, grid * sizeof(double), cudaMemcpyDeviceToHost));
    double total = 0;
    for (double s : host) total += s;
    *checksum = total;
  } catch (...) {
    cudaFree(sums);
    throw;
  }
  cudaFree(sums);
  return seconds;
}

double time_curand_generate_normal(std::uint64_t total, std::uint64_t seed) {
  // curandGenerateNormal wants an even count: an even chunk, each call rounded up to even.
  const std::uint64_t chunk = std::max<std::uint64_t>(2, std::min<std::uint64_t>(total, 1ull << 28) & ~1ull);
  float* buf = nullptr;
  CHIPSHOCK_CUDA_CHECK(cudaMalloc(&buf, chunk * sizeof(float)));
  curandGenerator_t gen = nullptr;
  double seconds = 0;
  try {
    CHIPSHOCK_CURAND_CHECK(curandCreateGenerator(&gen, CURAND_RNG_PSEUDO_PHILOX4_32_10));
    CHIPSHOCK_CURAND_CHECK(curandSetPseudoRandomGeneratorSeed(gen, seed));
    CHIPSHOCK_CURAND_CHECK(curandGenerateNormal(gen, buf, chunk, 0.0f, 1.0f));  // warm-up
    CHIPSHOCK_CUDA_CHECK(cudaDeviceSynchronize());
    Events ev;
    CHIPSHOCK_CUDA_CHECK(cudaEventRecord(ev.start));
    for (std::uint64_t done = 0; done < total; done += chunk) {
      const std::uint64_t n = std::min(chunk, total - done);
      CHIPSHOCK_CURAND_CHECK(curandGenerateNormal(gen, buf, (n + 1) / 2 * 2, 0.0f, 1.0f));
    }
    CHIPSHOCK_CUDA_CHECK(cudaEventRecord(ev.stop));
    seconds = ev.seconds();
  } catch (...) {
    if (gen) curandDestroyGenerator(gen);
    cudaFree(buf);
    throw;
  }
  curandDestroyGenerator(gen);
  cudaFree(buf);
  return seconds;
}

}  // namespace chipshock::bench
