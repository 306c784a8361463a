// The GPU backend: the same role as CpuBackend, but the losses of a scenario are reduced on the
// device (moments and the loss tail), so only those cross to the host. Exists only in CUDA
// builds (CHIPSHOCK_HAVE_CUDA); kernels/gpu_engine.hpp is the device side.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "host/risk_engine.hpp"
#include "host/sim_spec.hpp"
#include "kernels/gpu_engine.hpp"

namespace chipshock {

class GpuBackend {
 public:
  // Throws CudaError (std::runtime_error) when the device cannot be used.
  explicit GpuBackend(int device = 0, KernelChoice kernel = KernelChoice::kAuto);

  const GpuDeviceInfo& device() const { return engine_->device(); }
  std::string name() const { return device().name; }
  GpuEngine& engine() { return *engine_; }

  // One scenario, with the statistics of simulate_scenario(CpuBackend) on the same paths.
  ScenarioResult simulate_scenario(const std::string& name, const SimSpec& spec,
                                   const RunSettings& settings, const ProgressFn& progress = {});

  // Folds paths [from, range.last) into acc (no histogram: the device bins nothing), in one
  // device run, or, when batch_done is given (checkpoints), one run per batch of
  // settings.gpu_batch_paths (2^26 when 0) with batch_done after each. See accumulate_range.
  void accumulate_range(const SimSpec& spec, const RunSettings& settings, PathRange range,
                        std::uint64_t from, LossAccumulator& acc, const ProgressFn& progress = {},
                        const BatchDoneFn& batch_done = {});

  // losses[k] = loss of path first_path + k (tests and parity checks).
  void simulate_losses(const SimSpec& spec, std::uint64_t seed, std::uint64_t first_path,
                       std::uint64_t count, double* losses);

 private:
  std::unique_ptr<GpuEngine> engine_;
  KernelChoice kernel_;
};

}  // namespace chipshock
