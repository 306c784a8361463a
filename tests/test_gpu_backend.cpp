// The CUDA backend on a GPU: cuRAND's raw words against the host mirror bit for bit, GPU losses
// against the CPU's path by path, the device-side reduction against the host statistics bit for
// bit, the CLI with --backend gpu|both, and the same for quasi-Monte Carlo (--rng sobol: cuRAND's
// Sobol' device API against the host mirror). Where no GPU is usable every test prints
// "SKIPPED: no usable CUDA device" and returns; CTest then reports it as skipped.
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "all_features.hpp"
#include "book_fixture.hpp"
#include "gpu_parity.hpp"
#include "host/analytics/books.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/gpu/gpu_backend.hpp"
#include "host/qmc/sobol_tables.hpp"
#include "host/risk_engine.hpp"
#include "kernels/box_muller.cuh"
#include "kernels/gpu_engine.hpp"
#include "kernels/philox.cuh"
#include "kernels/sobol.cuh"
#include "kernels/student_t.cuh"
#include "result_checks.hpp"

using namespace chipshock;

namespace {

bool gpu_usable() {
  static const GpuDeviceInfo info = probe_gpu(0);
  if (!info.usable) WARN("SKIPPED: no usable CUDA device (" << info.reason << ")");
  return info.usable;
}

GpuBackend& gpu() {
  static GpuBackend backend(0);
  return backend;
}

using chipshock::testing::check_same;

}  // namespace

TEST_CASE("probe_gpu says why a GPU is not usable, or names it", "[gpu]") {
  const GpuDeviceInfo info = probe_gpu(0);
  if (info.usable) {
    CHECK(!info.name.empty());
    CHECK(info.sm_count > 0);
    CHECK(info.free_bytes > 0);
  } else {
    CHECK(!info.reason.empty());
    INFO("no usable CUDA device: " << info.reason);
  }
  CHECK_FALSE(probe_gpu(9999).usable);
}

TEST_CASE("cuRAND's raw 32-bit words on the GPU equal the host mirror bit for bit", "[gpu]") {
  if (!gpu_usable()) return;
  struct Start {
    std::uint64_t seed, first, offset;
  };
  const Start starts[] = {{0, 0, 0},
                          {7, 123, 0},
                          {0xDEADBEEFCAFEF00Dull, 0xFFFFFFFFFFFFFF00ull, 0},
                          {42, 1ull << 32, 5},
                          {1, 2, stream_offset(RngStream::kMixing)},
                          {1, 2, stream_offset(RngStream::kEvents) + 6},
                          {3, 4, 0xFFFFFFFFFFFFFFF0ull}};
  const int paths = 257, per_path = 67;
  std::vector<std::uint32_t> words(static_cast<std::size_t>(paths) * per_path);
  for (const Start& s : starts) {
    CAPTURE(s.seed, s.first, s.offset);
    gpu_curand_words(s.seed, s.first, paths, s.offset, per_path, words.data());
    std::uint64_t mismatches = 0;
    for (int p = 0; p < paths; ++p) {
      CurandPhiloxMirror mirror(s.seed, s.first + static_cast<std::uint64_t>(p), s.offset);
      for (int k = 0; k < per_path; ++k)
        mismatches += mirror.next() != words[static_cast<std::size_t>(p) * per_path + k];
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("curand_normal4 on the GPU equals the host Box-Muller to the device sincos error",
          "[gpu]") {
  if (!gpu_usable()) return;
  const int paths = 1000, per_path = 50;
  std::vector<float> normals(static_cast<std::size_t>(paths) * per_path * 4);
  gpu_curand_normals4(2026, 977, paths, 0, per_path, normals.data());
  double worst = 0;
  for (int p = 0; p < paths; ++p) {
    PhiloxBlockStream blocks(2026, 977 + static_cast<std::uint64_t>(p), 0);
    for (int k = 0; k < per_path; ++k) {
      float z[4];
      normal4_from_block(blocks.next4(), z);
      for (int c = 0; c < 4; ++c)
        worst = std::max(worst, static_cast<double>(std::fabs(
                                    z[c] - normals[(static_cast<std::size_t>(p) * per_path + k) * 4 +
                                                   static_cast<std::size_t>(c)])));
    }
  }
  CAPTURE(worst);
  // __sincosf: absolute error ~2^-21 on (0, 2 pi), times the Box-Muller radius (< 6.8).
  CHECK(worst < 2e-5);
}

TEST_CASE("GPU losses equal the CPU's path by path to float rounding (1e5 paths, every "
          "feature)",
          "[gpu][parity]") {
  if (!gpu_usable()) return;
  testing::TempDir dir;
  // With the scenario's regime the model has several vol segments (the fixed-size kernel reads
  // them from the packed data); without it, one (read from c_chol and c_drift).
  for (const bool scenario : {true, false}) {
    const testing::TestRun t = testing::all_features_run(dir, 10, 1, scenario);
    const int segments = t.spec->model().n_segments;
    CHECK((segments > 1) == scenario);
    const testing::ParityResult r = testing::gpu_cpu_parity(gpu(), *t.spec, 2026, 100000);
    INFO("kernel " << gpu().engine().kernel_name());
    CHECK(gpu().engine().kernel_name().find("constant") != std::string::npos);
    CAPTURE(scenario, segments, r.max_rel_diff, r.max_rel_diff_simd, r.max_abs_diff_over_gross,
            r.worst_path, r.worst_gpu, r.worst_cpu);
    CHECK(r.max_rel_diff <= 1e-5);
    CHECK(r.max_rel_diff_simd <= 1e-5);
  }
}

TEST_CASE("the generic and the fixed-size kernels give the same losses", "[gpu]") {
  if (!gpu_usable()) return;
  testing::TempDir dir;
  for (const bool five : {false, true}) {
    const testing::TestRun t =
        five ? testing::five_asset_run(dir, 4, 2) : testing::all_features_run(dir, 7, 1);
    const std::uint64_t n = 20000;
    std::vector<double> fixed(n), generic(n);
    gpu().simulate_losses(*t.spec, 5, 1000, n, fixed.data());
    CHECK(gpu().engine().kernel_name().find("constant") != std::string::npos);
    GpuBackend generic_backend(0, KernelChoice::kGeneric);
    generic_backend.simulate_losses(*t.spec, 5, 1000, n, generic.data());
    CHECK(generic_backend.engine().kernel_name().find("generic") != std::string::npos);
    double worst = 0;
    for (std::uint64_t k = 0; k < n; ++k)
      worst = std::max(worst, std::fabs(fixed[k] - generic[k]) / t.spec->gross_exposure());
    CAPTURE(five, worst);
    CHECK(worst <= 1e-9);
  }
}

TEST_CASE("two engines with different models take turns with the constant memory", "[gpu]") {
  if (!gpu_usable()) return;
  // Each launch puts its engine's model (and a one-segment model's factor and drift) into
  // constant memory when another engine's is there; loaded once each, launched in turns.
  testing::TempDir dir;
  const testing::TestRun big = testing::all_features_run(dir, 5, 1, false);  // 16 assets
  const testing::TestRun five = testing::five_asset_run(dir, 4, 2);          // padded to 8
  GpuEngine a(0), b(0);
  a.load(big.spec->model(), big.spec->book());
  b.load(five.spec->model(), five.spec->book());
  const std::uint64_t n = 2048;
  for (int turn = 0; turn < 2; ++turn) {
    for (const bool first : {true, false}) {
      GpuEngine& e = first ? a : b;
      const SimSpec& spec = first ? *big.spec : *five.spec;
      std::vector<double> losses(n);
      e.simulate_losses(11, 500, n, losses.data());
      double worst = 0;
      for (std::uint64_t k = 0; k < n; ++k) {
        const double d = testing::path_rel_diff(
            losses[k], reference_path_loss(spec, 11, 500 + k), spec.gross_exposure());
        if (!(d <= worst)) worst = d;  // a NaN stays the worst
      }
      CAPTURE(turn, first, e.kernel_name(), worst);
      CHECK(e.kernel_name().find("constant") != std::string::npos);
      CHECK(worst <= 1e-5);
    }
  }
}

TEST_CASE("the device-side reduction equals the host statistics of the GPU's losses bit for "
          "bit, for any batch size",
          "[gpu]") {
  if (!gpu_usable()) return;
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 7, 1);
  RunSettings s;
  s.paths = 300007;
  s.seed = 4;
  std::vector<double> losses(s.paths);
  gpu().simulate_losses(*t.spec, s.seed, 0, s.paths, losses.data());
  LossAccumulator acc = scenario_accumulator(*t.spec, s);
  // The histogram's bins from the pilot of the GPU's own first losses, as the GPU run takes them.
  acc.set_histogram(histogram_bins_from_pilot(losses.data(), histogram_pilot_paths(s.paths),
                                              s.histogram_bins));
  acc.add(losses.data(), losses.size());
  const ScenarioResult host = scenario_result("baseline", acc, s);
  REQUIRE(host.histogram.has_bins());
  for (const std::uint64_t batch : {0ull, 4096ull, 100003ull}) {
    CAPTURE(batch);
    s.gpu_batch_paths = batch;
    const ScenarioResult g = gpu().simulate_scenario("baseline", *t.spec, s);
    check_same(g, host);
    // The device's histogram: the same bins, and counts equal to the host's bit for bit.
    testing::check_same_histogram(g.histogram, host.histogram);
  }
}

TEST_CASE("GPU and CPU scenario results agree to float rounding", "[gpu]") {
  if (!gpu_usable()) return;
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 10, 1);
  RunSettings s;
  s.paths = 200000;
  s.seed = 77;
  const ScenarioResult g = gpu().simulate_scenario("all", *t.spec, s);
  const ScenarioResult c = simulate_scenario("all", *t.spec, CpuBackend(0), s);
  for (std::size_t k = 0; k < g.levels.size(); ++k) {
    CAPTURE(g.levels[k].confidence, g.levels[k].var, c.levels[k].var, g.levels[k].es,
            c.levels[k].es);
    CHECK(std::fabs(g.levels[k].var - c.levels[k].var) <= 1e-5 * std::fabs(c.levels[k].var));
    CHECK(std::fabs(g.levels[k].es - c.levels[k].es) <= 1e-5 * std::fabs(c.levels[k].es));
  }
  CHECK(g.non_finite == c.non_finite);
}

TEST_CASE("chipshock run --backend both reports GPU and CPU numbers and the speedup", "[gpu]") {
  if (!gpu_usable()) return;
  testing::TempDir out;
  const std::string cmd = std::string("cd '") + CHIPSHOCK_SOURCE_DIR + "' && '" + CHIPSHOCK_BINARY +
                          "' run --market scenarios/market/ai_chips.toml --portfolio "
                          "scenarios/portfolio/ai_book.toml --paths 200k --horizon 5 --seed 3 "
                          "--scenario cheaper_model_disruption --backend both --quiet --out '" +
                          out.file("rep") + "'";
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  std::ifstream in(out.file("rep/report.json"));
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str());
  CHECK(j["run"]["backend"] == "both");
  CHECK(!j["run"]["gpu"].get<std::string>().empty());
  REQUIRE(j["backend_comparison"].size() == 2);
  for (const auto& c : j["backend_comparison"]) {
    CHECK(c["speedup"].get<double>() > 0);
    for (const char* key : {"0.95", "0.975", "0.99"}) {
      CAPTURE(c["scenario"], key);
      CHECK(c["levels"][key]["var_rel_diff"].get<double>() <= 1e-5);
      CHECK(c["levels"][key]["es_rel_diff"].get<double>() <= 1e-5);
      CHECK(c["levels"][key]["gpu_var"] == j["scenarios"][c["scenario"] == "baseline" ? 0 : 1]["var"][key]);
    }
  }
}

TEST_CASE("cuRAND's scrambled Sobol32 device API on the GPU equals the host mirror bit for bit",
          "[gpu][qmc]") {
  if (!gpu_usable()) return;
  const SobolTables t = curand_sobol_tables();
  const int dims = 300, points = 1031;
  for (const std::uint32_t first : {0u, 977u, 0xFFFFF000u}) {
    CAPTURE(first);
    std::vector<std::uint32_t> words(static_cast<std::size_t>(dims) * points);
    gpu_curand_sobol(t.directions, t.scramble, dims, first, points, words.data());
    std::uint64_t mismatches = 0;
    for (int d = 0; d < dims; ++d)
      for (int p = 0; p < points; ++p)
        mismatches += sobol32_word(t.directions + 32L * d, t.scramble[d],
                                   first + static_cast<std::uint32_t>(p)) !=
                      words[static_cast<std::size_t>(d) * points + p];
    CHECK(mismatches == 0);
  }
}

TEST_CASE("quasi-Monte Carlo: GPU losses equal the CPU's path by path, fixed-size and generic "
          "kernels",
          "[gpu][parity][qmc]") {
  if (!gpu_usable()) return;
  testing::TempDir dir;
  for (const bool five : {false, true}) {
    const testing::TestRun t = five ? testing::five_asset_run(dir, 4, 2, RngKind::kSobol)
                                    : testing::all_features_run(dir, 10, 1, true, RngKind::kSobol);
    const testing::ParityResult r = testing::gpu_cpu_parity(gpu(), *t.spec, 2026, 100000);
    INFO("kernel " << gpu().engine().kernel_name());
    CAPTURE(five, r.max_rel_diff, r.max_rel_diff_simd, r.worst_path, r.worst_gpu, r.worst_cpu);
    CHECK(gpu().engine().kernel_name().find("sobol") != std::string::npos);
    CHECK(r.max_rel_diff <= 1e-5);
    CHECK(r.max_rel_diff_simd <= 1e-5);
    GpuBackend generic(0, KernelChoice::kGeneric);
    const testing::ParityResult g = testing::gpu_cpu_parity(generic, *t.spec, 2026, 20000);
    CAPTURE(generic.engine().kernel_name(), g.max_rel_diff);
    CHECK(g.max_rel_diff <= 1e-5);
  }
}

TEST_CASE("quasi-Monte Carlo: GPU and CPU scenario results agree, components included",
          "[gpu][qmc]") {
  if (!gpu_usable()) return;
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 10, 1, true, RngKind::kSobol);
  RunSettings s;
  s.paths = 1u << 17;
  s.seed = 77;
  s.components = true;
  const ScenarioResult g = gpu().simulate_scenario("all", *t.spec, s);
  const ScenarioResult c = simulate_scenario("all", *t.spec, CpuBackend(0), s);
  for (std::size_t k = 0; k < g.levels.size(); ++k) {
    CAPTURE(g.levels[k].confidence, g.levels[k].var, c.levels[k].var, g.levels[k].es,
            c.levels[k].es);
    CHECK(std::fabs(g.levels[k].var - c.levels[k].var) <= 1e-5 * std::fabs(c.levels[k].var));
    CHECK(std::fabs(g.levels[k].es - c.levels[k].es) <= 1e-5 * std::fabs(c.levels[k].es));
  }
  REQUIRE(!g.allocation.levels.empty());
  for (const AllocationLevel& a : g.allocation.levels) {
    CAPTURE(a.confidence, a.es, a.es_resimulated);
    CHECK(std::fabs(a.es - a.es_resimulated) <= 1e-5 * std::fabs(a.es));
  }
}

TEST_CASE("importance sampling on the GPU: each path's loss and weight are the reference's to "
          "float rounding, and the scenario the CPU's",
          "[gpu][importance]") {
  if (!gpu_usable()) return;
  testing::TempDir dir;
  for (const RngKind rng : {RngKind::kPhilox, RngKind::kSobol}) {
    CAPTURE(rng == RngKind::kSobol);
    const testing::TestRun t = testing::all_features_run(dir, 7, 1, true, rng);
    SimSpec& spec = *t.spec;
    spec.set_importance_shift(testing::some_importance_shift(spec));
    const std::uint64_t paths = 20000, seed = 13;
    std::vector<double> losses(paths), log_w(paths);
    gpu().engine().load(spec.model(), spec.book());
    gpu().engine().simulate_weighted(seed, 0, paths, losses.data(), log_w.data());
    double worst = 0, worst_w = 0;
    for (std::uint64_t p = 0; p < paths; ++p) {
      double lw = 0;
      const double ref = reference_path_loss(spec, seed, p, &lw);
      worst = std::max(worst, testing::path_rel_diff(losses[p], ref, spec.gross_exposure()));
      worst_w = std::max(worst_w, std::fabs(log_w[p] - lw));
    }
    // The shifted paths lie deeper in the tail than plain ones, where the fast sincos's
    // rounding weighs a little more: 1.04e-5 seen on an H200 against the plain paths' 8.7e-6.
    CAPTURE(worst, worst_w);
    CHECK(worst <= 2e-5);
    CHECK(worst_w <= 1e-4);
    RunSettings s;
    s.paths = 1u << 16;
    s.seed = seed;
    s.confidences = {0.99, 0.999};
    s.components = true;
    const ScenarioResult g = gpu().simulate_scenario("is", spec, s);
    const ScenarioResult c = simulate_scenario("is", spec, CpuBackend(0), s);
    CHECK(g.importance.ess == Approx(c.importance.ess).epsilon(1e-4));
    for (std::size_t k = 0; k < g.levels.size(); ++k) {
      CAPTURE(g.levels[k].confidence, g.levels[k].var, c.levels[k].var);
      CHECK(std::fabs(g.levels[k].var - c.levels[k].var) <= 1e-5 * std::fabs(c.levels[k].var));
      CHECK(std::fabs(g.levels[k].es - c.levels[k].es) <= 1e-5 * std::fabs(c.levels[k].es));
    }
    REQUIRE(!g.allocation.levels.empty());
    for (const AllocationLevel& a : g.allocation.levels)
      CHECK(std::fabs(a.es - a.es_resimulated) <= 1e-5 * std::fabs(a.es));
  }
}

TEST_CASE("components on the GPU: the device's line sums are the reference's to float rounding, "
          "and a scenario's components the CPU's",
          "[gpu][components]") {
  if (!gpu_usable()) return;
  testing::TempDir dir;
  const testing::TestRun t = testing::all_features_run(dir, 10, 1);
  const SimSpec& spec = *t.spec;
  TailLineRequest q;
  for (std::uint64_t i = 0; i < 300000; ++i) q.paths.push_back((i * 7919) % 1000003);
  q.ends = {299999, 1, 150000};
  q.rows = {{0, 5}, {149990, 150011}};
  std::vector<LineView> lines;
  for (const PositionLine& p : spec.positions())
    lines.push_back({p.asset, p.option, p.quantity, p.unit_value0});
  gpu().engine().load(spec.model(), spec.book());
  const TailLineSums got = gpu().engine().tail_lines(lines, 5, q);
  const TailLineSums want = ReferenceTailLines().tail_lines(spec, 5, q);
  REQUIRE(got.sums.size() == want.sums.size());
  REQUIRE(got.rows.size() == want.rows.size());
  const double gross = spec.gross_exposure();
  for (std::size_t i = 0; i < want.sums.size(); ++i) {
    CAPTURE(i, static_cast<double>(got.sums[i]), static_cast<double>(want.sums[i]));
    CHECK(std::fabs(static_cast<double>(got.sums[i] - want.sums[i])) <= 1e-5 * gross * 300000);
  }
  for (std::size_t i = 0; i < want.rows.size(); ++i)
    CHECK(testing::path_rel_diff(got.rows[i], want.rows[i], gross) <= 1e-5);

  RunSettings s;
  s.paths = 400000;
  s.seed = 31;
  s.components = true;
  const ScenarioResult g = gpu().simulate_scenario("all", spec, s);
  const ScenarioResult c = simulate_scenario("all", spec, CpuBackend(0), s);
  REQUIRE(g.components.size() == c.components.size());
  for (std::size_t k = 0; k < g.allocation.levels.size(); ++k) {
    const AllocationLevel& a = g.allocation.levels[k];
    CAPTURE(a.confidence, a.es, a.es_resimulated);
    CHECK(std::fabs(a.es - a.es_resimulated) <= 1e-5 * std::fabs(a.es));
    double sum = 0;
    for (const PositionContribution& pc : g.components)
      if (pc.confidence == a.confidence) sum += pc.es_contribution;
    CHECK(std::fabs(sum - a.es_resimulated) <= 1e-9 * std::fabs(a.es));
  }
  // The same paths in the tails but for those a float rounding moves across a VaR: each
  // component within a thousandth of ES of the CPU's.
  for (std::size_t j = 0; j < g.components.size(); ++j) {
    CAPTURE(g.components[j].position, g.components[j].confidence,
            g.components[j].es_contribution, c.components[j].es_contribution);
    CHECK(g.components[j].position == c.components[j].position);
    const double es = g.allocation.levels[j / spec.positions().size()].es;
    CHECK(std::fabs(g.components[j].es_contribution - c.components[j].es_contribution) <=
          1e-3 * std::fabs(es));
  }
}

TEST_CASE("daily values on the GPU: the fan's losses and the path risk are the scalar "
          "reference's to float rounding",
          "[gpu][daily]") {
  if (!gpu_usable()) return;
  testing::TempDir dir;
  for (const RngKind rng : {RngKind::kPhilox, RngKind::kSobol}) {
    CAPTURE(rng == RngKind::kSobol);
    const testing::TestRun t = testing::all_features_run(dir, 8, 2, true, rng);
    const SimSpec& full = *t.spec;
    const Scenario sc = load_scenario(dir.write("all_features.toml", testing::kAllFeaturesScenario));
    SimSettings sim{8, 2};
    sim.rng = rng;
    std::vector<std::unique_ptr<SimSpec>> cut;
    std::vector<const SimSpec*> at, some(8, nullptr);
    for (int d = 1; d <= 8; ++d) {
      cut.push_back(spec_at_day(t.market, t.portfolio, sim, &sc, d));
      at.push_back(cut.back().get());
    }
    some[2] = at[2];
    some[7] = at[7];
    const std::uint64_t seed = 41, first = 1001, n = 20000;
    const double gross = full.gross_exposure();
    for (const auto* days : {&at, &some}) {
      const std::size_t rows = static_cast<std::size_t>(
          std::count_if(days->begin(), days->end(), [](const SimSpec* p) { return p != nullptr; }));
      std::vector<double> g(n * rows), r(n * rows);
      gpu().simulate_days(*cut.back(), *days, seed, first, n, g.data());
      ReferenceDayValues().simulate_days(*cut.back(), *days, seed, first, n, r.data());
      double worst = 0;
      for (std::size_t i = 0; i < g.size(); ++i)
        worst = std::max(worst, testing::path_rel_diff(g[i], r[i], gross));
      // 16 steps and a revaluation of the options every day: 1.17e-5 seen on an H200 (the
      // one-step-a-day parity paths: 8.7e-6).
      CAPTURE(rows, worst);
      CHECK(worst <= 2e-5);
    }
    const double stop = 0.05 * gross;
    std::vector<double> gl(n), gd(n), rl(n), rd(n);
    std::vector<std::int32_t> gb(n), rb(n);
    gpu().simulate_path_risk(*cut.back(), at, stop, seed, first, n, gl.data(), gd.data(),
                             gb.data());
    ReferenceDayValues().simulate_path_risk(*cut.back(), at, stop, seed, first, n, rl.data(),
                                            rd.data(), rb.data());
    double worst = 0;
    std::uint64_t breach_differ = 0, breaches = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
      worst = std::max({worst, testing::path_rel_diff(gl[k], rl[k], gross),
                        std::fabs(gd[k] - rd[k]) / std::max(std::fabs(rd[k]), 0.01 * gross)});
      breach_differ += gb[k] != rb[k];
      breaches += rb[k] >= 0;
    }
    CAPTURE(worst, breach_differ, breaches);
    CHECK(worst <= 2e-5);
    CHECK(breaches > 0);
    // A day's loss within float rounding of the stop-loss may breach on one side only.
    CHECK(breach_differ <= n / 1000);
  }
}

TEST_CASE(
    "a book hierarchy on the GPU: each book's losses are the reference's to float "
    "rounding, and the CLI's books the CPU's",
    "[gpu][books]") {
  if (!gpu_usable()) return;
  // every book's losses from the device's one pass against its own reference run's, to float
  // rounding: the desks of the sample book, then books that keep their own marks (settlements,
  // vol factors) on the shared paths
  const std::uint64_t seed = 17, first = 999, n = 50000;
  const auto check_books = [&](const Market& m, const Portfolio& pf, const SimSettings& sim) {
    const BookTree t = book_tree(pf);
    const SimSpec spec(m, pf, sim);
    std::vector<std::unique_ptr<SimSpec>> specs;
    std::vector<const SimSpec*> books;
    for (std::size_t node = 0; node < t.nodes.size(); ++node) {
      specs.push_back(
          std::make_unique<SimSpec>(m, t.portfolio_of(pf, static_cast<int>(node)), sim));
      books.push_back(specs.back().get());
    }
    std::vector<double> g(n * books.size());
    gpu().simulate_books(spec, books, seed, first, n, g.data());
    for (std::size_t b = 0; b < books.size(); ++b) {
      double worst = 0;
      for (std::uint64_t k = 0; k < n; ++k)
        worst = std::max(worst, testing::path_rel_diff(
                                    g[b * n + k], reference_path_loss(*books[b], seed, first + k),
                                    books[b]->gross_exposure()));
      CAPTURE(b, worst);
      CHECK(worst <= 2e-5);
    }
    return t;
  };
  const Market market = load_market(testing::source_path("scenarios/market/ai_chips.toml"));
  const Portfolio all =
      load_portfolio(testing::source_path("scenarios/portfolio/ai_desks.toml"), market);
  const BookTree tree = check_books(market, all, SimSettings{5, 1});
  const testing::Book marked(testing::kDesksSurfaces, testing::kDesksExpiring);
  (void)check_books(marked.market, marked.portfolio, SimSettings{5, 2});
  // the whole run: --backend gpu against --backend cpu, every book's VaR and ES
  testing::TempDir out;
  const auto run = [&](const std::string& backend, const std::string& extra = "") {
    const std::string dir = out.file(backend + (extra.empty() ? "" : "_extra"));
    const std::string cmd = std::string("cd '") + CHIPSHOCK_SOURCE_DIR + "' && '" +
                            CHIPSHOCK_BINARY +
                            "' run --market scenarios/market/ai_chips.toml --portfolio "
                            "scenarios/portfolio/ai_desks.toml --paths 300k --horizon 5 --seed 3 "
                            "--scenario cheaper_model_disruption --quiet --backend " +
                            backend + " " + extra + " --out '" + dir + "'";
    const int status = std::system(cmd.c_str());
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    std::ifstream in(dir + "/report.json");
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
  };
  const nlohmann::json on_gpu = run("gpu"), on_cpu = run("cpu");
  CHECK(on_gpu["run"]["backend"] != "cpu");
  REQUIRE(on_gpu["books"]["nodes"].size() == tree.nodes.size());
  for (std::size_t b = 0; b < tree.nodes.size(); ++b)
    for (std::size_t s = 0; s < 2; ++s)
      for (const char* key : {"var", "es"})
        for (const char* level : {"0.95", "0.99"}) {
          const double x = on_gpu["books"]["nodes"][b]["scenarios"][s][key][level];
          const double y = on_cpu["books"]["nodes"][b]["scenarios"][s][key][level];
          CAPTURE(b, s, key, level, x, y);
          CHECK(std::fabs(x - y) <= 1e-4 * std::fabs(y) + 1e-6);
        }
  // importance sampling: every book weighed on the device's weighted paths, as on the CPU
  const nlohmann::json is_gpu = run("gpu", "--importance-sampling"),
                       is_cpu = run("cpu", "--importance-sampling");
  for (std::size_t b = 0; b < tree.nodes.size(); ++b)
    for (std::size_t s = 0; s < 2; ++s) {
      const double x = is_gpu["books"]["nodes"][b]["scenarios"][s]["es"]["0.99"];
      const double y = is_cpu["books"]["nodes"][b]["scenarios"][s]["es"]["0.99"];
      CAPTURE(b, s, x, y);
      CHECK(std::fabs(x - y) <= 1e-4 * std::fabs(y) + 1e-6);
    }
  // --backend both: the GPU's books (one pass) against the CPU's, the whole book and each book
  const nlohmann::json both = run("both");
  CHECK(both["run"]["backend"] == "both");
  const nlohmann::json& rows = both["backend_comparison"];
  REQUIRE(rows.size() == 2 * tree.nodes.size());  // baseline and the scenario, top and 5 books
  for (const nlohmann::json& row : rows) {
    CAPTURE(row["scenario"], row["book"], row["max_rel_diff"]);
    CHECK(row["max_rel_diff"].get<double>() <= 1e-4);
  }
  CHECK(rows[0]["book"].is_null());
  CHECK(rows[1]["book"] == tree.nodes[1].name);
  CHECK(rows[1]["gpu_seconds"] == rows[0]["gpu_seconds"]);
  // the reported books are the GPU's
  CHECK(both["books"]["nodes"][1]["scenarios"][0]["es"]["0.99"] ==
        rows[1]["levels"]["0.99"]["gpu_es"]);
}
