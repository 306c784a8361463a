// Euler allocation of VaR and ES to the portfolio's positions, by simulating again only the
// paths in the loss tail (path i is a pure function of (seed, i), so no per-position P&L is
// stored for the body of the distribution).
//
// Component ES of position j at level alpha: C_j = sum_i w_i l_j(i) / m over the tail paths
// i in the main run's order, with the weights of the ES estimator (es_weight: 1 for the
// floor(m) worst paths, m - floor(m) for the next one), m = N (1 - alpha), and l_j(i) position
// j's loss on path i. The re-simulated path loss is L'(i) = sum_j l_j(i), so the components add
// up to ES' = sum_i w_i L'(i) / m exactly (to the rounding of a sum). The tail paths are
// simulated again by the CPU backend's SIMD kernel (CpuBackend::simulate_lines), whose path
// losses are the CPU run's bit for bit: on the CPU backend ES' differs from ES only by the
// rounding of adding the lines; after a GPU run also by the float rounding of the GPU's path
// function against the CPU's lanes. Both are reported.
//
// Component VaR (Hallerbach 2003; Gourieroux, Laurent & Scaillet 2000): E[l_j | L = VaR]
// estimated by the mean of l_j over the 2h + 1 paths whose ranks are nearest the VaR order
// statistic, h = ceil(sqrt(m)) (clamped to the kept tail). Their sum is the mean loss of the
// window, not VaR itself: the gap is the estimator's bias (second order in the window width
// for a smooth density) plus noise of about sd(L' in window) / sqrt(2h + 1); both are reported.
// Part of the engine: a scenario's run ends with it (finish_scenario, host/risk_engine.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "host/cpu/cpu_backend.hpp"
#include "host/risk_engine.hpp"
#include "host/sim_spec.hpp"
#include "host/stats/tail_keeper.hpp"

namespace chipshock {

// Fills r.components (one per position and level) and r.allocation from the main run's tail
// (largest first, with path indices) over n finite paths. Leaves them empty, with a note in
// r.allocation_note, when the tail has no path indices.
// Under importance sampling, likelihood[i] is tail[i]'s likelihood ratio: the ES weights are
// those of weighted_risk_at (host/stats/weighted_risk.hpp), so the components still add up to
// the re-simulated ES, and the VaR window's means are weighted; the tail paths are simulated
// again under the spec's sampling measure. Empty = a plain run (every weight 1).
// `backend` simulates the tail paths again (its kernel and threads).
void allocate_risk(ScenarioResult& r, const SimSpec& spec, std::uint64_t seed,
                   const std::vector<TailEntry>& tail, std::uint64_t n, const CpuBackend& backend,
                   const std::vector<double>& likelihood = {});

// The half-width (in ranks) of the component-VaR window at this tail mass.
std::size_t var_window_half_width(double tail_mass);

}  // namespace chipshock
