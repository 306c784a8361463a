#include "host/cpu/cpu_backend.hpp"

#include <omp.h>

#include <stdexcept>

#include "host/cpu/cpu_kernel.hpp"

namespace chipshock {

CpuBackend::CpuBackend(int threads, CpuIsa isa)
    : threads_(threads > 0 ? threads : omp_get_max_threads()), isa_(resolve_cpu_isa(isa)) {}

void CpuBackend::simulate_losses(const SimSpec& spec, std::uint64_t seed,
                                 std::uint64_t first_path, std::uint64_t count,
                                 double* losses, double* log_weights) const {
  const ModelView m = spec.model();
  if (m.is_shift != nullptr && log_weights == nullptr)
    throw std::invalid_argument("importance sampling: the paths' weights have nowhere to go");
  const cpu_kernel::SimulateFn kernel =
      isa_ == CpuIsa::kAvx512 ? cpu_kernel::simulate_avx512 : cpu_kernel::simulate_avx2;
  kernel(m, spec.book(), seed, first_path, count, losses, log_weights, threads_);
}

}  // namespace chipshock
