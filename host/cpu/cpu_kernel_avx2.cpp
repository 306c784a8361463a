// The CPU kernel for AVX2 + FMA (x86-64-v3, the build's baseline).
#define CHIPSHOCK_KERNEL_ENTRY simulate_avx2
#define CHIPSHOCK_DAYS_ENTRY simulate_days_avx2
#define CHIPSHOCK_LINES_ENTRY simulate_lines_avx2
#define CHIPSHOCK_BOOKS_ENTRY simulate_books_avx2
#define CHIPSHOCK_PATH_RISK_ENTRY simulate_path_risk_avx2
#define CHIPSHOCK_ISA_TAG "avx2"
#include "host/cpu/cpu_kernel_impl.hpp"
