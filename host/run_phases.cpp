#include "host/run_phases.hpp"

#include <chrono>

namespace chipshock {

struct PhaseClock {
  PhaseSeconds seconds{};
  PhaseScope* open = nullptr;  // the innermost scope on this thread
  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

namespace {
thread_local PhaseClock clock_state;
}  // namespace

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kSimulate:
      return "simulate";
    case Phase::kTail:
      return "tail";
    case Phase::kComponents:
      return "components";
    case Phase::kValuePaths:
      return "value_paths";
    case Phase::kImportancePilot:
      return "importance_pilot";
    case Phase::kEstimate:
      return "estimate";
    case Phase::kCheckpoint:
      return "checkpoint";
    case Phase::kReports:
      return "reports";
    case Phase::kCount:
      break;
  }
  return "?";
}

PhaseSeconds phase_seconds() { return clock_state.seconds; }

void reset_phase_seconds() { clock_state.seconds.fill(0.0); }

PhaseScope::PhaseScope(Phase p, Mode mode)
    : phase_(p), absorb_(mode == kAbsorb), outer_(clock_state.open), since_(PhaseClock::now()) {
  if (outer_ != nullptr && outer_->absorb_) {  // inside an absorbing scope: count as it does
    phase_ = outer_->phase_;
    absorb_ = true;
  }
  if (outer_ != nullptr)  // pause the outer scope: this time is ours
    clock_state.seconds[static_cast<std::size_t>(outer_->phase_)] += since_ - outer_->since_;
  clock_state.open = this;
}

PhaseScope::~PhaseScope() {
  const double t = PhaseClock::now();
  clock_state.seconds[static_cast<std::size_t>(phase_)] += t - since_;
  if (outer_ != nullptr) outer_->since_ = t;  // the outer scope counts again
  clock_state.open = outer_;
}

}  // namespace chipshock
