// A versioned binary image of a LossAccumulator: everything it holds (counts, maximum, the
// exact fixed-point sums, the kept tail, the histogram's bins and counts), so that decoding and
// merging gives bit-identical statistics. One format for checkpoints and for MPI, where each
// rank sends its image to rank 0. Written and read through the accumulator's accessors only.
//
// Layout, version 4 (all integers little-endian, doubles as their IEEE-754 bits):
//   magic "CSLOSACC" (8 bytes), u32 version, u32 reserved (0),
//   f64 loss_scale, u64 tail_size, u64 count, u64 non_finite, u64 positive, f64 max,
//   i32 sum_exponent, i32 sum_sq_exponent, i128 sum_units, i128 sum_sq_units (low word first),
//   u64 far (finite losses beyond the grids, also in count), then the wide sums of the far
//   losses and of their squares, each as u64 digit_count and digit_count entries
//   {u64 index, i64 digit} (WideSum's canonical nonzero digits, increasing index),
//   f64 bins.lo, f64 bins.width, i32 bins.count, u32 reserved (0),
//   u64 underflow, u64 overflow, u64 counts[bins.count],
//   u64 tail_length, then tail_length entries {f64 loss, u64 path index} in the tail's order
//   (larger loss first, ties by smaller index; index 2^64-1 = unknown),
//   u32 weighted (1: an importance-sampling accumulator), u32 reserved (0), u64 weighted_length,
//   then weighted_length entries {f64 loss, f64 weight, u64 path index} in the tail's order,
//   u64 FNV-1a of every byte before it.
// Earlier versions are refused with a message that says to start again: version 3 (no far
// section) and version 2 (nor a weighted section) summed on narrower grids that left the largest
// losses out, so a resumed run would not equal an uninterrupted one; version 1 kept the losses
// without their path indices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "host/stats/risk_measures.hpp"

namespace chipshock {

constexpr std::uint32_t kAccumulatorStateVersion = 4;

// Thrown for bytes that are not a valid image (wrong magic, version, length or checksum).
struct AccumulatorStateError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// max_tail: keep only that many of the largest losses (what the receiver needs), all by default.
std::string encode_accumulator(const LossAccumulator& acc,
                               std::size_t max_tail = static_cast<std::size_t>(-1));
LossAccumulator decode_accumulator(const std::string& bytes);

// The image of the two images' accumulators merged, without building either: sums and counts
// added, the two sorted tails merged in one linear pass and cut to the tail size (or max_tail,
// if smaller). Equals encode_accumulator of decode(a) merged with decode(b), byte for byte. What
// rank 0 and the inner nodes of the MPI merge tree do.
std::string merge_accumulator_images(const std::string& a, const std::string& b,
                                     std::size_t max_tail = static_cast<std::size_t>(-1));

}  // namespace chipshock
