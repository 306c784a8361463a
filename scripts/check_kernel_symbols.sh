#!/usr/bin/env bash
# The CPU kernel compiled for one instruction set (host/cpu/cpu_kernel_<isa>.cpp) may define
# only its entry functions (simulate_<isa>, simulate_days_<isa>, simulate_lines_<isa>,
# simulate_books_<isa>, simulate_path_risk_<isa>) and code of its own: names in Highway's namespace of that target
# (chipshock::simd::N_AVX2, ::N_AVX3) or with its ABI tag ([abi:avx2], [abi:avx512]:
# kernels/portability.cuh). Any other out-of-line function (a library template, an inline
# function of a shared header) would be a definition the linker may pick for the whole program,
# AVX-512 code running on a CPU without it. Exit 1 listing them; CTest runs this for each kernel.
# Usage: scripts/check_kernel_symbols.sh OBJECT ISA   (ISA: avx2 | avx512)
set -euo pipefail
obj=${1:?usage: check_kernel_symbols.sh OBJECT ISA}
isa=${2:?usage: check_kernel_symbols.sh OBJECT ISA}
case "$isa" in
  avx2) ns=N_AVX2 ;;
  avx512) ns=N_AVX3 ;;
  *) echo "check_kernel_symbols.sh: unknown ISA '$isa'" >&2; exit 2 ;;
esac
# Global and weak definitions of code (nm's T, W and i; data such as typeinfo cannot run),
# demangled.
defined=$(nm -C --defined-only "$obj" | awk '$2 ~ /^[TWi]$/ { $1 = ""; $2 = ""; sub(/^  /, ""); print }')
foreign=$(printf '%s\n' "$defined" | grep -v -e "::$ns::" -e "\[abi:$isa\]" \
  -e "^chipshock::cpu_kernel::simulate_$isa(" -e "^chipshock::cpu_kernel::simulate_days_$isa(" \
  -e "^chipshock::cpu_kernel::simulate_lines_$isa(" \
  -e "^chipshock::cpu_kernel::simulate_books_$isa(" \
  -e "^chipshock::cpu_kernel::simulate_path_risk_$isa(" \
  -e '^__clang_call_terminate$' | grep -v '^$' || true)
count=$(printf '%s\n' "$defined" | grep -c . || true)
if [ -n "$foreign" ]; then
  echo "check_kernel_symbols.sh: $obj ($isa) defines code that is not its own:"
  printf '%s\n' "$foreign" | sed 's/^/  /'
  exit 1
fi
echo "check_kernel_symbols.sh: $obj ($isa): $count global or weak definitions, all its own"
