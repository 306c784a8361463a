// The CPU backend's kernel, written once for any register width: OpenMP threads over groups
// of kLanes consecutive paths (one register of Highway's target for this file: 8 paths with
// AVX2, 16 with AVX-512), running the shared per-path templates of kernels/. Included only by
// host/cpu/cpu_kernel_*.cpp, each compiled for its own instruction set, which define
// CHIPSHOCK_KERNEL_ENTRY, CHIPSHOCK_DAYS_ENTRY, CHIPSHOCK_LINES_ENTRY and
// CHIPSHOCK_PATH_RISK_ENTRY (the functions of host/cpu/cpu_kernel.hpp that they provide) and
// CHIPSHOCK_ISA_TAG (kernels/portability.cuh). Scratch memory is a Buffer of this file's own,
// not std::vector, so that no library template is compiled here for a wider instruction set
// than the rest of the program is (scripts/check_kernel_symbols.sh).
#pragma once

#if !defined(CHIPSHOCK_KERNEL_ENTRY) || !defined(CHIPSHOCK_DAYS_ENTRY) ||     \
    !defined(CHIPSHOCK_LINES_ENTRY) || !defined(CHIPSHOCK_PATH_RISK_ENTRY) || \
    !defined(CHIPSHOCK_BOOKS_ENTRY) || !defined(CHIPSHOCK_ISA_TAG)
#error "include host/cpu/cpu_kernel_impl.hpp only from host/cpu/cpu_kernel_*.cpp"
#endif

#include <omp.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <type_traits>

#include "host/cpu/cpu_kernel.hpp"
#include "host/cpu/simd_lanes.hpp"
#include "host/run_cancel.hpp"
#include "kernels/box_muller.cuh"
#include "kernels/importance_sampling.cuh"
#include "kernels/path_model.cuh"
#include "kernels/philox.cuh"
#include "kernels/revalue.cuh"
#include "kernels/scenario_events.cuh"
#include "kernels/sobol_normals.cuh"
#include "kernels/student_t.cuh"

namespace chipshock::simd {
namespace HWY_NAMESPACE {
namespace {

// Value-initialised storage for n trivially destructible T, aligned for any register.
template <class T>
class Buffer {
  static_assert(std::is_trivially_destructible<T>::value, "no destructors to run");

 public:
  explicit Buffer(std::size_t n)
      : p_(n == 0 ? nullptr
                  : static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64)))) {
    for (std::size_t i = 0; i < n; ++i) new (p_ + i) T();
  }
  ~Buffer() {
    if (p_ != nullptr) ::operator delete(p_, std::align_val_t(64));
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  T* data() { return p_; }
  T& operator[](std::size_t i) { return p_[i]; }
  const T& operator[](std::size_t i) const { return p_[i]; }

 private:
  T* p_;
};

// The path indices of a group's lanes: consecutive from `first`, or gathered (the tail paths
// that components simulate again), then gathered[l] (kLanes of them).
struct LanePaths {
  std::uint64_t first = 0;
  const std::uint64_t* gathered = nullptr;
  std::uint64_t operator[](int l) const {
    return gathered != nullptr ? gathered[l] : first + static_cast<std::uint64_t>(l);
  }
};

// Two Philox blocks of kLanes lanes each, for philox4x32_10<WordLanes2>: the two halves' rounds are
// independent, so they interleave.
struct WordLanes2 {
  WordLanes a, b;
};
inline WordLanes2 operator^(WordLanes2 p, WordLanes2 q) { return {p.a ^ q.a, p.b ^ q.b}; }
inline WordLanes2 operator^(WordLanes2 p, std::uint32_t k) { return {p.a ^ k, p.b ^ k}; }
inline WordLanes2 mulhilo(std::uint32_t m, WordLanes2 x, WordLanes2& hi) {
  WordLanes2 lo;
  lo.a = mulhilo(m, x.a, hi.a);
  lo.b = mulhilo(m, x.b, hi.b);
  return lo;
}

// The diffusion streams of kLanes consecutive paths (or gathered ones), advanced in lockstep: lanes
// share the block counter (counter words x,y) and differ in the path index (words z,w).
class LaneNormals {
 public:
  LaneNormals(std::uint64_t seed, LanePaths paths, int antithetic)
      : key_(philox_key(seed)), antithetic_(antithetic != 0) {
    alignas(64) std::uint32_t lo[kLanes], hi[kLanes];
    alignas(64) float sign[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      const std::uint64_t path = paths[l];
      const std::uint64_t p = antithetic_source(path, antithetic);
      lo[l] = static_cast<std::uint32_t>(p);
      hi[l] = static_cast<std::uint32_t>(p >> 32);
      sign[l] = antithetic_sign(path, antithetic);
    }
    path_lo_ = WordLanes::load(lo);
    path_hi_ = WordLanes::load(hi);
    sign_ = FloatLanes::load(sign);
  }

  // Two blocks at a time: one block's ten Philox rounds form a single dependent chain, and a
  // second independent chain beside it keeps the vector units busy (about twice the throughput).
  void fill(FloatLanes* z, int blocks) {
    int b = 0;
    for (; b + 2 <= blocks; b += 2, block_ += 2) {
      const Word4<WordLanes2> r =
          philox4x32_10(Word4<WordLanes2>{{block_word(0, 0), block_word(1, 0)},
                                          {block_word(0, 1), block_word(1, 1)},
                                          {path_lo_, path_lo_},
                                          {path_hi_, path_hi_}},
                        key_);
      normal4_from_block(Word4<WordLanes>{r.x.a, r.y.a, r.z.a, r.w.a}, z + 4 * b);
      normal4_from_block(Word4<WordLanes>{r.x.b, r.y.b, r.z.b, r.w.b}, z + 4 * b + 4);
    }
    if (b < blocks) {
      normal4_from_block(
          philox4x32_10(Word4<WordLanes>{block_word(0, 0), block_word(0, 1), path_lo_, path_hi_},
                        key_),
          z + 4 * b);
      ++block_;
    }
    if (antithetic_)  // the odd lanes of antithetic pairs: negated (multiplying by -1 is exact)
      for (int i = 0; i < 4 * blocks; ++i) z[i] = z[i] * sign_;
  }

 private:
  // Counter word x (half 0) or y (half 1) of block block_ + ahead, the same in every lane.
  WordLanes block_word(int ahead, int half) const {
    return WordLanes(
        static_cast<std::uint32_t>((block_ + static_cast<std::uint64_t>(ahead)) >> (32 * half)));
  }

  PhiloxKey key_;
  bool antithetic_;
  WordLanes path_lo_, path_hi_;
  FloatLanes sign_;
  std::uint64_t block_ = 0;  // diffusion stream: starts at block 0
};

// The normal quantile a register of doubles at a time, for the Sobol' normals below.
struct LaneQuantiles {
  template <int kCount>
  static void apply(const double* u, double* z) {
    static_assert(kCount % kDoubleLanes == 0, "whole vectors");
    for (int l = 0; l < kCount; l += kDoubleLanes) normal_quantile_lanes(u + l, z + l);
  }
};

// Quasi-Monte Carlo normals of kLanes consecutive paths (--rng sobol): the shared Brownian
// bridge of kernels/sobol_normals.cuh on kLanes lanes in double (the same numbers as the scalar
// reference), its float increments then packed per asset.
class LaneSobolNormals {
 public:
  LaneSobolNormals(const ModelView& m, std::uint64_t seed, std::uint64_t first_path, double* bridge,
                   float* increments)
      : bridge_(m, seed, first_path, bridge), n_(m.qmc_assets), increments_(increments) {}
  void fill(FloatLanes* z, int blocks) {
    bridge_.next(increments_);
    for (int a = 0; a < n_; ++a) z[a] = FloatLanes::load_unaligned(increments_ + a * kLanes);
    for (int i = n_; i < 4 * blocks; ++i) z[i] = FloatLanes(0.0f);
  }

 private:
  SobolBridge<MirrorSobol, kLanes, LaneQuantiles> bridge_;
  int n_;
  float* increments_;  // [n][kLanes]
};

// The same for gathered paths (the tail paths that components simulate again): a scalar
// bridge per lane, the arithmetic of the consecutive lanes above lane by lane (the scalar and
// the lane quantile give the same bits: host/cpu/simd_lanes.hpp), so a path's normals do not
// depend on the group it is simulated in.
class GatherSobolNormals {
  using Bridge = SobolBridge<MirrorSobol, 1>;
  static_assert(std::is_trivially_destructible<Bridge>::value, "nothing to destroy");

 public:
  GatherSobolNormals(const ModelView& m, std::uint64_t seed, LanePaths paths, double* bridge,
                     float* increments)
      : n_(m.qmc_assets), increments_(increments) {
    const int per_lane = sobol_scratch_doubles(m);
    for (int l = 0; l < kLanes; ++l)
      new (storage_ + l * sizeof(Bridge)) Bridge(m, seed, paths[l], bridge + l * per_lane);
  }
  void fill(FloatLanes* z, int blocks) {
    for (int l = 0; l < kLanes; ++l) lane(l)->next(increments_ + l * n_);
    alignas(64) float column[kLanes];
    for (int a = 0; a < n_; ++a) {
      for (int l = 0; l < kLanes; ++l) column[l] = increments_[l * n_ + a];
      z[a] = FloatLanes::load(column);
    }
    for (int i = n_; i < 4 * blocks; ++i) z[i] = FloatLanes(0.0f);
  }

 private:
  Bridge* lane(int l) { return std::launder(reinterpret_cast<Bridge*>(storage_) + l); }
  alignas(Bridge) unsigned char storage_[kLanes * sizeof(Bridge)];
  int n_;
  float* increments_;  // [kLanes][n]
};

// Student-t scale factors: each lane draws from its own path's mixing stream (the number of
// rejection tries differs between lanes, so these are scalar).
// Under importance sampling the shifted lanes' draws are twisted by lambda (twisted_scale) and
// every lane keeps its term of log p/q.
class LaneMixing {
 public:
  // apply_lanes: under importance sampling, 1 for the lanes drawn shifted (else 0).
  LaneMixing(std::uint64_t seed, LanePaths paths, float dof, int antithetic, float lambda = 1.0f,
             const float* apply_lanes = nullptr)
      : dof_(dof), lambda_(lambda) {
    if (apply_lanes != nullptr)
      for (int l = 0; l < kLanes; ++l) apply_[l] = apply_lanes[l] != 0.0f;
    for (int l = 0; l < kLanes; ++l)
      streams_[l] = PhiloxBlockStream(seed, antithetic_source(paths[l], antithetic),
                                      stream_offset(RngStream::kMixing));
  }
  FloatLanes scale() {
    alignas(64) float s[kLanes];
    for (int l = 0; l < kLanes; ++l)
      s[l] =
          twisted_scale(student_t_scale(streams_[l], dof_), dof_, lambda_, apply_[l], log_pq_[l]);
    return FloatLanes::load(s);
  }
  double log_pq(int lane) const { return log_pq_[lane]; }

 private:
  PhiloxBlockStream streams_[kLanes];
  float dof_, lambda_;
  bool apply_[kLanes] = {};
  double log_pq_[kLanes] = {};
};

// Scenario events of kLanes paths: each lane draws its own (scalar), the coefficients are
// gathered into a vector per day.
class LaneEvents {
 public:
  LaneEvents(const ModelView& m, std::uint64_t seed, LanePaths paths, Buffer<EventDraw>& draws)
      : m_(m), draws_(draws) {
    for (int e = 0; e < m.n_events; ++e)
      for (int l = 0; l < kLanes; ++l)
        draws_[static_cast<std::size_t>(e * kLanes + l)] =
            draw_event(m.events[e], seed, paths[l], e);
  }
  bool active(int e, int day) const {
    for (int l = 0; l < kLanes; ++l)
      if (event_coefficient(m_.events[e], draws_[static_cast<std::size_t>(e * kLanes + l)], day) !=
          0.0f)
        return true;
    return false;
  }
  FloatLanes coefficient(int e, int day) const {
    alignas(64) float c[kLanes];
    for (int l = 0; l < kLanes; ++l)
      c[l] = event_coefficient(m_.events[e], draws_[static_cast<std::size_t>(e * kLanes + l)], day);
    return FloatLanes::load(c);
  }

 private:
  const ModelView& m_;
  Buffer<EventDraw>& draws_;
};

struct Scratch {
  // book_marks: the books of a hierarchy that keep their own path state (simulate_books)
  explicit Scratch(const ModelView& m, std::size_t book_marks = 0)
      : x(static_cast<std::size_t>(m.n_assets)),
        z(static_cast<std::size_t>(4 * m.n_blocks)),
        eps(static_cast<std::size_t>(m.n_assets)),
        spot(static_cast<std::size_t>(m.n_assets) * kLanes),
        draws(static_cast<std::size_t>(m.n_events) * kLanes),
        bridge(m.rng == RngKind::kSobol
                   ? static_cast<std::size_t>(sobol_scratch_doubles(m)) * kLanes
                   : 0),
        increments(m.rng == RngKind::kSobol ? static_cast<std::size_t>(m.qmc_assets) * kLanes : 0),
        settled(static_cast<std::size_t>(kMaxMarks) * kLanes),
        book_settled(book_marks * static_cast<std::size_t>(kMaxMarks) * kLanes) {}
  Buffer<FloatLanes> x, z, eps;
  Buffer<double> spot;  // horizon spots, lane by lane: spot[l * n_assets + i]
  Buffer<EventDraw> draws;
  Buffer<double> bridge;     // --rng sobol: the lanes' Brownian bridge
  Buffer<float> increments;  // and one step's increments
  // the lanes' settlements of the options expiring inside the horizon and vol factors
  // (kernels/expiry.cuh, kernels/vol_factors.cuh): lane l's at settled[l * kMaxMarks + k]
  Buffer<Settlement> settled;
  // simulate_books: the j-th such book's at book_settled[j * kMaxMarks * kLanes]
  Buffer<Settlement> book_settled;
};

// The day observer that keeps the lanes' path state (PathMarkDays, lane by lane, the same
// arithmetic): the book of the run that draws the paths.
struct LaneSettle {
  const BookView* book;
  Settlement* settled;  // Scratch::settled, start_lane_settlements before the first day
  std::uint64_t seed;
  LanePaths paths;
  int antithetic;  // ModelView::antithetic
  void operator()(int day, const FloatLanes* x) const {
    const BookView& b = *book;
    for (int l = 0; l < kLanes && b.n_vol_factors > 0; ++l)
      move_vol_factors(b, seed, paths[l], antithetic, day, settled + l * kMaxMarks);
    for (int k = 0; k < b.n_expiring; ++k) {
      const FloatLanes& xi = x[b.expiring[k].asset];
      for (int l = 0; l < kLanes; ++l)
        settle_on_day(b, k, day, static_cast<double>(xi[l]), settled[l * kMaxMarks + k]);
    }
  }
};

void start_lane_settlements(const BookView& b, Settlement* settled) {
  for (int l = 0; l < kLanes; ++l) start_path_marks(b, settled + l * kMaxMarks);
}

// The lanes' losses from their values of cash and shares (v_lo, v_hi: the lower and upper
// lanes), horizon spots and settlements (Scratch::settled; read only for expiring options):
// each lane's options added in order, then value0 - value.
void lane_option_losses(const BookView& b, int n_assets, const DoubleVec& v_lo,
                        const DoubleVec& v_hi, const double* spot, const Settlement* settled,
                        int valid, double* out) {
  const DoubleTag dd;
  alignas(64) double v[kLanes];
  hn::Store(v_lo, dd, v);
  hn::Store(v_hi, dd, v + kDoubleLanes);
  for (int l = 0; l < valid; ++l) {
    double value = v[l];
    const double* s = spot + l * n_assets;
    const Settlement* settled_l = settled != nullptr ? settled + l * kMaxMarks : nullptr;
    for (int k = 0; k < b.n_options; ++k) {
      const OptionView& o = b.options[k];
      value = fma(o.quantity, horizon_option_value(b, o, s[o.asset], settled_l), value);
    }
    out[l] = b.value0 - value;
  }
}

// path_loss (kernels/revalue.cuh) for the lanes: the same horizon spots spot0_i * e^(x_i) and
// the same book value, term by term the fused multiply-adds of book_value, a register of
// doubles at a time for cash and shares, then each lane's options in order. Lanes at or past
// `valid` are computed but not stored. The spots go to spot[l * n_assets + i] when the book has
// options or `keep_spots` (the components read them). settled: the lanes' settlements.
void lane_losses(const BookView& b, int n_assets, const FloatLanes* x, int valid, double* out,
                 double* spot, const Settlement* settled, bool keep_spots = false) {
  const DoubleTag dd;
  const bool store = keep_spots || b.n_options > 0;
  DoubleVec v_lo = hn::Set(dd, b.cash), v_hi = v_lo;
  for (int k = 0; k < b.n_held; ++k) {
    const int i = b.held_assets[k];
    const DoubleVec spot0 = hn::Set(dd, b.spot0[i]);
    const DoubleVec q = hn::Set(dd, b.equity_qty[i]);
    const DoubleVec s_lo = hn::Mul(spot0, lane_exp(lower_as_double(x[i])));
    const DoubleVec s_hi = hn::Mul(spot0, lane_exp(upper_as_double(x[i])));
    v_lo = hn::MulAdd(q, s_lo, v_lo);
    v_hi = hn::MulAdd(q, s_hi, v_hi);
    if (store) {
      alignas(64) double sv[kLanes];
      hn::Store(s_lo, dd, sv);
      hn::Store(s_hi, dd, sv + kDoubleLanes);
      for (int l = 0; l < kLanes; ++l) spot[l * n_assets + i] = sv[l];
    }
  }
  lane_option_losses(b, n_assets, v_lo, v_hi, spot, settled, valid, out);
}

// Several books on the same lanes (simulate_books): every asset's horizon spot once, as
// lane_losses computes it, into spot[l * n_assets + i] ...
void lane_spots(const double* spot0, int n_assets, const FloatLanes* x, double* spot) {
  const DoubleTag dd;
  for (int i = 0; i < n_assets; ++i) {
    const DoubleVec s0 = hn::Set(dd, spot0[i]);
    alignas(64) double sv[kLanes];
    hn::Store(hn::Mul(s0, lane_exp(lower_as_double(x[i]))), dd, sv);
    hn::Store(hn::Mul(s0, lane_exp(upper_as_double(x[i]))), dd, sv + kDoubleLanes);
    for (int l = 0; l < kLanes; ++l) spot[l * n_assets + i] = sv[l];
  }
}

// ... then each book's loss from them: lane_losses' value, the same fused multiply-adds in the
// same order, without the exponentials; settled: the lanes' marks of this book (expiring options,
// vol factors; kMaxMarks a lane), null when it has none.
void lane_losses_from_spots(const BookView& b, int n_assets, const double* spot, int valid,
                            double* out, const Settlement* settled = nullptr) {
  const DoubleTag dd;
  DoubleVec v_lo = hn::Set(dd, b.cash), v_hi = v_lo;
  for (int k = 0; k < b.n_held; ++k) {
    const int i = b.held_assets[k];
    alignas(64) double sv[kLanes];
    for (int l = 0; l < kLanes; ++l) sv[l] = spot[l * n_assets + i];
    const DoubleVec q = hn::Set(dd, b.equity_qty[i]);
    v_lo = hn::MulAdd(q, hn::Load(dd, sv), v_lo);
    v_hi = hn::MulAdd(q, hn::Load(dd, sv + kDoubleLanes), v_hi);
  }
  lane_option_losses(b, n_assets, v_lo, v_hi, spot, settled, valid, out);
}

// The day observer of simulate_days: the lanes' losses on the days that have a row.
struct LaneDayLosses {
  const BookView* books;  // [horizon]
  const int* rows;        // [horizon]: the output row of each day, -1 = not asked for
  std::uint64_t count;    // paths per row
  int n_assets, valid;
  double* out;   // row 0 of this group's paths
  double* spot;  // scratch
  const Settlement* settled;  // the lanes' settlements (LaneSettle runs first)
  void operator()(int day, const FloatLanes* x) const {
    const int row = rows[day];
    if (row >= 0)
      lane_losses(books[day], n_assets, x, valid, out + static_cast<std::size_t>(row) * count, spot,
                  settled);
  }
};

// The path-risk observer of simulate_path_risk: at the end of each day the lanes' losses under
// that day's book, and each lane's running peak of the value (today's included), its largest
// fall from it and the first day its loss reached the stop-loss: the arithmetic of
// host/analytics/path_risk.cpp over the runs cut at each day.
struct LanePathRisk {
  double peak[kLanes] = {}, worst[kLanes] = {}, last[kLanes] = {};
  int first[kLanes];  // 0-based day of the first breach; -1: none; kNonFinite: a value was not
  LanePathRisk() {
    for (int l = 0; l < kLanes; ++l) first[l] = -1;
  }
};

struct LanePathRiskDay {
  const BookView* books;  // [horizon]
  double stop_loss;
  int n_assets, valid;
  double* spot;  // scratch
  LanePathRisk* state;
  const Settlement* settled;  // the lanes' settlements (LaneSettle runs first)
  void operator()(int day, const FloatLanes* x) const {
    alignas(64) double loss[kLanes];
    lane_losses(books[day], n_assets, x, valid, loss, spot, settled);
    LanePathRisk& s = *state;
    for (int l = 0; l < valid; ++l) {
      s.last[l] = loss[l];
      if (s.first[l] == cpu_kernel::kNonFinitePath) continue;
      const double v = -loss[l];  // the value relative to today
      if (!std::isfinite(v)) {
        s.first[l] = cpu_kernel::kNonFinitePath;
        continue;
      }
      s.peak[l] = s.peak[l] < v ? v : s.peak[l];
      const double fall = s.peak[l] - v;
      s.worst[l] = s.worst[l] < fall ? fall : s.worst[l];
      if (s.first[l] == -1 && loss[l] >= stop_loss) s.first[l] = day;
    }
  }
};

// The log-returns of the lanes' paths over the horizon into s.x, under the model's measure:
// normals from `inner` (Philox or Sobol' lanes), shifted under importance sampling with twisted
// mixing, then the first `valid` lanes' log-likelihood ratios into log_w when it is not null
// (the arithmetic of path_log_returns_weighted in single_path.cuh). day_end sees the log-returns at
// the end of each day.
template <class Inner, class DayEnd>
void run_lanes(const ModelView& m, std::uint64_t seed, LanePaths paths, int valid, Scratch& s,
               double* log_w, DayEnd day_end, Inner& inner) {
  if (m.is_shift == nullptr) {
    LaneMixing mixing(seed, paths, m.dof, m.antithetic);
    const LaneEvents events(m, seed, paths, s.draws);
    simulate_log_returns<FloatLanes>(m, inner, mixing, events, s.x.data(), s.z.data(), s.eps.data(),
                                     day_end);
    return;
  }
  alignas(64) float apply[kLanes];
  for (int l = 0; l < kLanes; ++l) apply[l] = shifted_path(m, seed, paths[l]) ? 1.0f : 0.0f;
  ShiftedNormals<FloatLanes, Inner> normals(inner, m.is_shift, m.n_assets, FloatLanes::load(apply));
  LaneMixing mixing(seed, paths, m.dof, m.antithetic, m.is_chi2_scale, apply);
  const LaneEvents events(m, seed, paths, s.draws);
  simulate_log_returns<FloatLanes>(m, normals, mixing, events, s.x.data(), s.z.data(), s.eps.data(),
                                   day_end);
  if (log_w == nullptr) return;
  const FloatLanes dot = normals.shift_dot();
  for (int l = 0; l < valid; ++l)
    log_w[l] = mixture_log_weight(m.is_half_norm2 - static_cast<double>(dot[l]) + mixing.log_pq(l));
}

// run_lanes with the model's diffusion generator.
template <class DayEnd = NoDayEnd>
void simulate_lanes(const ModelView& m, std::uint64_t seed, LanePaths paths, int valid, Scratch& s,
                    double* log_w, DayEnd day_end = DayEnd{}) {
  if (m.rng == RngKind::kSobol && paths.gathered != nullptr) {
    GatherSobolNormals normals(m, seed, paths, s.bridge.data(), s.increments.data());
    run_lanes(m, seed, paths, valid, s, log_w, day_end, normals);
  } else if (m.rng == RngKind::kSobol) {
    LaneSobolNormals normals(m, seed, paths.first, s.bridge.data(), s.increments.data());
    run_lanes(m, seed, paths, valid, s, log_w, day_end, normals);
  } else {
    LaneNormals normals(seed, paths, m.antithetic);
    run_lanes(m, seed, paths, valid, s, log_w, day_end, normals);
  }
}

// fn(offset, valid, scratch) for each group of kLanes paths [offset, offset + kLanes) of
// [0, count), `valid` of them inside it, on `threads` OpenMP threads (each with its scratch).
// A cancelled run (host/run_cancel.hpp) skips the groups left, so that even a long-horizon
// batch stops within milliseconds; CpuBackend then throws RunCancelled.
template <class Fn>
void for_each_group(const ModelView& m, std::uint64_t count, int threads, int chunk, const Fn& fn,
                    std::size_t book_marks = 0) {
  const std::int64_t groups = static_cast<std::int64_t>((count + kLanes - 1) / kLanes);
#pragma omp parallel num_threads(threads)
  {
    Scratch scratch(m, book_marks);
#pragma omp for schedule(dynamic, chunk)
    for (std::int64_t g = 0; g < groups; ++g) {
      if (run_cancel_flag.load(std::memory_order_relaxed)) continue;
      const std::uint64_t offset = static_cast<std::uint64_t>(g) * kLanes;
      const std::uint64_t left = count - offset;
      const int valid = left < static_cast<std::uint64_t>(kLanes) ? static_cast<int>(left) : kLanes;
      fn(offset, valid, scratch);
    }
  }
}

void simulate_paths(const ModelView& m, const BookView& b, std::uint64_t seed,
                    std::uint64_t first_path, std::uint64_t count, double* losses,
                    double* log_weights, int threads) {
  for_each_group(m, count, threads, 64, [&](std::uint64_t offset, int valid, Scratch& scratch) {
    const LanePaths paths{first_path + offset, nullptr};
    double* log_w = m.is_shift != nullptr ? log_weights + offset : nullptr;
    Settlement* settled = scratch.settled.data();
    if (needs_day_marks(b)) {
      start_lane_settlements(b, settled);
      simulate_lanes(m, seed, paths, valid, scratch, log_w,
                     LaneSettle{&b, settled, seed, paths, m.antithetic});
    } else {
      simulate_lanes(m, seed, paths, valid, scratch, log_w);
    }
    lane_losses(b, m.n_assets, scratch.x.data(), valid, losses + offset, scratch.spot.data(),
                settled);
  });
}

void simulate_days(const ModelView& m, const BookView* day_books, const int* day_rows,
                   std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                   double* losses, int threads) {
  const BookView& run = day_books[m.horizon_days];  // the run's own book settles
  for_each_group(m, count, threads, 16, [&](std::uint64_t offset, int valid, Scratch& scratch) {
    Settlement* settled = scratch.settled.data();
    start_lane_settlements(run, settled);
    const LaneDayLosses day_end{day_books,           day_rows, count,
                                m.n_assets,          valid,    losses + offset,
                                scratch.spot.data(), settled};
    simulate_lanes(
        m, seed, LanePaths{first_path + offset, nullptr}, valid, scratch, nullptr,
        BothDayEnds<LaneSettle, LaneDayLosses>{
            LaneSettle{&run, settled, seed, LanePaths{first_path + offset, nullptr}, m.antithetic},
            day_end});
  });
}

void simulate_path_risk(const ModelView& m, const BookView* day_books, double stop_loss,
                        std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                        double* losses, double* drawdowns, std::int32_t* first_breach,
                        int threads) {
  const BookView& run = day_books[m.horizon_days];  // the run's own book settles
  for_each_group(m, count, threads, 16, [&](std::uint64_t offset, int valid, Scratch& scratch) {
    LanePathRisk state;
    Settlement* settled = scratch.settled.data();
    start_lane_settlements(run, settled);
    const LanePathRiskDay day_end{day_books,           stop_loss, m.n_assets, valid,
                                  scratch.spot.data(), &state,    settled};
    simulate_lanes(
        m, seed, LanePaths{first_path + offset, nullptr}, valid, scratch, nullptr,
        BothDayEnds<LaneSettle, LanePathRiskDay>{
            LaneSettle{&run, settled, seed, LanePaths{first_path + offset, nullptr}, m.antithetic},
            day_end});
    for (int l = 0; l < valid; ++l) {
      losses[offset + static_cast<std::uint64_t>(l)] = state.last[l];
      drawdowns[offset + static_cast<std::uint64_t>(l)] = state.worst[l];
      first_breach[offset + static_cast<std::uint64_t>(l)] = state.first[l];
    }
  });
}

void simulate_books(const ModelView& m, const BookView* books, int n_books, std::uint64_t seed,
                    std::uint64_t first_path, std::uint64_t count, double* losses,
                    double* log_weights, int threads) {
  // Books with options expiring inside the horizon or vol factors keep their own marks, lane by
  // lane, filled by their own observer on the shared paths (as a run of the book alone does).
  Buffer<int> marked(static_cast<std::size_t>(n_books));
  std::size_t n_marked = 0;
  for (int k = 0; k < n_books; ++k)
    if (needs_day_marks(books[k])) marked[n_marked++] = k;
  const std::size_t stride = static_cast<std::size_t>(kMaxMarks) * kLanes;
  for_each_group(
      m, count, threads, 32,
      [&](std::uint64_t offset, int valid, Scratch& scratch) {
        const LanePaths paths{first_path + offset, nullptr};
        double* log_w = m.is_shift != nullptr ? log_weights + offset : nullptr;
        Settlement* marks = scratch.book_settled.data();
        if (n_marked == 0) {
          simulate_lanes(m, seed, paths, valid, scratch, log_w);
        } else {
          for (std::size_t j = 0; j < n_marked; ++j)
            start_lane_settlements(books[marked[j]], marks + j * stride);
          const auto day_end = [&](int day, const FloatLanes* x) {
            for (std::size_t j = 0; j < n_marked; ++j)
              LaneSettle{&books[marked[j]], marks + j * stride, seed, paths, m.antithetic}(day, x);
          };
          simulate_lanes(m, seed, paths, valid, scratch, log_w, day_end);
        }
        lane_spots(books[0].spot0, m.n_assets, scratch.x.data(), scratch.spot.data());
        std::size_t j = 0;
        for (int k = 0; k < n_books; ++k) {
          const bool own = j < n_marked && marked[j] == k;
          lane_losses_from_spots(books[k], m.n_assets, scratch.spot.data(), valid,
                                 losses + static_cast<std::uint64_t>(k) * count + offset,
                                 own ? marks + j * stride : nullptr);
          j += own;
        }
      },
      n_marked);
}

void simulate_lines(const ModelView& m, const BookView& b, const cpu_kernel::LineView* lines,
                    int n_lines, std::uint64_t seed, const std::uint64_t* paths,
                    std::uint64_t count, double* line_losses, double* losses, int threads) {
  for_each_group(m, count, threads, 8, [&](std::uint64_t offset, int valid, Scratch& scratch) {
    alignas(64) std::uint64_t lane_paths[kLanes];
    for (int l = 0; l < kLanes; ++l)  // lanes past the end repeat the last path (not stored)
      lane_paths[l] = paths[offset + static_cast<std::uint64_t>(l < valid ? l : valid - 1)];
    Settlement* settled = scratch.settled.data();
    start_lane_settlements(b, settled);
    simulate_lanes(m, seed, LanePaths{0, lane_paths}, valid, scratch, nullptr,
                   LaneSettle{&b, settled, seed, LanePaths{0, lane_paths}, m.antithetic});
    double* spot = scratch.spot.data();
    lane_losses(b, m.n_assets, scratch.x.data(), valid, losses + offset, spot, settled, true);
    for (int l = 0; l < valid; ++l) {
      double* out = line_losses + (offset + static_cast<std::uint64_t>(l)) * n_lines;
      for (int j = 0; j < n_lines; ++j)
        out[j] = position_loss(b, lines[j].option, lines[j].quantity, lines[j].unit_value0,
                               spot[l * m.n_assets + lines[j].asset], settled + l * kMaxMarks);
    }
  });
}

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace chipshock::simd

namespace chipshock::cpu_kernel {

void CHIPSHOCK_KERNEL_ENTRY(const ModelView& m, const BookView& b, std::uint64_t seed,
                            std::uint64_t first_path, std::uint64_t count, double* losses,
                            double* log_weights, int threads) {
  simd::HWY_NAMESPACE::simulate_paths(m, b, seed, first_path, count, losses, log_weights, threads);
}

void CHIPSHOCK_DAYS_ENTRY(const ModelView& m, const BookView* day_books, const int* day_rows,
                          std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                          double* losses, int threads) {
  simd::HWY_NAMESPACE::simulate_days(m, day_books, day_rows, seed, first_path, count, losses,
                                     threads);
}

void CHIPSHOCK_BOOKS_ENTRY(const ModelView& m, const BookView* books, int n_books,
                           std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                           double* losses, double* log_weights, int threads) {
  simd::HWY_NAMESPACE::simulate_books(m, books, n_books, seed, first_path, count, losses,
                                      log_weights, threads);
}

void CHIPSHOCK_LINES_ENTRY(const ModelView& m, const BookView& b, const LineView* lines,
                           int n_lines, std::uint64_t seed, const std::uint64_t* paths,
                           std::uint64_t count, double* line_losses, double* losses, int threads) {
  simd::HWY_NAMESPACE::simulate_lines(m, b, lines, n_lines, seed, paths, count, line_losses, losses,
                                      threads);
}

void CHIPSHOCK_PATH_RISK_ENTRY(const ModelView& m, const BookView* day_books, double stop_loss,
                               std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                               double* losses, double* drawdowns, std::int32_t* first_breach,
                               int threads) {
  simd::HWY_NAMESPACE::simulate_path_risk(m, day_books, stop_loss, seed, first_path, count, losses,
                                          drawdowns, first_breach, threads);
}

}  // namespace chipshock::cpu_kernel
