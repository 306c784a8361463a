#include "host/app/backend_plan.hpp"

#include <exception>
#include <stdexcept>

#include "host/app/run_options.hpp"
#include "host/component_risk.hpp"
#include "host/stats/risk_measures.hpp"

#if CHIPSHOCK_HAVE_CUDA
#include "host/gpu/gpu_backend.hpp"
#include "kernels/gpu_engine.hpp"
#include "kernels/batch_plan.cuh"
#endif

namespace chipshock {

#if CHIPSHOCK_HAVE_CUDA

struct BackendPlan::Gpu {
  GpuBackend backend;
};

int gpu_for_local_rank(int local_rank) {
  const int count = cuda_device_count();
  return count > 0 ? local_rank % count : 0;
}

GpuCheck check_gpu(int n_assets, const RunSettings& s, int device) {
  GpuCheck c;
  if (n_assets > kMaxGpuAssets) {
    c.reason = "the market has " + std::to_string(n_assets) + " assets; the GPU backend handles " +
               "at most " + std::to_string(kMaxGpuAssets);
    return c;
  }
  const GpuDeviceInfo info = probe_gpu(device);
  if (!info.usable) {
    c.reason = info.reason;
    return c;
  }
  const std::uint64_t need =
      device_bytes_needed(s.path_bound(), tail_size_needed(s.path_bound(), s.tail_levels()));
  const std::uint64_t budget = info.free_bytes / 4 * 3;
  if (need > budget) {
    c.reason = "the loss tail of " + std::to_string(s.paths) + " paths needs " +
               std::to_string(need >> 20) + " MiB of GPU memory; " + info.name + " has " +
               std::to_string(budget >> 20) + " MiB to spare";
    return c;
  }
  c.usable = true;
  c.name = info.name;
  return c;
}

#else

struct BackendPlan::Gpu {};

int gpu_for_local_rank(int) { return 0; }

GpuCheck check_gpu(int, const RunSettings&, int) {
  GpuCheck c;
  c.reason = "this build has no GPU backend (built without CUDA)";
  return c;
}

#endif

BackendPlan::BackendPlan(BackendChoice requested, int threads, int n_assets,
                         const RunSettings& settings, int gpu_device, CpuIsa cpu_isa)
    : cpu_(threads, cpu_isa) {
  label_ = requested == BackendChoice::kAuto ? "cpu" : backend_choice_name(requested);
  if (requested == BackendChoice::kCpu) return;
  GpuCheck check = check_gpu(n_assets, settings, gpu_device);
#if CHIPSHOCK_HAVE_CUDA
  if (check.usable) {
    try {
      gpu_ = std::make_unique<Gpu>(
          Gpu{GpuBackend(gpu_device, KernelChoice::kAuto)});
    } catch (const std::exception& e) {
      check.usable = false;
      check.reason = e.what();
    }
  }
#endif
  if (!check.usable) {
    if (requested != BackendChoice::kAuto)
      throw GpuUnavailable(std::string("--backend ") + backend_choice_name(requested) +
                           ": no usable GPU: " + check.reason);
    notice_ = "chipshock: no usable GPU (" + check.reason + "); running on the CPU";
    return;
  }
  gpu_name_ = check.name;
  if (requested == BackendChoice::kAuto) label_ = "gpu";
}

BackendPlan::~BackendPlan() = default;

const DayValueSimulator& BackendPlan::day_values() const {
#if CHIPSHOCK_HAVE_CUDA
  if (gpu_) return gpu_->backend;
#endif
  return cpu_;
}

std::unique_ptr<TailLineSimulator> BackendPlan::tail_lines() {
#if CHIPSHOCK_HAVE_CUDA
  if (gpu_) return gpu_->backend.tail_lines();
#endif
  return std::make_unique<CpuTailLines>(cpu_);
}

ScenarioResult BackendPlan::simulate(const std::string& name, const SimSpec& spec,
                                     const RunSettings& settings, const ProgressFn& progress) {
#if CHIPSHOCK_HAVE_CUDA
  if (gpu_) {
    ScenarioResult g = gpu_->backend.simulate_scenario(name, spec, settings, progress);
    if (label_ == "both")
      comparisons_.push_back(
          {name, g, simulate_scenario(name, spec, cpu_, settings, progress), ""});
    return g;
  }
#endif
  return simulate_scenario(name, spec, cpu_, settings, progress);
}

std::unique_ptr<PathSource> BackendPlan::path_source(const SimSpec& spec,
                                                     const RunSettings& settings, bool batched,
                                                     PathObserver* observer) {
#if CHIPSHOCK_HAVE_CUDA
  if (gpu_) return gpu_->backend.path_source(spec, settings, batched, observer);
#endif
  (void)batched;  // the CPU's batches are settings.batch_paths either way
  return cpu_path_source(spec, cpu_, settings, observer);
}

}  // namespace chipshock
