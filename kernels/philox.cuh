// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) as a pure
// function of (counter, key), plus a host mirror of cuRAND's curandStatePhilox4_32_10_t stream.
//
// Counter layout (cuRAND's): curand_init(seed, subsequence, offset) puts the seed in the key,
// the subsequence (our path index) in counter words z,w and offset/4 in counter words x,y. So
// block b of path i is philox({b_lo, b_hi, i_lo, i_hi}, {seed_lo, seed_hi}): randomness is a pure
// function of (seed, path, block), whatever the launch shape or thread count.
//
// The round function is a template over the lane type U so that the CPU backend can run it on
// SIMD vectors of counters; U needs ^, and a mulhilo(uint32_t, U, U&) found by overload lookup.
#pragma once

#include <cstdint>

#include "portability.cuh"

namespace chipshock {

template <class U>
struct Word4 {
  U x, y, z, w;
};

struct PhiloxKey {
  std::uint32_t lo, hi;
};

constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr std::uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u;  // golden ratio
constexpr std::uint32_t kPhiloxW1 = 0xBB67AE85u;  // sqrt(3) - 1

// Scalar 32x32 -> 64 multiply: returns the low word, stores the high word.
CHIPSHOCK_HD CHIPSHOCK_INLINE std::uint32_t mulhilo(std::uint32_t a, std::uint32_t b,
                                                    std::uint32_t& hi) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(p >> 32);
  return static_cast<std::uint32_t>(p);
}

template <class U>
CHIPSHOCK_HD CHIPSHOCK_INLINE Word4<U> philox_round(const Word4<U>& c, std::uint32_t k0,
                                                    std::uint32_t k1) {
  U hi0, hi1;
  const U lo0 = mulhilo(kPhiloxM0, c.x, hi0);
  const U lo1 = mulhilo(kPhiloxM1, c.z, hi1);
  return Word4<U>{hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0};
}

template <class U>
CHIPSHOCK_HD CHIPSHOCK_INLINE Word4<U> philox4x32_10(Word4<U> c, PhiloxKey key) {
  std::uint32_t k0 = key.lo, k1 = key.hi;
#if defined(__CUDACC__)
#pragma unroll
#endif
  for (int round = 0; round < 9; ++round) {
    c = philox_round(c, k0, k1);
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  return philox_round(c, k0, k1);
}

CHIPSHOCK_HD CHIPSHOCK_INLINE PhiloxKey philox_key(std::uint64_t seed) {
  return PhiloxKey{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
}

// Separate streams of one path live in disjoint counter ranges: stream s starts at block
// s * 2^59, i.e. curand_init(seed, path, offset = s << 61). The diffusion stream (s = 0) would
// need 2^59 blocks of draws per path to run into the next one.
// The path whose diffusion and mixing streams path `path` draws from: itself, or with
// antithetic variates the even member of its pair (2k for 2k and 2k+1), so pairs are fixed by
// the path index alone, whatever the batches, threads, GPUs or ranks.
CHIPSHOCK_HD CHIPSHOCK_INLINE std::uint64_t antithetic_source(std::uint64_t path, int antithetic) {
  return antithetic ? (path & ~std::uint64_t{1}) : path;
}
// -1 for the odd member of an antithetic pair (its normals are negated), else +1.
CHIPSHOCK_HD CHIPSHOCK_INLINE float antithetic_sign(std::uint64_t path, int antithetic) {
  return antithetic && (path & 1u) ? -1.0f : 1.0f;
}

// kQmcShift: the digital shifts of quasi-Monte Carlo (sobol.cuh), drawn once per seed from
// path 0's range; no path draws from it otherwise. kImportanceLabel: under importance sampling
// on Sobol' points, whether a path is drawn shifted (importance_sampling.cuh).
enum class RngStream : std::uint32_t {
  kDiffusion = 0,
  kMixing = 1,
  kEvents = 2,
  kQmcShift = 3,
  kImportanceLabel = 4,
  kImpliedVol = 5  // the implied-vol factors' shocks (vol_factors.cuh)
};

CHIPSHOCK_HD CHIPSHOCK_INLINE std::uint64_t stream_offset(RngStream s) {
  return static_cast<std::uint64_t>(s) << 61;
}

// Host mirror of cuRAND's Philox4_32_10 state: same counter arithmetic, same buffering of the
// four output words, same curand_init / curand / curand4 / skipahead semantics.
class CurandPhiloxMirror {
 public:
  CHIPSHOCK_HD CurandPhiloxMirror(std::uint64_t seed, std::uint64_t subsequence,
                                  std::uint64_t offset)
      : ctr_{0, 0, 0, 0}, key_(philox_key(seed)) {
    add_high(subsequence);
    output_ = philox4x32_10(ctr_, key_);
    skipahead(offset);
  }

  // Skips n 32-bit outputs, as cuRAND's skipahead(n, state).
  CHIPSHOCK_HD void skipahead(std::uint64_t n) {
    state_ += static_cast<std::uint32_t>(n & 3u);
    n /= 4;
    if (state_ > 3) {
      n += 1;
      state_ -= 4;
    }
    add_low(n);
    output_ = philox4x32_10(ctr_, key_);
  }

  CHIPSHOCK_HD std::uint32_t next() {  // curand()
    const std::uint32_t words[4] = {output_.x, output_.y, output_.z, output_.w};
    const std::uint32_t r = words[state_++];
    if (state_ == 4) {
      increment();
      output_ = philox4x32_10(ctr_, key_);
      state_ = 0;
    }
    return r;
  }

  CHIPSHOCK_HD Word4<std::uint32_t> next4() {  // curand4()
    const Word4<std::uint32_t> old = output_;
    increment();
    output_ = philox4x32_10(ctr_, key_);
    const std::uint32_t w[8] = {old.x, old.y, old.z, old.w, output_.x, output_.y, output_.z,
                                output_.w};
    return Word4<std::uint32_t>{w[state_], w[state_ + 1], w[state_ + 2], w[state_ + 3]};
  }

  CHIPSHOCK_HD const Word4<std::uint32_t>& counter() const { return ctr_; }

 private:
  CHIPSHOCK_HD void increment() {
    if (++ctr_.x) return;
    if (++ctr_.y) return;
    if (++ctr_.z) return;
    ++ctr_.w;
  }
  // 128-bit counter += n (n in words x,y), as Philox_State_Incr(state, n).
  CHIPSHOCK_HD void add_low(std::uint64_t n) {
    const std::uint32_t nlo = static_cast<std::uint32_t>(n);
    std::uint32_t nhi = static_cast<std::uint32_t>(n >> 32);
    ctr_.x += nlo;
    if (ctr_.x < nlo) ++nhi;
    ctr_.y += nhi;
    if (nhi <= ctr_.y) return;
    if (++ctr_.z) return;
    ++ctr_.w;
  }
  // counter words z,w += n, as Philox_State_Incr_hi(state, n).
  CHIPSHOCK_HD void add_high(std::uint64_t n) {
    const std::uint32_t nlo = static_cast<std::uint32_t>(n);
    std::uint32_t nhi = static_cast<std::uint32_t>(n >> 32);
    ctr_.z += nlo;
    if (ctr_.z < nlo) ++nhi;
    ctr_.w += nhi;
  }

  Word4<std::uint32_t> ctr_;
  PhiloxKey key_;
  Word4<std::uint32_t> output_{0, 0, 0, 0};
  std::uint32_t state_ = 0;
};

}  // namespace chipshock
