#include "host/gpu/gpu_backend.hpp"

#include <chrono>
#include <stdexcept>

namespace chipshock {

GpuBackend::GpuBackend(int device, KernelChoice kernel)
    : engine_(std::make_unique<GpuEngine>(device)), kernel_(kernel) {}

ScenarioResult GpuBackend::simulate_scenario(const std::string& name, const SimSpec& spec,
                                             const RunSettings& s, const ProgressFn& progress) {
  if (s.paths == 0) throw std::invalid_argument("no paths to simulate");
  const auto start = std::chrono::steady_clock::now();
  LossAccumulator acc = scenario_accumulator(spec, s);
  engine_->load(spec.model(), spec.book(), kernel_);
  merge_summary(acc, engine_->run(s.seed, 0, s.paths, loss_grid(acc), acc.tail_size(),
                                  s.gpu_batch_paths, progress));
  ScenarioResult r = scenario_result(name, acc, s);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void GpuBackend::simulate_losses(const SimSpec& spec, std::uint64_t seed, std::uint64_t first_path,
                                 std::uint64_t count, double* losses) {
  engine_->load(spec.model(), spec.book(), kernel_);
  engine_->simulate_losses(seed, first_path, count, losses);
}

}  // namespace chipshock
