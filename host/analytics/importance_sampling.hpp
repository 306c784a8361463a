// Importance sampling for deep-tail VaR and ES (--importance-sampling): the mean shift of
// Glasserman, Heidelberger and Shahabuddin (2000) along the direction in which the book's
// delta-linear loss grows, and for Student-t models also their (2002) twist of the scale mixture
// (kernels/importance_sampling.cuh has the change of measure and the likelihood ratio).
//
// Direction: with the dollar deltas D_i = dV/dx_i of the book at today's spots (a central
// difference of the full revaluation, so options count with their horizon deltas), the loss is to
// first order L ~ -D . x = sum_s c_s . u_s with c_s = -A_s^T D (A_s: step s's
// diag(sigma sqrt dt) L of its regime), and sd(L) ~ |c|. Every step's normals are shifted by
// k c_s / |c|: the linear loss's mean moves k standard deviations into the loss tail.
//
// Size: k and the chi-square scale lambda are chosen by a pilot (GHS's rule of thumb is k near the
// normal quantile of the target level): candidates k = z (0.4, 0.6, 0.8, 1, 1.25, 1.5), z the
// standard normal quantile of the target confidence, and for Student-t also lambda in
// {1, 0.5, 0.25, 0.12} (a heavy tail comes mostly from small chi-square draws, so it needs strong
// twists; the defensive mixture keeps every weight below 4). Each
// candidate simulates the pilot paths under a seed of its own (never the run's paths), which
// estimate its variance over plain sampling's for the tail probability P(L >= VaR) and the tail
// loss E[L 1{L >= VaR}] at the pilot's VaR (what the VaR and ES estimators' variances follow).
// Those estimates miss what the candidate seldom draws, so the best three are checked again on
// plain paths carrying the candidate's weights (E_q[w^2 1_T] = E_p[w 1_T]; the .cpp says more).
// The one whose largest estimate is smallest wins if that is below kImportanceWinRatio; else the
// run is plain (ImportanceInfo::fell_back: on a Student-t market over several days no shift of
// this family beats plain sampling, bench/RESULTS.md).
//
// The run is the engine's pipeline (host/risk_engine.hpp) on any backend: its source (the CPU's
// SIMD kernel, or the GPU's weighted kernel, whose losses and log weights come to the host) folds
// each path with its likelihood ratio into an accumulator that keeps every path's loss, weight
// and index
// (24 bytes a path: under the shifted measure most paths lie beyond the lower levels' VaR, so
// there is no small tail to keep), which merges between MPI ranks and saves in checkpoints like
// any other; the estimates are host/stats/weighted_risk.hpp's. Component ES/VaR re-simulate the
// tail paths under the same measure, on the run's backend, and weight them. The pilot runs on
// the CPU's SIMD kernel whatever the backend (24 x 8,192 paths and 3 plain checks of 32,768 to
// 2^20 paths at most).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "host/cpu/cpu_backend.hpp"
#include "host/risk_engine.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

// Bytes a run keeps per path under importance sampling.
constexpr std::uint64_t kImportanceBytesPerPath = sizeof(double) * 2 + sizeof(std::uint64_t);
// Paths simulated by each candidate of the pilot.
constexpr std::uint64_t kImportancePilotPaths = 8192;
// A shift is used only when the pilot estimates both of its variance ratios (ImportanceInfo's
// pilot_ratio_*) below this, otherwise the run is plain: a margin for the pilot's own noise
// (with 0.5, a few seeds in 40 kept a shift that did no better than plain sampling on the
// Student-t sample market over 5 to 20 days; bench/RESULTS.md).
constexpr double kImportanceWinRatio = 0.3;
// How many of the best candidates (by their own paths' estimate) are also checked on plain paths.
constexpr std::size_t kImportancePlainChecks = 3;

// The first-order loss direction: c_s for every step (step-major, n_assets each) scaled to unit
// length over all steps, and |c|, the delta-linear loss's standard deviation. Throws InputError
// when the book has no first-order exposure (nothing to shift along).
struct LossDirection {
  std::vector<double> unit;  // [total_steps * n_assets]
  double linear_sd = 0;
};
LossDirection loss_direction(const SimSpec& spec);

// The change of measure with shift k along the direction and chi-square scale lambda.
ImportanceShift importance_shift(const LossDirection& d, double k, float lambda);

// Chooses k and lambda by the pilot and sets them on `spec`; returns what was chosen.
ImportanceInfo plan_importance_sampling(SimSpec& spec, const CpuBackend& backend,
                                        std::uint64_t seed, double target_confidence);

// The pilot's choices attached to a weighted run's result (whose weight diagnostics the
// engine filled in: finish_scenario).
void attach_importance_info(ScenarioResult& r, const ImportanceInfo& info);

// A run of `spec` (whose shift is set): simulate_scenario, whose CPU source folds the paths
// with their likelihood ratios (the weighted estimators, the same convergence table,
// --target-rel-error rule and components), with the pilot's choices attached.
ScenarioResult simulate_scenario_weighted(const std::string& name, const SimSpec& spec,
                                          const CpuBackend& backend, const RunSettings& settings,
                                          const ImportanceInfo& info,
                                          const ProgressFn& progress = {});

}  // namespace chipshock
