// The loss of one path for one scalar lane: what one GPU thread computes, and what the CPU's
// scalar reference computes, as one composition of diffusion generator x measure x model x book
// (path_log_returns, path_log_returns_weighted, horizon_loss, path_loss_of below). The diffusion
// is a template parameter: Philox normals (cuRAND's device API on the GPU, CurandNormals in
// gpu_engine.cu; the host mirror of it on the CPU, MirrorNormals) or Sobol' points through a
// Brownian bridge (CurandSobol, MirrorSobol). The Student-t mixing and the scenario events use
// the mirror on both sides; it is bit-identical to cuRAND's curand4 stream
// (tests/test_curand_parity.cpp).
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

// The diffusion generators of the one path function below. Each makes path `path`'s normals
// (the Normals concept of path_model.cuh); `bridge` is scratch of sobol_scratch_doubles(m)
// doubles for Sobol' and unused otherwise.
// Philox: Normals is cuRAND's device API on the GPU (CurandNormals, gpu_engine.cu) or its host
// mirror (MirrorNormals), antithetic pairs included.
template <class Normals>
struct PhiloxDiffusion {
  template <class Model>
  CHIPSHOCK_HD CHIPSHOCK_INLINE static PairedNormals<Normals> make(const Model& m,
                                                                   std::uint64_t seed,
                                                                   std::uint64_t path, double*) {
    return PairedNormals<Normals>(seed, path, m.antithetic);
  }
  // The path whose mixing stream path `path` reads (an antithetic pair shares it).
  template <class Model>
  CHIPSHOCK_HD static std::uint64_t mixing_path(const Model& m, std::uint64_t path) {
    return antithetic_source(path, m.antithetic);
  }
};
// Sobol' (m.rng == kSobol, sobol_normals.cuh): path `path` is Sobol' point `path`; Source gives
// the words (MirrorSobol on the host, cuRAND's device API on the GPU). Never antithetic.
template <class Source>
struct SobolDiffusion {
  template <class Model>
  CHIPSHOCK_HD CHIPSHOCK_INLINE static SobolNormals<Source> make(const Model& m, std::uint64_t seed,
                                                                 std::uint64_t path,
                                                                 double* bridge) {
    return SobolNormals<Source>(m, seed, path, bridge);
  }
  template <class Model>
  CHIPSHOCK_HD static std::uint64_t mixing_path(const Model&, std::uint64_t path) {
    return path;
  }
};

// The path function: path `path`'s per-asset log-returns over the horizon into x, under the
// model's own measure, with the diffusion of `Diffusion` (PhiloxDiffusion or SobolDiffusion);
// the Student-t mixing and the scenario events draw from their own Philox streams whatever the
// diffusion. z and eps are scratch of 4 * m.n_blocks and m.n_assets floats. Which diffusion
// runs is decided where it is called, on ModelView::rng: the GPU kernel (gpu_engine.cu), the CPU
// lanes (host/cpu/cpu_kernel_impl.hpp, the same composition a register of paths at a time) and
// the scalar reference (host/cpu/reference_backend.hpp).
// day_end: an observer of the log-returns at the end of each day (day_values.cuh; none by
// default).
template <class Diffusion, class Model, class DayEnd = NoDayEnd>
CHIPSHOCK_HD inline void path_log_returns(const Model& m, std::uint64_t seed, std::uint64_t path,
                                          float* x, float* z, float* eps, double* bridge,
                                          DayEnd day_end = DayEnd{}) {
  auto normals = Diffusion::make(m, seed, path, bridge);
  PathMixing mixing(m.dof, seed, Diffusion::mixing_path(m, path));
  const PathEvents events(m, seed, path);
  simulate_log_returns<float>(m, normals, mixing, events, x, z, eps, day_end);
}

// The same under the model's importance-sampling measure when m.is_shift is set (the normals
// shifted for the paths drawn shifted, the mixing twisted): returns the path's log-likelihood
// ratio under the defensive mixture (kernels/importance_sampling.cuh), 0 when m.is_shift is
// null. Every backend: the CPU's lanes, the scalar reference, and the GPU's weighted and line
// kernels (gpu_engine.cu; its fast loss kernels call path_log_returns, so none of this is in
// them).
// day_end: as for path_log_returns.
template <class Diffusion, class Model, class DayEnd = NoDayEnd>
CHIPSHOCK_HD inline double path_log_returns_weighted(const Model& m, std::uint64_t seed,
                                                     std::uint64_t path, float* x, float* z,
                                                     float* eps, double* bridge,
                                                     DayEnd day_end = DayEnd{}) {
  if (m.is_shift == nullptr) {
    path_log_returns<Diffusion>(m, seed, path, x, z, eps, bridge, day_end);
    return 0.0;
  }
  auto inner = Diffusion::make(m, seed, path, bridge);
  const bool shifted = shifted_path(m, seed, path);
  ShiftedNormals<float, decltype(inner)> normals(inner, m.is_shift, m.n_assets,
                                                 shifted ? 1.0f : 0.0f);
  TwistedMixing mixing(m.dof, m.is_chi2_scale, shifted, seed, Diffusion::mixing_path(m, path));
  const PathEvents events(m, seed, path);
  simulate_log_returns<float>(m, normals, mixing, events, x, z, eps, day_end);
  return mixture_log_weight(m.is_half_norm2 - static_cast<double>(normals.shift_dot()) +
                            mixing.log_pq());
}

// The book's loss from a path's log-returns at the horizon and its settlements (expiry.cuh;
// null for a book with no option expiring inside the horizon); spot is scratch of m.n_assets
// doubles. Revaluation reads assets through the book's held list (a run-time index). Reading
// the log-returns from a widened copy, not from x, keeps x in registers on the GPU when
// m.n_assets is a compile-time constant; float -> double is exact, so the loss is unchanged.
template <class Model>
CHIPSHOCK_HD inline double horizon_loss(const Model& m, const BookView& b, const float* x,
                                        double* spot, const Settlement* settled = nullptr) {
  CHIPSHOCK_UNROLL
  for (int i = 0; i < m.n_assets; ++i) spot[i] = static_cast<double>(x[i]);
  return path_loss(
      b, [spot](int i) { return spot[i]; }, spot, settled);
}

// Path `path`'s loss (value today minus value at the horizon) under the model's own measure:
// path_log_returns, then horizon_loss, for a book with no option expiring inside the horizon.
template <class Diffusion, class Model>
CHIPSHOCK_HD inline double path_loss_of(const Model& m, const BookView& b, std::uint64_t seed,
                                        std::uint64_t path, float* x, float* z, float* eps,
                                        double* spot, double* bridge) {
  path_log_returns<Diffusion>(m, seed, path, x, z, eps, bridge);
  return horizon_loss(m, b, x, spot);
}

// The same for any book: its expiring options settled on the path's days (expiry.cuh) into
// settled, scratch of path_marks(b) Settlements, and its vol factors moved (vol_factors.cuh).
template <class Diffusion, class Model>
CHIPSHOCK_HD inline double settled_path_loss_of(const Model& m, const BookView& b,
                                                std::uint64_t seed, std::uint64_t path, float* x,
                                                float* z, float* eps, double* spot, double* bridge,
                                                Settlement* settled) {
  start_path_marks(b, settled);
  path_log_returns<Diffusion>(m, seed, path, x, z, eps, bridge,
                              PathMarkDays{&b, settled, seed, path, m.antithetic});
  return horizon_loss(m, b, x, spot, settled);
}

}  // namespace chipshock
