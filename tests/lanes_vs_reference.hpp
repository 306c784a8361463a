// The CPU's lanes against the scalar reference, path by path: the largest gap between the
// losses CpuBackend::simulate_losses gives and reference_path_loss's for paths 0 .. n - 1.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/reference_backend.hpp"

namespace chipshock::testing {

inline double lanes_worst_gap(const SimSpec& spec, std::uint64_t seed, std::uint64_t n) {
  std::vector<double> lanes(n);
  CpuBackend(2).simulate_losses(spec, seed, 0, n, lanes.data());
  double worst = 0;
  for (std::uint64_t k = 0; k < n; ++k)
    worst = std::max(worst, std::fabs(lanes[k] - reference_path_loss(spec, seed, k)));
  return worst;
}

}  // namespace chipshock::testing
