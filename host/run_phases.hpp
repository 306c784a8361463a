// Where a run's time goes: the seconds of each phase (report.json run.phases, --timings).
// A PhaseScope adds the time from its construction to its end to one phase; a scope opened
// inside another pauses the outer one, so each second counts once and the phases add up to at
// most the run's elapsed time (the rest is "other": reading inputs, set-up, start-up of
// threads). The clock is per host thread: scopes open on the thread that drives the run, never
// inside OpenMP regions.
#pragma once

#include <array>
#include <cstddef>

namespace chipshock {

enum class Phase : int {
  kSimulate,         // the paths' losses (backend kernels, device runs and their copies)
  kTail,             // folding losses into the statistics: sums, histogram, top-k tail, merges
                     // between ranks and stretches, VaR/ES and their intervals at each stop
  kComponents,       // component VaR/ES from the tail paths
  kValuePaths,       // daily values: the value fan and --stop-loss
  kImportancePilot,  // importance sampling: the pilot that chooses the shift
  kEstimate,         // the run-time estimate's pilot (long runs and --dry-run)
  kCheckpoint,       // --checkpoint: saving progress
  kReports,          // report.json, the other report files and the summary
  kCount
};
constexpr std::size_t kPhaseCount = static_cast<std::size_t>(Phase::kCount);

// "simulate", "tail", "components", "value_paths", "importance_pilot", "estimate",
// "checkpoint", "reports".
const char* phase_name(Phase p);

using PhaseSeconds = std::array<double, kPhaseCount>;

// The seconds this thread has spent in each phase since the last reset.
PhaseSeconds phase_seconds();
void reset_phase_seconds();

class PhaseScope {
 public:
  // kAbsorb: the scopes opened inside this one count as its phase too (a pilot's kernels are
  // the pilot's time, not the run's simulation).
  enum Mode { kNested, kAbsorb };
  explicit PhaseScope(Phase p, Mode mode = kNested);
  ~PhaseScope();
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  Phase phase_;
  bool absorb_;
  PhaseScope* outer_;
  double since_;  // when this scope last started counting
  friend struct PhaseClock;
};

}  // namespace chipshock
