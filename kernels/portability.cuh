// One place that decides what __host__ __device__ means, so the per-path math compiles both
// with nvcc (for the GPU kernel) and with a plain C++17 compiler (for the CPU backend).
#pragma once

#if defined(__CUDACC__)
#define CHIPSHOCK_HD __host__ __device__
#define CHIPSHOCK_INLINE __forceinline__
#else
// The CPU backend compiles this code once per instruction set (host/cpu/cpu_kernel_*.cpp, each
// defining CHIPSHOCK_ISA_TAG): an ABI tag gives each build's out-of-line copies names of their
// own, so that the linker never lets an AVX-512 copy stand in for the copy that the rest of the
// program calls on a CPU without AVX-512.
#if defined(CHIPSHOCK_ISA_TAG)
#define CHIPSHOCK_HD __attribute__((abi_tag(CHIPSHOCK_ISA_TAG)))
#else
#define CHIPSHOCK_HD
#endif
#define CHIPSHOCK_INLINE inline __attribute__((always_inline))
#endif

// For the asset loops, whose trip counts are compile-time constants in the GPU's fixed-size
// kernels: unrolled fully there, so that a path's arrays (x, z, eps) live in registers. Without
// it nvcc kept the triangular loop of correlate() rolled and the arrays in local memory, and the
// kernel was bound by local loads and stores (Nsight Compute: 5 of 10 cycles per instruction
// waiting on them). nvcc leaves a loop with a run-time count as it is; host compilers see nothing.
#if defined(__CUDA_ARCH__)
#define CHIPSHOCK_UNROLL _Pragma("unroll")
#else
#define CHIPSHOCK_UNROLL
#endif
