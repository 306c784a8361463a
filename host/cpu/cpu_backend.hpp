// The CPU backend: OpenMP threads over groups of consecutive paths, each group one SIMD register
// wide, running the shared per-path templates of kernels/. The kernel is chosen at run time
// (host/cpu/cpu_isa.hpp): AVX-512 where the CPU has it, else AVX2; both give the same losses bit
// for bit. Always built; the reference the GPU backend is compared against.
#pragma once

#include <cstdint>
#include <vector>

#include "host/cpu/cpu_isa.hpp"
#include "host/day_values.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

class CpuBackend final : public DayValueSimulator {
 public:
  // threads <= 0: all cores (OpenMP's default). isa: the kernel (kAuto: the best this CPU
  // runs); throws std::invalid_argument if the CPU cannot run the one asked for.
  explicit CpuBackend(int threads = 0, CpuIsa isa = CpuIsa::kAuto);

  int threads() const { return threads_; }
  CpuIsa isa() const { return isa_; }

  // losses[k] = loss of path first_path + k, for k < count. Each loss is a pure function of
  // (spec, seed, path index): the result does not depend on threads, on the kernel's
  // instruction set or on how a run is split.
  // Under importance sampling (spec.importance_sampling()) log_weights[k] receives path
  // first_path + k's log-likelihood ratio and must not be null; otherwise it is not written.
  void simulate_losses(const SimSpec& spec, std::uint64_t seed, std::uint64_t first_path,
                       std::uint64_t count, double* losses, double* log_weights = nullptr) const;

  // DayValueSimulator's, on the SIMD kernel (host/cpu/cpu_kernel.hpp's SimulateDaysFn and
  // SimulatePathRiskFn): bit for bit the losses simulate_losses gives for the runs cut at each
  // day. Cost: one run of spec, plus a revaluation per path and chosen day.
  void simulate_days(const SimSpec& spec, const std::vector<const SimSpec*>& day_specs,
                     std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                     double* losses) const override;
  void simulate_path_risk(const SimSpec& spec, const std::vector<const SimSpec*>& day_specs,
                          double stop_loss, std::uint64_t seed, std::uint64_t first_path,
                          std::uint64_t count, double* losses, double* drawdowns,
                          std::int32_t* first_breach) const override;

  // Several books on the same paths, simulated once (run --portfolio with books): paths
  // [first_path, first_path + count) under spec's model, and losses[k * count + j] the loss of
  // books[k]'s book on path first_path + j, bit for bit what simulate_losses(*books[k], ...)
  // gives: every book spec must have spec's model (the same market, settings and scenario, and
  // under importance sampling the same measure, whose log-likelihood ratios go to
  // log_weights[j]). Cost: one simulation, plus a revaluation per book and path.
  void simulate_books(const SimSpec& spec, const std::vector<const SimSpec*>& books,
                      std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                      double* losses, double* log_weights = nullptr) const;

  // Each portfolio line's loss on chosen paths (the tail paths, for component VaR/ES): for
  // k < paths.size(), line_losses[k * spec.positions().size() + j] is line j's loss on path
  // paths[k] (any order), under the spec's measure (importance sampling included), and
  // losses[k] that path's loss, bit for bit what simulate_losses gives for it. Each vector is
  // resized to fit.
  void simulate_lines(const SimSpec& spec, std::uint64_t seed,
                      const std::vector<std::uint64_t>& paths, std::vector<double>& line_losses,
                      std::vector<double>& losses) const;

 private:
  int threads_;
  CpuIsa isa_;
};

}  // namespace chipshock
