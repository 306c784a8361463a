#!/usr/bin/env bash
# The README's test command and what CI runs (.ci/run). Installs the Debian packages
# (scripts/setup.sh, idempotent), then:
#  1. the release build (CUDA where nvcc is found, MPI where Open MPI is) with warnings as
#     errors, and every CTest test: among them test_mpi (mpirun -np 2 against one process, bit
#     for bit), the kill -9 and resume tests and test_fuzz_regressions (the fuzz corpus and
#     every input that once crashed a loader);
#  2. the sanitizer job (scripts/ci_sanitize.sh): the CPU path built with clang under
#     ASan+UBSan+LSan, every test again (fewer paths where a test's size is free, no assertion
#     skipped), then the soak: SOAK_RUNS (default 100) consecutive CLI runs on random valid
#     inputs, no failure and no sanitizer report (leaks included);
#  3. the fuzz job (scripts/ci_fuzz.sh): each libFuzzer target for FUZZ_SECONDS (default 20)
#     seconds from the seed corpus.
# All three run by default, as in CI (README has the measured time);
# CHIPSHOCK_CI_ROBUSTNESS=0 skips steps 2 and 3 for a quicker local run.
# Usage: scripts/build_and_test.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

step() { echo "=== build_and_test.sh: $1 ($(date +%T), ${SECONDS} s in)"; }

step "Debian packages"
scripts/setup.sh

# nvcc lives outside PATH on a stock CUDA install.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi

step "release build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCHIPSHOCK_WERROR=ON
cmake --build "$build" -j "$(nproc)"
step "release tests"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"

if [ "${CHIPSHOCK_CI_ROBUSTNESS:-1}" = 1 ]; then
  step "sanitizer build (clang, ASan+UBSan+LSan, CPU only), tests and soak"
  scripts/ci_sanitize.sh "$build-asan"

  step "fuzzing"
  FUZZ_SECONDS=${FUZZ_SECONDS:-20} scripts/ci_fuzz.sh "$build-asan"
else
  step "sanitizer, soak and fuzz jobs skipped (CHIPSHOCK_CI_ROBUSTNESS=0)"
fi

step "all passed"
