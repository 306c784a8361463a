#!/usr/bin/env bash
# The cost of the implied vol as a simulated risk factor (issue 17, parts 1 and 3): a book of 20
# NVDA puts (strikes 80-118% of the spot, 30 trading days to expiry), European and American, on
# the sample market as shipped (each option at NVDA's vol, no surface), with a flat surface held
# in strike (atm = NVDA's vol), with its spot beta (-1.5), and with a spot beta and a vol-of-vol
# (0.9). Each run `reps` times; prints one markdown row per market and style: the median wall
# seconds of the whole run, of its simulation, of the value fan's day values (value_paths: the
# runs cut at each day solve their American curves there) and of `other` (the set-up, where the
# run's own American curves at 17 vols are solved), from report.json's run.phases.
# Usage: bench/vol_of_vol_cost.sh [build-dir] [paths] [horizon] [reps] [backend: cpu|gpu]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
paths=${2:-2M}
horizon=${3:-10}
reps=${4:-3}
backend=${5:-cpu}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
book_file() {  # book_file STYLE
  local f="$tmp/book_$1.toml"
  echo 'name = "puts"' >"$f"
  for ((k = 0; k < 20; ++k)); do
    printf '[[positions]]\nticker = "NVDA"\ntype = "put"\nquantity = 100\nstrike = %d\nexpiry_days = 30\nstyle = "%s"\n' \
      $((160 + 4 * k)) "$1" >>"$f"
  done
  echo "$f"
}
market_file() {  # market_file NAME SURFACE: the sample market with NVDA's surface (or none)
  local f="$tmp/market_$1.toml"
  python3 - "$2" >"$f" <<'PY'
import sys
surface = sys.argv[1]
out = []
for line in open("scenarios/market/ai_chips.toml"):
    out.append(line)
    if surface and line.strip() == "[assets.NVDA]":
        out.append("implied_vol = " + surface + "\n")
print("".join(out), end="")
PY
  echo "$f"
}
run_once() {  # run_once MARKET PORTFOLIO: wall, simulate, value_paths and other seconds of a run
  "$build/chipshock" run --market "$1" --portfolio "$2" --paths "$paths" --horizon "$horizon" \
    --seed 7 --backend "$backend" --json --quiet 2>/dev/null |
    python3 -c 'import json,sys; p=json.load(sys.stdin)["run"]["phases"]; print(p["wall"], p["simulate"], p["value_paths"], p["other"])'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
vol=$(awk '/^\[assets.NVDA\]/{f=1} f && /^vol/{print $3; exit}' scenarios/market/ai_chips.toml)
echo "| NVDA's implied vol ($paths paths, $horizon days, $backend) | style | wall s (median of $reps) | simulate s | value_paths s | other s |"
echo "|---|---|---:|---:|---:|---:|"
for m in "none|" "flat surface|{ atm = $vol }" "spot beta -1.5|{ atm = $vol, spot_beta = -1.5 }" \
         "spot beta -1.5, vol-of-vol 0.9|{ atm = $vol, spot_beta = -1.5, vol_of_vol = 0.9 }"; do
  name=${m%%|*}
  mf=$(market_file "${name// /_}" "${m#*|}")
  for style in european american; do
    f=$(book_file "$style")
    rows=$(for ((r = 0; r < reps; ++r)); do run_once "$mf" "$f"; done)
    wall=$(echo "$rows" | awk '{print $1}' | median)
    sim=$(echo "$rows" | awk '{print $2}' | median)
    fan=$(echo "$rows" | awk '{print $3}' | median)
    other=$(echo "$rows" | awk '{print $4}' | median)
    echo "| $name | $style | $wall | $sim | $fan | $other |"
  done
done
