// How chipshock reports a failure: the exception is mapped to an exit code, a one-line message
// and a hint. Under MPI, a failure every rank knows of (agreed before any path runs) is printed
// once by rank 0; a failure on one rank during the run is printed by that rank, which then
// ends the whole job with its exit code.
#pragma once

#include <stdexcept>
#include <utility>

#include "host/parallel/mpi_world.hpp"

namespace chipshock {

// A failure every rank of the job has learned of (MpiWorld::first_failure).
struct AgreedFailure : std::runtime_error {
  explicit AgreedFailure(RankFailure f) : std::runtime_error(f.message), failure(std::move(f)) {}
  RankFailure failure;
};

// Call inside a catch block: the current exception as an exit code, message and hint
// (InputError 2, GpuUnavailable 3, out of memory and anything else 1).
RankFailure failure_from_current_exception(int rank);

// "chipshock: MESSAGE" and "hint: HINT" on stderr; other ranks than 0 of a job of several name
// themselves.
void print_failure(const RankFailure& f, int ranks);

}  // namespace chipshock
