#!/usr/bin/env bash
# The cost of settling options on the path's days (issue 17, part 6): a book of 20 NVDA puts
# (strikes 80-118% of the spot), held alive past the horizon (30 trading days to expiry) and
# expiring inside it (on day 5), European and American, on the sample market, each run `reps`
# times. Prints one markdown row per book: the median wall seconds of the whole run and of its
# simulation (report.json's run.phases).
# Usage: bench/expiry_cost.sh [build-dir] [paths] [horizon] [reps] [backend: cpu|gpu]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
paths=${2:-2M}
horizon=${3:-10}
reps=${4:-3}
backend=${5:-cpu}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
book_file() {  # book_file EXPIRY STYLE
  local f="$tmp/book_$1_$2.toml"
  echo 'name = "puts"' >"$f"
  for ((k = 0; k < 20; ++k)); do
    printf '[[positions]]\nticker = "NVDA"\ntype = "put"\nquantity = 100\nstrike = %d\nexpiry_days = %d\nstyle = "%s"\n' \
      $((160 + 4 * k)) "$1" "$2" >>"$f"
  done
  echo "$f"
}
run_once() {  # run_once PORTFOLIO: wall and simulate seconds of one run
  "$build/chipshock" run --market scenarios/market/ai_chips.toml --portfolio "$1" \
    --paths "$paths" --horizon "$horizon" --seed 7 --backend "$backend" --json --quiet 2>/dev/null |
    python3 -c 'import json,sys; p=json.load(sys.stdin)["run"]["phases"]; print(p["wall"], p["simulate"])'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
echo "| book (20 NVDA puts, $paths paths, $horizon days, $backend) | wall s (median of $reps) | simulate s |"
echo "|---|---:|---:|"
for shape in "30 european" "5 european" "30 american" "5 american"; do
  set -- $shape
  f=$(book_file "$1" "$2")
  rows=$(for ((r = 0; r < reps; ++r)); do run_once "$f"; done)
  wall=$(echo "$rows" | awk '{print $1}' | median)
  sim=$(echo "$rows" | awk '{print $2}' | median)
  label="$2, expiring on day $1"
  [ "$1" -gt "$horizon" ] && label="$2, alive past the horizon ($1 days)"
  echo "| $label | $wall | $sim |"
done
