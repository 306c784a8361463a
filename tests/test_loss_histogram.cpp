// The streaming loss histogram (bins from a pilot, exact counts), the tail curve and the value
// fan's evaluation days and path budget.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "host/stats/loss_histogram.hpp"
#include "host/stats/tail_curve.hpp"
#include "host/value_fan.hpp"

using namespace chipshock;

TEST_CASE("pilot bins: nice width, edges on its multiples, covering the pilot", "[histogram]") {
  std::vector<double> pilot;
  for (int i = 0; i <= 1000; ++i) pilot.push_back(-300.0 + i);  // -300 .. 700
  const HistogramBins b = histogram_bins_from_pilot(pilot.data(), pilot.size(), 80);
  CAPTURE(b.lo, b.width, b.count);
  CHECK(b.width == 20.0);  // 1100 / 80 = 13.75 -> 20
  CHECK(std::fmod(b.lo, b.width) == 0.0);
  CHECK(b.lo <= -299.0);   // the 0.1% quantile minus the margin
  CHECK(b.hi() >= 750.0);  // the maximum plus the margin
  CHECK(b.count <= 80);
}

TEST_CASE("NaN and infinities do not move the bins, and no finite loss gives no bins",
          "[histogram]") {
  std::vector<double> pilot = {1, 2, 3, NAN, INFINITY, -INFINITY};
  const HistogramBins b = histogram_bins_from_pilot(pilot.data(), pilot.size());
  CHECK(std::isfinite(b.lo));
  CHECK(b.hi() < 10);
  const std::vector<double> bad = {NAN, INFINITY};
  CHECK(histogram_bins_from_pilot(bad.data(), bad.size()).count == 0);
  CHECK(histogram_bins_from_pilot(nullptr, 0).count == 0);
}

TEST_CASE("counts, underflow, overflow and merging are exact", "[histogram]") {
  LossHistogram a(HistogramBins{0.0, 1.0, 10}), b(HistogramBins{0.0, 1.0, 10});
  for (double x : {-0.5, 0.0, 0.5, 9.999, 10.0, 42.0}) a.add(x);
  for (double x : {3.5, 3.25}) b.add(x);
  a.merge(b);
  CHECK(a.underflow() == 1);
  CHECK(a.overflow() == 2);
  CHECK(a.counts()[0] == 2);
  CHECK(a.counts()[3] == 2);
  CHECK(a.counts()[9] == 1);
  CHECK(a.total() == 8);
  CHECK(a.density(3) == Approx(2.0 / 8.0));
  LossHistogram other(HistogramBins{0.0, 2.0, 10});
  CHECK_THROWS(a.merge(other));
}

TEST_CASE("the tail curve: exceedance (i + 1) / N at the i-th largest loss, thinned in log rank",
          "[histogram]") {
  std::vector<double> tail;
  for (int i = 1000; i >= 1; --i) tail.push_back(i);  // descending
  const std::vector<TailPoint> c = tail_curve(tail, 100000, 50);
  REQUIRE(c.size() >= 10);
  CHECK(c.size() <= 50);
  CHECK(c.front().loss == 1000);
  CHECK(c.front().exceedance == 1e-5);
  CHECK(c.back().loss == 1);
  CHECK(c.back().exceedance == 1000 / 100000.0);
  for (std::size_t k = 1; k < c.size(); ++k) {
    CHECK(c[k].loss < c[k - 1].loss);
    CHECK(c[k].exceedance > c[k - 1].exceedance);
  }
}

TEST_CASE("value fan: at most 30 evaluation days ending at the horizon, a bounded path budget",
          "[fan]") {
  CHECK(fan_days(1) == std::vector<int>{1});
  CHECK(fan_days(10).size() == 10);
  const std::vector<int> long_run = fan_days(252);
  CHECK(long_run.size() == 30);
  CHECK(long_run.back() == 252);
  CHECK(std::is_sorted(long_run.begin(), long_run.end()));
  // 10% of the main run's path-steps: 1M paths x 10 days / 55 path-days -> 18181 paths.
  CHECK(fan_paths(1000000, 10, fan_days(10)) == 18181);
  CHECK(fan_paths(100000000, 10, fan_days(10)) == kMaxFanPaths);
  CHECK(fan_paths(20000, 10, fan_days(10)) == kMinFanPaths);
  CHECK(fan_paths(1000, 10, fan_days(10)) == 1000);
}
