// The GPU backend: the same role as CpuBackend, but a scenario's losses are reduced on the device
// (moments, histogram counts and the loss tail, kept there for the whole scenario), and its
// components' tail paths are simulated and summed there, so only O(k) numbers cross to the host
// (host/gpu/device_path_source.hpp). Exists only in CUDA
// builds (CHIPSHOCK_HAVE_CUDA); kernels/gpu_engine.hpp is the device side.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/cpu/cpu_backend.hpp"
#include "host/day_values.hpp"
#include "host/risk_engine.hpp"
#include "host/sim_spec.hpp"
#include "kernels/gpu_engine.hpp"

namespace chipshock {

class GpuBackend final : public DayValueSimulator {
 public:
  // Throws CudaError (std::runtime_error) when the device cannot be used.
  explicit GpuBackend(int device = 0, KernelChoice kernel = KernelChoice::kAuto);

  const GpuDeviceInfo& device() const { return engine_->device(); }
  std::string name() const { return device().name; }
  GpuEngine& engine() { return *engine_; }

  // One scenario, with the statistics of simulate_scenario(CpuBackend) on the same paths.
  ScenarioResult simulate_scenario(const std::string& name, const SimSpec& spec,
                                   const RunSettings& settings, const ProgressFn& progress = {});

  // The scenario's paths on this GPU for advance_scenario (MPI ranks, checkpoints). batched:
  // one device run per settings.gpu_batch_paths paths (2^26 when 0), so that a checkpoint is
  // saved between them; otherwise one run per stretch between stops.
  // observer: a book hierarchy's BooksTap, whose books each device run revalues on its paths
  // in the same pass (PathObserver::device_books and folded_books).
  std::unique_ptr<PathSource> path_source(const SimSpec& spec, const RunSettings& settings,
                                          bool batched, PathObserver* observer = nullptr);

  // The components' tail paths simulated and summed on this GPU (any spec: each call loads it).
  std::unique_ptr<TailLineSimulator> tail_lines();

  // Each book's loss at the horizon on spec's paths: book n's on path first_path + k into
  // losses[n * count + k] (the books of a hierarchy: spec's model, spots and steps).
  void simulate_books(const SimSpec& spec, const std::vector<const SimSpec*>& books,
                      std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                      double* losses);

  // DayValueSimulator's on the device (kernels/day_values.cuh's observers in the generic
  // layout): the numbers of the CPU's to float rounding.
  void simulate_days(const SimSpec& spec, const std::vector<const SimSpec*>& day_specs,
                     std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                     double* losses) const override;
  void simulate_path_risk(const SimSpec& spec, const std::vector<const SimSpec*>& day_specs,
                          double stop_loss, std::uint64_t seed, std::uint64_t first_path,
                          std::uint64_t count, double* losses, double* drawdowns,
                          std::int32_t* first_breach) const override;

  // losses[k] = loss of path first_path + k (tests and parity checks).
  void simulate_losses(const SimSpec& spec, std::uint64_t seed, std::uint64_t first_path,
                       std::uint64_t count, double* losses);

 private:
  std::unique_ptr<GpuEngine> engine_;
  KernelChoice kernel_;
};

}  // namespace chipshock
