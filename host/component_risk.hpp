// Euler allocation of VaR and ES to the portfolio's positions, by simulating again only the
// paths in the loss tail (path i is a pure function of (seed, i), so no per-position P&L is
// stored for the body of the distribution).
//
// Component ES of position j at level alpha: C_j = sum_i w_i l_j(i) / m over the tail paths
// i in the main run's order, with the weights of the ES estimator (es_weight: 1 for the
// floor(m) worst paths, m - floor(m) for the next one), m = N (1 - alpha), and l_j(i) position
// j's loss on path i. The re-simulated path loss is L'(i) = sum_j l_j(i), so the components add
// up to ES' = sum_i w_i L'(i) / m exactly (to the rounding of a sum). The tail paths are
// simulated again by the backend that ran the scenario (TailLineSimulator): on the CPU by its
// SIMD kernel (CpuBackend::simulate_lines), whose path losses are the CPU run's bit for bit, so
// ES' differs from ES only by the rounding of adding the lines; on the GPU by the device, which
// also sums the lines over the tail (in double, chunk by chunk), so only the sums and the VaR
// windows' rows reach the host. Both ES and ES' are reported.
//
// Component VaR (Hallerbach 2003; Gourieroux, Laurent & Scaillet 2000): E[l_j | L = VaR]
// estimated by the mean of l_j over the 2h + 1 paths whose ranks are nearest the VaR order
// statistic, h = ceil(sqrt(m)) (clamped to the kept tail). Their sum is the mean loss of the
// window, not VaR itself: the gap is the estimator's bias (second order in the window width
// for a smooth density) plus noise of about sd(L' in window) / sqrt(2h + 1); both are reported.
// Part of the engine: a scenario's run ends with it (finish_scenario, host/risk_engine.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "host/cpu/cpu_backend.hpp"
#include "host/risk_engine.hpp"
#include "host/sim_spec.hpp"
#include "host/stats/tail_keeper.hpp"
#include "kernels/tail_lines.cuh"

namespace chipshock {

// The line losses of a scenario's tail paths, simulated again by the backend that ran it and
// reduced there (kernels/tail_lines.cuh): the CPU's SIMD kernel (CpuTailLines, below), or the
// GPU's device (host/gpu/device_path_source.hpp). Each path is the spec's under its own measure
// (importance sampling included).
class TailLineSimulator {
 public:
  virtual ~TailLineSimulator() = default;
  virtual TailLineSums tail_lines(const SimSpec& spec, std::uint64_t seed,
                                  const TailLineRequest& request) const = 0;
};

// The sums and rows of request q on the host, in long double in tail order, one path at a time:
// add(i, row) takes path i's columns (the lines, then the path's loss) for i = 0, 1, ... up to
// needed() - 1 in turn; finish() gives the result. So a backend can simulate the paths a piece
// at a time and never hold them all.
class TailLineSummer {
 public:
  TailLineSummer(const TailLineRequest& q, int columns);
  // The paths whose columns the request reads: the sums' ends and the rows' ranges.
  std::size_t needed() const { return needed_; }
  void add(std::size_t i, const double* row);
  TailLineSums finish();

 private:
  // Copies the running sums into every end that stops at path i.
  void take(std::size_t i);
  const TailLineRequest& q_;
  std::size_t cols_, n_, needed_ = 0, next_ = 0;
  std::vector<std::size_t> order_;  // the ends, in increasing order
  std::vector<long double> acc_;
  std::vector<std::vector<double>> rows_;  // [range]
  TailLineSums out_;
};

// The same from value(i, c): path i's loss on column c.
template <class Value>
TailLineSums host_tail_line_sums(const TailLineRequest& q, int columns, Value&& value) {
  TailLineSummer summer(q, columns);
  std::vector<double> row(static_cast<std::size_t>(columns));
  for (std::size_t i = 0; i < summer.needed(); ++i) {
    for (std::size_t c = 0; c < row.size(); ++c) row[c] = value(i, c);
    summer.add(i, row.data());
  }
  return summer.finish();
}

// The CPU backend's: every requested path's lines from CpuBackend::simulate_lines, summed on
// the host in long double in tail order.
class CpuTailLines final : public TailLineSimulator {
 public:
  explicit CpuTailLines(const CpuBackend& backend) : backend_(backend) {}
  TailLineSums tail_lines(const SimSpec& spec, std::uint64_t seed,
                          const TailLineRequest& request) const override;

 private:
  CpuBackend backend_;
};

// Fills r.components (one per position and level) and r.allocation from the main run's tail
// (largest first, with path indices) over n finite paths. Leaves them empty, with a note in
// r.allocation_note, when the tail has no path indices.
// Under importance sampling, likelihood[i] is tail[i]'s likelihood ratio: the ES weights are
// those of weighted_risk_at (host/stats/weighted_risk.hpp), so the components still add up to
// the re-simulated ES, and the VaR window's means are weighted; the tail paths are simulated
// again under the spec's sampling measure. Empty = a plain run (every weight 1).
// `lines` simulates the tail paths again on the run's backend.
void allocate_risk(ScenarioResult& r, const SimSpec& spec, std::uint64_t seed,
                   const std::vector<TailEntry>& tail, std::uint64_t n,
                   const TailLineSimulator& lines, const std::vector<double>& likelihood = {});

// The half-width (in ranks) of the component-VaR window at this tail mass.
std::size_t var_window_half_width(double tail_mass);

}  // namespace chipshock
