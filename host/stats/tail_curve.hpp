// The exact upper tail of the loss distribution, from the kept top-k losses: the empirical
// exceedance probability P(L >= x) at the i-th largest loss is (i + 1) / N. Thinned to at most
// `max_points` ranks spaced evenly in log(rank), which is what a log-scale tail plot shows.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace chipshock {

struct TailPoint {
  double loss;
  double exceedance;  // share of the N paths with a loss at least this large
};

// tail: the largest losses in descending order; n: the number of finite losses.
inline std::vector<TailPoint> tail_curve(const std::vector<double>& tail, std::uint64_t n,
                                         int max_points = 160) {
  std::vector<TailPoint> out;
  if (tail.empty() || n == 0 || max_points < 2) return out;
  const std::size_t k = tail.size();
  const double log_k = std::log(static_cast<double>(k));
  std::size_t last = 0;
  for (int j = 0; j < max_points; ++j) {
    // rank 1 .. k, log-spaced; skip repeats at the low ranks
    const double r = std::exp(log_k * j / (max_points - 1));
    std::size_t rank = static_cast<std::size_t>(std::llround(r));
    if (rank < 1) rank = 1;
    if (rank > k) rank = k;
    if (rank <= last) continue;
    last = rank;
    out.push_back({tail[rank - 1], static_cast<double>(rank) / static_cast<double>(n)});
  }
  return out;
}

}  // namespace chipshock
