#!/usr/bin/env bash
# Installs the Debian packages, builds everything (the CUDA code too where nvcc is installed)
# with warnings as errors, and runs the whole test suite (the fuzz corpus and regressions are
# replayed by a normal test). This is the README's test command and what CI runs.
# With CHIPSHOCK_CI_EXTENDED=1 it then runs the robustness jobs: the CPU path built with clang
# under ASan/UBSan/LSan with all tests and a 100-run soak (scripts/ci_sanitize.sh), and each
# fuzz target for FUZZ_SECONDS (default 25) seconds (scripts/ci_fuzz.sh). They are off by
# default because their time on the 2-core CI machines has not been measured yet against the
# 20-minute CI budget.
# Usage: scripts/build_and_test.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

scripts/setup.sh

# nvcc lives outside PATH on a stock CUDA install.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi

step() { echo "=== build_and_test.sh: $1 ($(date +%T), ${SECONDS} s in)"; }

step "release build and tests"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCHIPSHOCK_WERROR=ON
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"

if [ "${CHIPSHOCK_CI_EXTENDED:-0}" = 1 ]; then
  step "sanitizer build (clang, ASan+UBSan+LSan, CPU only), tests and soak"
  scripts/ci_sanitize.sh "$build-asan"

  step "fuzzing"
  scripts/ci_fuzz.sh "$build-asan"
fi

step "all passed"
