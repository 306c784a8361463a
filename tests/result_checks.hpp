// Bit-for-bit comparison of two scenario results, shared by the tests that check one way of
// computing the statistics against another.
#pragma once

#include <catch2/catch.hpp>
#include <cstddef>

#include "host/risk_engine.hpp"

namespace chipshock::testing {

// The same bins and the same counts (a histogram's counts are exact integers).
inline void check_same_histogram(const LossHistogram& a, const LossHistogram& b) {
  CHECK(a.bins().lo == b.bins().lo);
  CHECK(a.bins().width == b.bins().width);
  CHECK(a.bins().count == b.bins().count);
  CHECK(a.counts() == b.counts());
  CHECK(a.underflow() == b.underflow());
  CHECK(a.overflow() == b.overflow());
}

inline void check_same(const ScenarioResult& a, const ScenarioResult& b) {
  CHECK(a.mean_loss == b.mean_loss);
  CHECK(a.stdev_loss == b.stdev_loss);
  CHECK(a.prob_loss == b.prob_loss);
  CHECK(a.worst_loss == b.worst_loss);
  CHECK(a.non_finite == b.non_finite);
  REQUIRE(a.levels.size() == b.levels.size());
  for (std::size_t k = 0; k < a.levels.size(); ++k) {
    CHECK(a.levels[k].var == b.levels[k].var);
    CHECK(a.levels[k].es == b.levels[k].es);
    CHECK(a.levels[k].var_lo == b.levels[k].var_lo);
    CHECK(a.levels[k].var_hi == b.levels[k].var_hi);
  }
}

}  // namespace chipshock::testing
