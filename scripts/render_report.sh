#!/usr/bin/env bash
# Renders an HTML report with headless Chromium (Debian's `chromium`).
#   scripts/render_report.sh REPORT.html [OUT.png]   PNG of the whole page and a PDF (A4), for a
#                                                    person to look at
#   scripts/render_report.sh --check REPORT.html     the layout check CTest runs: every table,
#                                                    figure and block fits the report's 720 px
#                                                    column, and the A4 print width (680 px at
#                                                    11 px type); exit 1 naming what overflows
# Exits 3 without chromium (apt-get install -y chromium; scripts/setup.sh installs it).
set -euo pipefail
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
html=${1:?usage: scripts/render_report.sh [--check] REPORT.html [OUT.png]}
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
  echo "render_report.sh: no chromium found (apt-get install -y chromium)" >&2
  exit 3
fi
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
       --disable-extensions --allow-file-access-from-files --user-data-dir="$(mktemp -d)")

if [ "$check" = 1 ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # The report has no scripts; a copy gets one that measures it at both widths and writes the
  # verdict into the page, which --dump-dom prints.
  probe='<script>
(function () {
  var bad = [];
  function measure(label) {
    var b = document.body.getBoundingClientRect();
    var cs = getComputedStyle(document.body);
    var right = b.right - parseFloat(cs.paddingRight) + 1;
    var els = document.querySelectorAll("table, figure, svg, pre, p, h1, h2, h3, div");
    for (var i = 0; i < els.length; i++) {
      var r = els[i].getBoundingClientRect();
      var over = Math.max(r.right, r.left + els[i].scrollWidth) - right;
      if (over > 0.5) {
        var what = els[i].tagName.toLowerCase() + (els[i].id ? "#" + els[i].id : "");
        var near = els[i].closest("[id]");
        bad.push(label + ": " + what + (near ? " in #" + near.id : "") + " by " +
                 Math.round(over) + " px: " +
                 (els[i].textContent || "").replace(/\s+/g, " ").slice(0, 60));
      }
    }
  }
  measure("screen 720 px");
  document.body.style.maxWidth = "680px";
  document.body.style.padding = "0";
  document.body.style.fontSize = "11px";
  measure("A4 print 680 px");
  var out = document.createElement("pre");
  out.id = "layout-verdict";
  out.textContent = bad.length ? "LAYOUT-BAD\n" + bad.join("\n") : "LAYOUT-OK";
  document.body.appendChild(out);
})();
</script>'
  python3 - "$html" "$tmp/probe.html" "$probe" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
at = text.rfind("</body>")
if at < 0:
    sys.exit("render_report.sh: no </body> in " + sys.argv[1])
open(sys.argv[2], "w", encoding="utf-8").write(text[:at] + sys.argv[3] + text[at:])
PY
  dom=$("$browser" "${flags[@]}" --window-size=800,2000 --virtual-time-budget=5000 --dump-dom \
        "file://$tmp/probe.html" 2>/dev/null)
  verdict=$(python3 -c '
import html, re, sys
m = re.search(r"<pre id=\"layout-verdict\">(.*?)</pre>", sys.stdin.read(), re.S)
print(html.unescape(m.group(1)) if m else "LAYOUT-UNKNOWN: the probe did not run")' <<<"$dom")
  echo "$verdict"
  [ "${verdict%%$'\n'*}" = "LAYOUT-OK" ]
  exit
fi

png=${2:-${html%.html}.png}
pdf=${png%.png}.pdf
url="file://$(realpath "$html")"
# A tall window: the screenshot is the whole page at the report's 720 px column width.
height=${RENDER_HEIGHT:-6000}
"$browser" "${flags[@]}" --window-size=800,"$height" --screenshot="$png" "$url" 2>/dev/null
"$browser" "${flags[@]}" --no-pdf-header-footer --print-to-pdf="$pdf" "$url" 2>/dev/null
echo "wrote $png and $pdf"
