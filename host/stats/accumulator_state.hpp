// A versioned binary image of a LossAccumulator: everything it holds (counts, maximum, the
// exact fixed-point sums, the kept tail, the histogram's bins and counts), so that decoding and
// merging gives bit-identical statistics. One format for checkpoints and for MPI, where each
// rank sends its image to rank 0. Written and read through the accumulator's accessors only.
//
// Layout, version 1 (all integers little-endian, doubles as their IEEE-754 bits):
//   magic "CSLOSACC" (8 bytes), u32 version, u32 reserved (0),
//   f64 loss_scale, u64 tail_size, u64 count, u64 non_finite, u64 positive, f64 max,
//   i32 sum_exponent, i32 sum_sq_exponent, i128 sum_units, i128 sum_sq_units (low word first),
//   f64 bins.lo, f64 bins.width, i32 bins.count, u32 reserved (0),
//   u64 underflow, u64 overflow, u64 counts[bins.count],
//   u64 tail_length, f64 tail[tail_length] (descending),
//   u64 FNV-1a of every byte before it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "host/stats/risk_measures.hpp"

namespace chipshock {

constexpr std::uint32_t kAccumulatorStateVersion = 1;

// Thrown for bytes that are not a valid image (wrong magic, version, length or checksum).
struct AccumulatorStateError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string encode_accumulator(const LossAccumulator& acc);
LossAccumulator decode_accumulator(const std::string& bytes);

// The image of the two images' accumulators merged, without building either: sums and counts
// added, the two descending tails merged in one linear pass and cut to the tail size. Equals
// encode_accumulator of decode(a) merged with decode(b), byte for byte. What rank 0 and the
// inner nodes of the MPI merge tree do.
std::string merge_accumulator_images(const std::string& a, const std::string& b);

}  // namespace chipshock
