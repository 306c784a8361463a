// The reduction of the tail paths' line losses for the Euler allocation (tail_lines.cuh), with
// Thrust, so that the same code compiles for the CUDA device system (gpu_engine.cu) and for
// Thrust's OMP system, where CI tests it (tests/test_loss_pipeline.cpp) with the line kernel
// replaced by a host loop over the same per-path functions.
//
// The tail's paths go through the device in chunks of a fixed size (a function of the line
// count alone): per chunk, the launch writes each path's line losses column by column, one
// Thrust reduction per (end, column) sums the chunk's share of each prefix, and the chunks'
// sums are added on the host in chunk order. Every step is deterministic (CUB's reductions are
// run-to-run deterministic and the chunking does not depend on the device), so a run's
// components do not depend on when or where it ran; only the sums and the requested rows cross
// to the host.
#pragma once

#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>
#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/transform_reduce.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "loss_pipeline.cuh"
#include "tail_lines.cuh"

namespace chipshock {
inline namespace CHIPSHOCK_THRUST_SYSTEM {

// Term i of a weighted sum: w_i v_i, or 0 where w_i is 0 (such a path is left out, as on the
// host); v_i alone without weights.
struct WeightedTerm {
  const double* values;
  const double* weights;  // null: every weight 1
  CHIPSHOCK_HD double operator()(std::uint64_t i) const {
    if (weights == nullptr) return values[i];
    const double w = weights[i];
    return w == 0 ? 0.0 : w * values[i];
  }
};

class TailLinePipeline {
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
  auto policy() { return thrust::cuda::par(scratch_); }
#else
  static auto policy() { return thrust::device; }
#endif

 public:
  // Paths per chunk: 2^25 line losses at most (256 MiB), a power of two between 2^10 and 2^22.
  static std::uint64_t chunk_paths(int columns) {
    std::uint64_t c = std::uint64_t{1} << 22;
    while (c > (std::uint64_t{1} << 10) &&
           c * static_cast<std::uint64_t>(std::max(columns, 1)) > (std::uint64_t{1} << 25))
      c /= 2;
    return c;
  }

  // launch(paths, count, stride, out): the line losses of the `count` paths at device pointer
  // `paths` into out[c * stride + k] for each column c (the lines, then the path's loss as
  // their sum), device pointers both.
  template <class Launch>
  TailLineSums run(const TailLineRequest& r, int columns, Launch&& launch) {
    TailLineSums out;
    out.columns = columns;
    const std::size_t cols = static_cast<std::size_t>(columns);
    const std::uint64_t n = r.paths.size();
    const bool weighted = !r.weights.empty();
    std::vector<double> sums(r.ends.size() * cols, 0.0);
    std::uint64_t row_count = 0;
    for (const TailRows& range : r.rows) row_count += range.last - range.first;
    out.rows.assign(static_cast<std::size_t>(row_count) * cols, 0.0);
    const std::uint64_t chunk = std::max<std::uint64_t>(1, std::min(n, chunk_paths(columns)));
    device_step("allocating the tail lines' buffers (thrust::device_vector)", [&] {
      lines_.resize(static_cast<std::size_t>(chunk) * cols);
      paths_.resize(static_cast<std::size_t>(chunk));
      weights_.resize(weighted ? static_cast<std::size_t>(chunk) : 0);
      return 0;
    });
    std::vector<double> column;
    for (std::uint64_t c0 = 0; c0 < n; c0 += chunk) {
      const std::uint64_t m = std::min(chunk, n - c0);
      const auto at = static_cast<std::ptrdiff_t>(c0);
      device_step("copying the tail paths to the device (thrust::copy)", [&] {
        thrust::copy(r.paths.begin() + at, r.paths.begin() + at + static_cast<std::ptrdiff_t>(m),
                     paths_.begin());
        if (weighted)
          thrust::copy(r.weights.begin() + at,
                       r.weights.begin() + at + static_cast<std::ptrdiff_t>(m), weights_.begin());
        return 0;
      });
      launch(thrust::raw_pointer_cast(paths_.data()), m, chunk,
             thrust::raw_pointer_cast(lines_.data()));
      const double* w = weighted ? thrust::raw_pointer_cast(weights_.data()) : nullptr;
      for (std::size_t e = 0; e < r.ends.size(); ++e) {
        const std::uint64_t end = std::min(r.ends[e], c0 + m);
        if (end <= c0) continue;
        for (std::size_t c = 0; c < cols; ++c)
          sums[e * cols + c] += device_step("thrust::transform_reduce (tail line sums)", [&] {
            return thrust::transform_reduce(
                policy(), thrust::counting_iterator<std::uint64_t>(0),
                thrust::counting_iterator<std::uint64_t>(end - c0),
                WeightedTerm{thrust::raw_pointer_cast(lines_.data()) + c * chunk, w}, 0.0,
                thrust::plus<double>());
          });
      }
      std::uint64_t row_at = 0;  // the range's first row in out.rows
      for (const TailRows& range : r.rows) {
        const std::uint64_t lo = std::max(range.first, c0), hi = std::min(range.last, c0 + m);
        if (lo < hi) {
          column.resize(static_cast<std::size_t>(hi - lo));
          for (std::size_t c = 0; c < cols; ++c) {
            device_step("copying tail rows to the host (thrust::copy)", [&] {
              const auto from = lines_.begin() + static_cast<std::ptrdiff_t>(c * chunk + (lo - c0));
              thrust::copy(from, from + static_cast<std::ptrdiff_t>(hi - lo), column.begin());
              return 0;
            });
            for (std::uint64_t i = lo; i < hi; ++i)
              out.rows[static_cast<std::size_t>(row_at + i - range.first) * cols + c] =
                  column[static_cast<std::size_t>(i - lo)];
          }
        }
        row_at += range.last - range.first;
      }
    }
    out.sums.assign(sums.begin(), sums.end());
    return out;
  }

  // Frees the device buffers.
  void release() {
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    scratch_.release();
#endif
    lines_.clear();
    lines_.shrink_to_fit();
    paths_.clear();
    paths_.shrink_to_fit();
    weights_.clear();
    weights_.shrink_to_fit();
  }

 private:
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
  ScratchBlocks scratch_;
#endif
  thrust::device_vector<double> lines_, weights_;
  thrust::device_vector<std::uint64_t> paths_;
};

}  // namespace CHIPSHOCK_THRUST_SYSTEM
}  // namespace chipshock
