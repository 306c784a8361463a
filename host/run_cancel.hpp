// Stopping a run from outside it (the Python module's KeyboardInterrupt): request_run_cancel()
// makes every path loop of the CPU kernels (per group of lanes) and the run pipeline (per batch)
// stop early, and the run ends with RunCancelled instead of a result. One flag for the process:
// a front end that cancels runs one run at a time (the Python module holds a lock) and clears
// the flag before the next.
#pragma once

#include <atomic>
#include <stdexcept>

namespace chipshock {

struct RunCancelled : std::runtime_error {
  RunCancelled() : std::runtime_error("the run was cancelled") {}
};

// The flag itself (host/run_cancel.cpp). The CPU kernels read it directly, since a kernel
// object may define no code of its own outside its instruction set
// (scripts/check_kernel_symbols.sh); CpuBackend throws after the kernel returns.
extern std::atomic<bool> run_cancel_flag;

inline void request_run_cancel() { run_cancel_flag.store(true, std::memory_order_relaxed); }
inline void clear_run_cancel() { run_cancel_flag.store(false, std::memory_order_relaxed); }
inline bool run_cancel_requested() { return run_cancel_flag.load(std::memory_order_relaxed); }
// Throws RunCancelled when a cancel was requested (outside any parallel region).
inline void throw_if_run_cancelled() {
  if (run_cancel_requested()) throw RunCancelled();
}

}  // namespace chipshock
