// Which SIMD kernel the CPU backend runs (host/cpu/cpu_kernel.hpp): the best instruction set
// that this CPU and its operating system support, or one chosen by the user (--cpu-isa) or a
// test. Every choice gives the same numbers bit for bit; only the speed differs.
#pragma once

#include <string>
#include <vector>

namespace chipshock {

enum class CpuIsa { kAuto, kAvx2, kAvx512 };

// "auto", "avx2", "avx512": the names of --cpu-isa and of report.json's run.cpu_isa.
const char* cpu_isa_name(CpuIsa isa);

// Whether this CPU (and OS: the register state is enabled) runs the kernel for isa.
bool cpu_isa_supported(CpuIsa isa);

// The best supported kernel: AVX-512 where the CPU has F, VL, DQ and BW, else AVX2.
CpuIsa best_cpu_isa();

// kAuto -> best_cpu_isa(); a supported isa -> itself; throws std::invalid_argument naming the
// missing instruction set otherwise.
CpuIsa resolve_cpu_isa(CpuIsa requested);

// Every kernel in this build (each may or may not run on this CPU).
std::vector<CpuIsa> built_cpu_isas();

}  // namespace chipshock
