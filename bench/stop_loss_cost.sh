#!/usr/bin/env bash
# What --stop-loss costs: the whole `chipshock run` process (every default report file, --quiet)
# on the sample market and AI book over a long horizon, with and without --stop-loss, best of
# `repeat` runs each. Prints both times and their ratio (target: at most 3x, issue "One run
# pipeline"). Usage: bench/stop_loss_cost.sh [build-dir] [paths] [horizon-days] [repeat] [backend]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
paths=${2:-100k}
horizon=${3:-1260}
repeat=${4:-3}
backend=${5:-auto}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=(run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml
      --paths "$paths" --horizon "$horizon" --seed 7 --backend "$backend" --quiet
      --out "$out/report")

best() {  # best wall-clock seconds of $repeat runs of chipshock "$@"
  local b="" t
  for _ in $(seq "$repeat"); do
    rm -rf "$out/report"
    t0=$(date +%s%N)
    "$build/chipshock" "$@" >/dev/null
    t=$(( $(date +%s%N) - t0 ))e-9
    b=$(python3 -c "import sys; print(min(float(x) for x in sys.argv[1:] if x))" $b "$t")
  done
  echo "$b"
}

plain=$(best "${args[@]}")
stop=$(best "${args[@]}" --stop-loss 2e6)
path_risk_paths=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['path_risk']['paths'])" \
  "$out/report/report.json")
python3 - "$plain" "$stop" "$paths" "$horizon" "$path_risk_paths" "$backend" <<'PY'
import sys
plain, stop = float(sys.argv[1]), float(sys.argv[2])
print(f"{sys.argv[3]} paths x {sys.argv[4]} days, 16 assets (path risk on {sys.argv[5]} paths), backend {sys.argv[6]}")
print(f"without --stop-loss  {plain:8.2f} s")
print(f"with --stop-loss     {stop:8.2f} s")
print(f"ratio                {stop / plain:8.2f}x  (target <= 3x)")
PY
