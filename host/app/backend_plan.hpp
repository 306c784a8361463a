// --backend auto|cpu|gpu|both: which backends a run uses, why, and the per-scenario dispatch.
// auto runs on the GPU when one is usable for the job, else on the CPU with a one-line notice;
// gpu and both throw GpuUnavailable (exit code 3) when it is not; both runs every scenario on
// the GPU and on the CPU, reports the GPU's numbers and keeps the comparison.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "host/app/run_choices.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/risk_engine.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

struct GpuCheck {
  bool usable = false;
  std::string reason;  // why not, when not usable
  std::string name;    // the device, when usable
};

// Whether this build and machine can run a job of this size on GPU `device`. Never throws.
GpuCheck check_gpu(int n_assets, const RunSettings& settings, int device = 0);

// The GPU an MPI rank takes: its rank on the node modulo the node's device count (0 without
// CUDA or devices).
int gpu_for_local_rank(int local_rank);

class BackendPlan {
 public:
  // Throws GpuUnavailable when gpu or both is asked for and no GPU is usable. cpu_isa: the
  // CPU kernel (kAuto: the best this CPU runs; std::invalid_argument if it cannot run the one
  // asked for).
  BackendPlan(BackendChoice requested, int threads, int n_assets, const RunSettings& settings,
              int gpu_device = 0, CpuIsa cpu_isa = CpuIsa::kAuto);
  ~BackendPlan();
  BackendPlan(const BackendPlan&) = delete;
  BackendPlan& operator=(const BackendPlan&) = delete;

  const std::string& label() const { return label_; }    // cpu, gpu or both
  bool both() const { return label_ == "both"; }        // GPU and CPU, compared
  bool on_gpu() const { return label_ != "cpu"; }       // the paths run on a GPU
  const std::string& notice() const { return notice_; }  // auto on the CPU: why (one line)
  int threads() const { return cpu_.threads(); }
  const std::string& gpu_name() const { return gpu_name_; }
  // For work kept on the CPU (the importance-sampling pilot, run-time estimates).
  const CpuBackend& cpu() const { return cpu_; }
  // The daily values (the fan chart, --stop-loss's path risk) on the planned backend: the GPU's
  // (the first of --backend both) or the CPU's.
  const DayValueSimulator& day_values() const;
  // The components' tail paths simulated on the planned backend (a hierarchy's parents: the
  // GPU's device, the first of --backend both, or the CPU's SIMD kernel).
  std::unique_ptr<TailLineSimulator> tail_lines();

  ScenarioResult simulate(const std::string& name, const SimSpec& spec,
                          const RunSettings& settings, const ProgressFn& progress = {});
  // The scenario's paths on the planned backend, for advance_scenario (MPI ranks and
  // checkpoints); batched: GPU runs cut into batches so that checkpoints are saved between
  // them. --backend both: the GPU's (a book hierarchy's run, which the caller then compares
  // with the CPU's: add_comparison). Valid while spec and settings are.
  // observer: paths the backend simulates with more output (PathObserver).
  std::unique_ptr<PathSource> path_source(const SimSpec& spec, const RunSettings& settings,
                                          bool batched, PathObserver* observer = nullptr);
  const std::vector<BackendComparison>& comparisons() const { return comparisons_; }
  // One more row of the comparison (a book hierarchy's runs, compared by their caller).
  void add_comparison(BackendComparison c) { comparisons_.push_back(std::move(c)); }

 private:
  struct Gpu;  // the GPU backend, in CUDA builds
  std::string label_, notice_, gpu_name_;
  CpuBackend cpu_;
  std::unique_ptr<Gpu> gpu_;
  std::vector<BackendComparison> comparisons_;
};

}  // namespace chipshock
