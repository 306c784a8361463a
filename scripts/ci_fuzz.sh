#!/usr/bin/env bash
# Runs each libFuzzer target of tests/fuzz for a bounded time (FUZZ_SECONDS, default 20), two
# at a time, starting from the seed corpus in tests/fuzz/corpus/<target>/ (copied, so the
# checked-in corpus is not changed). A crash, hang (over 10 s on one input), leak or sanitizer
# report fails the script; libFuzzer's reproducer is left in <build>/fuzz-artifacts/ for
# tests/fuzz/regressions/<target>/. Needs the build of scripts/ci_sanitize.sh.
# Usage: scripts/ci_fuzz.sh [build-dir] (default build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
seconds=${FUZZ_SECONDS:-20}
targets=(market portfolio scenario price_csv checkpoint)

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/sanitizer/lsan.supp:print_suppressions=0

work="$build/fuzz-work"
artifacts="$build/fuzz-artifacts"
rm -rf "$work"
mkdir -p "$work" "$artifacts"

fuzz_one() {
  local t=$1 dict=()
  case "$t" in price_csv | checkpoint) ;; *) dict=(-dict=tests/fuzz/toml.dict) ;; esac
  mkdir -p "$work/$t"
  # -close_fd_mask=3: the loaders print nothing, and libFuzzer's own log goes to stderr.
  "$build/tests/fuzz_$t" "$work/$t" "tests/fuzz/corpus/$t" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$t-" >"$work/$t.log" 2>&1
}

failed=()
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do
    fuzz_one "$t" &
    pids+=("$!:$t")
  done
  for p in "${pids[@]}"; do
    if ! wait "${p%%:*}"; then failed+=("${p#*:}"); fi
  done
done

for t in "${targets[@]}"; do
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -1 || true)
  echo "ci_fuzz.sh: fuzz_$t: ${runs:-?} inputs in ${seconds} s, ${cov:-cov: ?} edges"
done
if ((${#failed[@]})); then
  for t in "${failed[@]}"; do
    echo "ci_fuzz.sh: fuzz_$t FAILED; the end of its log:"
    tail -60 "$work/$t.log"
  done
  echo "ci_fuzz.sh: reproducers in $artifacts/; add each to tests/fuzz/regressions/<target>/"
  exit 1
fi
echo "ci_fuzz.sh: no crash, hang, leak or sanitizer report"
