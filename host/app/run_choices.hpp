// The named choices of `chipshock run` that more than one file acts on, as enums (the command
// line maps the names through CLI11: host/cli/main.cpp).
#pragma once

namespace chipshock {

// --backend: where the paths run (host/app/backend_plan.hpp).
enum class BackendChoice { kAuto, kCpu, kGpu, kBoth };

// "auto", "cpu", "gpu", "both": as --backend and the reports name them.
inline const char* backend_choice_name(BackendChoice b) {
  switch (b) {
    case BackendChoice::kAuto: return "auto";
    case BackendChoice::kCpu: return "cpu";
    case BackendChoice::kGpu: return "gpu";
    case BackendChoice::kBoth: return "both";
  }
  return "?";
}

// --method: Monte Carlo alone, or also historical simulation.
enum class RunMethod { kMonteCarlo, kHistorical };

}  // namespace chipshock
