#include "host/cpu/cpu_backend.hpp"

#include <omp.h>

#include <array>
#include <vector>

#include "host/cpu/simd_lanes.hpp"
#include "kernels/box_muller.cuh"
#include "kernels/path_model.cuh"
#include "kernels/philox.cuh"
#include "kernels/revalue.cuh"
#include "kernels/scenario_events.cuh"
#include "kernels/student_t.cuh"

namespace chipshock {

namespace {

using simd::F32x8;
using simd::kLanes;
using simd::U32x8;

// The diffusion streams of eight consecutive paths, advanced in lockstep: lanes share the block
// counter (counter words x,y) and differ in the path index (words z,w).
class LaneNormals {
 public:
  LaneNormals(std::uint64_t seed, std::uint64_t first_path) : key_(philox_key(seed)) {
    alignas(32) std::uint32_t lo[kLanes], hi[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      const std::uint64_t p = first_path + static_cast<std::uint64_t>(l);
      lo[l] = static_cast<std::uint32_t>(p);
      hi[l] = static_cast<std::uint32_t>(p >> 32);
    }
    path_lo_ = U32x8(_mm256_load_si256(reinterpret_cast<const __m256i*>(lo)));
    path_hi_ = U32x8(_mm256_load_si256(reinterpret_cast<const __m256i*>(hi)));
  }

  void fill(F32x8* z, int blocks) {
    for (int b = 0; b < blocks; ++b, ++block_) {
      const Word4<U32x8> ctr{U32x8(static_cast<std::uint32_t>(block_)),
                             U32x8(static_cast<std::uint32_t>(block_ >> 32)), path_lo_, path_hi_};
      normal4_from_block(philox4x32_10(ctr, key_), z + 4 * b);
    }
  }

 private:
  PhiloxKey key_;
  U32x8 path_lo_, path_hi_;
  std::uint64_t block_ = 0;  // diffusion stream: starts at block 0
};

// Student-t scale factors: each lane draws from its own path's mixing stream (the number of
// rejection tries differs between lanes, so these are scalar).
class LaneMixing {
 public:
  LaneMixing(std::uint64_t seed, std::uint64_t first_path, float dof) : dof_(dof) {
    for (int l = 0; l < kLanes; ++l)
      streams_[l] = PhiloxBlockStream(seed, first_path + static_cast<std::uint64_t>(l),
                                      stream_offset(RngStream::kMixing));
  }
  F32x8 scale() {
    alignas(32) float s[kLanes];
    for (int l = 0; l < kLanes; ++l) s[l] = student_t_scale(streams_[l], dof_);
    return F32x8(_mm256_load_ps(s));
  }

 private:
  std::array<PhiloxBlockStream, kLanes> streams_;
  float dof_;
};

// Scenario events of eight paths: each lane draws its own (scalar), the coefficients are
// gathered into a vector per day.
class LaneEvents {
 public:
  LaneEvents(const ModelView& m, std::uint64_t seed, std::uint64_t first_path,
             std::vector<EventDraw>& draws)
      : m_(m), draws_(draws) {
    for (int e = 0; e < m.n_events; ++e)
      for (int l = 0; l < kLanes; ++l)
        draws_[static_cast<std::size_t>(e * kLanes + l)] =
            draw_event(m.events[e], seed, first_path + static_cast<std::uint64_t>(l), e);
  }
  bool active(int e, int day) const {
    for (int l = 0; l < kLanes; ++l)
      if (event_coefficient(m_.events[e], draws_[static_cast<std::size_t>(e * kLanes + l)], day) !=
          0.0f)
        return true;
    return false;
  }
  F32x8 coefficient(int e, int day) const {
    alignas(32) float c[kLanes];
    for (int l = 0; l < kLanes; ++l)
      c[l] = event_coefficient(m_.events[e], draws_[static_cast<std::size_t>(e * kLanes + l)], day);
    return F32x8(_mm256_load_ps(c));
  }

 private:
  const ModelView& m_;
  std::vector<EventDraw>& draws_;
};

struct Scratch {
  explicit Scratch(const ModelView& m)
      : x(m.n_assets), z(4 * m.n_blocks), eps(m.n_assets), lanes(static_cast<std::size_t>(m.n_assets) * kLanes),
        spot(m.n_assets), draws(static_cast<std::size_t>(m.n_events) * kLanes) {}
  std::vector<F32x8> x, z, eps;
  std::vector<float> lanes;  // x transposed: lanes[i * 8 + l]
  std::vector<double> spot;
  std::vector<EventDraw> draws;
};

void simulate_group(const ModelView& m, const BookView& b, std::uint64_t seed,
                    std::uint64_t first_path, int valid, double* out, Scratch& s) {
  LaneNormals normals(seed, first_path);
  LaneMixing mixing(seed, first_path, m.dof);
  const LaneEvents events(m, seed, first_path, s.draws);
  simulate_log_returns<F32x8>(m, normals, mixing, events, s.x.data(), s.z.data(), s.eps.data());
  for (int i = 0; i < m.n_assets; ++i) _mm256_storeu_ps(&s.lanes[i * kLanes], s.x[i].v);
  for (int l = 0; l < valid; ++l) {
    const float* lanes = s.lanes.data() + l;
    out[l] = path_loss(b, [lanes](int i) { return lanes[i * kLanes]; }, s.spot.data());
  }
}

}  // namespace

CpuBackend::CpuBackend(int threads) : threads_(threads > 0 ? threads : omp_get_max_threads()) {}

void CpuBackend::simulate_losses(const SimSpec& spec, std::uint64_t seed,
                                 std::uint64_t first_path, std::uint64_t count,
                                 double* losses) const {
  const ModelView m = spec.model();
  const BookView b = spec.book();
  const std::int64_t groups = static_cast<std::int64_t>((count + kLanes - 1) / kLanes);
#pragma omp parallel num_threads(threads_)
  {
    Scratch scratch(m);
#pragma omp for schedule(dynamic, 64)
    for (std::int64_t g = 0; g < groups; ++g) {
      const std::uint64_t offset = static_cast<std::uint64_t>(g) * kLanes;
      const int valid = static_cast<int>(std::min<std::uint64_t>(kLanes, count - offset));
      simulate_group(m, b, seed, first_path + offset, valid, losses + offset, scratch);
    }
  }
}

}  // namespace chipshock
