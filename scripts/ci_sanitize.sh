#!/usr/bin/env bash
# The CPU path (no CUDA, no MPI) built with clang under AddressSanitizer (LeakSanitizer included)
# and UndefinedBehaviorSanitizer, any report fatal, warnings as errors; the same build holds the
# libFuzzer targets (scripts/ci_fuzz.sh). Runs every test, then the soak (scripts/soak.py: CLI
# runs on random valid inputs, a quarter of them with --checkpoint). Called by
# scripts/build_and_test.sh.
#
# Kept short for CI (about a third of the 2-core CI budget, see README):
# - -O1 with line tables only (-gline-tables-only: file:line in every sanitizer report, without
#   full debug information), the test programs themselves at -O0 (the code they test keeps -O1),
#   lld to link, no benchmarks;
# - MPI off: Open MPI's own allocations would flood LeakSanitizer, and the release job runs the
#   mpirun tests; the ranks' merge and resume logic still runs here, on threads standing in for
#   ranks (tests/test_accumulator_state.cpp);
# - CHIPSHOCK_TEST_LIGHT=1: tests whose run time is a long simulation of a free size (kill -9
#   and resume) use fewer paths; every assertion still runs.
# Usage: scripts/ci_sanitize.sh [build-dir] (default build-asan); SOAK_RUNS (default 100).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
soak_runs=${SOAK_RUNS:-100}

# halt_on_error: the first report fails the test. detect_leaks: LeakSanitizer at exit. The
# suppression file names only LLVM OpenMP runtime allocations, nothing of chipshock's.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/sanitizer/lsan.supp:print_suppressions=0

linker=()
if command -v ld.lld-14 >/dev/null 2>&1 || command -v ld.lld >/dev/null 2>&1; then
  linker=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld)
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DCHIPSHOCK_TEST_COMPILE_OPTIONS=-O0 "${linker[@]}" \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCHIPSHOCK_CUDA=OFF -DCHIPSHOCK_MPI=OFF -DCHIPSHOCK_FUZZ=ON \
  -DCHIPSHOCK_BUILD_BENCH=OFF -DCHIPSHOCK_WERROR=ON
cmake --build "$build" -j "$(nproc)"
CHIPSHOCK_TEST_LIGHT=1 ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
python3 scripts/soak.py --binary "$build/chipshock" --runs "$soak_runs"
