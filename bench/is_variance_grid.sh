#!/usr/bin/env bash
# bench_is_variance over every sample market x horizons {1, 2, 5, 10, 20} x both sample books
# (issue "The analyst's own data", part 6): prints one markdown row per case with how many
# replications' pilots fell back to plain sampling and the variance ratio plain / importance
# sampling of the VaR and ES estimators at 99% and 99.9% (>= 1: importance sampling no worse; a
# pilot that falls back runs the plain replication's own paths, ratio exactly 1).
# Usage: bench/is_variance_grid.sh [build-dir] [reps] [paths]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
reps=${2:-20}
paths=${3:-65536}
echo "| market | book | horizon | fell back | shift, lambda (last) | VaR 99% | ES 99% | VaR 99.9% | ES 99.9% |"
echo "|---|---|---:|---:|---|---:|---:|---:|---:|"
for market in scenarios/market/*.toml; do
  for book in scenarios/portfolio/ai_book.toml scenarios/portfolio/hedged_book.toml; do
    for horizon in 1 2 5 10 20; do
      out=$("$build/bench/bench_is_variance" --market "$market" --portfolio "$book" \
              --horizon "$horizon" --reps "$reps" --paths "$paths" --reference-paths 1M)
      fell=$(sed -n 's/.*fell back to plain in \([0-9]*\) of.*/\1/p' <<<"$out")
      shift=$(sed -n 's/.*pilot: shift \([0-9.]*\) sd, chi-square scale \([0-9.]*\),.*/\1 sd, \2/p' <<<"$out")
      ratios=$(awk '/^(VaR|ES) /{printf " %s |", $8}' <<<"$out")
      echo "| $(basename "$market" .toml) | $(basename "$book" .toml) | $horizon | $fell/$reps | $shift |$ratios"
    done
  done
done
