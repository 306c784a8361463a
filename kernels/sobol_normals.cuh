// Quasi-Monte Carlo diffusion normals (--rng sobol): path i is point i of cuRAND's scrambled
// Sobol' sequence with the seed's digital shift (sobol.cuh), each coordinate turned into a normal
// by the exact quantile (normal_quantile.cuh), and the normals of a path laid out by a Brownian
// bridge: the first n dimensions (n assets) build each asset's terminal value W(T), the next n
// the midpoint, and so on (host/qmc/bridge_plan.hpp). The low dimensions, where Sobol' points
// are most even, then decide the largest moves of the paths; the step increments W(s+1) - W(s)
// (unit variance) are what the model correlates, as Philox's normals.
//
// A path walks its bridge step by step and holds only the bridge values ahead of the current
// step that later steps still need (at most bridge_depth of them, about log2 of the steps), so
// its memory does not grow with the horizon. The walk is the same for every path; the plan
// puts each point's construction at the step that first needs it.
//
// The generator of the Sobol' words is a template parameter, as the Philox normals are: the
// host mirror (MirrorSobol) on the CPU, cuRAND's device API (curand_init with the dimension's
// direction vectors and scramble constant, at offset i, then curand) on the GPU
// (gpu_engine.cu). Both give the same words; the rest is shared code in double.
#pragma once

#include <cmath>
#include <cstdint>

#include "normal_quantile.cuh"
#include "portability.cuh"
#include "sim_view.cuh"
#include "sobol.cuh"

namespace chipshock {

// The most bridge slots (values held ahead plus W at the previous step) a plan of at most
// kMaxSobolDimensions steps needs: 16, first at 16,384 steps (tests/test_qmc.cpp; SimSpec checks
// every plan against it).
constexpr int kMaxBridgeSlots = 16;

// Doubles of scratch one path's bridge needs (times the lanes for a group of paths).
CHIPSHOCK_HD CHIPSHOCK_INLINE int sobol_scratch_doubles(const ModelView& m) {
  return (m.bridge_depth + 1) * m.qmc_assets;
}

// The Brownian-bridge walk of kLanes paths in lockstep (they share the plan). Scratch:
// sobol_scratch_doubles(m) * kLanes doubles, asset a, lane l at [slot][a][l].
template <int kLanes>
class BridgeWalk {
 public:
  CHIPSHOCK_HD BridgeWalk(const ModelView& m, double* scratch)
      : n_(m.qmc_assets),
        first_op_(m.bridge_first_op),
        ops_(m.bridge_ops),
        prev_(scratch),
        ahead_(scratch + static_cast<long>(m.qmc_assets) * kLanes) {
    for (int i = 0; i < n_ * kLanes; ++i) prev_[i] = 0.0;  // W(0)
  }

  // The next step's increments W(s+1) - W(s) into out[a * kLanes + l] (asset a < n, lane l).
  // normals(dim, z) writes the kLanes standard normals of dimension dim into z.
  template <class Normals, class T>
  CHIPSHOCK_HD void next(Normals& normals, T* out) {
    const int width = n_ * kLanes;
    for (int k = first_op_[step_]; k < first_op_[step_ + 1]; ++k) {
      const BridgeOp op = ops_[k];
      double* w = ahead_ + static_cast<long>(held_) * width;
      const double* right = w - width;  // the nearest value held ahead (has_right only)
      for (int a = 0; a < n_; ++a) {
        double z[kLanes];
        normals(op.rank * n_ + a, z);
        for (int l = 0; l < kLanes; ++l) {
          const int i = a * kLanes + l;
          const double r = op.has_right ? right[i] : 0.0;
          // explicit FMAs: the same rounding on the CPU and the GPU
          w[i] = fma(op.sd, z[l], fma(op.w_right, r, op.w_left * prev_[i]));
        }
      }
      ++held_;
    }
    --held_;  // the plan leaves this step's own point on top
    const double* w = ahead_ + static_cast<long>(held_) * width;
    for (int i = 0; i < width; ++i) {
      out[i] = static_cast<T>(w[i] - prev_[i]);
      prev_[i] = w[i];
    }
    ++step_;
  }

 private:
  int n_;
  const int* first_op_;
  const BridgeOp* ops_;
  double* prev_;   // W at the current step, [a][l]
  double* ahead_;  // the values held ahead, nearest last: [held][a][l]
  int held_ = 0;
  int step_ = 0;
};

// Phi^-1 of kLanes probabilities, one at a time (the CPU's lanes bring a vector version that
// gives the same bits: host/cpu/simd_lanes.hpp).
struct ScalarQuantiles {
  template <int kLanes>
  CHIPSHOCK_HD static void apply(const double* u, double* z) {
    for (int l = 0; l < kLanes; ++l) z[l] = normal_quantile(u[l]);
  }
};

// Standard normals of one Sobol' dimension for kLanes consecutive points first_path, ...:
// Source's words, the seed's shift, the exact quantile of the cell's midpoint.
template <class Source, int kLanes, class Quantiles = ScalarQuantiles>
class SobolDimensionNormals {
 public:
  CHIPSHOCK_HD SobolDimensionNormals(const ModelView& m, std::uint64_t seed,
                                     std::uint64_t first_path)
      : directions_(m.sobol_directions),
        scramble_(m.sobol_scramble),
        first_(static_cast<std::uint32_t>(first_path)),  // Sobol32 points: runs stay below 2^32
        shifts_(seed) {}
  CHIPSHOCK_HD void operator()(int dim, double* z) {
    std::uint32_t x[kLanes];
    Source::template words<kLanes>(directions_ + 32L * dim, scramble_[dim], first_, x);
    const std::uint32_t shift = shifts_(dim);
    constexpr double kCell = 1.0 / 4294967296.0;  // 2^-32
    double u[kLanes];
    for (int l = 0; l < kLanes; ++l)  // (k + 1/2) 2^-32: in (0, 1), exact in double
      u[l] = (static_cast<double>(x[l] ^ shift) + 0.5) * kCell;
    Quantiles::template apply<kLanes>(u, z);
  }

 private:
  const std::uint32_t* directions_;
  const std::uint32_t* scramble_;
  std::uint32_t first_;
  SobolShifts shifts_;
};

// The quasi-random increments of kLanes consecutive paths, step by step.
template <class Source, int kLanes, class Quantiles = ScalarQuantiles>
class SobolBridge {
 public:
  CHIPSHOCK_HD SobolBridge(const ModelView& m, std::uint64_t seed, std::uint64_t first_path,
                           double* scratch)
      : walk_(m, scratch), normals_(m, seed, first_path) {}
  // out[a * kLanes + l]: the next step's increment of asset a on lane l.
  CHIPSHOCK_HD void next(float* out) { walk_.next(normals_, out); }

 private:
  BridgeWalk<kLanes> walk_;
  SobolDimensionNormals<Source, kLanes, Quantiles> normals_;
};

// One path's diffusion normals, as simulate_log_returns draws them (the Normals concept of
// path_model.cuh): the step's bridge increments for the real assets, 0 for the padding.
template <class Source>
class SobolNormals {
 public:
  CHIPSHOCK_HD SobolNormals(const ModelView& m, std::uint64_t seed, std::uint64_t path,
                            double* scratch)
      : bridge_(m, seed, path, scratch), n_(m.qmc_assets) {}
  CHIPSHOCK_HD void fill(float* z, int blocks) {
    bridge_.next(z);
    for (int i = n_; i < 4 * blocks; ++i) z[i] = 0.0f;
  }

 private:
  SobolBridge<Source, 1> bridge_;
  int n_;
};

}  // namespace chipshock
