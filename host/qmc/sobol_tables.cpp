#include "host/qmc/sobol_tables.hpp"

#include <stdexcept>
#include <string>

#include "host/input_error.hpp"

#if CHIPSHOCK_HAVE_CURAND
#include <curand.h>
#endif

namespace chipshock {

#if CHIPSHOCK_HAVE_CURAND

bool sobol_tables_available() { return true; }

SobolTables curand_sobol_tables() {
  curandDirectionVectors32_t* directions = nullptr;
  unsigned int* scramble = nullptr;
  if (const curandStatus_t s =
          curandGetDirectionVectors32(&directions, CURAND_SCRAMBLED_DIRECTION_VECTORS_32_JOEKUO6);
      s != CURAND_STATUS_SUCCESS || directions == nullptr)
    throw std::runtime_error("curandGetDirectionVectors32 failed (status " +
                             std::to_string(static_cast<int>(s)) + ")");
  if (const curandStatus_t s = curandGetScrambleConstants32(&scramble);
      s != CURAND_STATUS_SUCCESS || scramble == nullptr)
    throw std::runtime_error("curandGetScrambleConstants32 failed (status " +
                             std::to_string(static_cast<int>(s)) + ")");
  static_assert(sizeof(curandDirectionVectors32_t) == 32 * sizeof(std::uint32_t), "32 words");
  SobolTables t;
  t.directions = reinterpret_cast<const std::uint32_t*>(directions);
  t.scramble = scramble;
  return t;
}

#else

bool sobol_tables_available() { return false; }

SobolTables curand_sobol_tables() {
  throw InputError("", 0, "--rng",
                   "sobol needs cuRAND's Sobol' tables, and this build has no CUDA toolkit",
                   "use --rng philox, or build where the CUDA toolkit is installed (no GPU is "
                   "needed)");
}

#endif

}  // namespace chipshock
