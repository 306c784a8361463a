// Scalar reference: one path at a time through the same kernels/ templates with F = float and
// the scalar Philox stream, i.e. what one GPU thread computes (bar the device's fast sincos).
// Used to check the SIMD CPU backend lane by lane and, on a GPU machine, the CUDA kernel.
#pragma once

#include <cstdint>
#include <vector>

#include "host/sim_spec.hpp"
#include "kernels/box_muller.cuh"
#include "kernels/path_model.cuh"
#include "kernels/philox.cuh"
#include "kernels/revalue.cuh"
#include "kernels/scenario_events.cuh"
#include "kernels/student_t.cuh"

namespace chipshock {

struct ScalarNormals {
  PhiloxBlockStream stream;
  void fill(float* z, int blocks) {
    for (int b = 0; b < blocks; ++b) normal4_from_block(stream.next4(), z + 4 * b);
  }
};

struct ScalarMixing {
  PhiloxBlockStream stream;
  float dof;
  float scale() { return student_t_scale(stream, dof); }
};

// Per-asset log-returns of one path over the horizon.
inline std::vector<float> reference_log_returns(const SimSpec& spec, std::uint64_t seed,
                                                std::uint64_t path) {
  const ModelView m = spec.model();
  ScalarNormals normals{PhiloxBlockStream(seed, path, stream_offset(RngStream::kDiffusion))};
  ScalarMixing mixing{PhiloxBlockStream(seed, path, stream_offset(RngStream::kMixing)), m.dof};
  const PathEvents events(m, seed, path);
  std::vector<float> x(m.n_assets), z(4 * m.n_blocks), eps(m.n_assets);
  simulate_log_returns<float>(m, normals, mixing, events, x.data(), z.data(), eps.data());
  return x;
}

inline double reference_path_loss(const SimSpec& spec, std::uint64_t seed, std::uint64_t path) {
  const std::vector<float> x = reference_log_returns(spec, seed, path);
  std::vector<double> spot(x.size());
  return path_loss(spec.book(), [&x](int i) { return x[i]; }, spot.data());
}

}  // namespace chipshock
