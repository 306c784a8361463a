// The accumulator's state image (checkpoints, MPI merging): a round trip changes nothing, and
// any split of a run into path ranges, resumed anywhere and merged in any order, gives the
// numbers of one uninterrupted run bit for bit, histogram included.
#include <catch2/catch.hpp>

#include "host/risk_engine.hpp"
#include "host/stats/accumulator_state.hpp"
#include "test_util.hpp"

using namespace chipshock;

namespace {

void check_identical(const ScenarioResult& a, const ScenarioResult& b) {
  CHECK(a.mean_loss == b.mean_loss);
  CHECK(a.stdev_loss == b.stdev_loss);
  CHECK(a.prob_loss == b.prob_loss);
  CHECK(a.worst_loss == b.worst_loss);
  CHECK(a.non_finite == b.non_finite);
  CHECK(a.histogram.bins().lo == b.histogram.bins().lo);
  CHECK(a.histogram.bins().width == b.histogram.bins().width);
  CHECK(a.histogram.counts() == b.histogram.counts());
  CHECK(a.histogram.underflow() == b.histogram.underflow());
  CHECK(a.histogram.overflow() == b.histogram.overflow());
  REQUIRE(a.tail_curve.size() == b.tail_curve.size());
  for (std::size_t k = 0; k < a.tail_curve.size(); ++k)
    CHECK(a.tail_curve[k].loss == b.tail_curve[k].loss);
  REQUIRE(a.levels.size() == b.levels.size());
  for (std::size_t k = 0; k < a.levels.size(); ++k) {
    CHECK(a.levels[k].var == b.levels[k].var);
    CHECK(a.levels[k].es == b.levels[k].es);
    CHECK(a.levels[k].var_lo == b.levels[k].var_lo);
    CHECK(a.levels[k].var_hi == b.levels[k].var_hi);
  }
}

struct Fixture {
  Market market = load_market(testing::source_path("scenarios/market/ai_chips_t.toml"));
  Portfolio portfolio =
      load_portfolio(testing::source_path("scenarios/portfolio/hedged_book.toml"), market);
  SimSpec spec{market, portfolio, SimSettings{2, 1}};
  RunSettings settings;
  Fixture() {
    settings.paths = 150011;  // prime; the 65536-path histogram pilot spans several ranges
    settings.seed = 11;
    settings.batch_paths = 9973;
  }
};

}  // namespace

TEST_CASE("rank ranges are contiguous, cover the run and differ in size by at most one",
          "[accumulator_state]") {
  for (int ranks : {1, 2, 3, 7, 64}) {
    std::uint64_t next = 0;
    for (int r = 0; r < ranks; ++r) {
      const PathRange range = rank_range(1000003, r, ranks);
      CHECK(range.first == next);
      const std::uint64_t even = 1000003 / static_cast<std::uint64_t>(ranks);
      CHECK(range.size() >= even);
      CHECK(range.size() <= even + 1);
      next = range.last;
    }
    CHECK(next == 1000003);
  }
  CHECK(rank_range(3, 4, 8).size() == 0);  // more ranks than paths: some get none
  CHECK(rank_range(~std::uint64_t{0}, 1, 2).last == ~std::uint64_t{0});
}

TEST_CASE("an accumulator survives encoding: same bytes again, same statistics",
          "[accumulator_state]") {
  Fixture f;
  LossAccumulator acc = scenario_accumulator(f.spec, f.settings);
  accumulate_range(f.spec, CpuBackend(2), f.settings, {0, f.settings.paths}, 0, acc);
  const std::string bytes = encode_accumulator(acc);
  const LossAccumulator back = decode_accumulator(bytes);
  CHECK(encode_accumulator(back) == bytes);
  check_identical(scenario_result("a", acc, f.settings), scenario_result("a", back, f.settings));
  // An empty accumulator (a rank with no paths) too.
  const LossAccumulator empty = scenario_accumulator(f.spec, f.settings);
  CHECK(encode_accumulator(decode_accumulator(encode_accumulator(empty))) ==
        encode_accumulator(empty));
}

TEST_CASE("damaged or foreign state bytes are refused", "[accumulator_state]") {
  Fixture f;
  f.settings.paths = 2000;
  LossAccumulator acc = scenario_accumulator(f.spec, f.settings);
  accumulate_range(f.spec, CpuBackend(1), f.settings, {0, f.settings.paths}, 0, acc);
  const std::string bytes = encode_accumulator(acc);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x10);
  CHECK_THROWS_WITH(decode_accumulator(flipped), Catch::Contains("checksum"));
  CHECK_THROWS_WITH(decode_accumulator(bytes.substr(0, bytes.size() - 9)),
                    Catch::Contains("accumulator state"));
  CHECK_THROWS_WITH(decode_accumulator("not a state"), Catch::Contains("magic"));
  std::string newer = bytes;
  newer[8] = 2;  // version 2
  CHECK_THROWS_WITH(decode_accumulator(newer), Catch::Contains("version 2"));
}

TEST_CASE("ranges merged in any order, resumed from images, equal one run bit for bit",
          "[accumulator_state][determinism]") {
  Fixture f;
  const ScenarioResult whole = simulate_scenario("baseline", f.spec, CpuBackend(2), f.settings);
  REQUIRE(whole.histogram.has_bins());
  for (int ranks : {2, 3, 5}) {
    CAPTURE(ranks);
    std::vector<std::string> images;
    for (int r = 0; r < ranks; ++r) {
      const PathRange range = rank_range(f.settings.paths, r, ranks);
      // Each range is interrupted halfway and resumed from its image, as after a kill -9.
      LossAccumulator acc = scenario_accumulator(f.spec, f.settings);
      std::string saved;
      std::uint64_t saved_next = range.first;
      const std::uint64_t stop = range.first + range.size() / 2;
      try {
        accumulate_range(f.spec, CpuBackend(1), f.settings, range, range.first, acc, {},
                         [&](const LossAccumulator& a, std::uint64_t next) {
                           saved = encode_accumulator(a);
                           saved_next = next;
                           if (next >= stop) throw std::runtime_error("killed");
                         });
      } catch (const std::runtime_error&) {
      }
      REQUIRE(!saved.empty());
      LossAccumulator resumed = decode_accumulator(saved);
      accumulate_range(f.spec, CpuBackend(2), f.settings, range, saved_next, resumed);
      images.push_back(encode_accumulator(resumed));
    }
    // Merged last-to-first (order does not matter), as accumulators and as images.
    LossAccumulator total = decode_accumulator(images.back());
    std::string image = images.back();
    for (std::size_t k = images.size() - 1; k-- > 0;) {
      total.merge(decode_accumulator(images[k]));
      image = merge_accumulator_images(image, images[k]);
    }
    check_identical(whole, scenario_result("baseline", total, f.settings));
    CHECK(image == encode_accumulator(total));
    check_identical(whole, scenario_result("baseline", decode_accumulator(image), f.settings));
  }
}
