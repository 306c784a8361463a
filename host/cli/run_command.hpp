// `chipshock run`: the command line's side of a run (progress bar, summary, report files,
// exit codes); the run itself is planned and carried out by the application layer (host/app/).
#pragma once

#include "host/app/run_options.hpp"

namespace chipshock {

// Exit codes, as documented in --help.
// 4: the run finished and wrote its reports, but some paths' losses were NaN or infinite (the
// statistics leave them out; report.json counts them in non_finite_paths).
enum ExitCode {
  kExitOk = 0,
  kExitInternal = 1,
  kExitBadInput = 2,
  kExitNoGpu = 3,
  kExitNonFinite = 4
};

class MpiWorld;

// Runs and returns the exit code; throws InputError / GpuUnavailable for the caller to map.
// With a world of several MPI ranks, each simulates its share of the paths; rank 0 merges,
// reports and prints. A failure in the set-up on any rank is thrown on every rank as an
// AgreedFailure (cli_failure.hpp) before any path runs.
int run_command(const RunOptions& options, const MpiWorld& world);
int run_command(const RunOptions& options);  // one process

}  // namespace chipshock
