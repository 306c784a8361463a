// One place that decides what __host__ __device__ means, so the per-path math compiles both
// with nvcc (for the GPU kernel) and with a plain C++17 compiler (for the CPU backend).
#pragma once

#if defined(__CUDACC__)
#define CHIPSHOCK_HD __host__ __device__
#define CHIPSHOCK_INLINE __forceinline__
#else
#define CHIPSHOCK_HD
#define CHIPSHOCK_INLINE inline __attribute__((always_inline))
#endif
