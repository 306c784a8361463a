// What the Euler allocation of VaR and ES to positions (host/component_risk.hpp) asks of the
// backend that ran a scenario: its tail paths simulated again, each portfolio line's loss on
// them, and those losses reduced to the sums the allocation needs, so that only O(levels x
// lines) numbers and a few rows cross to the host. Plain C++: host code and the GPU engine's
// interface share it (kernels/tail_line_pipeline.cuh reduces on a device).
#pragma once

#include <cstdint>
#include <vector>

namespace chipshock {

// Tail indices [first, last).
struct TailRows {
  std::uint64_t first = 0, last = 0;
};

struct TailLineRequest {
  std::vector<std::uint64_t> paths;  // the tail's paths, in the tail's order
  // Each path's likelihood ratio (importance sampling); empty: 1 for every path.
  std::vector<double> weights;
  // For each end e: the sums over the tail's paths [0, e) of weight x line loss (a path whose
  // weight is 0 is left out).
  std::vector<std::uint64_t> ends;
  std::vector<TailRows> rows;  // ranges whose line losses are needed path by path
};

struct TailLineSums {
  // Line losses per path: the portfolio's lines, then the path's loss as the sum of its lines
  // (added in line order, from 0, in double).
  int columns = 0;
  std::vector<long double> sums;  // [end index * columns + column]
  std::vector<double> rows;       // each requested range's paths in order, `columns` each
};

}  // namespace chipshock
