// The CPU kernel for AVX-512 (F, VL, DQ and BW: Highway's AVX3 target); CMake compiles this
// file with those flags.
#define CHIPSHOCK_KERNEL_ENTRY simulate_avx512
#define CHIPSHOCK_DAYS_ENTRY simulate_days_avx512
#define CHIPSHOCK_LINES_ENTRY simulate_lines_avx512
#define CHIPSHOCK_BOOKS_ENTRY simulate_books_avx512
#define CHIPSHOCK_PATH_RISK_ENTRY simulate_path_risk_avx512
#define CHIPSHOCK_ISA_TAG "avx512"
#include "host/cpu/cpu_kernel_impl.hpp"
