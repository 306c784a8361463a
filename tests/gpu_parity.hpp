// GPU losses against the CPU's, path by path: the parity check of the GPU tests and of
// bench/gpu_parity (scripts/gpu_check.sh). Needs a usable GPU.
//
// Relative difference of a path: |gpu - cpu| / max(|cpu|, 1% of the book's gross exposure).
// The floor keeps the measure meaningful for losses near zero; the GPU's normals differ from
// the host's by the device's fast sincos (~1e-6 absolute), so losses differ by float rounding.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/gpu/gpu_backend.hpp"
#include "host/sim_spec.hpp"

namespace chipshock::testing {

struct ParityResult {
  std::uint64_t paths = 0;
  double max_rel_diff = 0;           // GPU vs the scalar reference (the same function, libm)
  double max_rel_diff_simd = 0;      // GPU vs the SIMD CPU backend
  double max_abs_diff_over_gross = 0;
  std::uint64_t worst_path = 0;
  double worst_gpu = 0, worst_cpu = 0;
};

inline double path_rel_diff(double gpu, double cpu, double gross) {
  return std::fabs(gpu - cpu) / std::max(std::fabs(cpu), 0.01 * gross);
}

inline ParityResult gpu_cpu_parity(GpuBackend& gpu, const SimSpec& spec, std::uint64_t seed,
                                   std::uint64_t paths) {
  std::vector<double> g(paths), simd(paths), ref(paths);
  gpu.simulate_losses(spec, seed, 0, paths, g.data());
  CpuBackend(0).simulate_losses(spec, seed, 0, paths, simd.data());
#pragma omp parallel for schedule(dynamic, 256)
  for (std::int64_t p = 0; p < static_cast<std::int64_t>(paths); ++p)
    ref[static_cast<std::size_t>(p)] = reference_path_loss(spec, seed, static_cast<std::uint64_t>(p));
  const double gross = spec.gross_exposure();
  ParityResult r;
  r.paths = paths;
  for (std::uint64_t p = 0; p < paths; ++p) {
    const double d = path_rel_diff(g[p], ref[p], gross);
    if (!(d <= r.max_rel_diff)) {  // NaN counts as worst
      r.max_rel_diff = std::isnan(d) ? HUGE_VAL : d;
      r.worst_path = p;
      r.worst_gpu = g[p];
      r.worst_cpu = ref[p];
    }
    r.max_rel_diff_simd = std::max(r.max_rel_diff_simd, path_rel_diff(g[p], simd[p], gross));
    r.max_abs_diff_over_gross = std::max(r.max_abs_diff_over_gross, std::fabs(g[p] - ref[p]) / gross);
  }
  return r;
}

}  // namespace chipshock::testing
