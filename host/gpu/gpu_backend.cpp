#include "host/gpu/gpu_backend.hpp"

#include <algorithm>
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

void GpuBackend::accumulate_range(const SimSpec& spec, const RunSettings& s, PathRange range,
                                  std::uint64_t from, LossAccumulator& acc,
                                  const ProgressFn& progress, const BatchDoneFn& batch_done) {
  if (range.first > range.last || range.last > s.paths || from < range.first || from > range.last)
    throw std::invalid_argument("path range outside the run");
  engine_->load(spec.model(), spec.book(), kernel_);
  const std::uint64_t left = range.last - from;
  const std::uint64_t chunk =
      !batch_done ? left : (s.gpu_batch_paths > 0 ? s.gpu_batch_paths : std::uint64_t{1} << 26);
  for (std::uint64_t first = from; first < range.last; first += chunk) {
    const std::uint64_t count = std::min(chunk, range.last - first);
    const auto on_progress = [&](std::uint64_t done, std::uint64_t) {
      if (progress) progress(first - range.first + done, range.size());
    };
    merge_summary(acc, engine_->run(s.seed, first, count, loss_grid(acc), acc.tail_size(),
                                    s.gpu_batch_paths, on_progress));
    if (batch_done) batch_done(acc, first + count);
  }
}

void GpuBackend::simulate_losses(const SimSpec& spec, std::uint64_t seed, std::uint64_t first_path,
                                 std::uint64_t count, double* losses) {
  engine_->load(spec.model(), spec.book(), kernel_);
  engine_->simulate_losses(seed, first_path, count, losses);
}

}  // namespace chipshock
