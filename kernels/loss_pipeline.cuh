// The batching and device-side reduction of a GPU run, written with Thrust so that the same code
// compiles for the CUDA device system (gpu_engine.cu) and for Thrust's OMP or CPP systems, where
// CI tests it against the CPU backend (tests/test_loss_pipeline.cpp) with the kernel launch
// replaced by a host loop over the same per-path function.
//
// Per batch: the launch writes one loss per path into a device buffer; one transform_reduce
// forms the moments (integer fixed-point sums, so the order of reduction does not matter);
// copy_if appends the losses above the running threshold, with their path indices, to the
// tail buffer, which a sort (larger loss first, ties by smaller index: the host TailKeeper's
// order) trims back to the k largest whenever it holds 2k. Only the moments (per batch) and the final
// tail (once) cross to the host, so device and host memory are bounded by the batch and the
// tail, never by the path count, and the results do not depend on the batch size.
#pragma once

#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>
#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/zip_iterator.h>
#include <thrust/sort.h>
#include <thrust/tuple.h>
#include <thrust/transform_reduce.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "batch_plan.cuh"
#include "loss_moments.cuh"

// Code compiled for different Thrust device systems must not share mangled names (the test
// binaries link both the CUDA and the OMP versions).
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
#define CHIPSHOCK_THRUST_SYSTEM thrust_cuda
#elif THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_OMP
#define CHIPSHOCK_THRUST_SYSTEM thrust_omp
#elif THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_TBB
#define CHIPSHOCK_THRUST_SYSTEM thrust_tbb
#else
#define CHIPSHOCK_THRUST_SYSTEM thrust_cpp
#endif

namespace chipshock {

// Runs one device step and names it in any error (Thrust reports CUDA failures by throwing).
template <class Step>
auto device_step(const char* what, Step&& step) -> decltype(step()) {
  try {
    return step();
  } catch (const std::bad_alloc&) {
    throw std::runtime_error(std::string(what) + ": out of device memory");
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(what) + ": " + e.what());
  }
}

inline namespace CHIPSHOCK_THRUST_SYSTEM {

// The host tail's order (tail_before in host/stats/tail_keeper.hpp) on (loss, path) tuples.
struct TailOrder {
  template <class A, class B>
  CHIPSHOCK_HD bool operator()(const A& a, const B& b) const {
    const double la = thrust::get<0>(a), lb = thrust::get<0>(b);
    return la > lb || (la == lb && thrust::get<1>(a) < thrust::get<1>(b));
  }
};

using PipelineProgress = std::function<void(std::uint64_t, std::uint64_t)>;

class LossPipeline {
 public:
  // Streams paths [first_path, first_path + paths) in batches of plan.batch_paths.
  // launch(first, count, losses) computes the losses of paths [first, first + count) into the
  // device pointer `losses`; it may return before they are written, as long as Thrust's later
  // calls on the device system's default queue wait for them (the CUDA default stream does).
  template <class Launch>
  LossSummary run(std::uint64_t first_path, std::uint64_t paths, const LossGrid& grid,
                  std::uint64_t tail_k, const BatchPlan& plan, Launch&& launch,
                  const PipelineProgress& progress = {}) {
    const std::uint64_t k = kept_tail_size(paths, tail_k);
    if (plan.batch_paths == 0 || plan.tail_capacity < 2 * k + plan.batch_paths)
      throw std::invalid_argument("LossPipeline: batch plan does not fit the tail");
    device_step("allocating the loss and tail buffers (thrust::device_vector)", [&] {
      losses_.resize(static_cast<std::size_t>(plan.batch_paths));
      tail_.resize(static_cast<std::size_t>(plan.tail_capacity));
      tail_paths_.resize(static_cast<std::size_t>(plan.tail_capacity));
      return 0;
    });
    LossSummary out;
    out.batch_paths = plan.batch_paths;
    std::uint64_t kept = 0;
    double threshold = -HUGE_VAL;
    for (std::uint64_t done = 0; done < paths;) {
      const std::uint64_t count = std::min(plan.batch_paths, paths - done);
      launch(first_path + done, count, thrust::raw_pointer_cast(losses_.data()));
      const auto begin = losses_.begin();
      const auto end = begin + static_cast<std::ptrdiff_t>(count);
      const LossMoments m = device_step("thrust::transform_reduce (loss moments)", [&] {
        return thrust::transform_reduce(thrust::device, begin, end, ClassifyLoss{grid},
                                        LossMoments{}, MergeMoments{});
      });
      out.moments = MergeMoments{}(out.moments, m);
      const auto tail_end = device_step("thrust::copy_if (tail candidates)", [&] {
        const auto with_paths = thrust::make_zip_iterator(
            thrust::make_tuple(begin, thrust::counting_iterator<std::uint64_t>(first_path + done)));
        return thrust::copy_if(thrust::device, with_paths,
                               with_paths + static_cast<std::ptrdiff_t>(count), begin,
                               tail_at(kept), TailCandidate{grid, threshold});
      });
      kept = static_cast<std::uint64_t>(tail_end - tail_at(0));
      if (kept >= 2 * k) {
        sort_tail(kept);
        kept = k;
        threshold = device_step("reading the tail threshold", [&] {
          return static_cast<double>(tail_[static_cast<std::size_t>(k - 1)]);
        });
      }
      done += count;
      ++out.batches;
      if (progress) progress(done, paths);
    }
    sort_tail(kept);
    out.tail.resize(static_cast<std::size_t>(std::min(kept, k)));
    out.tail_paths.resize(out.tail.size());
    device_step("copying the tail to the host (thrust::copy)", [&] {
      const auto size = static_cast<std::ptrdiff_t>(out.tail.size());
      thrust::copy(tail_.begin(), tail_.begin() + size, out.tail.begin());
      thrust::copy(tail_paths_.begin(), tail_paths_.begin() + size, out.tail_paths.begin());
      return 0;
    });
    return out;
  }

  // Frees the device buffers (a later run allocates them again).
  void release() {
    losses_.clear();
    losses_.shrink_to_fit();
    tail_.clear();
    tail_.shrink_to_fit();
    tail_paths_.clear();
    tail_paths_.shrink_to_fit();
  }

 private:
  using TailIterator =
      thrust::zip_iterator<thrust::tuple<thrust::device_vector<double>::iterator,
                                         thrust::device_vector<std::uint64_t>::iterator>>;
  TailIterator tail_at(std::uint64_t i) {
    const auto d = static_cast<std::ptrdiff_t>(i);
    return thrust::make_zip_iterator(thrust::make_tuple(tail_.begin() + d, tail_paths_.begin() + d));
  }

  void sort_tail(std::uint64_t kept) {
    device_step("thrust::sort (tail selection)", [&] {
      thrust::sort(thrust::device, tail_at(0), tail_at(kept), TailOrder{});
      return 0;
    });
  }

  thrust::device_vector<double> losses_, tail_;
  thrust::device_vector<std::uint64_t> tail_paths_;
};

}  // namespace CHIPSHOCK_THRUST_SYSTEM
}  // namespace chipshock
