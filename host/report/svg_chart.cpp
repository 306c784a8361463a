#include "host/report/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "host/report/html_escape.hpp"

namespace chipshock::svg {

const char* palette(std::size_t k) {
  static const char* const kColours[] = {kBlue,   kOrange,  kGreen,    kVermillion,
                                         kPurple, kSkyBlue, "#F0E442", kBlack};
  return kColours[k % (sizeof kColours / sizeof kColours[0])];
}

namespace {

double nice_step(double span, int target) {
  const double raw = span / std::max(1, target);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * p >= raw * 0.999) return m * p;
  return 10 * p;
}

bool usable(double lo, double hi) { return std::isfinite(lo) && std::isfinite(hi) && hi > lo; }

}  // namespace

void nice_range(double& lo, double& hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (!(hi > lo)) {
    const double pad = std::max(std::fabs(lo) * 0.05, 1.0);
    lo -= pad;
    hi += pad;
  }
  const double step = nice_step(hi - lo, target);
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
}

Ticks nice_ticks(double lo, double hi, int target) {
  Ticks t;
  if (!usable(lo, hi)) return t;
  t.step = nice_step(hi - lo, target);
  const double first = std::ceil(lo / t.step - 1e-9) * t.step;
  for (int k = 0; k < 1000; ++k) {
    const double v = first + k * t.step;
    if (v > hi + 1e-9 * t.step) break;
    t.values.push_back(std::fabs(v) < 1e-12 * t.step ? 0.0 : v);
  }
  return t;
}

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> out;
  if (!(lo > 0) || !usable(lo, hi)) return out;
  for (int e = static_cast<int>(std::ceil(std::log10(lo) - 1e-9));
       e <= static_cast<int>(std::floor(std::log10(hi) + 1e-9)); ++e)
    out.push_back(std::pow(10.0, e));
  return out;
}

std::string short_amount(double x, double step) {
  if (std::fabs(x) < 1e-9 * std::fabs(step)) return "0";
  const double ax = std::max(std::fabs(x), std::fabs(step));
  double unit = 1;
  const char* suffix = "";
  if (ax >= 1e9) {
    unit = 1e9, suffix = "B";
  } else if (ax >= 1e6) {
    unit = 1e6, suffix = "M";
  } else if (ax >= 1e3) {
    unit = 1e3, suffix = "k";
  }
  const double s = std::fabs(step) / unit;
  int decimals = 0;
  while (decimals < 4 && s > 0 &&
         std::fabs(s * std::pow(10.0, decimals) - std::round(s * std::pow(10.0, decimals))) > 1e-6)
    ++decimals;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f%s", decimals, x / unit, suffix);
  std::string r(buf);
  if (r.rfind("-0", 0) == 0 && std::fabs(x) < 0.5 * std::fabs(step)) r = r.substr(1);  // "-0"
  return r;
}

std::string short_percent(double p) {
  char buf[64];
  const double pct = p * 100;
  if (pct >= 1) {
    std::snprintf(buf, sizeof buf, "%g%%", std::round(pct * 100) / 100);
  } else {
    std::snprintf(buf, sizeof buf, "%.*f%%",
                  std::min(8, static_cast<int>(std::ceil(-std::log10(pct) - 1e-9))), pct);
  }
  return buf;
}

Scale::Scale(double d0, double d1, double p0, double p1, bool log)
    : d0_(d0), d1_(d1), p0_(p0), p1_(p1), log_(log) {}

double Scale::operator()(double x) const {
  double a = d0_, b = d1_, v = x;
  if (log_) {
    a = std::log10(a);
    b = std::log10(b);
    v = std::log10(std::max(x, 1e-300));
  }
  if (!(b != a)) return 0.5 * (p0_ + p1_);
  return p0_ + (v - a) / (b - a) * (p1_ - p0_);
}

std::string num(double x) {
  if (!std::isfinite(x)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", x);
  std::string s(buf);
  if (s == "-0.00") s = "0.00";
  return s;
}

Canvas::Canvas(double width, double height, const std::string& title) {
  out_ << "<svg viewBox=\"0 0 " << num(width) << ' '
       << num(height) << "\" width=\"" << num(width) << "\" height=\"" << num(height)
       << "\" role=\"img\" aria-label=\"" << escape_html(title) << "\" font-family=\"Helvetica, "
       << "Arial, sans-serif\"><title>" << escape_html(title) << "</title>\n";
}

void Canvas::rect(double x, double y, double w, double h, const std::string& fill,
                  const std::string& extra) {
  out_ << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(std::max(w, 0.0))
       << "\" height=\"" << num(std::max(h, 0.0)) << "\" fill=\"" << fill << '"'
       << (extra.empty() ? "" : " ") << extra << "/>\n";
}

void Canvas::line(double x1, double y1, double x2, double y2, const std::string& stroke,
                  double width, const std::string& dash) {
  out_ << "<line x1=\"" << num(x1) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(x2)
       << "\" y2=\"" << num(y2) << "\" stroke=\"" << stroke << "\" stroke-width=\"" << num(width)
       << '"';
  if (!dash.empty()) out_ << " stroke-dasharray=\"" << dash << '"';
  out_ << "/>\n";
}

static std::string path_data(const std::vector<Point>& pts, bool close) {
  std::string d;
  for (const Point& p : pts) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    d += (d.empty() ? "M" : " L") + num(p.x) + "," + num(p.y);
  }
  if (close && !d.empty()) d += " Z";
  return d;
}

void Canvas::polyline(const std::vector<Point>& pts, const std::string& stroke, double width,
                      const std::string& dash, const std::string& extra) {
  const std::string d = path_data(pts, false);
  if (d.empty()) return;
  out_ << "<path d=\"" << d << "\" fill=\"none\" stroke=\"" << stroke << "\" stroke-width=\""
       << num(width) << "\" stroke-linejoin=\"round\"";
  if (!dash.empty()) out_ << " stroke-dasharray=\"" << dash << '"';
  if (!extra.empty()) out_ << ' ' << extra;
  out_ << "/>\n";
}

void Canvas::polygon(const std::vector<Point>& pts, const std::string& fill, double opacity,
                     const std::string& extra) {
  const std::string d = path_data(pts, true);
  if (d.empty()) return;
  out_ << "<path d=\"" << d << "\" fill=\"" << fill << "\" fill-opacity=\"" << num(opacity)
       << "\" stroke=\"none\"" << (extra.empty() ? "" : " ") << extra << "/>\n";
}

void Canvas::circle(double x, double y, double r, const std::string& fill,
                    const std::string& stroke, const std::string& extra) {
  out_ << "<circle cx=\"" << num(x) << "\" cy=\"" << num(y) << "\" r=\"" << num(r)
       << "\" fill=\"" << fill << "\" stroke=\"" << stroke << '"' << (extra.empty() ? "" : " ")
       << extra << "/>\n";
}

void Canvas::text(double x, double y, const std::string& str, const std::string& anchor,
                  double size, const std::string& extra) {
  out_ << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" font-size=\"" << num(size)
       << "\" fill=\"" << kText << '"';
  if (anchor != "start") out_ << " text-anchor=\"" << anchor << '"';
  if (!extra.empty()) out_ << ' ' << extra;
  out_ << '>' << escape_html(str) << "</text>\n";
}

std::string Canvas::finish() {
  out_ << "</svg>";
  return out_.str();
}

void x_axis(Canvas& c, const Frame& f, const Scale& s, const std::vector<double>& ticks,
            const TickFormat& format, const std::string& label) {
  for (double t : ticks) {
    const double x = s(t);
    if (x < f.left - 0.5 || x > f.right() + 0.5) continue;
    c.line(x, f.top, x, f.bottom(), kGrid, 0.75);
    c.line(x, f.bottom(), x, f.bottom() + 4, kText, 1);
    c.text(x, f.bottom() + 15, format(t), "middle", 10);
  }
  c.line(f.left, f.bottom(), f.right(), f.bottom(), kText, 1);
  c.text(f.left + f.width / 2, f.bottom() + 31, label, "middle", 11);
}

void y_axis(Canvas& c, const Frame& f, const Scale& s, const std::vector<double>& ticks,
            const TickFormat& format, const std::string& label) {
  for (double t : ticks) {
    const double y = s(t);
    if (y < f.top - 0.5 || y > f.bottom() + 0.5) continue;
    c.line(f.left, y, f.right(), y, kGrid, 0.75);
    c.line(f.left - 4, y, f.left, y, kText, 1);
    c.text(f.left - 6, y + 3.5, format(t), "end", 10);
  }
  c.line(f.left, f.top, f.left, f.bottom(), kText, 1);
  const double x = std::max(12.0, f.left - 48);
  c.text(x, f.top + f.height / 2, label, "middle", 11,
         "transform=\"rotate(-90 " + num(x) + " " + num(f.top + f.height / 2) + ")\"");
}

double legend(Canvas& c, double x, double y, const std::vector<LegendItem>& items) {
  for (const LegendItem& it : items) {
    switch (it.mark) {
      case Mark::kBox: c.rect(x, y - 8, 12, 9, it.colour); break;
      case Mark::kLine: c.line(x, y - 3.5, x + 14, y - 3.5, it.colour, 2); break;
      case Mark::kDashed: c.line(x, y - 3.5, x + 14, y - 3.5, it.colour, 2, "4 2"); break;
      case Mark::kDot: c.circle(x + 6, y - 3.5, 3.5, it.colour); break;
      case Mark::kSquare: c.rect(x + 2.5, y - 7, 7, 7, it.colour); break;
    }
    c.text(x + 18, y, it.label, "start", 10);
    x += 18 + 5.6 * static_cast<double>(it.label.size()) + 10;
  }
  return x;
}

}  // namespace chipshock::svg
