// One error path for the CUDA runtime and cuRAND: a failing call throws CudaError naming the
// call, the error and the source line. Library code never exits.
#pragma once

#include <cuda_runtime.h>
#include <curand.h>

#include <stdexcept>
#include <string>

namespace chipshock {

struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline std::string cuda_error_text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + " (" + cudaGetErrorString(e) + ")";
}

inline const char* curand_status_name(curandStatus_t s) {
  switch (s) {
    case CURAND_STATUS_SUCCESS: return "CURAND_STATUS_SUCCESS";
    case CURAND_STATUS_VERSION_MISMATCH: return "CURAND_STATUS_VERSION_MISMATCH";
    case CURAND_STATUS_NOT_INITIALIZED: return "CURAND_STATUS_NOT_INITIALIZED";
    case CURAND_STATUS_ALLOCATION_FAILED: return "CURAND_STATUS_ALLOCATION_FAILED";
    case CURAND_STATUS_TYPE_ERROR: return "CURAND_STATUS_TYPE_ERROR";
    case CURAND_STATUS_OUT_OF_RANGE: return "CURAND_STATUS_OUT_OF_RANGE";
    case CURAND_STATUS_LENGTH_NOT_MULTIPLE: return "CURAND_STATUS_LENGTH_NOT_MULTIPLE";
    case CURAND_STATUS_DOUBLE_PRECISION_REQUIRED: return "CURAND_STATUS_DOUBLE_PRECISION_REQUIRED";
    case CURAND_STATUS_LAUNCH_FAILURE: return "CURAND_STATUS_LAUNCH_FAILURE";
    case CURAND_STATUS_PREEXISTING_FAILURE: return "CURAND_STATUS_PREEXISTING_FAILURE";
    case CURAND_STATUS_INITIALIZATION_FAILED: return "CURAND_STATUS_INITIALIZATION_FAILED";
    case CURAND_STATUS_ARCH_MISMATCH: return "CURAND_STATUS_ARCH_MISMATCH";
    case CURAND_STATUS_INTERNAL_ERROR: return "CURAND_STATUS_INTERNAL_ERROR";
    default: return "unknown curandStatus_t";
  }
}

inline void cuda_check(cudaError_t e, const char* call, const char* file, int line) {
  if (e == cudaSuccess) return;
  throw CudaError(std::string(call) + " failed: " + cuda_error_text(e) + " at " + file + ":" +
                  std::to_string(line));
}

inline void curand_check(curandStatus_t s, const char* call, const char* file, int line) {
  if (s == CURAND_STATUS_SUCCESS) return;
  throw CudaError(std::string(call) + " failed: " + curand_status_name(s) + " at " + file + ":" +
                  std::to_string(line));
}

// After a kernel launch: launch errors (bad configuration, no code for this GPU) now, errors
// while it runs at the next synchronising call, which is checked too.
inline void launch_check(const char* kernel, const char* file, int line) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return;
  throw CudaError(std::string("launch of ") + kernel + " failed: " + cuda_error_text(e) + " at " +
                  file + ":" + std::to_string(line));
}

}  // namespace chipshock

#define CHIPSHOCK_CUDA_CHECK(call) ::chipshock::cuda_check((call), #call, __FILE__, __LINE__)
#define CHIPSHOCK_CURAND_CHECK(call) ::chipshock::curand_check((call), #call, __FILE__, __LINE__)
#define CHIPSHOCK_LAUNCH_CHECK(kernel) ::chipshock::launch_check(kernel, __FILE__, __LINE__)
