// Small building blocks for the report's inline SVG charts: a canvas that writes escaped,
// finite markup, linear and log scales, "nice" axis ticks, axes with labels, and legends.
// Colours are the Okabe–Ito palette, which stays distinguishable with colour-vision deficiency.
#pragma once

#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace chipshock::svg {

// Okabe–Ito: blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black.
const char* palette(std::size_t k);
constexpr const char* kBlue = "#0072B2";
constexpr const char* kOrange = "#E69F00";
constexpr const char* kGreen = "#009E73";
constexpr const char* kVermillion = "#D55E00";
constexpr const char* kPurple = "#CC79A7";
constexpr const char* kSkyBlue = "#56B4E9";
constexpr const char* kBlack = "#000000";
constexpr const char* kGrid = "#DDDDDD";
constexpr const char* kText = "#222222";

// Ticks at 1, 2 or 5 times a power of ten covering [lo, hi] (about `target` of them).
struct Ticks {
  std::vector<double> values;
  double step = 1;
};
Ticks nice_ticks(double lo, double hi, int target = 6);
// The powers of ten in [lo, hi] (lo > 0).
std::vector<double> log_ticks(double lo, double hi);
// The nice range [floor(lo/step)*step, ceil(hi/step)*step] that nice_ticks(lo, hi) spans.
void nice_range(double& lo, double& hi, int target = 6);

// Tick labels for amounts: 1,250,000 with step 250,000 -> "1.25M"; uses k, M, B.
std::string short_amount(double x, double step);
// Probabilities on a log axis: 0.01 -> "1%", 1e-5 -> "0.001%".
std::string short_percent(double p);

// Maps data to pixels; a log scale maps log10(x).
class Scale {
 public:
  Scale(double d0, double d1, double p0, double p1, bool log = false);
  double operator()(double x) const;
  double lo() const { return d0_; }
  double hi() const { return d1_; }
  bool log() const { return log_; }

 private:
  double d0_, d1_, p0_, p1_;
  bool log_;
};

struct Point {
  double x, y;
};

// The plot area inside an SVG, in pixels.
struct Frame {
  double left, top, width, height;
  double right() const { return left + width; }
  double bottom() const { return top + height; }
};

class Canvas {
 public:
  // title: the chart's accessible name (<title> and aria-label); escaped.
  Canvas(double width, double height, const std::string& title);
  void rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& extra = "");
  void line(double x1, double y1, double x2, double y2, const std::string& stroke,
            double width = 1, const std::string& dash = "");
  // An open line through the points (non-finite points are skipped).
  void polyline(const std::vector<Point>& pts, const std::string& stroke, double width = 1.5,
                const std::string& dash = "", const std::string& extra = "");
  // A closed, filled shape.
  void polygon(const std::vector<Point>& pts, const std::string& fill, double opacity = 1,
               const std::string& extra = "");
  void circle(double x, double y, double r, const std::string& fill,
              const std::string& stroke = "none", const std::string& extra = "");
  // Text is escaped. anchor: start | middle | end.
  void text(double x, double y, const std::string& str, const std::string& anchor = "start",
            double size = 11, const std::string& extra = "");
  // Raw markup from this module's own helpers (never user text).
  void raw(const std::string& markup) { out_ << markup; }
  std::string finish();  // the complete <svg> element

 private:
  std::ostringstream out_;
};

// The attribute that tags an element as a data mark (a bar, a curve, a point), as opposed to
// axes, grid and legend: tests check that every chart has at least one.
constexpr const char* kDataMark = "class=\"mark\"";

// Coordinates with two decimals; non-finite values become 0 (callers skip them first).
std::string num(double x);

using TickFormat = std::function<std::string(double)>;

// Grid lines, ticks, tick labels and the axis label. The x axis sits under the frame, the y axis
// to its left.
void x_axis(Canvas& c, const Frame& f, const Scale& s, const std::vector<double>& ticks,
            const TickFormat& format, const std::string& label);
void y_axis(Canvas& c, const Frame& f, const Scale& s, const std::vector<double>& ticks,
            const TickFormat& format, const std::string& label);

enum class Mark { kBox, kLine, kDashed, kDot, kSquare };
struct LegendItem {
  std::string label;
  std::string colour;
  Mark mark = Mark::kBox;
};
// One row of legend items starting at (x, y); returns the x after the last item.
double legend(Canvas& c, double x, double y, const std::vector<LegendItem>& items);

}  // namespace chipshock::svg
