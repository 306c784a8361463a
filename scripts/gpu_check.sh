#!/usr/bin/env bash
# One-shot check on a GPU machine (H100/H200, sm_90): a fresh CUDA build for sm_90 (plus PTX)
# with warnings as errors, every test (the GPU tests must run, not skip), the GPU/CPU parity
# check, the GPU benchmark (10M and 100M paths) with its two references, the CPU benchmark for
# the speedup, and one --backend both run. Prints a short table last, whatever failed.
#
# Usage: scripts/gpu_check.sh [build-dir]        (default build-gpu; logs in <build-dir>-logs/)
# Needs nothing from the network when scripts/setup.sh's packages and the CUDA toolkit are
# installed. Expected: about 3-5 minutes on an H200 machine; every step has a timeout and the
# whole script stops starting steps after 7 minutes (CHECK_BUDGET_S), so it ends within 8.
#
# Not `set -e`: a failing step must not stop the later ones or the table. Each step's status is
# recorded and the exit code is 1 when any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build-gpu}
logs="${build}-logs"
budget=${CHECK_BUDGET_S:-420}
export PATH=/usr/local/cuda/bin:$PATH
rm -rf "$logs"
mkdir -p "$logs"
start=$SECONDS

steps=()
declare -A status=() seconds=()
failed=0

note() { echo "== $*" >&2; }

# run_step NAME TIMEOUT_S COMMAND...: runs with output in $logs/NAME.log, capped by the time left.
run_step() {
  local name=$1 limit=$2
  shift 2
  steps+=("$name")
  local left=$((budget - (SECONDS - start)))
  if ((left < 10)); then
    status[$name]="not run (time budget spent)"
    seconds[$name]=0
    failed=1
    note "$name: not run, time budget spent"
    return 1
  fi
  ((limit > left)) && limit=$left
  local t0=$SECONDS rc=0
  timeout --kill-after=10 "$limit" "$@" >"$logs/$name.log" 2>&1 || rc=$?
  seconds[$name]=$((SECONDS - t0))
  if ((rc == 0)); then
    status[$name]=ok
  elif ((rc == 124 || rc == 137)); then
    status[$name]="TIMEOUT after ${limit} s"
    failed=1
  else
    status[$name]="FAILED (exit $rc)"
    failed=1
  fi
  note "$name: ${status[$name]} (${seconds[$name]} s, log $logs/$name.log)"
  [ "${status[$name]}" = ok ]
}

# json_field FILE KEY [LINE_FILTER]: a number or string from the last JSON line with KEY.
json_field() {
  local file=$1 key=$2 filter=${3:-}
  [ -f "$file" ] || return 0
  grep -E '^\{' "$file" | grep -F -- "$filter" | tail -1 |
    sed -nE "s/.*\"$key\": \"?([^\",}]*)\"?.*/\1/p"
}

ratio() {  # ratio A B -> A/B with 3 significant digits, or n/a
  awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a";
                                           else printf "%.3g", a / b }'
}

print_table() {
  local gpu ctest_summary skipped parity_file bench_file cpu_file
  gpu=""
  [ "${status[gpu_info]:-}" = ok ] && gpu=$(head -1 "$logs/gpu_info.log" 2>/dev/null)
  ctest_summary=$(grep -E "tests passed|tests failed" "$logs/ctest.log" 2>/dev/null | tail -1)
  skipped=$(grep -c "\*\*\*Skipped" "$logs/ctest.log" 2>/dev/null)
  parity_file="$logs/parity.log"
  bench_file="$logs/gpu_bench.log"
  cpu_file="$logs/cpu_bench.log"
  local e10 e100 n100 c100 k100 cpu2 both prd prs pwm pwn qrd qwm qwn
  prd=$(json_field "$parity_file" max_rel_diff)
  prs=$(json_field "$parity_file" max_rel_diff_vs_simd)
  pwm=$(json_field "$parity_file" curand_word_mismatches)
  pwn=$(json_field "$parity_file" curand_words)
  qrd=$(json_field "$logs/parity_sobol.log" max_rel_diff)
  qwm=$(json_field "$logs/parity_sobol.log" curand_word_mismatches)
  qwn=$(json_field "$logs/parity_sobol.log" curand_words)
  e10=$(json_field "$bench_file" engine_asset_steps_per_second '"paths": 10000000,')
  e100=$(json_field "$bench_file" engine_asset_steps_per_second '"paths": 100000000,')
  k100=$(json_field "$bench_file" kernel_asset_steps_per_second '"paths": 100000000,')
  n100=$(json_field "$bench_file" device_api_normals_per_second '"paths": 100000000,')
  c100=$(json_field "$bench_file" curand_generate_normals_per_second '"paths": 100000000,')
  cpu2=$(json_field "$cpu_file" asset_steps_per_second)
  both=$(grep -E "max rel. diff" "$logs/backend_both.log" 2>/dev/null | head -3 |
         sed -E 's/^ +//' | paste -sd ';' -)
  echo
  echo "| check | result |"
  echo "|---|---|"
  echo "| GPU | ${gpu:-none visible (nvidia-smi)} |"
  echo "| commit | $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) |"
  local s
  for s in "${steps[@]}"; do echo "| step $s | ${status[$s]} (${seconds[$s]} s) |"; done
  echo "| tests | ${ctest_summary:-no ctest summary} |"
  echo "| tests skipped (must be 0 on a GPU) | ${skipped:-n/a} |"
  echo "| parity: max rel. diff, 1e5 paths, every feature (limit 1e-5) | ${prd:-n/a} (vs SIMD CPU ${prs:-n/a}) |"
  echo "| parity: cuRAND words differing from the host mirror | ${pwm:-n/a} of ${pwn:-n/a} |"
  echo "| parity --rng sobol: max rel. diff (limit 1e-5); words differing | ${qrd:-n/a}; ${qwm:-n/a} of ${qwn:-n/a} |"
  echo "| engine asset-steps/s, 16 assets x 10 steps x 10M | ${e10:-n/a} |"
  echo "| engine asset-steps/s, 16 x 10 x 100M (target >= 3e11) | ${e100:-n/a} |"
  echo "| kernel alone, asset-steps/s, 100M | ${k100:-n/a} |"
  echo "| in-kernel Philox normals/s (device API) | ${n100:-n/a} |"
  echo "| curandGenerateNormal normals/s | ${c100:-n/a} |"
  echo "| engine / in-kernel normals (target >= 0.6) | $(ratio "$e100" "$n100") |"
  echo "| engine / curandGenerateNormal | $(ratio "$e100" "$c100") |"
  echo "| CPU asset-steps/s, 2 threads, 1M paths | ${cpu2:-n/a} |"
  echo "| engine / CPU 2 threads (target >= 100) | $(ratio "$e100" "$cpu2") |"
  echo "| --backend both, 2M paths | ${both:-n/a} |"
  echo "| total | $((SECONDS - start)) s, logs in $logs/ |"
}
trap print_table EXIT

run_step gpu_info 30 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# Packages: present, or installed by setup.sh where the network allows.
missing=$(for p in cmake ninja-build catch2 libtomlplusplus-dev nlohmann-json3-dev libcli11-dev \
                   libeigen3-dev; do
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
          done)
if [ -n "$missing" ]; then
  run_step setup 120 scripts/setup.sh
fi
run_step toolchain 30 bash -c 'nvcc --version && cmake --version && ninja --version && g++ --version'

run_step configure 120 bash -c "rm -rf '$build' && cmake -S . -B '$build' -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCHIPSHOCK_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCHIPSHOCK_WERROR=ON" &&
  run_step build 300 cmake --build "$build" -j "$(nproc)"

if [ "${status[build]:-}" = ok ]; then
  run_step ctest 200 ctest --test-dir "$build" --output-on-failure --timeout 120 -j 8
  if grep -q "\*\*\*Skipped" "$logs/ctest.log" 2>/dev/null; then
    status[ctest]="${status[ctest]}, but GPU tests SKIPPED"
    failed=1
  fi
  run_step parity 120 "$build/bench/gpu_parity" --paths 100000
  run_step parity_sobol 120 "$build/bench/gpu_parity" --paths 100000 --rng sobol
  run_step gpu_bench 150 "$build/bench/bench_gpu_throughput" --paths 10M,100M --repeat 3
  run_step cpu_bench 90 "$build/bench/bench_cpu_throughput" --threads 2 --paths 1M --repeat 3
  run_step backend_both 120 "$build/chipshock" run --market scenarios/market/ai_chips.toml \
    --portfolio scenarios/portfolio/ai_book.toml --paths 2M --horizon 10 --seed 7 \
    --scenario cheaper_model_disruption --scenario taiwan_supply_disruption --backend both \
    --out "$logs/report"
fi

exit $failed
