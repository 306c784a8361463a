// cuRAND's tables for its 32-bit scrambled Sobol' generator (CURAND_RNG_QUASI_SCRAMBLED_SOBOL32):
// the direction vectors CURAND_SCRAMBLED_DIRECTION_VECTORS_32_JOEKUO6 and the scramble
// constants, for kMaxSobolDimensions dimensions. libcurand's host API hands them out without a
// GPU; a build without the CUDA toolkit has no cuRAND, hence no --rng sobol.
#pragma once

#include <cstdint>

namespace chipshock {

struct SobolTables {
  const std::uint32_t* directions = nullptr;  // [kMaxSobolDimensions][32], owned by libcurand
  const std::uint32_t* scramble = nullptr;    // [kMaxSobolDimensions]
};

// Whether this build has cuRAND's tables.
bool sobol_tables_available();

// Throws InputError (field --rng) in a build without cuRAND, std::runtime_error if cuRAND
// refuses.
SobolTables curand_sobol_tables();

}  // namespace chipshock
