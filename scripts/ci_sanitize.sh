#!/usr/bin/env bash
# The CPU path (no CUDA) built with clang under AddressSanitizer (LeakSanitizer included) and
# UndefinedBehaviorSanitizer, any report fatal, warnings as errors; the same build holds the
# libFuzzer targets (scripts/ci_fuzz.sh). Runs every test, then the soak (scripts/soak.py: 100
# CLI runs on random valid inputs). Called by scripts/build_and_test.sh.
# Usage: scripts/ci_sanitize.sh [build-dir] (default build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}

# halt_on_error: the first report fails the test. detect_leaks: LeakSanitizer at exit. The
# suppression file names only LLVM OpenMP runtime allocations, nothing of chipshock's.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/sanitizer/lsan.supp:print_suppressions=0

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCHIPSHOCK_CUDA=OFF -DCHIPSHOCK_FUZZ=ON \
  -DCHIPSHOCK_BUILD_BENCH=OFF -DCHIPSHOCK_WERROR=ON
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
python3 scripts/soak.py --binary "$build/chipshock" --runs 100
