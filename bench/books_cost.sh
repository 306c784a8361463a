#!/usr/bin/env bash
# The cost of one more book (issue "The analyst's own data", part 4): the same 200 equity
# positions over the sample market's 16 tickers held as 1 book, as 10 books of 20 and as 100
# books of 2 (a flat [[books]] hierarchy under one top), each run `reps` times with the same
# paths; and, for contrast, the 10 books run one by one (one simulation per book). Prints one
# markdown row per shape: the median wall seconds of the whole run and of its phases
# (report.json's run.phases), and the time per book over the 1-book run.
# Usage: bench/books_cost.sh [build-dir] [paths] [horizon] [reps] [backend: cpu|gpu]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
paths=${2:-1M}
horizon=${3:-10}
reps=${4:-3}
backend=${5:-cpu}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tickers=(NVDA AMD TSM AVGO ASML MU INTC QCOM SMCI ARM MRVL MSFT GOOGL META AMZN AAPL)
# book_file BOOKS: 200 positions; position k in book k mod BOOKS (no [[books]] for 1)
book_file() {
  local books=$1 f="$tmp/books_$1.toml"
  echo 'name = "desk"' >"$f"
  if [ "$books" -gt 1 ]; then
    for ((b = 0; b < books; ++b)); do printf '[[books]]\nname = "book %d"\n' "$b" >>"$f"; done
  fi
  for ((k = 0; k < 200; ++k)); do
    printf '[[positions]]\nticker = "%s"\nquantity = %d\n' "${tickers[k % 16]}" $((10 + k)) >>"$f"
    [ "$books" -gt 1 ] && printf 'book = "book %d"\n' $((k % books)) >>"$f"
  done
  echo "$f"
}
run_once() {  # run_once PORTFOLIO-ARGS...: wall and simulate seconds of one run
  "$build/chipshock" run --market scenarios/market/ai_chips.toml "$@" --paths "$paths" \
    --horizon "$horizon" --seed 7 --backend "$backend" --json --quiet 2>/dev/null |
    python3 -c 'import json,sys; p=json.load(sys.stdin)["run"]["phases"]; print(p["wall"], p["simulate"], p["components"])'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
echo "| shape | wall s (median of $reps) | simulate s | components + books' Euler s | per book over 1 book, s |"
echo "|---|---:|---:|---:|---:|"
one=""
for books in 1 10 100; do
  f=$(book_file "$books")
  rows=$(for ((r = 0; r < reps; ++r)); do run_once --portfolio "$f"; done)
  wall=$(awk '{print $1}' <<<"$rows" | median)
  sim=$(awk '{print $2}' <<<"$rows" | median)
  comp=$(awk '{print $3}' <<<"$rows" | median)
  [ -z "$one" ] && one=$wall
  per=$(awk -v w="$wall" -v o="$one" -v b="$books" 'BEGIN { if (b > 1) printf "%.4f", (w - o) / b; else print "-" }')
  echo "| $books book(s), one pass | $wall | $sim | $comp | $per |"
done
# the 10 books one by one: a file per book
for ((b = 0; b < 10; ++b)); do
  f="$tmp/alone_$b.toml"
  printf 'name = "book %d"\n' "$b" >"$f"
  for ((k = b; k < 200; k += 10)); do
    printf '[[positions]]\nticker = "%s"\nquantity = %d\n' "${tickers[k % 16]}" $((10 + k)) >>"$f"
  done
done
rows=$(for ((r = 0; r < reps; ++r)); do
  total=0
  for ((b = 0; b < 10; ++b)); do
    w=$(run_once --portfolio "$tmp/alone_$b.toml" | awk '{print $1}')
    total=$(awk -v t="$total" -v w="$w" 'BEGIN { print t + w }')
  done
  echo "$total"
done)
echo "| 10 books, 10 separate runs | $(median <<<"$rows") | | | |"
