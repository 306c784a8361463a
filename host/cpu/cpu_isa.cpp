#include "host/cpu/cpu_isa.hpp"

#include <hwy/targets.h>

#include <stdexcept>
#include <string>

namespace chipshock {

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx2:
      return "avx2";
    case CpuIsa::kAvx512:
      return "avx512";
    case CpuIsa::kAuto:
      break;
  }
  return "auto";
}

bool cpu_isa_supported(CpuIsa isa) {
  // Highway's run-time detection: CPUID, and XGETBV for the OS's support of the registers.
  const std::int64_t targets = hwy::SupportedTargets();
  switch (isa) {
    case CpuIsa::kAvx2:
      return (targets & HWY_AVX2) != 0;
    case CpuIsa::kAvx512:
      return (targets & HWY_AVX3) != 0;
    case CpuIsa::kAuto:
      break;
  }
  return true;
}

CpuIsa best_cpu_isa() {
  return cpu_isa_supported(CpuIsa::kAvx512) ? CpuIsa::kAvx512 : CpuIsa::kAvx2;
}

CpuIsa resolve_cpu_isa(CpuIsa requested) {
  if (requested == CpuIsa::kAuto) return best_cpu_isa();
  if (!cpu_isa_supported(requested))
    throw std::invalid_argument(
        std::string("this CPU cannot run the ") + cpu_isa_name(requested) + " kernel" +
        (requested == CpuIsa::kAvx512 ? " (it needs AVX-512 F, VL, DQ and BW)" : " (AVX2 + FMA)"));
  return requested;
}

std::vector<CpuIsa> built_cpu_isas() { return {CpuIsa::kAvx2, CpuIsa::kAvx512}; }

}  // namespace chipshock
