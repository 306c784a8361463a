#!/usr/bin/env bash
# The CPU backend against an idiomatic numpy implementation of the same model, on the same
# inputs: 16 assets x 10 daily steps x 1M paths (the sample market and the AI book).
# Times the engine alone (bench_cpu_throughput: simulation and statistics, best of 3) and the
# whole `chipshock run` process with every default output on (components, histogram, fan
# chart, every report file; --quiet; best of 3), against numpy's compute time. Prints both
# throughputs in asset-steps per second, the two ratios to numpy, the whole run over the engine,
# and the two VaR estimates.
# Usage: bench/compare_numpy.sh [build-dir] [paths] [cpu-isa: auto|avx2|avx512]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
paths=${2:-1M}
isa=${3:-auto}
args=(--market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml
      --paths "$paths" --horizon 10 --steps-per-day 1)

engine=$("$build/bench/bench_cpu_throughput" "${args[@]}" --seed 7 --repeat 3 --cpu-isa "$isa")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
whole=""
for _ in 1 2 3; do
  rm -rf "$out/report"
  t0=$(date +%s%N)
  "$build/chipshock" run "${args[@]}" --seed 7 --cpu-isa "$isa" --quiet --out "$out/report"
  t=$(( $(date +%s%N) - t0 ))e-9
  whole=$(/usr/bin/python3 -c "import sys; print(min(float(x) for x in sys.argv[1:] if x))" $whole "$t")
done
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, where a machine sets them, slow numpy down: give the
# peer its best case by unsetting them for this command only.
peer=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers/numpy_mc.py \
       "${args[@]}" --seed 7 --all-assets 2>/dev/null)

/usr/bin/python3 - "$engine" "$peer" "$whole" <<'PY'
import json, sys
e, p, whole = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
print(f"{'':22}{'chipshock cpu':>18}{'numpy':>18}")
print(f"{'paths x assets x steps':22}{e['paths']:>12} x {e['assets']} x {e['steps']}"
      f"{p['paths']:>8} x {p['assets']} x {p['steps']}")
print(f"{'seconds (engine)':22}{e['seconds']:>18.3f}{p['seconds']:>18.3f}")
print(f"{'seconds (whole run)':22}{whole:>18.3f}")
print(f"{'asset-steps/s':22}{e['asset_steps_per_second']:>18.3e}{p['asset_steps_per_second']:>18.3e}")
whole_rate = e['paths'] * e['assets'] * e['steps'] / whole
print(f"{'asset-steps/s (whole)':22}{whole_rate:>18.3e}")
for c in ("0.95", "0.975", "0.99"):
    print(f"{'VaR ' + c:22}{e['var'][c]:>18,.0f}{p['var'][c]:>18,.0f}")
    print(f"{'ES ' + c:22}{e['es'][c]:>18,.0f}{p['es'][c]:>18,.0f}")
print(f"speedup: engine {e['asset_steps_per_second'] / p['asset_steps_per_second']:.1f}x, "
      f"whole run {whole_rate / p['asset_steps_per_second']:.1f}x "
      f"numpy's compute (chipshock {e['threads']} threads, CPU kernel {e.get('cpu_isa', '?')}; "
      f"numpy {p['numpy_version']}); whole run / engine {whole / e['seconds']:.2f}")
PY
