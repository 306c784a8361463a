#!/usr/bin/env bash
# CTest: report.html of a run with every section (scenarios, a replay, the stressed entry,
# --what-if, --stop-loss, a run to a target error), and of a book hierarchy's run with a plain
# run's convergence tables, rendered in headless Chromium by
# scripts/render_report.sh --check: every table and figure fits the 720 px column and the A4
# print width. Skips (exit 77, with the reason) where chromium is not installed.
# Usage: tests/report/render_check.sh path/to/chipshock
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:?usage: render_check.sh path/to/chipshock}
if ! command -v chromium >/dev/null 2>&1; then
  echo "SKIPPED: no chromium here (scripts/setup.sh installs Debian's chromium)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" calibrate --prices scenarios/data/prices \
  --tickers NVDA,AMD,TSM,AVGO,ASML,MU,INTC,QCOM,SMCI,MRVL,MSFT,GOOGL,META,AMZN,AAPL \
  --stressed --portfolio scenarios/portfolio/hedged_book.toml --out "$tmp/stressed.toml" --quiet
"$bin" run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/hedged_book.toml \
  --paths 20k --horizon 20 --seed 5 --backend cpu --stop-loss 500000 \
  --what-if scenarios/portfolio/what_if_nvda_hedge.toml --scenario cheaper_model_disruption \
  --scenario taiwan_supply_disruption --scenario export_restrictions --target-rel-error 0.02 \
  --replay 2025-01-27 --stressed "$tmp/stressed.toml" --quiet --out "$tmp/report"
scripts/render_report.sh --check "$tmp/report/report.html"
"$bin" run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_desks.toml \
  --paths 200k --horizon 10 --seed 7 --backend cpu --scenario cheaper_model_disruption --quiet \
  --out "$tmp/books"
scripts/render_report.sh --check "$tmp/books/report.html"
