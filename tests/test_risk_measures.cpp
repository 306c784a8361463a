// VaR, ES and the VaR interval on hand-computed samples; the streaming accumulator's exactness.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "host/stats/risk_measures.hpp"

using namespace chipshock;

static std::vector<double> descending(std::vector<double> v) {
  std::sort(v.begin(), v.end(), std::greater<double>());
  return v;
}

TEST_CASE("tail mass removes binary rounding noise", "[stats]") {
  CHECK(tail_mass(200000, 0.95) == 10000.0);
  CHECK(tail_mass(1000000, 0.99) == 10000.0);
  CHECK(tail_mass(1000, 0.975) == 25.0);
  CHECK(tail_mass(1001, 0.99) == Approx(10.01));
}

TEST_CASE("VaR is the ceil(N alpha)-th smallest loss and ES the mean beyond it", "[stats]") {
  std::vector<double> losses(1000);
  std::iota(losses.begin(), losses.end(), 1.0);  // 1, 2, ..., 1000
  const auto tail = descending(losses);
  const LevelRisk r99 = risk_at(1000, 0.99, tail);
  CHECK(r99.var == 990.0);                     // 990 of 1000 losses are <= 990
  CHECK(r99.es == Approx(995.5).epsilon(1e-15));  // mean of 991..1000
  const LevelRisk r95 = risk_at(1000, 0.95, tail);
  CHECK(r95.var == 950.0);
  CHECK(r95.es == Approx(975.5).epsilon(1e-15));
  // N (1 - alpha) = 2.5: the worst two losses count fully, the third with weight one half.
  const LevelRisk r = risk_at(1000, 0.9975, tail);
  CHECK(r.var == 998.0);
  CHECK(r.es == Approx((1000.0 + 999.0 + 0.5 * 998.0) / 2.5).epsilon(1e-15));
}

TEST_CASE("VaR interval brackets VaR with binomial order statistics", "[stats]") {
  std::vector<double> losses(1000000);
  std::iota(losses.begin(), losses.end(), 1.0);
  const auto tail = descending(losses);
  const LevelRisk r = risk_at(1000000, 0.99, tail);
  // sqrt(N a (1-a)) = 99.499; 1.96 of them is 195.02 ranks either side of 990000.
  CHECK(r.var == 990000.0);
  CHECK(r.var_lo == 990000.0 - 196.0);
  CHECK(r.var_hi == 990000.0 + 196.0);
  CHECK(tail_size_needed(1000000, {0.99}) == 1000000 - (990000 - 196) + 1);
}

TEST_CASE("risk_at refuses a level with no loss beyond VaR", "[stats]") {
  const std::vector<double> tail{3, 2, 1};
  CHECK_THROWS(risk_at(3, 0.9, tail));
}

TEST_CASE("TailKeeper keeps exactly the k largest values", "[stats]") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> dist;
  std::vector<double> v(100000);
  for (auto& x : v) x = dist(rng);
  v[17] = v[18] = v[19] = 10.0;  // ties at the top
  for (std::size_t k : {1u, 7u, 1000u, 5003u}) {
    TailKeeper keeper(k);
    for (double x : v) keeper.add(x);
    auto expect = descending(v);
    expect.resize(k);
    CHECK(keeper.sorted() == expect);
  }
}

TEST_CASE("a tail assigned in order keeps the k largest with what comes after, as if added",
          "[stats]") {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> dist;
  std::vector<double> v(30000);
  for (auto& x : v) x = std::round(100 * dist(rng));  // many ties
  for (std::size_t k : {1u, 50u, 4000u}) {
    for (std::size_t cut : {0u, 10u, 20000u}) {
      CAPTURE(k, cut);
      TailKeeper all(k);
      for (std::size_t i = 0; i < v.size(); ++i) all.add(v[i], i);
      // The first `cut` values' top, as a device hands it over (its size at most k), then the
      // rest added one by one, and the same merged into another keeper.
      TailKeeper first(k);
      for (std::size_t i = 0; i < cut; ++i) first.add(v[i], i);
      const std::vector<TailEntry> top = first.sorted_entries();
      TailKeeper resumed(k);
      resumed.assign_in_order(top.size(), [&](double* losses, std::uint64_t* paths) {
        for (std::size_t i = 0; i < top.size(); ++i) {
          losses[i] = top[i].loss;
          paths[i] = top[i].path;
        }
      });
      CHECK(resumed.sorted_entries().size() == top.size());
      CHECK(resumed.sorted_ref(3) == first.sorted(3));
      TailKeeper merged(k);
      merged.merge(resumed);
      for (std::size_t i = cut; i < v.size(); ++i) resumed.add(v[i], i);
      for (std::size_t i = cut; i < v.size(); ++i) merged.add(v[i], i);
      const std::vector<TailEntry> want = all.sorted_entries();
      for (const TailKeeper* t : {&resumed, &merged}) {
        const std::vector<TailEntry>& got = t->sorted_entries_ref();
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
          CHECK(got[i].loss == want[i].loss);
          CHECK(got[i].path == want[i].path);
        }
        CHECK(t->sorted_ref() == all.sorted());
      }
    }
  }
}

TEST_CASE("LossAccumulator gives bit-identical results for any split and order", "[stats]") {
  std::mt19937_64 rng(6);
  std::lognormal_distribution<double> dist(10, 2);
  std::vector<double> v(200000);
  for (auto& x : v) x = dist(rng) - 30000;
  LossAccumulator whole(1e6, 3000);
  whole.add(v.data(), v.size());

  std::shuffle(v.begin(), v.end(), rng);
  LossAccumulator merged(1e6, 3000);
  for (std::size_t start = 0; start < v.size(); start += 7919) {
    LossAccumulator part = merged.empty_like();
    part.add(v.data() + start, std::min<std::size_t>(7919, v.size() - start));
    merged.merge(part);
  }
  CHECK(merged.count() == whole.count());
  CHECK(merged.mean() == whole.mean());
  CHECK(merged.stdev() == whole.stdev());
  CHECK(merged.max() == whole.max());
  CHECK(merged.positive() == whole.positive());
  CHECK(merged.tail() == whole.tail());

  // And the moments are right: against a long-double two-pass computation.
  long double s = 0, s2 = 0;
  for (double x : v) s += x;
  const long double mean = s / v.size();
  for (double x : v) s2 += (x - mean) * (x - mean);
  CHECK(whole.mean() == Approx(static_cast<double>(mean)).epsilon(1e-14));
  CHECK(whole.stdev() == Approx(static_cast<double>(std::sqrt(s2 / (v.size() - 1)))).epsilon(1e-12));
}

TEST_CASE("losses far beyond the book's scale are still summed, not dropped", "[stats]") {
  // A short call under a fat-tailed rally can lose a million times the book's gross exposure.
  const std::vector<double> v{1e7, -5.0, 3e9, 2.0};
  LossAccumulator acc(10, 4);
  acc.add(v.data(), v.size());
  CHECK(acc.non_finite() == 0);
  CHECK(acc.max() == 3e9);
  CHECK(acc.mean() == Approx((1e7 - 5.0 + 3e9 + 2.0) / 4).epsilon(1e-15));
}

TEST_CASE("non-finite losses are counted and left out of every statistic", "[stats]") {
  const double nan = std::nan(""), inf = HUGE_VAL;
  const std::vector<double> v{1.0, nan, 3.0, inf, -inf, 2.0};
  LossAccumulator acc(10, 3);
  acc.add(v.data(), v.size());
  CHECK(acc.count() == 3);
  CHECK(acc.non_finite() == 3);
  CHECK(acc.mean() == 2.0);
  CHECK(acc.max() == 3.0);
  CHECK(acc.tail() == std::vector<double>{3.0, 2.0, 1.0});
}

#include "host/report/run_report.hpp"

TEST_CASE("money formatting groups thousands at any magnitude", "[report]") {
  CHECK(chipshock::format_money(1234567.891) == "1,234,567.89");
  CHECK(chipshock::format_money(-1234.5) == "-1,234.50");
  CHECK(chipshock::format_money(0.004) == "0.00");
  CHECK(chipshock::format_money(1e300).size() > 300);  // no truncation, no overflow
  CHECK(chipshock::format_money(std::nan("")) == "nan");
}
