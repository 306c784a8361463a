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
  const std::uint64_t bound = s.path_bound();
  // Each stretch between checkpoints is one device run; its tail (with path indices) and
  // moments fold into the host accumulator, which keeps the tail of the whole run.
  const FoldPaths fold = [&](std::uint64_t first, std::uint64_t count) {
    merge_summary(acc, engine_->run(s.seed, first, count, loss_grid(acc), acc.tail_size(),
                                    s.gpu_batch_paths,
                                    [&](std::uint64_t done, std::uint64_t) {
                                      if (progress) progress(first + done, bound);
                                    }));
  };
  ScenarioResult r = run_to_checkpoints(name, acc, s, fold);
  // The tail paths simulated again on the host with the scalar function the kernel runs.
  if (s.components) allocate_scenario_risk(r, spec, s, acc, 0);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void GpuBackend::simulate_losses(const SimSpec& spec, std::uint64_t seed, std::uint64_t first_path,
                                 std::uint64_t count, double* losses) {
  engine_->load(spec.model(), spec.book(), kernel_);
  engine_->simulate_losses(seed, first_path, count, losses);
}

}  // namespace chipshock
