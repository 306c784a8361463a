// Scalar reference: one path at a time through the same kernels/ templates with F = float and
// the host mirror of cuRAND's Philox (or, with --rng sobol, of its Sobol' generator), i.e.
// exactly the function one GPU thread runs (kernels/single_path.cuh), bar the device's fast
// sincos. Used to check the SIMD CPU backend lane by lane and, on a GPU machine, the CUDA kernel.
#pragma once

#include <cstdint>
#include <vector>

#include "host/sim_spec.hpp"
#include "kernels/single_path.cuh"

namespace chipshock {

// Per-asset log-returns of one path over the horizon: with --rng sobol the diffusion is the
// spec's quasi-random one (the host mirror of cuRAND's Sobol' generator); under the spec's
// importance-sampling measure when it has one, log_weight, if given, receives the
// path's log-likelihood ratio (0 otherwise).
inline std::vector<float> reference_log_returns(const SimSpec& spec, std::uint64_t seed,
                                                std::uint64_t path, double* log_weight = nullptr) {
  const ModelView m = spec.model();
  std::vector<float> x(m.n_assets), z(4 * m.n_blocks), eps(m.n_assets);
  std::vector<double> bridge(
      m.rng == RngKind::kSobol ? static_cast<std::size_t>(sobol_scratch_doubles(m)) : 0);
  const double lw = m.rng == RngKind::kSobol
                        ? path_log_returns_weighted<SobolDiffusion<MirrorSobol>>(
                              m, seed, path, x.data(), z.data(), eps.data(), bridge.data())
                        : path_log_returns_weighted<PhiloxDiffusion<MirrorNormals>>(
                              m, seed, path, x.data(), z.data(), eps.data(), nullptr);
  if (log_weight != nullptr) *log_weight = lw;
  return x;
}

inline double reference_path_loss(const SimSpec& spec, std::uint64_t seed, std::uint64_t path,
                                  double* log_weight = nullptr) {
  const ModelView m = spec.model();
  const std::vector<float> x = reference_log_returns(spec, seed, path, log_weight);
  std::vector<double> spot(m.n_assets);
  return horizon_loss(m, spec.book(), x.data(), spot.data());
}

}  // namespace chipshock
