// The GPU backend's batching, tail selection and moments (kernels/loss_pipeline.cuh), compiled
// here for Thrust's OMP device system and run on the CPU. The kernel launch is replaced by a
// host loop over the kernel's own per-path function with the host mirror of cuRAND, so this is
// everything the GPU run does except the launch and cuRAND's device code. Compared with the host
// statistics (LossAccumulator) bit for bit, and with the CPU backend.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "all_features.hpp"
#include "result_checks.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/risk_engine.hpp"
#include "kernels/loss_pipeline.cuh"
#include "kernels/packed_spec.cuh"
#include "kernels/single_path.cuh"

using namespace chipshock;

static_assert(THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_OMP, "built for Thrust's OMP system");

namespace {

void check_same(const LossAccumulator& a, const LossAccumulator& b) {
  CHECK(a.count() == b.count());
  CHECK(a.non_finite() == b.non_finite());
  CHECK(a.positive() == b.positive());
  CHECK(a.max() == b.max());
  CHECK(a.mean() == b.mean());
  CHECK(a.stdev() == b.stdev());
  CHECK(a.tail() == b.tail());
  // The same paths too (ties by the smaller index, as the host keeps them).
  const std::vector<TailEntry> ea = a.tail_entries(), eb = b.tail_entries();
  REQUIRE(ea.size() == eb.size());
  for (std::size_t k = 0; k < ea.size(); ++k) {
    CHECK(ea[k].loss == eb[k].loss);
    CHECK(ea[k].path == eb[k].path);
  }
}

using chipshock::testing::check_same;

// Losses with everything the statistics must handle (at the tests' scale of 1e6): NaN,
// infinities, finite values beyond the grids (gathered for the host's wide sums, in many
// batches), values whose squares take the 128-bit split, negatives, zeros of both signs, ties.
std::vector<double> awkward_losses(std::size_t n) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal(1000.0, 25000.0);
  std::vector<double> x(n);
  for (double& v : x) v = normal(rng);
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             1e300,
                             -1e290,
                             3.0e12,  // beyond the grid of squares: far
                             -2.5e12,
                             5.0e6,  // squares above 2^62 grid units: the split path
                             -3.0e7,
                             0.0,
                             -0.0,
                             12345.0,
                             12345.0,
                             12345.0};
  for (std::size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); ++k)
    x[(k * 7919) % n] = specials[k];
  for (std::size_t k = 0; k < n; k += 97) x[k] = 50000.0;  // many ties in the tail
  for (std::size_t k = 5; k < n; k += 1009)  // far losses of both signs, 1e3 to 1e4 times 1e6
    x[k] = (k % 2 ? -1.0 : 1.0) * 1e9 * static_cast<double>(1 + k % 13);
  return x;
}

}  // namespace

TEST_CASE("device moments and tail equal LossAccumulator's bit for bit, for any batch size",
          "[pipeline]") {
  const std::vector<double> all = awkward_losses(100003);
  for (const std::uint64_t tail_k : {1ull, 37ull, 5001ull, 100003ull}) {
    for (const std::uint64_t batch : {1ull, 7ull, 4099ull, 65536ull, 100003ull}) {
      // one-path and seven-path batches on a prefix: a hundred thousand Thrust calls add nothing
      const std::vector<double> losses(all.begin(), all.begin() + (batch < 100 ? 3001 : 100003));
      const std::uint64_t n = losses.size();
      // A histogram whose bins cover the body, so that losses land in underflow, in bins and
      // in overflow (NaN and infinities are not counted at all).
      const HistogramBins bins{-20000.0, 1000.0, 40};  // the losses: mean 1000, sd 25000
      LossAccumulator ref(1.0e6, tail_k);
      ref.set_histogram(bins);
      ref.add(losses.data(), losses.size(), 0);
      CAPTURE(tail_k, batch, n);
      LossAccumulator acc(1.0e6, tail_k);
      acc.set_histogram(bins);
      const BatchPlan plan{batch, 2 * std::min(tail_k, n) + batch, 0};
      LossPipeline pipeline;
      std::uint64_t calls = 0;
      LossSummary s = pipeline.run(
          0, n, loss_grid(acc), tail_k, plan,
          [&](std::uint64_t first, std::uint64_t count, double* out) {
            ++calls;
            for (std::uint64_t k = 0; k < count; ++k) out[k] = losses[first + k];
          },
          {}, bins);
      CHECK(calls == (n + batch - 1) / batch);
      CHECK(s.batches == calls);
      CHECK(s.tail.size() == std::min(tail_k, ref.count()));  // finite losses only
      CHECK(std::is_sorted(s.tail.rbegin(), s.tail.rend()));
      REQUIRE(s.tail_paths.size() == s.tail.size());
      for (std::size_t i = 0; i < s.tail.size(); ++i) CHECK(losses[s.tail_paths[i]] == s.tail[i]);
      REQUIRE(s.histogram.size() == static_cast<std::size_t>(bins.count) + 2);
      merge_summary(acc, std::move(s));
      check_same(acc, ref);
      CHECK(acc.far() == ref.far());
      CHECK(ref.far() > 0);
      testing::check_same_histogram(acc.histogram(), ref.histogram());
      CHECK(ref.histogram().underflow() > 0);
      CHECK(ref.histogram().overflow() > 0);
    }
  }
}

TEST_CASE("a run into a used summary's vectors gives a fresh run's tail whether larger or smaller",
          "[pipeline]") {
  // The tail crosses to the host one loss buffer's worth at a time (several pieces when the
  // tail is larger than a batch) into the vectors of `storage`, which may hold anything.
  const std::vector<double> losses = awkward_losses(60000);
  const auto run = [&](LossPipeline& pipeline, std::uint64_t tail_k, std::uint64_t batch,
                       LossSummary storage) {
    LossAccumulator acc(1.0e6, tail_k);
    const BatchPlan plan{batch, 2 * tail_k + batch, 0};
    return pipeline.run(0, losses.size(), loss_grid(acc), tail_k, plan,
                        [&](std::uint64_t first, std::uint64_t count, double* out) {
                          for (std::uint64_t k = 0; k < count; ++k) out[k] = losses[first + k];
                        },
                        {}, {}, std::move(storage));
  };
  LossPipeline pipeline;
  for (const std::uint64_t tail_k : {20000ull, 300ull, 9000ull}) {
    for (const std::uint64_t batch : {4096ull, 60000ull}) {
      CAPTURE(tail_k, batch);
      LossPipeline fresh_pipeline;
      const LossSummary fresh = run(fresh_pipeline, tail_k, batch, {});
      LossSummary used;
      used.tail.assign(12000, std::nan(""));
      used.tail_paths.assign(12000, ~std::uint64_t{0});
      const LossSummary reused = run(pipeline, tail_k, batch, std::move(used));
      REQUIRE(reused.tail.size() == fresh.tail.size());
      CHECK(reused.tail == fresh.tail);
      CHECK(reused.tail_paths == fresh.tail_paths);
      CHECK(reused.moments.n == fresh.moments.n);
    }
  }
}

TEST_CASE("the sampled first-batch threshold keeps the exact tail, ties at the top included",
          "[pipeline]") {
  // Most losses tie at the largest value, so no sampled threshold has k losses strictly above
  // it and the whole batch is kept; then a few distinct large losses, where it does.
  std::vector<double> tied(200000, 7.0);
  for (std::size_t i = 0; i < tied.size(); i += 3) tied[i] = static_cast<double>(i % 1000);
  std::vector<double> spread = awkward_losses(200000);
  for (const std::vector<double>* losses : {&tied, &spread}) {
    for (const std::uint64_t tail_k : {1ull, 100ull, 20000ull}) {
      for (const std::uint64_t batch : {50000ull, 200000ull}) {
        CAPTURE(tail_k, batch);
        LossAccumulator ref(1.0e6, tail_k), acc(1.0e6, tail_k);
        ref.add(losses->data(), losses->size(), 0);
        const BatchPlan plan{batch, 2 * tail_k + batch, 0};
        LossPipeline pipeline;
        merge_summary(acc, pipeline.run(0, losses->size(), loss_grid(acc), tail_k, plan,
                                        [&](std::uint64_t first, std::uint64_t count, double* out) {
                                          for (std::uint64_t k = 0; k < count; ++k)
                                            out[k] = (*losses)[first + k];
                                        }));
        check_same(acc, ref);
      }
    }
  }
}

TEST_CASE("tail keys sort as the tail does and give each loss back exactly", "[pipeline]") {
  std::vector<double> x = {-1e300, -2.5e12, -1.0, -0x1p-1074, -0.0, 0.0, 0x1p-1074, 1e-300,
                           1.0, 1.0000000000000002, 3.0e12, 1e300,
                           std::numeric_limits<double>::max()};
  for (std::size_t k = 0; k < x.size(); ++k) {
    CAPTURE(x[k]);
    CHECK(tail_loss(tail_key(x[k])) == x[k]);
    CHECK(std::signbit(tail_loss(tail_key(x[k]))) == (x[k] < 0));  // -0.0 comes back as +0.0
    if (k + 1 < x.size()) {
      // A larger loss has a smaller key; the two zeros tie.
      if (x[k] == x[k + 1]) CHECK(tail_key(x[k]) == tail_key(x[k + 1]));
      else CHECK(tail_key(x[k]) > tail_key(x[k + 1]));
    }
  }
}

TEST_CASE("128-bit grid units split exactly above 2^62", "[pipeline]") {
  for (double u : {0.0, 1.0, -1.0, 0x1p61, 0x1p62, -0x1p62, 0x1.fffffffffffffp62, 0x1p99 + 0x1p80,
                   -0x1.8p98, 123456789.0 * 0x1p60}) {
    CAPTURE(u);
    CHECK(whole_units(u) == static_cast<MomentInt>(u));
  }
}

TEST_CASE("the GPU pipeline on the CPU gives the scalar reference's scenario results exactly, "
          "for any batch size",
          "[pipeline]") {
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 7, 1);
  const SimSpec& spec = *t.spec;
  RunSettings s;
  s.paths = 20011;
  s.seed = 9;

  // Reference: the scalar path function, folded by the host statistics.
  LossAccumulator ref_acc = scenario_accumulator(spec, s);
  std::vector<double> ref_losses(s.paths);
#pragma omp parallel for
  for (std::int64_t p = 0; p < static_cast<std::int64_t>(s.paths); ++p)
    ref_losses[static_cast<std::size_t>(p)] =
        reference_path_loss(spec, s.seed, static_cast<std::uint64_t>(p));
  ref_acc.add(ref_losses.data(), ref_losses.size(), 0);
  const ScenarioResult ref = scenario_result("baseline", ref_acc, s);

  // The kernel's body with the host mirror, on the packed (padded, fixed-size) spec.
  const PackedSpec packed = pack_spec(spec.model(), spec.book());
  const FixedSizeModel<16> m(packed.layout.model_at(packed.bytes.data()));
  const BookView b = packed.layout.book_at(packed.bytes.data());
  const auto launch = [&](std::uint64_t first, std::uint64_t count, double* out) {
#pragma omp parallel for
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(count); ++k) {
      float x[16], z[16], eps[16];
      double spot[16];
      Settlement settled[kMaxMarks];  // all_features_run's expiring options and vol factors
      out[k] = settled_path_loss_of<PhiloxDiffusion<MirrorNormals>>(
          m, b, s.seed, first + static_cast<std::uint64_t>(k), x, z, eps, spot, nullptr, settled);
    }
  };
  for (const std::uint64_t batch : {20011ull, 4096ull, 333ull}) {
    CAPTURE(batch);
    LossAccumulator acc = scenario_accumulator(spec, s);
    const BatchPlan plan = plan_batches(s.paths, acc.tail_size(), 1ull << 34, batch);
    CHECK(plan.batch_paths == batch);
    LossPipeline pipeline;
    merge_summary(acc, pipeline.run(0, s.paths, loss_grid(acc), acc.tail_size(), plan, launch));
    check_same(scenario_result("baseline", acc, s), ref);
    check_same(acc, ref_acc);
  }

  // And the CPU backend (SIMD lanes: float rounding of log/sincos only).
  const ScenarioResult cpu = simulate_scenario("baseline", spec, CpuBackend(2), s);
  for (std::size_t k = 0; k < ref.levels.size(); ++k) {
    CAPTURE(ref.levels[k].confidence, ref.levels[k].var, cpu.levels[k].var);
    CHECK(std::fabs(ref.levels[k].var - cpu.levels[k].var) <= 1e-6 * spec.gross_exposure());
    CHECK(std::fabs(ref.levels[k].es - cpu.levels[k].es) <= 1e-6 * spec.gross_exposure());
  }
  CHECK(std::fabs(ref.mean_loss - cpu.mean_loss) <= 1e-6 * spec.gross_exposure());
}

TEST_CASE("batches are sized from the memory budget, next to the tail", "[pipeline]") {
  const std::uint64_t mib = 1ull << 20;
  // Plenty of memory: capped at 2^26 paths per batch, or the run.
  CHECK(plan_batches(1000000000, 1000, 100000 * mib).batch_paths == kMaxBatchPaths);
  CHECK(plan_batches(5000, 1000, 100000 * mib).batch_paths == 5000);
  // A requested batch is honoured when it fits, reduced when it does not.
  CHECK(plan_batches(1000000000, 1000, 100000 * mib, 12345).batch_paths == 12345);
  const BatchPlan small = plan_batches(1000000000, 1000, 200 * mib, 1ull << 30);
  CHECK(small.batch_paths < (1ull << 30));
  CHECK(small.device_bytes <= 200 * mib);
  CHECK(small.tail_capacity == 2 * 1000 + small.batch_paths);
  // The tail alone too big for the budget.
  CHECK_THROWS_AS(plan_batches(10000000000ull, 500000000ull, 1024 * mib), DeviceMemoryShortage);
  CHECK(device_bytes_needed(10000000000ull, 500000000ull) > 1024 * mib);
}
