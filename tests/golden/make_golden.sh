#!/usr/bin/env bash
# Writes the golden outputs of tests/golden/cases.txt: report.json and the CSV files of each case
# under tests/golden/<case>/. Run it only when a number changes on purpose, and say why in the
# commit (tests/test_golden.cpp compares every later build against these files).
# Usage: tests/golden/make_golden.sh path/to/chipshock
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "${1:?usage: make_golden.sh path/to/chipshock}")
while IFS='|' read -r name args; do
  name=${name// /}
  case "$name" in ''|'#'*) continue ;; esac
  dir=tests/golden/$name
  rm -rf "$dir" && mkdir -p "$dir"
  tmp=$(mktemp -d)
  # shellcheck disable=SC2086
  "$bin" run $args --backend cpu --threads 2 --quiet --out "$tmp"
  cp "$tmp"/report.json "$dir"/
  # the CSV files without timings (report_values.csv and backend_comparison.csv hold some)
  for f in "$tmp"/*.csv; do
    case "$(basename "$f")" in report_values.csv|backend_comparison.csv) ;; *) cp "$f" "$dir"/ ;; esac
  done
  # Built-in scenarios are named by absolute path: keep them relative to the repository.
  sed -i "s#$(pwd)/##g" "$dir"/report.json
  rm -rf "$tmp"
  echo "make_golden.sh: $name"
done < tests/golden/cases.txt
