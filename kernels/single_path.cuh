// The loss of one path for one scalar lane: what one GPU thread computes, and what the CPU's
// scalar reference computes. The diffusion generator is the template parameter: cuRAND's device
// API on the GPU (CurandNormals, gpu_engine.cu), the host mirror of it on the CPU
// (MirrorNormals). The Student-t mixing and the scenario events use the mirror on both sides;
// it is bit-identical to cuRAND's curand4 stream (tests/test_curand_parity.cpp). With --rng sobol
// the diffusion comes from sobol_path_loss below instead (cuRAND's Sobol' generator through a
// Brownian bridge); which one runs is decided where the path function is called: the GPU kernel
// (gpu_engine.cu), the CPU lanes (host/cpu/cpu_backend.cpp) and the scalar reference
// (host/cpu/reference_backend.hpp), each on ModelView::rng.
#pragma once

#include <cstdint>

#include "box_muller.cuh"
#include "importance_sampling.cuh"
#include "path_model.cuh"
#include "philox.cuh"
#include "portability.cuh"
#include "revalue.cuh"
#include "scenario_events.cuh"
#include "sim_view.cuh"
#include "sobol_normals.cuh"
#include "student_t.cuh"

namespace chipshock {

// Path i's diffusion normals from the host mirror: block b holds what curand_normal4 returns on
// its b-th call after curand_init(seed, i, 0).
class MirrorNormals {
 public:
  CHIPSHOCK_HD MirrorNormals(std::uint64_t seed, std::uint64_t path)
      : stream_(seed, path, stream_offset(RngStream::kDiffusion)) {}
  CHIPSHOCK_HD void fill(float* z, int blocks) {
    CHIPSHOCK_UNROLL
    for (int b = 0; b < blocks; ++b) normal4_from_block(stream_.next4(), z + 4 * b);
  }

 private:
  PhiloxBlockStream stream_;
};

// Path i's Student-t scale factors, one per step, from its mixing stream.
class PathMixing {
 public:
  CHIPSHOCK_HD PathMixing(float dof, std::uint64_t seed, std::uint64_t path)
      : stream_(seed, path, stream_offset(RngStream::kMixing)), dof_(dof) {}
  CHIPSHOCK_HD float scale() { return student_t_scale(stream_, dof_); }

 private:
  PhiloxBlockStream stream_;
  float dof_;
};

// PathMixing under the chi-square twist of importance sampling, with its log-likelihood ratio.
class TwistedMixing {
 public:
  CHIPSHOCK_HD TwistedMixing(float dof, float lambda, bool apply, std::uint64_t seed,
                             std::uint64_t path)
      : inner_(dof, seed, path), dof_(dof), lambda_(lambda), apply_(apply) {}
  CHIPSHOCK_HD float scale() {
    return twisted_scale(inner_.scale(), dof_, lambda_, apply_, log_pq_);
  }
  CHIPSHOCK_HD double log_pq() const { return log_pq_; }  // the mixing's part of log p/q

 private:
  PathMixing inner_;
  float dof_, lambda_;
  bool apply_;
  double log_pq_ = 0.0;
};

// A ModelView whose asset count is a compile-time constant (a multiple of 4, so that the
// number of Philox blocks per step is too). The GPU pads a model to the next multiple of 4
// (see packed_spec.cuh), which changes no real asset's arithmetic.
template <int kAssets>
struct FixedSizeModel : ModelView {
  static_assert(kAssets > 0 && kAssets % 4 == 0, "a whole number of Philox blocks");
  static constexpr int n_assets = kAssets;  // hides ModelView::n_assets
  static constexpr int n_blocks = kAssets / 4;
  CHIPSHOCK_HD explicit FixedSizeModel(const ModelView& m) : ModelView(m) {}
  CHIPSHOCK_HD const float* segment_chol(int s) const { return vol_chol + s * kAssets * kAssets; }
  CHIPSHOCK_HD const float* segment_drift(int s) const { return drift_dt + s * kAssets; }
};

// Per-asset log-returns of path `path` over the horizon into x; z and eps are scratch of
// 4 * m.n_blocks and m.n_assets floats.
// With antithetic variates the odd path of a pair reads its partner's normals, negated.
template <class Normals>
class PairedNormals {
 public:
  CHIPSHOCK_HD PairedNormals(std::uint64_t seed, std::uint64_t path, int antithetic)
      : inner_(seed, antithetic_source(path, antithetic)),
        sign_(antithetic_sign(path, antithetic)) {}
  CHIPSHOCK_HD void fill(float* z, int blocks) {
    inner_.fill(z, blocks);
    if (sign_ < 0.0f) {
      CHIPSHOCK_UNROLL
      for (int i = 0; i < 4 * blocks; ++i) z[i] = -z[i];
    }
  }

 private:
  Normals inner_;
  float sign_;
};

template <class Normals, class Model>
CHIPSHOCK_HD inline void single_path_log_returns(const Model& m, std::uint64_t seed,
                                                 std::uint64_t path, float* x, float* z,
                                                 float* eps) {
  PairedNormals<Normals> normals(seed, path, m.antithetic);
  PathMixing mixing(m.dof, seed, antithetic_source(path, m.antithetic));
  const PathEvents events(m, seed, path);
  simulate_log_returns<float>(m, normals, mixing, events, x, z, eps);
}

// Path `path`'s log-returns with the normals of `inner` under the model's importance-sampling
// measure (m.is_shift set); returns the path's log-likelihood ratio under the defensive mixture.
template <class Inner, class Model>
CHIPSHOCK_HD inline double shifted_log_returns(const Model& m, Inner& inner, std::uint64_t seed,
                                               std::uint64_t path, float* x, float* z,
                                               float* eps) {
  const bool shifted = shifted_path(m, seed, path);
  ShiftedNormals<float, Inner> normals(inner, m.is_shift, m.n_assets, shifted ? 1.0f : 0.0f);
  TwistedMixing mixing(m.dof, m.is_chi2_scale, shifted, seed,
                       antithetic_source(path, m.antithetic));
  const PathEvents events(m, seed, path);
  simulate_log_returns<float>(m, normals, mixing, events, x, z, eps);
  return mixture_log_weight(m.is_half_norm2 - static_cast<double>(normals.shift_dot()) +
                            mixing.log_pq());
}

// The same under the model's importance-sampling measure (m.is_shift set; plain otherwise):
// returns the path's log-likelihood ratio under the defensive mixture
// (kernels/importance_sampling.cuh). Host backends only.
template <class Normals, class Model>
CHIPSHOCK_HD inline double single_path_log_returns_weighted(const Model& m, std::uint64_t seed,
                                                            std::uint64_t path, float* x,
                                                            float* z, float* eps) {
  if (m.is_shift == nullptr) {
    single_path_log_returns<Normals>(m, seed, path, x, z, eps);
    return 0.0;
  }
  PairedNormals<Normals> paired(seed, path, m.antithetic);
  return shifted_log_returns(m, paired, seed, path, x, z, eps);
}

// The book's loss from a path's log-returns at the horizon; spot is scratch of m.n_assets
// doubles. Revaluation reads assets through the book's held list (a run-time index). Reading
// the log-returns from a widened copy, not from x, keeps x in registers on the GPU when
// m.n_assets is a compile-time constant; float -> double is exact, so the loss is unchanged.
template <class Model>
CHIPSHOCK_HD inline double horizon_loss(const Model& m, const BookView& b, const float* x,
                                        double* spot) {
  CHIPSHOCK_UNROLL
  for (int i = 0; i < m.n_assets; ++i) spot[i] = static_cast<double>(x[i]);
  return path_loss(b, [spot](int i) { return spot[i]; }, spot);
}

// The loss of path `path` (value today minus value at the horizon); spot is scratch of
// m.n_assets doubles.
template <class Normals, class Model>
CHIPSHOCK_HD inline double single_path_loss(const Model& m, const BookView& b,
                                            std::uint64_t seed, std::uint64_t path, float* x,
                                            float* z, float* eps, double* spot) {
  single_path_log_returns<Normals>(m, seed, path, x, z, eps);
  return horizon_loss(m, b, x, spot);
}

// The same with quasi-Monte Carlo diffusion normals (m.rng == kSobol, sobol_normals.cuh): path
// `path` is Sobol' point `path`; Source gives the Sobol' words (MirrorSobol on the host,
// cuRAND's device API on the GPU). Student-t mixing and scenario events keep their Philox
// streams. bridge is scratch of sobol_scratch_doubles(m) doubles.
template <class Source, class Model>
CHIPSHOCK_HD inline void sobol_path_log_returns(const Model& m, std::uint64_t seed,
                                                std::uint64_t path, float* x, float* z,
                                                float* eps, double* bridge) {
  SobolNormals<Source> normals(m, seed, path, bridge);
  PathMixing mixing(m.dof, seed, path);
  const PathEvents events(m, seed, path);
  simulate_log_returns<float>(m, normals, mixing, events, x, z, eps);
}

// The same under the model's importance-sampling measure (m.is_shift set; plain otherwise):
// returns the path's log-likelihood ratio (0 for a plain run). Host backends only.
template <class Source, class Model>
CHIPSHOCK_HD inline double sobol_path_log_returns_weighted(const Model& m, std::uint64_t seed,
                                                           std::uint64_t path, float* x, float* z,
                                                           float* eps, double* bridge) {
  if (m.is_shift == nullptr) {
    sobol_path_log_returns<Source>(m, seed, path, x, z, eps, bridge);
    return 0.0;
  }
  SobolNormals<Source> inner(m, seed, path, bridge);
  return shifted_log_returns(m, inner, seed, path, x, z, eps);
}

template <class Source, class Model>
CHIPSHOCK_HD inline double sobol_path_loss(const Model& m, const BookView& b, std::uint64_t seed,
                                           std::uint64_t path, float* x, float* z, float* eps,
                                           double* spot, double* bridge) {
  sobol_path_log_returns<Source>(m, seed, path, x, z, eps, bridge);
  return horizon_loss(m, b, x, spot);
}

}  // namespace chipshock
