// Running chipshock under mpirun from a test; where chipshock has no MPI or no mpirun is
// installed, mpi_usable() says "SKIPPED: ..." (CTest: skipped).
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "host/parallel/mpi_world.hpp"

namespace chipshock::testing {

// The mpiexec CMake found, or the environment's CHIPSHOCK_MPIEXEC (a machine that runs a
// build made elsewhere: scripts/gpu_check.sh --bundle with a carried Open MPI).
inline const char* mpiexec_path() {
  if (const char* e = std::getenv("CHIPSHOCK_MPIEXEC"); e != nullptr && *e != '\0') return e;
#ifdef CHIPSHOCK_MPIEXEC
  return CHIPSHOCK_MPIEXEC;
#else
  return "";
#endif
}
inline const char* const kMpiexec = mpiexec_path();

inline bool mpi_usable() {
  if (!chipshock::MpiWorld::built_with_mpi()) {
    WARN("SKIPPED: chipshock was built without MPI (CHIPSHOCK_MPI=OFF or no MPI found)");
    return false;
  }
  if (*kMpiexec == '\0' || ::access(kMpiexec, X_OK) != 0) {
    WARN("SKIPPED: no mpirun (" << kMpiexec << "): install openmpi-bin");
    return false;
  }
  return true;
}

// Root in CI containers: Open MPI refuses root unless told; no CMA between ranks in containers.
inline std::string mpirun(int ranks) {
  return std::string(
             "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
             "OMPI_MCA_btl_vader_single_copy_mechanism=none '") +
         kMpiexec + "' --oversubscribe --timeout 240 -np " + std::to_string(ranks);
}

}  // namespace chipshock::testing
