// The CPU backend: OpenMP threads over groups of eight consecutive paths, each group one AVX2
// register wide, running the shared per-path templates of kernels/. Always built; the reference
// the GPU backend is compared against.
#pragma once

#include <cstdint>

#include "host/sim_spec.hpp"

namespace chipshock {

class CpuBackend {
 public:
  // threads <= 0: all cores (OpenMP's default).
  explicit CpuBackend(int threads = 0);

  int threads() const { return threads_; }

  // losses[k] = loss of path first_path + k, for k < count. Each loss is a pure function of
  // (spec, seed, path index): the result does not depend on threads or on how a run is split.
  // Under importance sampling (spec.importance_sampling()) log_weights[k] receives path
  // first_path + k's log-likelihood ratio and must not be null; otherwise it is not written.
  void simulate_losses(const SimSpec& spec, std::uint64_t seed, std::uint64_t first_path,
                       std::uint64_t count, double* losses, double* log_weights = nullptr) const;

 private:
  int threads_;
};

}  // namespace chipshock
