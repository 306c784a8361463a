#!/usr/bin/env bash
# One-shot check on a GPU machine (H100/H200, sm_90): a fresh CUDA build for sm_90 (plus PTX)
# with warnings as errors, every test (the GPU tests must run, not skip), the GPU/CPU parity
# check, the GPU benchmark (10M and 100M paths) with its two references, the CPU benchmark for
# the speedup, the run around the engine stop by stop (bench_stop_cost), --backend both runs (2M
# paths, and 100M for the whole-scenario speedup), a whole CLI run of 100M paths with every
# default output against the engine's time, importance sampling with --backend both, a
# checkpointed GPU run against an unsaved one, two MPI ranks on the GPU backend (where mpiexec is
# found), and 10^10 paths against the engine's time. Prints a short table last, whatever failed;
# each run's phases (report.json run.phases) are in it.
#
# Usage: scripts/gpu_check.sh [build-dir]        (default build-gpu; logs in <build-dir>-logs/)
#        scripts/gpu_check.sh --bundle FILE      (no build: runs what scripts/gpu_bundle.sh built
#                                                 for sm_90 on another machine and packed in FILE;
#                                                 CHECK_BUNDLE_COMMIT=0 accepts another commit)
# Needs nothing from the network when scripts/setup.sh's packages and the CUDA toolkit are
# installed; with --bundle it needs neither a compiler nor those packages, only the CUDA
# toolkit's libraries, CMake's ctest and a checkout of the bundle's commit (the bundle carries
# Open MPI). Expected: about 2 minutes on an H200 machine (115 s with a bundle); every step has a timeout and the
# whole script stops starting steps after 8 minutes (CHECK_BUDGET_S), so it ends within 9.
#
# Not `set -e`: a failing step must not stop the later ones or the table. Each step's status is
# recorded and the exit code is 1 when any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bundle=""
if [ "${1:-}" = --bundle ]; then
  bundle=${2:?"--bundle needs the file that scripts/gpu_bundle.sh wrote"}
  [ -f "$bundle" ] || { echo "gpu_check: no bundle file $bundle" >&2; exit 2; }
  bundle=$(cd "$(dirname "$bundle")" && pwd)/$(basename "$bundle")
  # The build directory is the one packed in the bundle (its first path component).
  # The bundle's tar stream, gzip or xz, through Python (a bare GPU machine may lack xz).
  bundle_tar() {
    python3 -c 'import gzip, lzma, shutil, sys
f = sys.argv[1]
shutil.copyfileobj((lzma.open if f.endswith(".xz") else gzip.open)(f), sys.stdout.buffer)' "$bundle"
  }
  build=$(bundle_tar 2>/dev/null | tar -t 2>/dev/null | head -1 | cut -d/ -f1)
else
  build=${1:-build-gpu}
fi
logs="${build}-logs"
budget=${CHECK_BUDGET_S:-480}
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

# phases DIR: a run's wall time and its phases from DIR/report.json (run.phases), one line.
phases() {
  python3 - "$1/report.json" <<'PY' 2>/dev/null || echo "n/a"
import json, sys
p = json.load(open(sys.argv[1]))["run"]["phases"]
print("wall %.2f s: " % p["wall"] + ", ".join(
    "%s %.2f" % (k, v) for k, v in p.items() if k != "wall" and v >= 0.005))
PY
}

# wall_over_engine DIR PATHS ENGINE_RATE [SLACK_S]: DIR's wall time over PATHS x 16 x 10 asset
# steps at ENGINE_RATE, with SLACK_S seconds taken off the wall time first.
wall_over_engine() {
  python3 - "$1/report.json" "$2" "${3:-}" "${4:-0}" <<'PY' 2>/dev/null || echo "n/a"
import json, sys
wall = json.load(open(sys.argv[1]))["run"]["phases"]["wall"]
engine = float(sys.argv[2]) * 16 * 10 / float(sys.argv[3])
print("%.2f s / engine %.2f s = %.2f" % (wall, engine, (wall - float(sys.argv[4])) / engine))
PY
}

# same_reports A B: report.json without timings, phases and thread counts, and the CSVs byte for
# byte, equal in report folders A and B (one line each; exit 1 when any differs).
same_reports() {
  python3 -c 'import json, sys, filecmp
def strip(j):
    if isinstance(j, dict):
        return {k: strip(v) for k, v in j.items()
                if k not in ("elapsed_seconds", "paths_per_second", "seconds", "threads", "phases")}
    return [strip(v) for v in j] if isinstance(j, list) else j
a, b = sys.argv[1], sys.argv[2]
same = strip(json.load(open(a + "/report.json"))) == strip(json.load(open(b + "/report.json")))
print("report.json without timings, phases and thread counts:", "equal" if same else "DIFFERENT")
for f in ("scenarios.csv", "loss_histogram.csv", "components.csv"):
    eq = filecmp.cmp(a + "/" + f, b + "/" + f, shallow=False)
    print(f + ":", "equal" if eq else "DIFFERENT")
    same = same and eq
sys.exit(0 if same else 1)' "$1" "$2"
}

ratio() {  # ratio A B -> A/B with 3 significant digits, or n/a
  awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a";
                                           else printf "%.3g", a / b }'
}

print_table() {
  local gpu ctest_summary skipped skipped_mpi parity_file bench_file cpu_file
  gpu=""
  [ "${status[gpu_info]:-}" = ok ] && gpu=$(head -1 "$logs/gpu_info.log" 2>/dev/null)
  ctest_summary=$(grep -E "tests passed|tests failed" "$logs/ctest.log" 2>/dev/null | tail -1)
  skipped=$(grep "\*\*\*Skipped" "$logs/ctest.log" 2>/dev/null | grep -vc "mpirun")
  skipped_mpi=$(grep "\*\*\*Skipped" "$logs/ctest.log" 2>/dev/null | grep -c "mpirun")
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
  local commit
  if [ -n "$bundle" ]; then  # what the programs were built from
    commit=$(sed -n 's/^commit=//p' "$build/bundle-info" 2>/dev/null | cut -c1-7)
  else
    commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null)
  fi
  echo "| commit | ${commit:-unknown}${bundle:+ (programs from the bundle built for sm_90 elsewhere)} |"
  local s
  for s in "${steps[@]}"; do echo "| step $s | ${status[$s]} (${seconds[$s]} s) |"; done
  echo "| tests | ${ctest_summary:-no ctest summary} |"
  echo "| tests skipped (must be 0 on a GPU) | ${skipped:-n/a} (and ${skipped_mpi:-n/a} mpirun tests: a build without MPI skips them) |"
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
  echo "| --backend both, 100M paths: whole-scenario speedup (target >= 30) | $(grep -E "speedup" "$logs/backend_both_100M.log" 2>/dev/null | head -2 | sed -E 's/^ +//' | paste -sd ';' -) |"
  echo "| whole CLI run, 100M paths, every default output: wall / engine, minus 1 s (target <= 1.5) | $(wall_over_engine "$logs/report_100M" 1e8 "$e100" 1) |"
  echo "| its phases | $(phases "$logs/report_100M") |"
  echo "| --backend both --rng sobol, 2M paths | $(grep -E "max rel. diff|speedup" "$logs/backend_both_sobol.log" 2>/dev/null | head -3 | sed -E 's/^ +//' | paste -sd ';' -) |"
  echo "| --importance-sampling --backend both, 1M paths, Student-t, 99% and 99.9% | $(grep -E "max rel. diff" "$logs/is_both.log" 2>/dev/null | head -2 | sed -E 's/^ +//' | paste -sd ';' -) |"
  echo "| its phases | $(phases "$logs/report_is") |"
  echo "| book hierarchy on the GPU, 10M paths: wall s of 1 / 10 / 100 books in one pass; 10 books as 10 runs | $(grep -E "^\| (1|10|100) book|separate" "$logs/books_gpu.log" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $3); print $3}' | paste -sd '/' -) |"
  echo "| --stop-loss on the GPU, 100k paths x 1,260 days: with / without (target <= 3) | $(grep -E "^(with|without|ratio)" "$logs/stop_loss_gpu.log" 2>/dev/null | sed -E 's/ +/ /g' | paste -sd ';' -) |"
  echo "| --checkpoint (20 saves) against none, GPU, 20M paths | ${status[ckpt_same]:-not run}: $(paste -sd ';' "$logs/ckpt_same.log" 2>/dev/null) |"
  local rate_mpi rate_one
  rate_mpi=$(sed -n 's/.*"paths_per_second": *\([0-9.e+]*\).*/\1/p' "$logs/report_mpi/report.json" 2>/dev/null | head -1)
  rate_one=$(sed -n 's/.*"paths_per_second": *\([0-9.e+]*\).*/\1/p' "$logs/report_one/report.json" 2>/dev/null | head -1)
  echo "| mpirun -np 2 --backend gpu, 100M paths, 2 runs | $(grep -E "MPI ranks" "$logs/mpi_gpu.log" 2>/dev/null | sed 's/^chipshock: //' | head -1); ${rate_mpi:-n/a} paths/s (one process: ${rate_one:-n/a}); reports $(grep -c DIFFERENT "$logs/mpi_same.log" 2>/dev/null | sed 's/^0$/equal/;s/^[1-9][0-9]*$/DIFFER/') |"
  echo "| 10^10 paths, 99.9%, GPU | $(grep -E "paths/s|peak" "$logs/stream_10B.log" 2>/dev/null | paste -sd ';' -) |"
  echo "| 10^10 paths: wall / engine (target <= 1.2) | $(wall_over_engine "$logs/report_10B" 1e10 "$e100") |"
  echo "| its phases | $(phases "$logs/report_10B") |"
  echo "| around the engine, stop by stop (bench_stop_cost): 100M; 10^10 | $(grep -E '^start' "$logs/stop_cost.log" 2>/dev/null | paste -sd ';' -) |"
  echo "| total | $((SECONDS - start)) s, logs in $logs/ |"
}
trap print_table EXIT

run_step gpu_info 30 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# unpack_bundle: the bundle's build directory in place of ours, the paths compiled into its
# programs and CTest's files (the build machine's checkout) linked to this checkout, and its
# shared libraries on the library path. Refuses a bundle built from another commit.
unpack_bundle() {
  rm -rf "$build"
  bundle_tar | tar -x
  local src commit head
  src=$(sed -n 's/^source_dir=//p' "$build/bundle-info")
  commit=$(sed -n 's/^commit=//p' "$build/bundle-info")
  head=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo "")
  cat "$build/bundle-info"
  if [ -n "$head" ] && [ "$head" != "$commit" ]; then
    echo "gpu_check: the bundle was built from $commit, this checkout is $head" >&2
    # A copied checkout can carry a stale .git: CHECK_BUNDLE_COMMIT=0 trusts the bundle.
    [ "${CHECK_BUNDLE_COMMIT:-1}" = 0 ] || return 1
  fi
  if [ "$src" != "$root" ]; then
    if [ -e "$src" ] && [ "$(cd "$src" && pwd -P)" != "$(pwd -P)" ]; then
      echo "gpu_check: the bundle's source path $src exists here and is not this checkout" >&2
      return 1
    fi
    [ -e "$src" ] || { mkdir -p "$(dirname "$src")" && ln -s "$root" "$src"; }
  fi
  # Every library the programs need must resolve (libmpi: from the carried Open MPI).
  # shellcheck disable=SC1091
  [ -f "$build/bundle-mpi/env.sh" ] && source "$build/bundle-mpi/env.sh"
  if ldd "$build/chipshock" "$build/tests/test_gpu_backend" | grep "not found"; then
    return 1
  fi
}

# stream_run: chipshock on 10^10 paths, then its peak host and device memory.
stream_run() {
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 \
    >"$logs/stream_smi.log" 2>&1 &
  local smi=$! rc=0
  python3 -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
print("peak host memory: %.0f MiB" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
sys.exit(rc)' "$build/chipshock" run --market scenarios/market/ai_chips.toml \
    --portfolio scenarios/portfolio/ai_book.toml --paths 10B --horizon 10 --seed 7 \
    --confidence 0.999 --no-components --backend gpu --out "$logs/report_10B" || rc=$?
  kill "$smi" 2>/dev/null
  echo "peak device memory in use: $(grep -E '^[0-9]+$' "$logs/stream_smi.log" | sort -n | tail -1) MiB"
  return $rc
}

if [ -n "$bundle" ]; then
  export LD_LIBRARY_PATH="$root/$build/bundle-lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export root build bundle
  run_step bundle 60 bash -c "$(declare -f bundle_tar unpack_bundle); unpack_bundle"
  # The bundle's Open MPI (scripts/pack_openmpi.sh): on the path for the programs, which link
  # libmpi, and the mpiexec of test_mpi and of the mpi_gpu step.
  if [ -f "$build/bundle-mpi/env.sh" ]; then
    # shellcheck disable=SC1091
    source "$build/bundle-mpi/env.sh"
    export CHIPSHOCK_MPIEXEC="$root/$build/bundle-mpi/bin/mpiexec"
  fi
  run_step toolchain 30 bash -c 'ctest --version && nvidia-smi'
  [ "${status[bundle]}" = ok ] && status[build]=ok
else
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
  -DCHIPSHOCK_WERROR=ON -DCHIPSHOCK_PYTHON=OFF" &&
  run_step build 300 cmake --build "$build" -j "$(nproc)"
fi

if [ "${status[build]:-}" = ok ]; then
  # A bundle carries no object files, so the kernel objects' symbol checks (CPU-only; CI runs
  # them) cannot run from one.
  ctest_skip=()
  [ -n "$bundle" ] && ctest_skip=(-E '^kernel_symbols_')
  run_step ctest 200 ctest --test-dir "$build" --output-on-failure --timeout 120 -j 8 \
    "${ctest_skip[@]}"
  # GPU tests must not skip; nor may the MPI test on the GPU backend where mpiexec is found.
  mpiexec=${CHIPSHOCK_MPIEXEC:-$(command -v mpiexec)}
  if grep "\*\*\*Skipped" "$logs/ctest.log" 2>/dev/null | grep -vq "mpirun" ||
     { [ -n "$mpiexec" ] && grep "\*\*\*Skipped" "$logs/ctest.log" 2>/dev/null |
         grep -q "on the GPU backend"; }; then
    status[ctest]="${status[ctest]}, but GPU tests SKIPPED"
    failed=1
  fi
  run_step parity 120 "$build/bench/gpu_parity" --paths 100000
  run_step parity_sobol 120 "$build/bench/gpu_parity" --paths 100000 --rng sobol
  run_step gpu_bench 150 "$build/bench/bench_gpu_throughput" --paths 10M,100M --repeat 3
  # The run around the engine, stop by stop: 100M paths with components, 10^10 at 99.9%.
  run_step stop_cost 90 bash -c "'$build/bench/bench_stop_cost' --paths 100M && \
    '$build/bench/bench_stop_cost' --paths 10B --confidence 0.999 --components 0"
  run_step cpu_bench 90 "$build/bench/bench_cpu_throughput" --threads 2 --paths 1M --repeat 3
  run_step backend_both 120 "$build/chipshock" run --market scenarios/market/ai_chips.toml \
    --portfolio scenarios/portfolio/ai_book.toml --paths 2M --horizon 10 --seed 7 \
    --scenario cheaper_model_disruption --scenario taiwan_supply_disruption --backend both \
    --out "$logs/report"
  # The whole CLI run at 100M paths with every default output (components, histogram, fan
  # chart, every report file), against the engine's time from gpu_bench.
  run_step whole_100M 150 "$build/chipshock" run --market scenarios/market/ai_chips.toml \
    --portfolio scenarios/portfolio/ai_book.toml --paths 100M --horizon 10 --seed 7 \
    --backend gpu --timings --out "$logs/report_100M"
  run_step backend_both_100M 240 "$build/chipshock" run --market scenarios/market/ai_chips.toml \
    --portfolio scenarios/portfolio/ai_book.toml --paths 100M --horizon 10 --seed 7 \
    --backend both --timings --out "$logs/report_both_100M"
  run_step backend_both_sobol 120 "$build/chipshock" run --market scenarios/market/ai_chips.toml \
    --portfolio scenarios/portfolio/ai_book.toml --paths 2M --horizon 10 --seed 7 --rng sobol \
    --scenario cheaper_model_disruption --backend both --out "$logs/report_sobol"
  # A book hierarchy on the GPU (its books kernel): 1, 10 and 100 books on the same 10M paths,
  # and the 10 books as 10 runs.
  run_step books_gpu 150 bench/books_cost.sh "$build" 10M 10 1 gpu
  # --stop-loss on the GPU (its path-risk kernel): 100k paths over 1,260 days, with and without.
  run_step stop_loss_gpu 90 bench/stop_loss_cost.sh "$build" 100k 1260 1 gpu
  # Importance sampling on the GPU (its weighted kernel, the components' line sums on the device)
  # against the CPU on the same paths.
  run_step is_both 120 "$build/chipshock" run --market scenarios/market/ai_chips_t.toml \
    --portfolio scenarios/portfolio/ai_book.toml --paths 1M --horizon 1 --seed 9 \
    --confidence 0.99,0.999 --importance-sampling --scenario export_restrictions --backend both \
    --timings --out "$logs/report_is"
  # A checkpointed GPU run (the device tail settled into every checkpoint, 20 of them) writes the
  # report of the same run without one.
  ckpt_run=(run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml
            --paths 20M --horizon 10 --seed 7 --scenario cheaper_model_disruption --backend gpu)
  run_step plain_20M 120 "$build/chipshock" "${ckpt_run[@]}" --out "$logs/report_20M"
  run_step checkpoint_20M 120 "$build/chipshock" "${ckpt_run[@]}" --batch 1000000 \
    --checkpoint "$logs/run.ckpt" --out "$logs/report_ckpt"
  run_step ckpt_same 30 bash -c "$(declare -f same_reports); same_reports '$logs/report_ckpt' '$logs/report_20M'"
  # Two MPI ranks on the GPU backend (each rank's GPU: its rank on the node modulo the GPUs),
  # and the same run in one process.
  mpi_run=(run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml
           --paths 100M --horizon 10 --seed 7 --scenario cheaper_model_disruption --backend gpu)
  if [ -n "$mpiexec" ] && [ -x "$mpiexec" ]; then
    run_step mpi_gpu 120 env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
      "$mpiexec" --oversubscribe -np 2 "$build/chipshock" "${mpi_run[@]}" --out "$logs/report_mpi"
    run_step one_gpu 120 "$build/chipshock" "${mpi_run[@]}" --out "$logs/report_one"
    run_step mpi_same 30 bash -c "$(declare -f same_reports); same_reports '$logs/report_mpi' '$logs/report_one'"
  fi
  # 10^10 paths in bounded memory: the baseline of the sample book at 99.9%, with the peak
  # host memory of the process and the peak device memory in use (nvidia-smi every 0.5 s).
  export logs
  run_step stream_10B 150 bash -c "$(declare -f stream_run); stream_run"
fi

exit $failed
