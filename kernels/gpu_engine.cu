// The CUDA backend: one fused kernel per batch of paths (cuRAND Philox draws, correlated
// shocks, scenario jumps, revaluation, loss) that writes one loss per path, and the Thrust
// reduction of loss_pipeline.cuh on the device. The kernel body is one call of the shared
// per-path function (single_path.cuh) with cuRAND's device API as the generator; everything
// else it runs is the code the CPU backend runs.
#include <cuda_runtime.h>
#include <curand_kernel.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "book_losses.cuh"
#include "cuda_check.cuh"
#include "day_values.cuh"
#include "gpu_engine.hpp"
#include "loss_pipeline.cuh"
#include "packed_spec.cuh"
#include "single_path.cuh"
#include "tail_line_pipeline.cuh"

#ifndef CHIPSHOCK_CUDA_ARCHITECTURES
#define CHIPSHOCK_CUDA_ARCHITECTURES "unknown"
#endif

// The path kernels' minimum resident blocks per SM (__launch_bounds__), for occupancy
// experiments (-DCHIPSHOCK_KERNEL_MIN_BLOCKS=N). Measured on an H200 (bench/RESULTS.md), the
// 16-asset kernel at 256 threads: 1 (128 registers, 2 blocks fit) 3.97e11 asset-steps/s; 3 (80
// registers, 404 bytes of spills) 3.54e11.
#ifndef CHIPSHOCK_KERNEL_MIN_BLOCKS
#define CHIPSHOCK_KERNEL_MIN_BLOCKS 1
#endif

namespace chipshock {

namespace {

constexpr int kBlockThreads = 256;
constexpr int kMaxFixedAssets = 32;                 // fixed-size kernels: 4, 8, ..., 32 assets
constexpr std::size_t kConstantBytes = 48 * 1024;  // of the 64 KiB of constant memory

// Per-launch data of the fixed-size kernels; 16-byte aligned like the packed layout.
__constant__ double2 c_spec[kConstantBytes / sizeof(double2)];
// A one-segment model's Cholesky factor and drift for the fixed-size kernels, also at fixed
// addresses: with the asset loops unrolled, every coefficient is then an immediate operand of
// its FMA (read through the constant cache), not a register. Read at run-time offsets into
// c_spec, ptxas hoisted the 136 coefficients of a 16-asset model into registers: 242 in all,
// one block of 256 threads per multiprocessor.
__constant__ float c_chol[kMaxFixedAssets * kMaxFixedAssets];
__constant__ float c_drift[kMaxFixedAssets];

// FixedSizeModel for a model with one vol segment, whose factor and drift are in c_chol and
// c_drift.
template <int kAssets>
struct ConstantModel : FixedSizeModel<kAssets> {
  __device__ explicit ConstantModel(const ModelView& m) : FixedSizeModel<kAssets>(m) {}
  __device__ const float* segment_chol(int) const { return c_chol; }
  __device__ const float* segment_drift(int) const { return c_drift; }
};

// Path i's diffusion normals from cuRAND's device API: curand_init(seed, i, 0), then one
// curand_normal4 per Philox block, as the host mirror (MirrorNormals) draws them.
class CurandNormals {
 public:
  __device__ CurandNormals(std::uint64_t seed, std::uint64_t path) {
    curand_init(seed, path, 0, &state_);
  }
  __device__ void fill(float* z, int blocks) {
    CHIPSHOCK_UNROLL
    for (int b = 0; b < blocks; ++b) {
      const float4 q = curand_normal4(&state_);
      z[4 * b] = q.x;
      z[4 * b + 1] = q.y;
      z[4 * b + 2] = q.z;
      z[4 * b + 3] = q.w;
    }
  }

 private:
  curandStatePhilox4_32_10_t state_;
};

// --rng sobol: coordinate `first` of one Sobol' dimension from cuRAND's device API, as
// MirrorSobol (sobol.cuh) computes it on the host: curand_init(direction vectors, scramble
// constant, offset = the path index), then curand().
struct CurandSobol {
  template <int kLanes>
  __device__ static void words(const std::uint32_t* v, std::uint32_t c, std::uint32_t first,
                               std::uint32_t* out) {
    static_assert(kLanes == 1, "one path per thread");
    curandStateScrambledSobol32_t state;
    curand_init(const_cast<std::uint32_t*>(v), c, first, &state);
    out[0] = curand(&state);
  }
};

// One path's loss with the run's generator: Philox, or Sobol' points through the Brownian
// bridge (bridge: its scratch). The fixed-size kernels serve books with no option expiring
// inside the horizon; the generic one (kAssets == 0) any book, settling them (kernels/expiry.cuh).
template <bool kSobol, int kAssets, class Model>
__device__ double one_path_loss(const Model& m, const BookView& b, std::uint64_t seed,
                                std::uint64_t path, float* x, float* z, float* eps, double* spot,
                                double* bridge, Settlement* settled) {
  if constexpr (kAssets == 0) {
    if constexpr (kSobol)
      return settled_path_loss_of<SobolDiffusion<CurandSobol>>(m, b, seed, path, x, z, eps, spot,
                                                               bridge, settled);
    else
      return settled_path_loss_of<PhiloxDiffusion<CurandNormals>>(m, b, seed, path, x, z, eps,
                                                                  spot, nullptr, settled);
  } else if constexpr (kSobol) {
    return path_loss_of<SobolDiffusion<CurandSobol>>(m, b, seed, path, x, z, eps, spot, bridge);
  } else {
    return path_loss_of<PhiloxDiffusion<CurandNormals>>(m, b, seed, path, x, z, eps, spot,
                                                        nullptr);
  }
}

// One path per thread, grid-stride over 64-bit path offsets. kAssets > 0: the model is padded
// to kAssets assets and its data is in constant memory; kAssets == 0: any size up to
// kMaxGpuAssets, data in global memory (`spec`). kSobol: quasi-Monte Carlo diffusion.
template <int kAssets, bool kSobol>
__global__ void __launch_bounds__(kBlockThreads, CHIPSHOCK_KERNEL_MIN_BLOCKS)
    path_losses(PackedLayout layout, const unsigned char* spec, std::uint64_t seed,
                std::uint64_t first_path, std::uint64_t count, double* losses) {
  constexpr int kScratch = kAssets > 0 ? kAssets : kMaxGpuAssets;
  float x[kScratch], z[kScratch], eps[kScratch];
  double spot[kScratch];
  double bridge[kSobol ? gpu_bridge_capacity(kAssets) : 1];
  Settlement settled[kAssets == 0 ? kMaxMarks : 1];
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  std::uint64_t k = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if constexpr (kAssets > 0) {
    const unsigned char* base = reinterpret_cast<const unsigned char*>(c_spec);
    const BookView b = layout.book_at(base);
    if (layout.model.n_segments == 1) {
      const ConstantModel<kAssets> m(layout.model_at(base));
      for (; k < count; k += stride)
        losses[k] = one_path_loss<kSobol, kAssets>(m, b, seed, first_path + k, x, z, eps, spot,
                                                   bridge, settled);
    } else {
      const FixedSizeModel<kAssets> m(layout.model_at(base));
      for (; k < count; k += stride)
        losses[k] = one_path_loss<kSobol, kAssets>(m, b, seed, first_path + k, x, z, eps, spot,
                                                   bridge, settled);
    }
  } else {
    const ModelView m = layout.model_at(spec);
    const BookView b = layout.book_at(spec);
    for (; k < count; k += stride)
      losses[k] = one_path_loss<kSobol, kAssets>(m, b, seed, first_path + k, x, z, eps, spot,
                                                   bridge, settled);
  }
}

// Path `path`'s log-returns under the model's own measure (the importance-sampling one when the
// model has it), returning the log-likelihood ratio (0 without): what the CPU's lanes and the
// scalar reference run, with cuRAND's device API.
// The book's options expiring inside the horizon are settled into `settled` (expiry.cuh).
// then: one more day observer (a hierarchy's books' marks, BookMarkDays).
template <bool kSobol, class Model, class Then = NoDayEnd>
__device__ double weighted_log_returns(const Model& m, const BookView& b, std::uint64_t seed,
                                       std::uint64_t path, float* x, float* z, float* eps,
                                       double* bridge, Settlement* settled, Then then = Then{}) {
  start_path_marks(b, settled);
  const BothDayEnds<PathMarkDays, Then> day_end{PathMarkDays{&b, settled, seed, path, m.antithetic},
                                                then};
  if constexpr (kSobol)
    return path_log_returns_weighted<SobolDiffusion<CurandSobol>>(m, seed, path, x, z, eps, bridge,
                                                                  day_end);
  else
    return path_log_returns_weighted<PhiloxDiffusion<CurandNormals>>(m, seed, path, x, z, eps,
                                                                     nullptr, day_end);
}

// A hierarchy's books that keep marks (book_losses.cuh), on the device: each thread of a launch
// has total marks at scratch + thread * total (global memory: any number of books).
struct BookMarksView {
  const int* marked = nullptr;
  const int* mark_at = nullptr;
  int n_marked = 0;
  int total = 0;
  Settlement* scratch = nullptr;
  __device__ BookMarkDays on(const BookView* books, std::uint64_t seed, std::uint64_t path,
                             int antithetic) const {
    const std::uint64_t thread = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    return BookMarkDays{books, marked, mark_at,   n_marked, scratch + thread * total,
                        seed,  path,   antithetic};
  }
};

// One thread's scratch for the per-path functions on the generic layout (any asset count).
template <bool kSobol>
struct GenericScratch {
  float x[kMaxGpuAssets], z[kMaxGpuAssets], eps[kMaxGpuAssets];
  double spot[kMaxGpuAssets];
  double bridge[kSobol ? gpu_bridge_capacity(0) : 1];
  Settlement settled[kMaxMarks];  // settlements, then vol factors (vol_factors.cuh)
};

// Importance sampling: each path's loss and log-likelihood ratio. The generic layout (data in
// global memory): a weighted run's share of the GPU's time is its paths, not their speed.
template <bool kSobol>
__global__ void __launch_bounds__(kBlockThreads)
    weighted_path_losses(PackedLayout layout, const unsigned char* spec, std::uint64_t seed,
                         std::uint64_t first_path, std::uint64_t count, double* losses,
                         double* log_weights) {
  GenericScratch<kSobol> t;
  const ModelView m = layout.model_at(spec);
  const BookView b = layout.book_at(spec);
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t k = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       k < count; k += stride) {
    log_weights[k] = weighted_log_returns<kSobol>(m, b, seed, first_path + k, t.x, t.z, t.eps,
                                                  t.bridge, t.settled);
    losses[k] = horizon_loss(m, b, t.x, t.spot, t.settled);
  }
}

// A hierarchy's books on weighted paths: each path's log-likelihood ratio and every book's loss
// (book n's at out[n * count + k]) from the same log-returns, drawn under the measure, each book
// that keeps marks with its own (book_losses.cuh).
template <bool kSobol>
__global__ void __launch_bounds__(kBlockThreads)
    weighted_path_book_losses(PackedLayout layout, const unsigned char* spec, const BookView* books,
                              int n_books, BookMarksView book_marks, std::uint64_t seed,
                              std::uint64_t first_path, std::uint64_t count, double* out,
                              double* log_weights) {
  GenericScratch<kSobol> t;
  const ModelView m = layout.model_at(spec);
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t k = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       k < count; k += stride) {
    const BookMarkDays marks = book_marks.on(books, seed, first_path + k, m.antithetic);
    marks.start();
    log_weights[k] = weighted_log_returns<kSobol>(m, books[0], seed, first_path + k, t.x, t.z,
                                                  t.eps, t.bridge, t.settled, marks);
    book_horizon_losses(m, books, n_books, marks, t.x, t.spot, out + k, count);
  }
}

// The components' tail paths: for path paths[k], each line's loss at the horizon (revalue.cuh's
// position_loss, from the spots its loss comes from) into out[j * stride + k], and their sum, in
// line order from 0, into out[n_lines * stride + k], as the CPU's lanes and host form them.
template <bool kSobol>
__global__ void __launch_bounds__(kBlockThreads)
    tail_path_lines(PackedLayout layout, const unsigned char* spec, const LineView* lines,
                    int n_lines, std::uint64_t seed, const std::uint64_t* paths,
                    std::uint64_t count, std::uint64_t stride, double* out) {
  GenericScratch<kSobol> t;
  const ModelView m = layout.model_at(spec);
  const BookView b = layout.book_at(spec);
  double* spot = t.spot;
  const std::uint64_t grid = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t k = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       k < count; k += grid) {
    weighted_log_returns<kSobol>(m, b, seed, paths[k], t.x, t.z, t.eps, t.bridge, t.settled);
    for (int h = 0; h < b.n_held; ++h) {
      const int i = b.held_assets[h];
      spot[i] = b.spot0[i] * exp(static_cast<double>(t.x[i]));
    }
    double total = 0;
    for (int j = 0; j < n_lines; ++j) {
      const LineView& l = lines[j];
      const double v =
          position_loss(b, l.option, l.quantity, l.unit_value0, spot[l.asset], t.settled);
      out[static_cast<std::uint64_t>(j) * stride + k] = v;
      total += v;
    }
    out[static_cast<std::uint64_t>(n_lines) * stride + k] = total;
  }
}

// Path `path` over the horizon with an observer at the end of each day (day_values.cuh), after
// the observer that settles the options of `run` (the run's own book) expiring inside the
// horizon into t.settled.
template <bool kSobol, class Then>
__device__ void day_log_returns(const ModelView& m, const BookView& run, std::uint64_t seed,
                                std::uint64_t path, GenericScratch<kSobol>& t, Then then) {
  start_path_marks(run, t.settled);
  const BothDayEnds<PathMarkDays, Then> day_end{
      PathMarkDays{&run, t.settled, seed, path, m.antithetic}, then};
  if constexpr (kSobol)
    path_log_returns<SobolDiffusion<CurandSobol>>(m, seed, path, t.x, t.z, t.eps, t.bridge,
                                                  day_end);
  else
    path_log_returns<PhiloxDiffusion<CurandNormals>>(m, seed, path, t.x, t.z, t.eps, nullptr,
                                                     day_end);
}

// The fan chart's daily values: path first_path + k's loss on each day d with rows[d] >= 0 into
// out[rows[d] * count + k], under books[d] (the run cut at day d + 1).
template <bool kSobol>
__global__ void __launch_bounds__(kBlockThreads)
    path_day_losses(PackedLayout layout, const unsigned char* spec, const BookView* books,
                    const int* rows, std::uint64_t seed, std::uint64_t first_path,
                    std::uint64_t count, double* out) {
  GenericScratch<kSobol> t;
  const ModelView m = layout.model_at(spec);
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t k = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       k < count; k += stride)
    day_log_returns<kSobol>(m, books[m.horizon_days], seed, first_path + k, t,
                            DayLosses{books, rows, count, out + k, t.spot, t.settled});
}

// A book hierarchy: path first_path + k's loss at the horizon under each book n into
// out[n * count + k] (book_losses.cuh: horizon_loss, as the book's own run forms it, each book
// that keeps marks with its own).
template <bool kSobol>
__global__ void __launch_bounds__(kBlockThreads)
    path_book_losses(PackedLayout layout, const unsigned char* spec, const BookView* books,
                     int n_books, BookMarksView book_marks, std::uint64_t seed,
                     std::uint64_t first_path, std::uint64_t count, double* out) {
  GenericScratch<kSobol> t;
  const ModelView m = layout.model_at(spec);
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t k = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       k < count; k += stride) {
    const BookMarkDays marks = book_marks.on(books, seed, first_path + k, m.antithetic);
    marks.start();
    day_log_returns<kSobol>(m, books[0], seed, first_path + k, t, marks);
    book_horizon_losses(m, books, n_books, marks, t.x, t.spot, out + k, count);
  }
}

// --stop-loss: each path's horizon loss, maximum drawdown and first day of breach.
template <bool kSobol>
__global__ void __launch_bounds__(kBlockThreads)
    path_risk_days(PackedLayout layout, const unsigned char* spec, const BookView* books,
                   double stop_loss, std::uint64_t seed, std::uint64_t first_path,
                   std::uint64_t count, double* losses, double* drawdowns,
                   std::int32_t* first_breach) {
  GenericScratch<kSobol> t;
  const ModelView m = layout.model_at(spec);
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t k = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       k < count; k += stride) {
    PathRiskState state;
    day_log_returns<kSobol>(m, books[m.horizon_days], seed, first_path + k, t,
                            PathRiskDays{books, stop_loss, t.spot, &state, t.settled});
    losses[k] = state.last;
    drawdowns[k] = state.worst;
    first_breach[k] = state.first;
  }
}

// Blocks for a grid-stride launch over `count` items: enough for all, at most 2^16.
unsigned grid_blocks_for(std::uint64_t count) {
  return static_cast<unsigned>(std::clamp<std::uint64_t>((count + kBlockThreads - 1) / kBlockThreads,
                                                         1, std::uint64_t{1} << 16));
}

using PathLossKernel = void (*)(PackedLayout, const unsigned char*, std::uint64_t, std::uint64_t,
                                std::uint64_t, double*);

// Indexed by [generator: Philox, Sobol'][padded asset count / 4]; entry 0 is the generic kernel.
const PathLossKernel kKernels[2][kMaxFixedAssets / 4 + 1] = {
    {path_losses<0, false>, path_losses<4, false>, path_losses<8, false>, path_losses<12, false>,
     path_losses<16, false>, path_losses<20, false>, path_losses<24, false>,
     path_losses<28, false>, path_losses<32, false>},
    {path_losses<0, true>, path_losses<4, true>, path_losses<8, true>, path_losses<12, true>,
     path_losses<16, true>, path_losses<20, true>, path_losses<24, true>, path_losses<28, true>,
     path_losses<32, true>}};

__global__ void probe_kernel(int* out) { *out = 42; }

__global__ void curand_words_kernel(std::uint64_t seed, std::uint64_t first_path, int paths,
                                    std::uint64_t offset, int per_path, std::uint32_t* out) {
  const int p = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (p >= paths) return;
  curandStatePhilox4_32_10_t state;
  curand_init(seed, first_path + static_cast<std::uint64_t>(p), offset, &state);
  for (int k = 0; k < per_path; ++k)
    out[static_cast<std::size_t>(p) * per_path + k] = curand(&state);
}

__global__ void curand_sobol_kernel(const std::uint32_t* directions, const std::uint32_t* scramble,
                                    int dims, std::uint32_t first_point, int points,
                                    std::uint32_t* out) {
  const int t = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (t >= dims * points) return;
  const int d = t / points, p = t % points;
  curandStateScrambledSobol32_t state;
  curand_init(const_cast<std::uint32_t*>(directions + 32L * d), scramble[d],
              first_point + static_cast<std::uint32_t>(p), &state);
  out[t] = curand(&state);
}

__global__ void curand_normals4_kernel(std::uint64_t seed, std::uint64_t first_path, int paths,
                                       std::uint64_t offset, int per_path, float* out) {
  const int p = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (p >= paths) return;
  curandStatePhilox4_32_10_t state;
  curand_init(seed, first_path + static_cast<std::uint64_t>(p), offset, &state);
  float* o = out + static_cast<std::size_t>(p) * per_path * 4;
  for (int k = 0; k < per_path; ++k) {
    const float4 q = curand_normal4(&state);
    o[4 * k] = q.x;
    o[4 * k + 1] = q.y;
    o[4 * k + 2] = q.z;
    o[4 * k + 3] = q.w;
  }
}

// A cudaMalloc'ed buffer, freed on scope exit.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t n) : n_(n) {
    if (n > 0) CHIPSHOCK_CUDA_CHECK(cudaMalloc(&p_, n * sizeof(T)));
  }
  ~DeviceBuffer() {
    if (p_) cudaFree(p_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return p_; }
  std::size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  std::size_t n_;
};

const void* g_constant_owner = nullptr;  // the engine whose data is in c_spec

// The books of the runs cut at each day, on the device: their arrays in one buffer, their views
// (with pointers into it) in another. A book with no arrays (a day not asked for) keeps null
// pointers, which the kernels never read.
class DeviceDayBooks {
 public:
  DeviceDayBooks(const std::vector<BookView>& books, int n_assets)
      : views_(books.size()) {
    struct Offsets {
      std::uint32_t held = 0, spot0 = 0, qty = 0, options = 0, american = 0, expiring = 0,
                    exercise_spot = 0, vol_factors = 0;
    };
    const std::size_t n = static_cast<std::size_t>(n_assets);
    packing::Writer w;
    std::vector<Offsets> at(books.size());
    for (std::size_t d = 0; d < books.size(); ++d) {
      const BookView& b = books[d];
      if (b.spot0 == nullptr) continue;
      at[d].held = w.put(b.held_assets, static_cast<std::size_t>(b.n_held));
      at[d].spot0 = w.put(b.spot0, n);
      at[d].qty = w.put(b.equity_qty, n);
      at[d].options = w.put(b.options, static_cast<std::size_t>(b.n_options));
      at[d].american = w.put(b.american, static_cast<std::size_t>(b.n_american));
      at[d].expiring = w.put(b.expiring, static_cast<std::size_t>(b.n_expiring));
      at[d].exercise_spot = w.put(b.exercise_spot, static_cast<std::size_t>(b.n_exercise_spots));
      at[d].vol_factors = w.put(b.vol_factors, static_cast<std::size_t>(b.n_vol_factors));
    }
    const std::vector<unsigned char> bytes = w.take();
    bytes_ = std::make_unique<DeviceBuffer<unsigned char>>(bytes.size());
    if (!bytes.empty())
      CHIPSHOCK_CUDA_CHECK(cudaMemcpy(bytes_->get(), bytes.data(), bytes.size(),
                                      cudaMemcpyHostToDevice));
    const unsigned char* base = bytes_->get();
    std::vector<BookView> views(books);
    for (std::size_t d = 0; d < books.size(); ++d) {
      if (books[d].spot0 == nullptr) continue;
      views[d].held_assets = reinterpret_cast<const int*>(base + at[d].held);
      views[d].spot0 = reinterpret_cast<const double*>(base + at[d].spot0);
      views[d].equity_qty = reinterpret_cast<const double*>(base + at[d].qty);
      views[d].options =
          views[d].n_options > 0 ? reinterpret_cast<const OptionView*>(base + at[d].options)
                                 : nullptr;
      views[d].american = views[d].n_american > 0
                              ? reinterpret_cast<const AmericanCurve*>(base + at[d].american)
                              : nullptr;
      views[d].expiring = views[d].n_expiring > 0
                              ? reinterpret_cast<const ExpiryView*>(base + at[d].expiring)
                              : nullptr;
      views[d].exercise_spot =
          views[d].n_exercise_spots > 0
              ? reinterpret_cast<const double*>(base + at[d].exercise_spot)
              : nullptr;
      views[d].vol_factors =
          views[d].n_vol_factors > 0
              ? reinterpret_cast<const VolFactorView*>(base + at[d].vol_factors)
              : nullptr;
    }
    if (!views.empty())
      CHIPSHOCK_CUDA_CHECK(cudaMemcpy(views_.get(), views.data(),
                                      views.size() * sizeof(BookView), cudaMemcpyHostToDevice));
  }
  const BookView* views() const { return views_.get(); }

 private:
  std::unique_ptr<DeviceBuffer<unsigned char>> bytes_;
  DeviceBuffer<BookView> views_;
};

// A hierarchy's books that keep marks (book_losses.cuh's layout) on the device, and each launch
// thread's marks in global memory (BookMarksView). blocks(count): a launch's blocks, at most as
// many as the scratch has threads for (at most 256 MiB of marks; the books kernels stride over
// their paths, so any number of blocks gives the same losses).
class DeviceBookMarks {
 public:
  // max_paths: the most paths a launch takes (no more threads get scratch than it can use).
  DeviceBookMarks(const std::vector<BookView>& books, std::uint64_t max_paths) {
    const BookMarkLayout l = book_mark_layout(books);
    if (l.marked.empty()) return;
    marked_ = std::make_unique<DeviceBuffer<int>>(l.marked.size());
    mark_at_ = std::make_unique<DeviceBuffer<int>>(l.mark_at.size());
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(marked_->get(), l.marked.data(), l.marked.size() * sizeof(int),
                                    cudaMemcpyHostToDevice));
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(mark_at_->get(), l.mark_at.data(),
                                    l.mark_at.size() * sizeof(int), cudaMemcpyHostToDevice));
    const std::uint64_t per_block =
        static_cast<std::uint64_t>(l.total) * sizeof(Settlement) * kBlockThreads;
    max_blocks_ = static_cast<unsigned>(std::clamp<std::uint64_t>(
        (std::uint64_t{256} << 20) / per_block, 1, grid_blocks_for(max_paths)));
    scratch_ = std::make_unique<DeviceBuffer<Settlement>>(
        static_cast<std::size_t>(max_blocks_) * kBlockThreads * static_cast<std::size_t>(l.total));
    view_ = BookMarksView{marked_->get(), mark_at_->get(), static_cast<int>(l.marked.size()),
                          l.total, scratch_->get()};
  }
  const BookMarksView& view() const { return view_; }
  unsigned blocks(std::uint64_t count) const {
    const unsigned b = grid_blocks_for(count);
    return view_.n_marked > 0 ? std::min(b, max_blocks_) : b;
  }

 private:
  std::unique_ptr<DeviceBuffer<int>> marked_, mark_at_;
  std::unique_ptr<DeviceBuffer<Settlement>> scratch_;
  unsigned max_blocks_ = 1;
  BookMarksView view_;
};

}  // namespace

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

GpuDeviceInfo probe_gpu(int device) {
  GpuDeviceInfo info;
  info.device = device;
  try {
    int count = 0;
    if (const cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
      cudaGetLastError();
      info.reason = "cudaGetDeviceCount failed: " + cuda_error_text(e);
      return info;
    }
    if (count == 0) {
      info.reason = "cudaGetDeviceCount found no CUDA device";
      return info;
    }
    if (device < 0 || device >= count) {
      info.reason = "CUDA device " + std::to_string(device) + " does not exist (" +
                    std::to_string(count) + " found)";
      return info;
    }
    cudaDeviceProp prop{};
    CHIPSHOCK_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    info.name = prop.name;
    info.cc_major = prop.major;
    info.cc_minor = prop.minor;
    info.sm_count = prop.multiProcessorCount;
    CHIPSHOCK_CUDA_CHECK(cudaSetDevice(device));
    DeviceBuffer<int> flag(1);
    probe_kernel<<<1, 1>>>(flag.get());
    if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) {
      info.reason = "a test kernel does not run on " + info.name + " (compute capability " +
                    std::to_string(prop.major) + "." + std::to_string(prop.minor) +
                    "): " + cuda_error_text(e) + "; this build has code for CUDA architectures " +
                    CHIPSHOCK_CUDA_ARCHITECTURES;
      return info;
    }
    CHIPSHOCK_CUDA_CHECK(cudaDeviceSynchronize());
    int value = 0;
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(&value, flag.get(), sizeof value, cudaMemcpyDeviceToHost));
    if (value != 42) {
      info.reason = "a test kernel on " + info.name + " returned a wrong value";
      return info;
    }
    std::size_t free_bytes = 0, total_bytes = 0;
    CHIPSHOCK_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    info.free_bytes = free_bytes;
    info.total_bytes = total_bytes;
    info.usable = true;
  } catch (const std::exception& e) {
    info.usable = false;
    info.reason = e.what();
  }
  return info;
}

struct GpuEngine::Impl {
  GpuDeviceInfo info;
  PackedLayout layout;
  bool loaded = false;
  int kernel_index = 0;                      // into kKernels[sobol]
  bool sobol = false;                         // the model's generator is Sobol'
  std::vector<unsigned char> constant_bytes;  // what c_spec must hold for the fixed kernel
  std::unique_ptr<DeviceBuffer<unsigned char>> device_spec;  // the same in global memory
  TailLinePipeline lines;
  int grid_blocks = 0;
  LossPipeline pipeline;
  LossSummary spare;  // recycled tail vectors for the next run

  void bind_constant() {
    if (kernel_index == 0 || g_constant_owner == this) return;
    CHIPSHOCK_CUDA_CHECK(cudaMemcpyToSymbol(c_spec, constant_bytes.data(), constant_bytes.size()));
    if (layout.model.n_segments == 1) {  // segment 0's factor and drift, as ConstantModel reads
      const std::size_t p = static_cast<std::size_t>(layout.model.n_assets);
      CHIPSHOCK_CUDA_CHECK(cudaMemcpyToSymbol(c_chol, constant_bytes.data() + layout.vol_chol,
                                              p * p * sizeof(float)));
      CHIPSHOCK_CUDA_CHECK(cudaMemcpyToSymbol(c_drift, constant_bytes.data() + layout.drift_dt,
                                              p * sizeof(float)));
    }
    g_constant_owner = this;
  }

  // Enqueues the kernel for paths [first, first + count) on the default stream.
  void launch(std::uint64_t seed, std::uint64_t first, std::uint64_t count, double* losses) {
    if (!loaded) throw std::logic_error("GpuEngine: no model loaded");
    if (count == 0) return;
    bind_constant();
    const std::uint64_t needed = (count + kBlockThreads - 1) / kBlockThreads;
    const unsigned blocks =
        static_cast<unsigned>(std::min<std::uint64_t>(needed, static_cast<std::uint64_t>(grid_blocks)));
    const unsigned char* spec = device_spec->get();
    kKernels[sobol][kernel_index]<<<blocks, kBlockThreads>>>(layout, spec, seed, first, count,
                                                             losses);
    CHIPSHOCK_LAUNCH_CHECK(kernel_name().c_str());
  }

  std::string kernel_name() const {
    const std::string generator = sobol ? ", sobol" : "";
    return kernel_index == 0 ? "path_losses<generic" + generator + "> (global memory)"
                             : "path_losses<" + std::to_string(4 * kernel_index) + generator +
                                   "> (constant memory)";
  }
};

GpuEngine::GpuEngine(int device) : impl_(std::make_unique<Impl>()) {
  impl_->info = probe_gpu(device);
  if (!impl_->info.usable) throw CudaError("no usable CUDA device: " + impl_->info.reason);
  CHIPSHOCK_CUDA_CHECK(cudaSetDevice(device));
}

GpuEngine::~GpuEngine() {
  if (g_constant_owner == impl_.get()) g_constant_owner = nullptr;
}

const GpuDeviceInfo& GpuEngine::device() const { return impl_->info; }

void GpuEngine::load(const ModelView& model, const BookView& book, KernelChoice choice) {
  if (model.n_assets < 1 || model.n_assets > kMaxGpuAssets)
    throw std::invalid_argument("the GPU backend handles 1 to " + std::to_string(kMaxGpuAssets) +
                                " assets; this model has " + std::to_string(model.n_assets));
  if (model.n_events > kMaxEvents)
    throw std::invalid_argument("more than " + std::to_string(kMaxEvents) + " events");
  Impl& s = *impl_;
  PackedSpec packed = pack_spec(model, book);
  const int padded = packed.layout.model.n_assets;
  // a book with options expiring inside the horizon or vol factors runs the generic kernel's
  // day observer
  const bool fixed = choice == KernelChoice::kAuto && padded <= kMaxFixedAssets &&
                     packed.bytes.size() <= kConstantBytes && !needs_day_marks(book);
  const int kernel_index = fixed ? padded / 4 : 0;
  s.loaded = false;
  s.sobol = model.rng == RngKind::kSobol;
  if (s.sobol && (model.bridge_depth + 1) * model.qmc_assets >
                     gpu_bridge_capacity(fixed ? padded : 0))
    throw std::invalid_argument("the model's Brownian bridge does not fit the GPU kernel's "
                                "scratch");
  s.layout = packed.layout;
  s.kernel_index = kernel_index;
  // Global memory always holds the data: the generic, weighted and line kernels read it there.
  if (!s.device_spec || s.device_spec->size() != packed.bytes.size())
    s.device_spec = std::make_unique<DeviceBuffer<unsigned char>>(packed.bytes.size());
  CHIPSHOCK_CUDA_CHECK(cudaMemcpy(s.device_spec->get(), packed.bytes.data(), packed.bytes.size(),
                                  cudaMemcpyHostToDevice));
  if (fixed) {
    s.constant_bytes = std::move(packed.bytes);
    if (g_constant_owner == impl_.get()) g_constant_owner = nullptr;  // new data: upload again
    s.bind_constant();
  } else {
    s.constant_bytes.clear();
  }
  int per_sm = 0;
  CHIPSHOCK_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
      &per_sm, kKernels[s.sobol][s.kernel_index], kBlockThreads, 0));
  s.grid_blocks = std::max(1, per_sm) * std::max(1, s.info.sm_count);
  s.loaded = true;
}

std::string GpuEngine::kernel_name() const { return impl_->kernel_name(); }

std::uint64_t GpuEngine::memory_budget() const {
  std::size_t free_bytes = 0, total_bytes = 0;
  CHIPSHOCK_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return static_cast<std::uint64_t>(free_bytes) / 4 * 3;
}

LossSummary GpuEngine::run(std::uint64_t seed, std::uint64_t first, std::uint64_t paths,
                           const LossGrid& grid, std::uint64_t tail_k, std::uint64_t batch,
                           const Progress& progress, const HistogramGrid& hist) {
  Impl& s = *impl_;
  // The budget counts what the pipeline still holds from an earlier run: it reuses those
  // buffers when they are large enough, and frees them before it allocates larger ones.
  const BatchPlan plan =
      plan_batches(paths, tail_k, memory_budget() + s.pipeline.held_bytes() / 4 * 3, batch);
  LossSummary out = s.pipeline.run(
      first, paths, grid, tail_k, plan,
      [&s, seed](std::uint64_t f, std::uint64_t count, double* losses) {
        s.launch(seed, f, count, losses);
      },
      progress, hist, std::move(s.spare));
  s.spare = LossSummary{};
  CHIPSHOCK_CUDA_CHECK(cudaDeviceSynchronize());
  return out;
}

void GpuEngine::begin_tail(std::uint64_t tail_k) { impl_->pipeline.begin_tail(tail_k); }

LossSummary GpuEngine::fold(std::uint64_t seed, std::uint64_t first, std::uint64_t paths,
                            const LossGrid& grid, std::uint64_t batch, const Progress& progress,
                            const HistogramGrid& hist, double* keep, const FoldBooks* books) {
  Impl& s = *impl_;
  if (!s.loaded) throw std::logic_error("GpuEngine: no model loaded");
  // A hierarchy's books: every book's losses of a piece of the batch into one device buffer
  // (book n's at n * piece), whose first book is the run's (copied into the pipeline's loss
  // buffer), the whole piece then to the host for the sink.
  std::unique_ptr<DeviceDayBooks> device_books;
  std::unique_ptr<DeviceBookMarks> book_marks;
  std::unique_ptr<DeviceBuffer<double>> book_losses;
  std::vector<double> host_losses;
  const std::uint64_t n_books = books != nullptr ? books->views.size() : 0;
  const std::uint64_t piece = std::min<std::uint64_t>(
      fold_books_piece(static_cast<std::size_t>(n_books)), std::max<std::uint64_t>(paths, 1));
  if (books != nullptr) {
    if (n_books == 0 || !books->sink) throw std::invalid_argument("GpuEngine::fold: no books");
    device_books = std::make_unique<DeviceDayBooks>(books->views, books->n_assets);
    book_marks = std::make_unique<DeviceBookMarks>(books->views, piece);
    book_losses = std::make_unique<DeviceBuffer<double>>(static_cast<std::size_t>(piece * n_books));
    host_losses.resize(static_cast<std::size_t>(piece * n_books));
  }
  // What the pipeline holds counts as free, as in run(), except a kept tail, which is not
  // freed before its buffers grow (they briefly exist twice then; the plan's tail is the new one).
  const std::uint64_t reusable =
      s.pipeline.held_bytes() - (s.pipeline.tail_count() > 0 ? s.pipeline.tail_bytes() : 0);
  const BatchPlan plan = plan_batches_for_tail(paths, s.pipeline.tail_room(paths),
                                               memory_budget() + reusable / 4 * 3, batch);
  const auto book_kernel = s.sobol ? path_book_losses<true> : path_book_losses<false>;
  LossSummary out = s.pipeline.fold(
      first, paths, grid, plan,
      [&](std::uint64_t f, std::uint64_t count, double* losses) {
        if (books == nullptr) {
          s.launch(seed, f, count, losses);
          return;
        }
        for (std::uint64_t done = 0; done < count; done += piece) {
          const std::uint64_t n = std::min(piece, count - done);
          book_kernel<<<book_marks->blocks(n), kBlockThreads>>>(
              s.layout, s.device_spec->get(), device_books->views(), static_cast<int>(n_books),
              book_marks->view(), seed, f + done, n, book_losses->get());
          CHIPSHOCK_LAUNCH_CHECK("path_book_losses");
          CHIPSHOCK_CUDA_CHECK(cudaMemcpy(losses + done, book_losses->get(), n * sizeof(double),
                                          cudaMemcpyDeviceToDevice));
          CHIPSHOCK_CUDA_CHECK(cudaMemcpy(host_losses.data(), book_losses->get(),
                                          n * n_books * sizeof(double), cudaMemcpyDeviceToHost));
          books->sink(host_losses.data(), nullptr, f + done, n);
        }
      },
      progress, hist, keep);
  CHIPSHOCK_CUDA_CHECK(cudaDeviceSynchronize());
  return out;
}

std::uint64_t GpuEngine::tail_count() const { return impl_->pipeline.tail_count(); }

void GpuEngine::copy_tail(std::uint64_t m, double* losses, std::uint64_t* paths) {
  impl_->pipeline.copy_tail(m, losses, paths);
}

void GpuEngine::load_tail(const double* losses, const std::uint64_t* paths, std::uint64_t n) {
  impl_->pipeline.load_tail(losses, paths, n);
}

void GpuEngine::recycle(LossSummary&& used) {
  impl_->spare = LossSummary{};
  impl_->spare.tail = std::move(used.tail);
  impl_->spare.tail_paths = std::move(used.tail_paths);
}

void GpuEngine::simulate_losses(std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                                double* losses) {
  const std::uint64_t chunk = std::min<std::uint64_t>(std::max<std::uint64_t>(count, 1), 1u << 24);
  DeviceBuffer<double> d(static_cast<std::size_t>(chunk));
  for (std::uint64_t done = 0; done < count; done += chunk) {
    const std::uint64_t n = std::min(chunk, count - done);
    impl_->launch(seed, first + done, n, d.get());
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(losses + done, d.get(), n * sizeof(double),
                                    cudaMemcpyDeviceToHost));
  }
}

void GpuEngine::simulate_weighted(std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                                  double* losses, double* log_weights, const FoldBooks* books) {
  Impl& s = *impl_;
  if (!s.loaded) throw std::logic_error("GpuEngine: no model loaded");
  if (books != nullptr) {  // a hierarchy's books on the same weighted paths, a piece at a time
    const std::uint64_t n_books = books->views.size();
    if (n_books == 0 || !books->sink) throw std::invalid_argument("GpuEngine: no books");
    const DeviceDayBooks device_books(books->views, books->n_assets);
    const std::uint64_t piece =
        std::min<std::uint64_t>(std::max<std::uint64_t>(count, 1), fold_books_piece(n_books));
    const DeviceBookMarks book_marks(books->views, piece);
    DeviceBuffer<double> d_losses(static_cast<std::size_t>(piece * n_books));
    DeviceBuffer<double> d_weights(static_cast<std::size_t>(piece));
    std::vector<double> host(static_cast<std::size_t>(piece * n_books));
    const auto kernel = s.sobol ? weighted_path_book_losses<true> : weighted_path_book_losses<false>;
    for (std::uint64_t done = 0; done < count; done += piece) {
      const std::uint64_t n = std::min(piece, count - done);
      kernel<<<book_marks.blocks(n), kBlockThreads>>>(
          s.layout, s.device_spec->get(), device_books.views(), static_cast<int>(n_books),
          book_marks.view(), seed, first + done, n, d_losses.get(), d_weights.get());
      CHIPSHOCK_LAUNCH_CHECK("weighted_path_book_losses");
      CHIPSHOCK_CUDA_CHECK(cudaMemcpy(host.data(), d_losses.get(), n * n_books * sizeof(double),
                                      cudaMemcpyDeviceToHost));
      CHIPSHOCK_CUDA_CHECK(cudaMemcpy(log_weights + done, d_weights.get(), n * sizeof(double),
                                      cudaMemcpyDeviceToHost));
      std::copy(host.begin(), host.begin() + static_cast<std::ptrdiff_t>(n), losses + done);
      books->sink(host.data(), log_weights + done, first + done, n);
    }
    return;
  }
  const std::uint64_t chunk = std::min<std::uint64_t>(std::max<std::uint64_t>(count, 1), 1u << 24);
  DeviceBuffer<double> d_losses(static_cast<std::size_t>(chunk));
  DeviceBuffer<double> d_weights(static_cast<std::size_t>(chunk));
  const auto kernel = s.sobol ? weighted_path_losses<true> : weighted_path_losses<false>;
  for (std::uint64_t done = 0; done < count; done += chunk) {
    const std::uint64_t n = std::min(chunk, count - done);
    kernel<<<grid_blocks_for(n), kBlockThreads>>>(s.layout, s.device_spec->get(), seed,
                                                  first + done, n, d_losses.get(),
                                                  d_weights.get());
    CHIPSHOCK_LAUNCH_CHECK("weighted_path_losses");
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(losses + done, d_losses.get(), n * sizeof(double),
                                    cudaMemcpyDeviceToHost));
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(log_weights + done, d_weights.get(), n * sizeof(double),
                                    cudaMemcpyDeviceToHost));
  }
}

void GpuEngine::simulate_days(const std::vector<BookView>& day_books, int n_assets,
                              const std::vector<int>& rows, std::uint64_t seed,
                              std::uint64_t first, std::uint64_t count, double* losses) {
  Impl& s = *impl_;
  if (!s.loaded) throw std::logic_error("GpuEngine: no model loaded");
  if (rows.size() + 1 != day_books.size() ||
      rows.size() != static_cast<std::size_t>(s.layout.model.horizon_days))
    throw std::invalid_argument(
        "GpuEngine::simulate_days: one book and row per day, then the run's book");
  const std::uint64_t n_rows =
      static_cast<std::uint64_t>(std::count_if(rows.begin(), rows.end(), [](int r) { return r >= 0; }));
  if (n_rows == 0 || count == 0) return;
  const DeviceDayBooks books(day_books, n_assets);
  DeviceBuffer<int> d_rows(rows.size());
  CHIPSHOCK_CUDA_CHECK(cudaMemcpy(d_rows.get(), rows.data(), rows.size() * sizeof(int),
                                  cudaMemcpyHostToDevice));
  // Paths a launch: their rows at most 2^27 doubles (1 GiB).
  const std::uint64_t chunk =
      std::max<std::uint64_t>(1, std::min(count, (std::uint64_t{1} << 27) / n_rows));
  DeviceBuffer<double> out(static_cast<std::size_t>(chunk * n_rows));
  const auto kernel = s.sobol ? path_day_losses<true> : path_day_losses<false>;
  for (std::uint64_t done = 0; done < count; done += chunk) {
    const std::uint64_t n = std::min(chunk, count - done);
    kernel<<<grid_blocks_for(n), kBlockThreads>>>(s.layout, s.device_spec->get(), books.views(),
                                                  d_rows.get(), seed, first + done, n,
                                                  out.get());
    CHIPSHOCK_LAUNCH_CHECK("path_day_losses");
    for (std::uint64_t r = 0; r < n_rows; ++r)  // the chunk's row r: n losses at r * n
      CHIPSHOCK_CUDA_CHECK(cudaMemcpy(losses + r * count + done, out.get() + r * n,
                                      n * sizeof(double), cudaMemcpyDeviceToHost));
  }
}

void GpuEngine::simulate_books(const std::vector<BookView>& books, int n_assets,
                               std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                               double* losses) {
  Impl& s = *impl_;
  if (!s.loaded) throw std::logic_error("GpuEngine: no model loaded");
  if (books.empty() || count == 0) return;
  const DeviceDayBooks device_books(books, n_assets);
  const std::uint64_t n_books = books.size();
  // Paths a launch: their losses at most 2^27 doubles (1 GiB).
  const std::uint64_t chunk =
      std::max<std::uint64_t>(1, std::min(count, (std::uint64_t{1} << 27) / n_books));
  const DeviceBookMarks book_marks(books, chunk);
  DeviceBuffer<double> out(static_cast<std::size_t>(chunk * n_books));
  const auto kernel = s.sobol ? path_book_losses<true> : path_book_losses<false>;
  for (std::uint64_t done = 0; done < count; done += chunk) {
    const std::uint64_t n = std::min(chunk, count - done);
    kernel<<<book_marks.blocks(n), kBlockThreads>>>(
        s.layout, s.device_spec->get(), device_books.views(), static_cast<int>(n_books),
        book_marks.view(), seed, first + done, n, out.get());
    CHIPSHOCK_LAUNCH_CHECK("path_book_losses");
    for (std::uint64_t b = 0; b < n_books; ++b)  // the chunk's book b: n losses at b * n
      CHIPSHOCK_CUDA_CHECK(cudaMemcpy(losses + b * count + done, out.get() + b * n,
                                      n * sizeof(double), cudaMemcpyDeviceToHost));
  }
}

void GpuEngine::simulate_path_risk(const std::vector<BookView>& day_books, int n_assets,
                                   double stop_loss, std::uint64_t seed, std::uint64_t first,
                                   std::uint64_t count, double* losses, double* drawdowns,
                                   std::int32_t* first_breach) {
  Impl& s = *impl_;
  if (!s.loaded) throw std::logic_error("GpuEngine: no model loaded");
  if (day_books.size() != static_cast<std::size_t>(s.layout.model.horizon_days) + 1)
    throw std::invalid_argument(
        "GpuEngine::simulate_path_risk: one book per day, then the run's book");
  if (count == 0) return;
  const DeviceDayBooks books(day_books, n_assets);
  const std::uint64_t chunk = std::min<std::uint64_t>(count, std::uint64_t{1} << 24);
  DeviceBuffer<double> d_losses(static_cast<std::size_t>(chunk));
  DeviceBuffer<double> d_drawdowns(static_cast<std::size_t>(chunk));
  DeviceBuffer<std::int32_t> d_first(static_cast<std::size_t>(chunk));
  const auto kernel = s.sobol ? path_risk_days<true> : path_risk_days<false>;
  for (std::uint64_t done = 0; done < count; done += chunk) {
    const std::uint64_t n = std::min(chunk, count - done);
    kernel<<<grid_blocks_for(n), kBlockThreads>>>(s.layout, s.device_spec->get(), books.views(),
                                                  stop_loss, seed, first + done, n,
                                                  d_losses.get(), d_drawdowns.get(),
                                                  d_first.get());
    CHIPSHOCK_LAUNCH_CHECK("path_risk_days");
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(losses + done, d_losses.get(), n * sizeof(double),
                                    cudaMemcpyDeviceToHost));
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(drawdowns + done, d_drawdowns.get(), n * sizeof(double),
                                    cudaMemcpyDeviceToHost));
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(first_breach + done, d_first.get(),
                                    n * sizeof(std::int32_t), cudaMemcpyDeviceToHost));
  }
}

TailLineSums GpuEngine::tail_lines(const std::vector<LineView>& lines, std::uint64_t seed,
                                   const TailLineRequest& request) {
  Impl& s = *impl_;
  if (!s.loaded) throw std::logic_error("GpuEngine: no model loaded");
  DeviceBuffer<LineView> d_lines(lines.size());
  if (!lines.empty())
    CHIPSHOCK_CUDA_CHECK(cudaMemcpy(d_lines.get(), lines.data(), lines.size() * sizeof(LineView),
                                    cudaMemcpyHostToDevice));
  const auto kernel = s.sobol ? tail_path_lines<true> : tail_path_lines<false>;
  const int n_lines = static_cast<int>(lines.size());
  TailLineSums out = s.lines.run(
      request, n_lines + 1,
      [&](const std::uint64_t* paths, std::uint64_t count, std::uint64_t stride, double* o) {
        kernel<<<grid_blocks_for(count), kBlockThreads>>>(s.layout, s.device_spec->get(),
                                                          d_lines.get(), n_lines, seed, paths,
                                                          count, stride, o);
        CHIPSHOCK_LAUNCH_CHECK("tail_path_lines");
      });
  s.lines.release();  // its buffers are the main runs' memory again
  return out;
}

double GpuEngine::time_kernel(std::uint64_t seed, std::uint64_t count) {
  const std::uint64_t chunk = std::min<std::uint64_t>(std::max<std::uint64_t>(count, 1), kMaxBatchPaths);
  DeviceBuffer<double> d(static_cast<std::size_t>(chunk));
  cudaEvent_t start = nullptr, stop = nullptr;
  CHIPSHOCK_CUDA_CHECK(cudaEventCreate(&start));
  CHIPSHOCK_CUDA_CHECK(cudaEventCreate(&stop));
  float ms = 0;
  try {
    CHIPSHOCK_CUDA_CHECK(cudaEventRecord(start));
    for (std::uint64_t done = 0; done < count; done += chunk)
      impl_->launch(seed, done, std::min(chunk, count - done), d.get());
    CHIPSHOCK_CUDA_CHECK(cudaEventRecord(stop));
    CHIPSHOCK_CUDA_CHECK(cudaEventSynchronize(stop));
    CHIPSHOCK_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  } catch (...) {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms * 1e-3;
}

void gpu_curand_words(std::uint64_t seed, std::uint64_t first_path, int paths, std::uint64_t offset,
                      int per_path, std::uint32_t* out) {
  const std::size_t n = static_cast<std::size_t>(paths) * static_cast<std::size_t>(per_path);
  DeviceBuffer<std::uint32_t> d(n);
  curand_words_kernel<<<(paths + 127) / 128, 128>>>(seed, first_path, paths, offset, per_path,
                                                    d.get());
  CHIPSHOCK_LAUNCH_CHECK("curand_words_kernel");
  CHIPSHOCK_CUDA_CHECK(cudaMemcpy(out, d.get(), n * sizeof(std::uint32_t), cudaMemcpyDeviceToHost));
}

void gpu_curand_sobol(const std::uint32_t* directions, const std::uint32_t* scramble, int dims,
                      std::uint32_t first_point, int points, std::uint32_t* out) {
  const std::size_t n = static_cast<std::size_t>(dims) * static_cast<std::size_t>(points);
  DeviceBuffer<std::uint32_t> d_directions(static_cast<std::size_t>(dims) * 32);
  DeviceBuffer<std::uint32_t> d_scramble(static_cast<std::size_t>(dims));
  DeviceBuffer<std::uint32_t> d(n);
  CHIPSHOCK_CUDA_CHECK(cudaMemcpy(d_directions.get(), directions,
                                  d_directions.size() * sizeof(std::uint32_t),
                                  cudaMemcpyHostToDevice));
  CHIPSHOCK_CUDA_CHECK(cudaMemcpy(d_scramble.get(), scramble,
                                  d_scramble.size() * sizeof(std::uint32_t),
                                  cudaMemcpyHostToDevice));
  curand_sobol_kernel<<<static_cast<unsigned>((n + 127) / 128), 128>>>(
      d_directions.get(), d_scramble.get(), dims, first_point, points, d.get());
  CHIPSHOCK_LAUNCH_CHECK("curand_sobol_kernel");
  CHIPSHOCK_CUDA_CHECK(cudaMemcpy(out, d.get(), n * sizeof(std::uint32_t), cudaMemcpyDeviceToHost));
}

void gpu_curand_normals4(std::uint64_t seed, std::uint64_t first_path, int paths,
                         std::uint64_t offset, int per_path, float* out) {
  const std::size_t n = static_cast<std::size_t>(paths) * static_cast<std::size_t>(per_path) * 4;
  DeviceBuffer<float> d(n);
  curand_normals4_kernel<<<(paths + 127) / 128, 128>>>(seed, first_path, paths, offset, per_path,
                                                       d.get());
  CHIPSHOCK_LAUNCH_CHECK("curand_normals4_kernel");
  CHIPSHOCK_CUDA_CHECK(cudaMemcpy(out, d.get(), n * sizeof(float), cudaMemcpyDeviceToHost));
}

}  // namespace chipshock
