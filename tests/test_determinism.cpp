// The same seed gives bit-identical numbers for any thread count and any batch size.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "host/risk_engine.hpp"
#include "result_checks.hpp"
#include "test_util.hpp"

using namespace chipshock;

static void check_identical(const ScenarioResult& a, const ScenarioResult& b) {
  CHECK(a.mean_loss == b.mean_loss);
  CHECK(a.stdev_loss == b.stdev_loss);
  CHECK(a.prob_loss == b.prob_loss);
  CHECK(a.worst_loss == b.worst_loss);
  CHECK(a.non_finite == b.non_finite);
  // The histogram (bins from the pilot, exact counts) and the tail curve too.
  testing::check_same_histogram(a.histogram, b.histogram);
  REQUIRE(a.tail_curve.size() == b.tail_curve.size());
  for (std::size_t k = 0; k < a.tail_curve.size(); ++k) {
    CHECK(a.tail_curve[k].loss == b.tail_curve[k].loss);
    CHECK(a.tail_curve[k].exceedance == b.tail_curve[k].exceedance);
  }
  REQUIRE(a.levels.size() == b.levels.size());
  for (std::size_t k = 0; k < a.levels.size(); ++k) {
    CHECK(a.levels[k].var == b.levels[k].var);
    CHECK(a.levels[k].es == b.levels[k].es);
    CHECK(a.levels[k].var_lo == b.levels[k].var_lo);
    CHECK(a.levels[k].var_hi == b.levels[k].var_hi);
    CHECK(a.levels[k].es_lo == b.levels[k].es_lo);
    CHECK(a.levels[k].es_hi == b.levels[k].es_hi);
  }
  // Component VaR/ES depend on which paths the tail kept: the same paths, the same numbers.
  REQUIRE(a.components.size() == b.components.size());
  for (std::size_t k = 0; k < a.components.size(); ++k) {
    CHECK(a.components[k].es_contribution == b.components[k].es_contribution);
    CHECK(a.components[k].var_contribution == b.components[k].var_contribution);
  }
}

TEST_CASE("results are bit-identical across thread counts and batch sizes", "[determinism]") {
  // Student-t market and an option book: every model feature on.
  const Market market = load_market(testing::source_path("scenarios/market/ai_chips_t.toml"));
  const Portfolio portfolio =
      load_portfolio(testing::source_path("scenarios/portfolio/hedged_book.toml"), market);
  const SimSpec spec(market, portfolio, SimSettings{3, 2});
  RunSettings s;
  // Prime: batches and SIMD groups end mid-way; above the 65536-path histogram pilot. The
  // sanitizer job (CHIPSHOCK_TEST_LIGHT=1) checks the same on fewer paths.
  s.paths = testing::paths_or_light(150011, 70001);
  s.seed = 7;
  s.batch_paths = s.paths;
  s.components = true;
  const ScenarioResult ref = simulate_scenario("baseline", spec, CpuBackend(1), s);
  REQUIRE(ref.histogram.has_bins());
  REQUIRE(!ref.components.empty());
  CHECK(ref.histogram.total() == s.paths - ref.non_finite);
  for (const auto& [threads, batch] :
       {std::pair<int, std::uint64_t>{2, 1000}, {2, 4099}, {3, 65537}, {2, 1u << 20}, {1, 7}}) {
    s.batch_paths = batch;
    CAPTURE(threads, batch);
    check_identical(ref, simulate_scenario("baseline", spec, CpuBackend(threads), s));
  }
  s.seed = 8;
  const ScenarioResult other = simulate_scenario("baseline", spec, CpuBackend(2), s);
  CHECK(other.levels[0].var != ref.levels[0].var);
}

TEST_CASE("the kept tail and its path indices are the same for any split and merge order, "
          "ties going to the smaller index",
          "[determinism]") {
  // Many exact ties: losses on a coarse grid.
  std::vector<double> losses(50021);
  for (std::size_t i = 0; i < losses.size(); ++i)
    losses[i] = static_cast<double>((i * 7919) % 613) - 300.0;
  const std::size_t k = 1234;
  LossAccumulator whole(1000.0, k);
  whole.add(losses.data(), losses.size(), 0);
  const std::vector<TailEntry> ref = whole.tail_entries();
  REQUIRE(ref.size() == k);
  for (std::size_t i = 1; i < ref.size(); ++i) {
    CHECK(ref[i - 1].loss >= ref[i].loss);
    if (ref[i - 1].loss == ref[i].loss) CHECK(ref[i - 1].path < ref[i].path);
  }
  for (const std::size_t chunk : {1u, 7u, 1000u, 4099u}) {
    std::vector<LossAccumulator> parts;
    for (std::size_t first = 0; first < losses.size(); first += chunk) {
      parts.push_back(whole.empty_like());
      const std::size_t n = std::min(chunk, losses.size() - first);
      parts.back().add(losses.data() + first, n, first);
    }
    LossAccumulator forward = whole.empty_like(), backward = whole.empty_like();
    for (const LossAccumulator& p : parts) forward.merge(p);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) backward.merge(*it);
    for (const LossAccumulator* acc : {&forward, &backward}) {
      const std::vector<TailEntry> got = acc->tail_entries();
      REQUIRE(got.size() == ref.size());
      for (std::size_t i = 0; i < ref.size(); ++i) {
        CAPTURE(chunk, i);
        CHECK(got[i].loss == ref[i].loss);
        CHECK(got[i].path == ref[i].path);
      }
    }
  }
  // Saved and restored (a checkpoint): the same entries.
  LossAccumulator restored = whole.empty_like();
  restored.restore_tail(ref);
  const std::vector<TailEntry> again = restored.tail_entries();
  REQUIRE(again.size() == ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i) CHECK(again[i].path == ref[i].path);
}
