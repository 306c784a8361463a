// The batching and device-side reduction of a GPU run, written with Thrust so that the same code
// compiles for the CUDA device system (gpu_engine.cu) and for Thrust's OMP or CPP systems, where
// CI tests it against the CPU backend (tests/test_loss_pipeline.cpp) with the kernel launch
// replaced by a host loop over the same per-path function.
//
// Per batch: the launch writes one loss per path into a device buffer; one transform_reduce
// forms the moments (integer fixed-point sums, so the order of reduction does not matter);
// copy_if appends the losses above the running threshold, with their path indices, to the
// tail buffer, which a sort (larger loss first, ties by smaller index: the host TailKeeper's
// order) trims back to the k largest whenever it holds 2k. The tail stays on the device from run
// to run of a scenario (begin_tail, fold); only the moments (per batch) and the top of the tail
// a convergence stop needs (copy_tail) cross to the host, so device and host memory are bounded
// by the batch and the tail, never by the path count, and the results do not depend on the
// batch size.
//
// The tail holds each loss as a 64-bit key (tail_key) whose ascending order is the tail's
// order, so that the sort is a stable radix sort of (key, path) pairs: the buffer always holds
// its entries in increasing path order among equal losses (the kept ones, then each batch's in
// path order), and a stable sort keeps that, which is the tie rule (a radix sort on the CUDA
// system, where a comparison sort of (loss, path) tuples was used before).
#pragma once

#include <thrust/copy.h>
#include <thrust/count.h>
#include <thrust/for_each.h>
#include <thrust/transform.h>
#include <thrust/iterator/transform_iterator.h>
#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>
#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/zip_iterator.h>
#include <thrust/remove.h>
#include <thrust/sort.h>
#include <thrust/tuple.h>
#include <thrust/transform_reduce.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "batch_plan.cuh"
#include "loss_moments.cuh"

#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
#include <cuda_runtime.h>
#include <thrust/system/cuda/execution_policy.h>

#include <map>
#include <new>
#endif

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

// A finite loss as a key whose ascending order is descending loss: the IEEE bits made
// order-preserving as an unsigned integer (sign bit flipped for positives, all bits for
// negatives), then complemented. -0.0 is keyed as +0.0, since the tail's order ties them.
CHIPSHOCK_HD CHIPSHOCK_INLINE std::uint64_t tail_key(double loss) {
  const double x = loss + 0.0;  // -0.0 + 0.0 is +0.0
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  const std::uint64_t ascending = (u >> 63) != 0 ? ~u : (u | (std::uint64_t{1} << 63));
  return ~ascending;
}

// The loss of a key (exact: the inverse of tail_key, but for the sign of zero).
CHIPSHOCK_HD CHIPSHOCK_INLINE double tail_loss(std::uint64_t key) {
  const std::uint64_t ascending = ~key;
  const std::uint64_t u =
      (ascending >> 63) != 0 ? (ascending & ~(std::uint64_t{1} << 63)) : ~ascending;
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

inline namespace CHIPSHOCK_THRUST_SYSTEM {

struct TailKeyOf {
  CHIPSHOCK_HD std::uint64_t operator()(double loss) const { return tail_key(loss); }
};
struct TailLossOf {
  CHIPSHOCK_HD double operator()(std::uint64_t key) const { return tail_loss(key); }
};

// One increment of a histogram count. On the GPU the lanes of a warp that count into the same
// slot add together (one atomic per slot per warp); on a host system an atomic add. Integer
// counts: the result does not depend on the order.
CHIPSHOCK_HD CHIPSHOCK_INLINE void count_slot(unsigned long long* counts, int slot) {
#if defined(__CUDA_ARCH__)
  const unsigned active = __activemask();
  const unsigned same = __match_any_sync(active, slot);
  if ((threadIdx.x & 31u) == static_cast<unsigned>(__ffs(static_cast<int>(same)) - 1))
    atomicAdd(counts + slot, static_cast<unsigned long long>(__popc(same)));
#else
  __atomic_fetch_add(counts + slot, 1ull, __ATOMIC_RELAXED);
#endif
}

// Counts loss i of a batch into its histogram slot when LossAccumulator would count it (when
// it is finite).
struct BinLoss {
  const double* losses;
  LossGrid grid;
  HistogramGrid hist;
  unsigned long long* counts;
  CHIPSHOCK_HD void operator()(std::uint64_t i) const {
    const double x = losses[i];
    if (finite_loss(x)) count_slot(counts, histogram_slot(x, hist));
  }
};

// Every stride-th loss of a batch; -inf for one that could not enter the tail.
struct StridedCandidate {
  const double* losses;
  std::uint64_t stride;
  LossGrid grid;
  CHIPSHOCK_HD double operator()(std::uint64_t i) const {
    const double x = losses[i * stride];
    return TailCandidate{grid, -HUGE_VAL}(x) ? x : -HUGE_VAL;
  }
};

using PipelineProgress = std::function<void(std::uint64_t, std::uint64_t)>;

#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
// Thrust's temporary storage (the radix sort's double buffer, copy_if's and the reductions'
// scratch) from blocks the pipeline keeps between calls, instead of a cudaMalloc and a
// synchronizing cudaFree in every algorithm call (on an H200, with the buffers also kept between
// runs, the engine went from 7.8e10 to 1.0e11 asset-steps/s at 10M paths: bench/RESULTS.md).
// A request takes the smallest free block that is large enough, else a new one; the
// blocks are freed by release() or the destructor. The batch plan's memory budget already
// counts the sort's scratch.
class ScratchBlocks {
 public:
  using value_type = char;
  ScratchBlocks() = default;
  ScratchBlocks(const ScratchBlocks&) = delete;
  ScratchBlocks& operator=(const ScratchBlocks&) = delete;
  ~ScratchBlocks() { release(); }

  char* allocate(std::ptrdiff_t n) {
    const auto bytes = static_cast<std::size_t>(n);
    const auto free = free_.lower_bound(bytes);
    if (free != free_.end()) {
      char* p = free->second;
      used_.emplace(p, free->first);
      free_.erase(free);
      return p;
    }
    void* p = nullptr;
    if (cudaMalloc(&p, bytes) != cudaSuccess) {
      (void)cudaGetLastError();  // reset the error state (an allocation failure is not sticky)
      throw std::bad_alloc();
    }
    used_.emplace(static_cast<char*>(p), bytes);
    return static_cast<char*>(p);
  }
  void deallocate(char* p, std::size_t) {
    const auto used = used_.find(p);
    if (used == used_.end()) return;
    free_.emplace(used->second, p);
    used_.erase(used);
  }
  // Frees the blocks not in use.
  void release() {
    for (const auto& [bytes, p] : free_) cudaFree(p);
    free_.clear();
  }
  std::uint64_t held_bytes() const {
    std::uint64_t bytes = 0;
    for (const auto& [size, p] : free_) bytes += size;
    for (const auto& [p, size] : used_) bytes += size;
    return bytes;
  }

 private:
  std::multimap<std::size_t, char*> free_;  // by size
  std::map<char*, std::size_t> used_;
};
#endif

class LossPipeline {
  // Every Thrust call's execution policy: on the CUDA system with the kept scratch blocks.
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
  auto policy() { return thrust::cuda::par(scratch_); }
#else
  static auto policy() { return thrust::device; }
#endif

 public:
  // --- A scenario's tail, kept on the device from run to run ---
  // The losses of every run folded in after begin_tail(k) enter one tail of the k largest (in
  // the tail's order), which stays on the device: a convergence stop reads its top from there
  // (copy_tail), and nothing is merged on the host. The runs must fold paths in increasing
  // index order (a later path ranks after an equal loss already kept), as a scenario's
  // stretches and a process's shares of them do.

  // Starts an empty tail that keeps the tail_k largest losses.
  void begin_tail(std::uint64_t tail_k) {
    tail_k_ = std::max<std::uint64_t>(tail_k, 1);
    kept_ = 0;
  }
  // Losses the tail holds (in the tail's order, at most tail_k).
  std::uint64_t tail_count() const { return kept_; }
  // The losses the tail must have room for while `paths` more paths are folded in.
  std::uint64_t tail_room(std::uint64_t paths) const {
    return std::max<std::uint64_t>(1, std::min(tail_k_, kept_ + paths));
  }

  // Streams paths [first_path, first_path + paths) in batches of plan.batch_paths into the
  // tail (plan.tail_capacity >= 2 tail_room(paths) + batch). launch(first, count, losses)
  // computes the losses of paths [first, first + count) into the device pointer `losses`; it
  // may return before they are written, as long as Thrust's later calls on the device system's
  // default queue wait for them (the CUDA default stream does). hist: the loss histogram's bins
  // (count 0: none); its counts per slot come back in LossSummary::histogram. The summary's
  // tail vectors stay empty: the tail is on the device. keep: host memory that gets every
  // path's loss, in path order (nullptr: none).
  template <class Launch>
  LossSummary fold(std::uint64_t first_path, std::uint64_t paths, const LossGrid& grid,
                   const BatchPlan& plan, Launch&& launch, const PipelineProgress& progress = {},
                   const HistogramGrid& hist = {}, double* keep = nullptr) {
    const std::uint64_t k = tail_room(paths);
    if (plan.batch_paths == 0 || plan.tail_capacity < 2 * k + plan.batch_paths)
      throw std::invalid_argument("LossPipeline: batch plan does not fit the tail");
    device_step("allocating the loss and tail buffers (thrust::device_vector)", [&] {
      if (kept_ == 0) {
        // Buffers of an earlier run are reused when large enough; otherwise all are freed
        // first, so that old and new never need the device memory together.
        if (losses_.capacity() < plan.batch_paths ||
            tail_keys_.capacity() < plan.tail_capacity ||
            tail_paths_.capacity() < plan.tail_capacity)
          release();
      } else if (losses_.capacity() < plan.batch_paths) {  // the kept tail stays
        losses_.clear();
        losses_.shrink_to_fit();
      }
      losses_.resize(static_cast<std::size_t>(plan.batch_paths));
      slots_.assign(static_cast<std::size_t>(hist.count > 0 ? hist.count + 2 : 0), 0ull);
      // Growing keeps the tail's entries (a reserve copies them), to exactly the capacity the
      // plan counted (a plain resize would take twice the old capacity).
      if (tail_keys_.size() < plan.tail_capacity) {
        tail_keys_.reserve(static_cast<std::size_t>(plan.tail_capacity));
        tail_keys_.resize(static_cast<std::size_t>(plan.tail_capacity));
      }
      if (tail_paths_.size() < plan.tail_capacity) {
        tail_paths_.reserve(static_cast<std::size_t>(plan.tail_capacity));
        tail_paths_.resize(static_cast<std::size_t>(plan.tail_capacity));
      }
      return 0;
    });
    using Clock = std::chrono::steady_clock;
    const auto seconds_since = [](Clock::time_point t) {
      return std::chrono::duration<double>(Clock::now() - t).count();
    };
    auto phase_start = Clock::now();
    LossSummary out;
    out.batch_paths = plan.batch_paths;
    std::uint64_t kept = kept_;
    // A full tail (sorted, kept_ == k) sets the threshold: a later path whose loss is not above
    // the k-th ranks after it.
    double threshold = kept >= k ? device_step("reading the tail threshold", [&] {
      return tail_loss(tail_keys_[static_cast<std::size_t>(k - 1)]);
    })
                                 : -HUGE_VAL;
    for (std::uint64_t done = 0; done < paths;) {
      const std::uint64_t count = std::min(plan.batch_paths, paths - done);
      launch(first_path + done, count, thrust::raw_pointer_cast(losses_.data()));
      const auto begin = losses_.begin();
      const auto end = begin + static_cast<std::ptrdiff_t>(count);
      if (keep != nullptr)
        device_step("copying the losses to the host (thrust::copy)", [&] {
          thrust::copy(begin, end, keep + done);
          return 0;
        });
      const LossMoments m = device_step("thrust::transform_reduce (loss moments)", [&] {
        return thrust::transform_reduce(policy(), begin, end, ClassifyLoss{grid},
                                        LossMoments{}, MergeMoments{});
      });
      out.moments = MergeMoments{}(out.moments, m);
      if (hist.count > 0)
        device_step("thrust::for_each (loss histogram)", [&] {
          thrust::for_each(policy(), thrust::counting_iterator<std::uint64_t>(0),
                           thrust::counting_iterator<std::uint64_t>(count),
                           BinLoss{thrust::raw_pointer_cast(losses_.data()), grid, hist,
                                   thrust::raw_pointer_cast(slots_.data())});
          return 0;
        });
      if (kept == 0 && threshold == -HUGE_VAL && count > 4 * k)
        threshold = sampled_threshold(count, k, grid);
      const auto tail_end = device_step("thrust::copy_if (tail candidates)", [&] {
        const auto with_paths = thrust::make_zip_iterator(
            thrust::make_tuple(thrust::make_transform_iterator(begin, TailKeyOf{}),
                               thrust::counting_iterator<std::uint64_t>(first_path + done)));
        return thrust::copy_if(policy(), with_paths,
                               with_paths + static_cast<std::ptrdiff_t>(count), begin,
                               tail_at(kept), TailCandidate{grid, threshold});
      });
      kept = static_cast<std::uint64_t>(tail_end - tail_at(0));
      if (kept >= 2 * k) {
        sort_tail(kept);
        kept = k;
        threshold = device_step("reading the tail threshold", [&] {
          return tail_loss(tail_keys_[static_cast<std::size_t>(k - 1)]);
        });
      }
      // The rare finite losses beyond the grids go to the host's exact wide sums: moved to the
      // front of the loss buffer (nothing reads it after this in the batch), then copied.
      if (m.far > 0) gather_far(count, grid, out.far);
      done += count;
      ++out.batches;
      if (progress) progress(done, paths);
    }
    // Every Thrust call above returns only when the device has finished it (copy_if's end and
    // the threshold are read on the host), so the host's clock times each phase.
    out.batch_seconds = seconds_since(phase_start);
    phase_start = Clock::now();
    if (kept > 0) sort_tail(kept);
    kept_ = std::min(kept, k);
    out.sort_seconds = seconds_since(phase_start);
    phase_start = Clock::now();
    if (hist.count > 0) {
      std::vector<unsigned long long> slots(slots_.size());
      device_step("copying the histogram to the host (thrust::copy)", [&] {
        thrust::copy(slots_.begin(), slots_.end(), slots.begin());
        return 0;
      });
      out.histogram.assign(slots.begin(), slots.end());
    }
    out.copy_seconds = seconds_since(phase_start);
    return out;
  }

  // The tail's first m entries (at most tail_count()), largest first, into host memory: losses
  // into `losses`, path indices into `paths` when not null.
  void copy_tail(std::uint64_t m, double* losses, std::uint64_t* paths) {
    m = std::min(m, kept_);
    if (m == 0) return;
    device_step("copying the tail to the host (thrust::copy)", [&] {
      // The keys become losses again on the device, in the loss buffer (free between runs),
      // one buffer's worth at a time.
      if (losses_.empty()) losses_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(m, 1u << 20)));
      const std::uint64_t chunk = losses_.size();
      for (std::uint64_t at = 0; at < m; at += chunk) {
        const auto from = tail_keys_.begin() + static_cast<std::ptrdiff_t>(at);
        const auto n = static_cast<std::ptrdiff_t>(std::min(chunk, m - at));
        thrust::transform(policy(), from, from + n, losses_.begin(), TailLossOf{});
        thrust::copy(losses_.begin(), losses_.begin() + n,
                     losses + static_cast<std::ptrdiff_t>(at));
      }
      if (paths != nullptr)
        thrust::copy(tail_paths_.begin(), tail_paths_.begin() + static_cast<std::ptrdiff_t>(m),
                     paths);
      return 0;
    });
  }

  // Replaces the tail with n saved entries (finite losses, in the tail's order, n <= tail_k):
  // a resumed scenario's.
  void load_tail(const double* losses, const std::uint64_t* paths, std::uint64_t n) {
    kept_ = 0;
    if (n == 0) return;
    if (n > tail_k_) throw std::invalid_argument("LossPipeline: more saved losses than the tail keeps");
    std::vector<std::uint64_t> keys(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = tail_key(losses[i]);
    device_step("copying a saved tail to the device (thrust::copy)", [&] {
      if (tail_keys_.size() < n) tail_keys_.resize(static_cast<std::size_t>(n));
      if (tail_paths_.size() < n) tail_paths_.resize(static_cast<std::size_t>(n));
      thrust::copy(keys.begin(), keys.end(), tail_keys_.begin());
      thrust::copy(paths, paths + n, tail_paths_.begin());
      return 0;
    });
    sort_tail(n);  // already in order; a stable sort keeps it and checks nothing
    kept_ = n;
  }
  // --- end of the scenario's tail ---

  // One run with a tail of its own: begin_tail(tail_k), fold, and the tail (largest first, at
  // most tail_k) into the summary's vectors. storage: a used summary whose tail vectors the
  // result reuses (their host memory, already written, is not faulted in again).
  template <class Launch>
  LossSummary run(std::uint64_t first_path, std::uint64_t paths, const LossGrid& grid,
                  std::uint64_t tail_k, const BatchPlan& plan, Launch&& launch,
                  const PipelineProgress& progress = {}, const HistogramGrid& hist = {},
                  LossSummary storage = {}) {
    begin_tail(kept_tail_size(paths, tail_k));
    LossSummary out = fold(first_path, paths, grid, plan, launch, progress, hist);
    const auto start = std::chrono::steady_clock::now();
    out.tail = std::move(storage.tail);
    out.tail_paths = std::move(storage.tail_paths);
    const std::uint64_t n = kept_;
    // Resizing writes only what the vectors gain.
    if (out.tail.capacity() < n) out.tail.clear();  // growing: nothing old worth moving
    if (out.tail_paths.capacity() < n) out.tail_paths.clear();
    out.tail.resize(static_cast<std::size_t>(n));
    out.tail_paths.resize(static_cast<std::size_t>(n));
    copy_tail(n, out.tail.data(), out.tail_paths.data());
    out.copy_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }

  // Device bytes of the tail's buffers (held for the scenario while it keeps a tail).
  std::uint64_t tail_bytes() const {
    return (tail_keys_.capacity() + tail_paths_.capacity()) * sizeof(std::uint64_t);
  }

  // Device bytes the pipeline holds between runs (its buffers and Thrust's scratch blocks).
  std::uint64_t held_bytes() const {
    std::uint64_t bytes = (losses_.capacity() + sample_.capacity()) * sizeof(double) +
                          (tail_keys_.capacity() + tail_paths_.capacity()) * sizeof(std::uint64_t);
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    bytes += scratch_.held_bytes();
#endif
    return bytes;
  }

  // Frees the device buffers (a later run allocates them again), and with them a scenario's
  // tail: only between scenarios.
  void release() {
    kept_ = 0;
#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
    scratch_.release();
#endif
    losses_.clear();
    losses_.shrink_to_fit();
    tail_keys_.clear();
    tail_keys_.shrink_to_fit();
    sample_.clear();
    sample_.shrink_to_fit();
    slots_.clear();
    slots_.shrink_to_fit();
    tail_paths_.clear();
    tail_paths_.shrink_to_fit();
  }

 private:
  using TailIterator =
      thrust::zip_iterator<thrust::tuple<thrust::device_vector<std::uint64_t>::iterator,
                                         thrust::device_vector<std::uint64_t>::iterator>>;
  TailIterator tail_at(std::uint64_t i) {
    const auto d = static_cast<std::ptrdiff_t>(i);
    return thrust::make_zip_iterator(
        thrust::make_tuple(tail_keys_.begin() + d, tail_paths_.begin() + d));
  }

  // A threshold for the first batch, before the tail holds anything, so that copy_if keeps
  // about 1.1 k of its losses instead of all of them (a 95% VaR keeps 1 in 20): the loss at
  // rank 1.1 k (plus 16) of a strided sample of 2^16. It is used only when at least k of the
  // batch's losses lie strictly above it, counted exactly; then no loss at or below it can be
  // among the run's k largest, in this batch or a later one (those rank after the k above it),
  // so the result is what the whole batch would give. Otherwise -inf: the whole batch, as
  // before.
  double sampled_threshold(std::uint64_t count, std::uint64_t k, const LossGrid& grid) {
    const std::uint64_t m = std::min<std::uint64_t>(count, std::uint64_t{1} << 16);
    const std::uint64_t stride = count / m;
    const std::uint64_t rank = std::min<std::uint64_t>(
        m - 1, static_cast<std::uint64_t>(1.1 * static_cast<double>(k) /
                                          static_cast<double>(count) * static_cast<double>(m)) +
                   16);
    return device_step("sampling the first batch's tail threshold", [&] {
      sample_.resize(static_cast<std::size_t>(m));
      thrust::transform(policy(), thrust::counting_iterator<std::uint64_t>(0),
                        thrust::counting_iterator<std::uint64_t>(m), sample_.begin(),
                        StridedCandidate{thrust::raw_pointer_cast(losses_.data()), stride, grid});
      thrust::sort(policy(), sample_.begin(), sample_.end(), thrust::greater<double>());
      const double t = sample_[static_cast<std::size_t>(rank)];
      if (!(t > -HUGE_VAL)) return -HUGE_VAL;
      const auto above = static_cast<std::uint64_t>(
          thrust::count_if(policy(), losses_.begin(),
                           losses_.begin() + static_cast<std::ptrdiff_t>(count),
                           TailCandidate{grid, t}));
      return above >= k ? t : -HUGE_VAL;
    });
  }

  void gather_far(std::uint64_t count, const LossGrid& grid, std::vector<double>& far) {
    device_step("gathering the losses beyond the grids (thrust::remove_if)", [&] {
      const auto begin = losses_.begin();
      const auto end = thrust::remove_if(policy(), begin,
                                         begin + static_cast<std::ptrdiff_t>(count),
                                         NotFarLoss{grid});
      const std::size_t at = far.size();
      far.resize(at + static_cast<std::size_t>(end - begin));
      thrust::copy(begin, end, far.begin() + static_cast<std::ptrdiff_t>(at));
      return 0;
    });
  }

  // Stable, on primitive keys: a radix sort on the CUDA system.
  void sort_tail(std::uint64_t kept) {
    device_step("thrust::stable_sort_by_key (tail selection)", [&] {
      const auto d = static_cast<std::ptrdiff_t>(kept);
      thrust::stable_sort_by_key(policy(), tail_keys_.begin(), tail_keys_.begin() + d,
                                 tail_paths_.begin());
      return 0;
    });
  }

#if THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CUDA
  ScratchBlocks scratch_;
#endif
  thrust::device_vector<double> losses_, sample_;
  thrust::device_vector<unsigned long long> slots_;
  thrust::device_vector<std::uint64_t> tail_keys_, tail_paths_;
  std::uint64_t tail_k_ = 1, kept_ = 0;  // the scenario's tail: its size and what it holds
};

}  // namespace CHIPSHOCK_THRUST_SYSTEM
}  // namespace chipshock
