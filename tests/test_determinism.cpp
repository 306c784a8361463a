// The same seed gives bit-identical numbers for any thread count and any batch size.
#include <catch2/catch.hpp>

#include "host/risk_engine.hpp"
#include "test_util.hpp"

using namespace chipshock;

static void check_identical(const ScenarioResult& a, const ScenarioResult& b) {
  CHECK(a.mean_loss == b.mean_loss);
  CHECK(a.stdev_loss == b.stdev_loss);
  CHECK(a.prob_loss == b.prob_loss);
  CHECK(a.worst_loss == b.worst_loss);
  CHECK(a.non_finite == b.non_finite);
  // The histogram (bins from the pilot, exact counts) and the tail curve too.
  CHECK(a.histogram.bins().lo == b.histogram.bins().lo);
  CHECK(a.histogram.bins().width == b.histogram.bins().width);
  CHECK(a.histogram.bins().count == b.histogram.bins().count);
  CHECK(a.histogram.counts() == b.histogram.counts());
  CHECK(a.histogram.underflow() == b.histogram.underflow());
  CHECK(a.histogram.overflow() == b.histogram.overflow());
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
  }
}

TEST_CASE("results are bit-identical across thread counts and batch sizes", "[determinism]") {
  // Student-t market and an option book: every model feature on.
  const Market market = load_market(testing::source_path("scenarios/market/ai_chips_t.toml"));
  const Portfolio portfolio =
      load_portfolio(testing::source_path("scenarios/portfolio/hedged_book.toml"), market);
  const SimSpec spec(market, portfolio, SimSettings{3, 2});
  RunSettings s;
  s.paths = 150011;  // prime: batches and SIMD groups end mid-way
  s.seed = 7;
  s.batch_paths = s.paths;
  const ScenarioResult ref = simulate_scenario("baseline", spec, CpuBackend(1), s);
  REQUIRE(ref.histogram.has_bins());
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
