// cuRAND's scrambled Sobol' sequence (CURAND_RNG_QUASI_SCRAMBLED_SOBOL32) as a pure function of
// (point index, dimension), and the seed's digital shift that randomizes it.
//
// cuRAND defines coordinate d of point i as c_d XOR the XOR of the direction vectors v_d[k] over
// the set bits k of the Gray code i ^ (i >> 1) (curand_init + skipahead in curand_kernel.h;
// its host generator gives the same words, dimension after dimension). The direction vectors
// (CURAND_SCRAMBLED_DIRECTION_VECTORS_32_JOEKUO6) and the constants c_d
// (curandGetScrambleConstants32) come from libcurand on the host (host/qmc/sobol_tables.hpp);
// tests/test_curand_parity.cpp checks sobol32_word against curandGenerate bit for bit.
//
// The scrambling is fixed, so on its own every seed would give the same points. chipshock XORs
// coordinate d of every point with a 32-bit shift s_d drawn from the seed's Philox stream
// (a random digital shift): each shifted point set is still a (t, m, s)-net, and the estimates of
// independent seeds are independent and unbiased for the mean (randomized quasi-Monte Carlo).
#pragma once

#include <cstdint>

#include "philox.cuh"
#include "portability.cuh"

namespace chipshock {

// Dimensions of cuRAND's 32-bit direction-vector tables.
constexpr int kMaxSobolDimensions = 20000;

// Index of the lowest set bit of x != 0.
CHIPSHOCK_HD CHIPSHOCK_INLINE int lowest_set_bit(std::uint32_t x) {
#if defined(__CUDA_ARCH__)
  return __ffs(static_cast<int>(x)) - 1;
#else
  return __builtin_ctz(x);
#endif
}

// Coordinate of point `index` in the dimension whose 32 direction vectors are `v` and whose
// scramble constant is `c`.
CHIPSHOCK_HD inline std::uint32_t sobol32_word(const std::uint32_t* v, std::uint32_t c,
                                               std::uint32_t index) {
  std::uint32_t gray = index ^ (index >> 1);
  std::uint32_t x = c;
  for (int k = 0; gray != 0; ++k, gray >>= 1)
    if (gray & 1u) x ^= v[k];
  return x;
}

// The host mirror of cuRAND's device generator: kLanes consecutive points first, first + 1, ...
// of one dimension into out. Consecutive Gray codes differ in one bit, the lowest set bit of
// the next index, so each point after the first is one XOR away (cuRAND's curand() steps so).
struct MirrorSobol {
  template <int kLanes>
  CHIPSHOCK_HD static void words(const std::uint32_t* v, std::uint32_t c, std::uint32_t first,
                                 std::uint32_t* out) {
    out[0] = sobol32_word(v, c, first);
    for (int l = 1; l < kLanes; ++l) {
      const std::uint32_t next = first + static_cast<std::uint32_t>(l);
      out[l] = next == 0 ? sobol32_word(v, c, 0) : out[l - 1] ^ v[lowest_set_bit(next)];
    }
  }
};

// The digital shifts of a seed: dimension d's is word d % 4 of block d / 4 of the seed's
// kQmcShift stream of path 0 (no path draws from that stream otherwise). Random access, so the
// bridge may consume dimensions in any order; the last block is kept for the next dimensions.
class SobolShifts {
 public:
  CHIPSHOCK_HD explicit SobolShifts(std::uint64_t seed) : key_(philox_key(seed)) {}
  CHIPSHOCK_HD std::uint32_t operator()(int dim) {
    const std::uint32_t block = static_cast<std::uint32_t>(dim) >> 2;
    if (block != block_) {
      const std::uint64_t start = stream_offset(RngStream::kQmcShift) >> 2;  // in blocks
      const Word4<std::uint32_t> r =
          philox4x32_10(Word4<std::uint32_t>{static_cast<std::uint32_t>(start) + block,
                                             static_cast<std::uint32_t>(start >> 32), 0u, 0u},
                        key_);
      words_[0] = r.x;
      words_[1] = r.y;
      words_[2] = r.z;
      words_[3] = r.w;
      block_ = block;
    }
    return words_[dim & 3];
  }

 private:
  PhiloxKey key_;
  std::uint32_t block_ = 0xFFFFFFFFu;  // none yet (dimensions stay below 2^34)
  std::uint32_t words_[4] = {0, 0, 0, 0};
};

}  // namespace chipshock
