// The CUDA backend's host interface, in plain C++ (no CUDA headers), so that g++-compiled code
// can use it. Built only where CMake found nvcc (CHIPSHOCK_HAVE_CUDA); the implementation is
// gpu_engine.cu. One engine per process: the fixed-size kernels read their per-launch data from
// one __constant__ block, which an engine re-uploads whenever another engine used it last.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loss_moments.cuh"
#include "revalue.cuh"
#include "sim_view.cuh"
#include "sobol_normals.cuh"
#include "tail_lines.cuh"

namespace chipshock {

// Books on more assets run on the CPU: the generic kernel keeps one path's state (20 bytes per
// asset) in each thread's local memory.
constexpr int kMaxGpuAssets = 256;

// Doubles of Brownian-bridge scratch a --rng sobol kernel gives each thread: kMaxBridgeSlots
// per asset for the fixed-size kernels (padded_assets > 0), and for the generic one (0) the
// most any model of up to kMaxGpuAssets assets within kMaxSobolDimensions needs (256 assets
// over 78 steps: 8 slots; tests/test_qmc.cpp checks every asset count).
constexpr int kGpuGenericBridgeDoubles = 2048;
CHIPSHOCK_HD constexpr int gpu_bridge_capacity(int padded_assets) {
  return padded_assets > 0 ? kMaxBridgeSlots * padded_assets : kGpuGenericBridgeDoubles;
}

struct GpuDeviceInfo {
  bool usable = false;
  std::string reason;  // why not, when not usable
  int device = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  std::uint64_t free_bytes = 0, total_bytes = 0;
};

// Whether `device` can run this build's kernels: a device exists, it has code for it (a probe
// kernel runs), and its memory can be queried. Never throws.
GpuDeviceInfo probe_gpu(int device = 0);

// CUDA devices this process sees (CUDA_VISIBLE_DEVICES applies); 0 when none or on error.
// MPI ranks on a node take device local_rank % count. Never throws.
int cuda_device_count();

// Which kernel runs a loaded model: a fixed-size one (asset count a compile-time constant, data
// in constant memory) when the padded asset count is at most 32 and the data fits; the generic
// one (data in global memory) otherwise, or when asked (tests).
enum class KernelChoice { kAuto, kGeneric };

// A book hierarchy's books revalued on the paths a fold (or a weighted run) simulates, in the
// same pass (one simulation a path): views[0] is the loaded model's own book, whose losses the
// run takes; sink(losses, log_weights, first, count) gets every book's losses on paths
// [first, first + count), book n's on path first + k at losses[n * count + k], and under
// importance sampling the paths' log-likelihood ratios log_weights[k] (else null) (host memory,
// valid during the call), piece by piece in increasing path order (at most 2^25 losses a piece).
struct FoldBooks {
  std::vector<BookView> views;  // over n_assets assets (host views, as simulate_books takes)
  int n_assets = 0;
  std::function<void(const double* losses, const double* log_weights, std::uint64_t first,
                     std::uint64_t count)>
      sink;
};
// The losses of a FoldBooks piece: at most 2^25 over all its books.
inline std::uint64_t fold_books_piece(std::size_t n_books) {
  return std::max<std::uint64_t>(1, (std::uint64_t{1} << 25) / std::max<std::size_t>(n_books, 1));
}

class GpuEngine {
 public:
  using Progress = std::function<void(std::uint64_t, std::uint64_t)>;

  // Selects the device and creates its context. Throws CudaError (a std::runtime_error).
  explicit GpuEngine(int device = 0);
  ~GpuEngine();
  GpuEngine(const GpuEngine&) = delete;
  GpuEngine& operator=(const GpuEngine&) = delete;

  const GpuDeviceInfo& device() const;

  // Copies a model and book (host views) to the device, replacing any earlier one. Throws
  // std::invalid_argument for more than kMaxGpuAssets assets.
  void load(const ModelView& model, const BookView& book, KernelChoice choice = KernelChoice::kAuto);
  std::string kernel_name() const;  // e.g. "path_losses<16> (constant memory)"

  // Paths [first, first + paths) through the kernel and the device-side reduction, in batches
  // of at most `batch` paths (0: sized from free device memory). `grid` and `tail_k` as the
  // host's LossAccumulator. Throws DeviceMemoryShortage if the tail does not fit.
  // `hist`: the loss histogram's bins (count 0: none), counted on the device.
  // The summary's tail vectors are those recycle() was given since the last run, if any: their
  // host memory, already written, is not faulted in again when the new tail fits it.
  LossSummary run(std::uint64_t seed, std::uint64_t first, std::uint64_t paths, const LossGrid& grid,
                  std::uint64_t tail_k, std::uint64_t batch = 0, const Progress& progress = {},
                  const HistogramGrid& hist = {});
  // --- A scenario's loss tail, kept on the device from run to run (LossPipeline's) ---
  // begin_tail starts it empty, keeping the tail_k largest losses; fold runs paths
  // [first, first + paths) into it (in increasing path order from run to run), returning the
  // moments, far losses and histogram counts with empty tail vectors; copy_tail copies its
  // first m entries (largest first) to host memory (paths: nullptr for none); load_tail
  // replaces it with saved entries (a resume). run() above starts a tail of its own.
  void begin_tail(std::uint64_t tail_k);
  // keep: host memory for the paths' losses, in path order (nullptr: none), copied from each
  // device batch. books (may be null): a hierarchy's books, every one revalued on each path
  // (path_book_losses: the generic layout) and sent to books->sink; the run's losses are then
  // books->views[0]'s.
  LossSummary fold(std::uint64_t seed, std::uint64_t first, std::uint64_t paths,
                   const LossGrid& grid, std::uint64_t batch = 0, const Progress& progress = {},
                   const HistogramGrid& hist = {}, double* keep = nullptr,
                   const FoldBooks* books = nullptr);
  std::uint64_t tail_count() const;
  void copy_tail(std::uint64_t m, double* losses, std::uint64_t* paths);
  void load_tail(const double* losses, const std::uint64_t* paths, std::uint64_t n);

  // Daily values of the loaded model's paths [first, first + count) (kernels/day_values.cuh):
  // day_books[d] is the book of the run cut at day d + 1 (host views over n_assets assets; an
  // empty one for a day not asked for), then the run's own book (which settles the options
  // expiring inside the horizon, kernels/expiry.cuh). simulate_days: the loss on each day d with
  // rows[d] >= 0 into losses[rows[d] * count + k]; simulate_path_risk: each path's horizon loss,
  // maximum drawdown and first day of breach (DayValueSimulator's contract, host/day_values.hpp).
  void simulate_days(const std::vector<BookView>& day_books, int n_assets,
                     const std::vector<int>& rows, std::uint64_t seed, std::uint64_t first,
                     std::uint64_t count, double* losses);
  // A book hierarchy (host/analytics/books.hpp): each book's loss at the horizon on paths
  // [first, first + count) of the loaded model, book n's into losses[n * count + k]; the books
  // share the model's spots (the runs of one market and scenario), and a book with options
  // expiring inside the horizon or vol factors keeps its own marks (kernels/book_losses.cuh).
  void simulate_books(const std::vector<BookView>& books, int n_assets, std::uint64_t seed,
                      std::uint64_t first, std::uint64_t count, double* losses);
  void simulate_path_risk(const std::vector<BookView>& day_books, int n_assets, double stop_loss,
                          std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                          double* losses, double* drawdowns, std::int32_t* first_breach);

  // Under the loaded model's importance-sampling measure: the losses and log-likelihood ratios
  // of paths [first, first + count), copied to the host. books (may be null): a hierarchy's
  // books revalued on the same weighted paths and sent to books->sink; the losses are then
  // books->views[0]'s.
  void simulate_weighted(std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                         double* losses, double* log_weights, const FoldBooks* books = nullptr);

  // The Euler allocation's sums over the requested tail paths' line losses (tail_lines.cuh),
  // each path simulated under the loaded model's own measure (importance sampling included).
  TailLineSums tail_lines(const std::vector<LineView>& lines, std::uint64_t seed,
                          const TailLineRequest& request);

  // Keeps a used summary's tail vectors (their capacity, host memory held until the next run)
  // for the next run. Writing a fresh 40 MB vector cost about 20 ms on the H200 machine (host
  // page faults), copying the tail into one already written 3 ms.
  void recycle(LossSummary&& used);

  // The losses of paths [first, first + count), copied to the host (tests, parity checks).
  void simulate_losses(std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                       double* losses);

  // Seconds the kernel alone takes for `count` paths, losses left on the device (benchmarks).
  double time_kernel(std::uint64_t seed, std::uint64_t count);

  // Device memory a run may use now: three quarters of what is free.
  std::uint64_t memory_budget() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// cuRAND's device API run on the GPU, for parity tests: for each of `paths` subsequences
// first_path, first_path + 1, ..., curand_init(seed, subsequence, offset) then `per_path`
// calls of curand() (words) or curand_normal4() (4 normals each), path by path into out.
void gpu_curand_words(std::uint64_t seed, std::uint64_t first_path, int paths, std::uint64_t offset,
                      int per_path, std::uint32_t* out);
// cuRAND's scrambled Sobol' device API run on the GPU, for parity tests: for each of `dims`
// dimensions d (direction vectors directions[32 d ..], constant scramble[d], host arrays) and
// each of `points` points p, curand_init(directions, scramble, first_point + p) then curand(),
// into out[d * points + p] (the host generator's dimension-major order).
void gpu_curand_sobol(const std::uint32_t* directions, const std::uint32_t* scramble, int dims,
                      std::uint32_t first_point, int points, std::uint32_t* out);
void gpu_curand_normals4(std::uint64_t seed, std::uint64_t first_path, int paths,
                         std::uint64_t offset, int per_path, float* out);

}  // namespace chipshock
