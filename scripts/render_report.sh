#!/usr/bin/env bash
# Renders an HTML report to PNG (and PDF) with headless Chromium, for a person to look at.
# Not part of CI. Usage: scripts/render_report.sh report/report.html [out.png]
# Needs Debian's `chromium` (apt-get install -y chromium); exits 3 without it.
set -euo pipefail
html=${1:?usage: scripts/render_report.sh REPORT.html [OUT.png]}
png=${2:-${html%.html}.png}
pdf=${png%.png}.pdf
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
  echo "render_report.sh: no chromium found (apt-get install -y chromium)" >&2
  exit 3
fi
url="file://$(realpath "$html")"
# A tall window: the screenshot is the whole page at the report's 720 px column width.
height=${RENDER_HEIGHT:-6000}
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
       --disable-extensions --allow-file-access-from-files)
"$browser" "${flags[@]}" --window-size=800,"$height" --screenshot="$png" "$url" 2>/dev/null
"$browser" "${flags[@]}" --no-pdf-header-footer --print-to-pdf="$pdf" "$url" 2>/dev/null
echo "wrote $png and $pdf"
