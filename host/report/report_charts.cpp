#include "host/report/report_charts.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "host/report/svg_chart.hpp"

namespace chipshock {

using svg::Canvas;
using svg::Frame;
using svg::LegendItem;
using svg::Mark;
using svg::Point;
using svg::Scale;

namespace {

constexpr double kWidth = 680;  // px: the printable width of A4 with 15 mm margins, at 96 dpi

std::string percent_label(double c) {
  std::ostringstream s;
  s << c * 100 << "%";
  return s.str();
}

svg::TickFormat amount_format(double step) {
  return [step](double x) { return svg::short_amount(x, step); };
}

std::string shorten(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 1) + "\u2026";
}

}  // namespace

std::string loss_distribution_chart(const ScenarioResult& s, const std::string& currency) {
  const LossHistogram& h = s.histogram;
  if (!h.has_bins() || h.total() == 0) return "";
  const std::uint64_t total = h.total();
  Canvas c(kWidth, 262, "Loss distribution and tail: " + s.name);

  // Left panel: the binned body of the distribution.
  const Frame left{64, 36, 250, 180};
  // Show the bins holding the central 99.9% of paths (heavy tails would squash the body); the
  // tail panel shows the rest exactly.
  double x0 = h.bins().lo, x1 = h.bins().hi();
  {
    const double cut = 0.0005 * static_cast<double>(total);
    double below = static_cast<double>(h.underflow());
    for (int k = 0; k < h.bins().count && below + static_cast<double>(h.counts()[k]) <= cut; ++k) {
      below += static_cast<double>(h.counts()[k]);
      x0 = h.bin_hi(k);
    }
    double above = static_cast<double>(h.overflow());
    for (int k = h.bins().count; k-- > 0 && above + static_cast<double>(h.counts()[k]) <= cut;) {
      above += static_cast<double>(h.counts()[k]);
      x1 = h.bin_lo(k);
    }
  }
  const LevelRisk* top = s.levels.empty() ? nullptr : &s.levels.back();
  if (top) {
    x0 = std::min(x0, top->var);
    x1 = std::max(x1, top->es);
  }
  svg::nice_range(x0, x1, 7);
  double y_max = 0;
  for (int k = 0; k < h.bins().count; ++k)
    y_max = std::max(y_max, 100.0 * static_cast<double>(h.counts()[k]) / static_cast<double>(total));
  double y0 = 0;
  svg::nice_range(y0, y_max, 5);
  const Scale sx(x0, x1, left.left, left.right());
  const Scale sy(y0, y_max, left.bottom(), left.top);
  const svg::Ticks xt = svg::nice_ticks(x0, x1, 7), yt = svg::nice_ticks(y0, y_max, 5);
  svg::y_axis(c, left, sy, yt.values, amount_format(yt.step),
              "% of paths per " + svg::short_amount(h.bins().width, h.bins().width) + " bin");
  svg::x_axis(c, left, sx, xt.values, amount_format(xt.step), "Loss (" + currency + ")");
  for (int k = 0; k < h.bins().count; ++k) {
    const std::uint64_t n = h.counts()[k];
    if (n == 0 || h.bin_lo(k) < x0 || h.bin_hi(k) > x1) continue;
    const double share = 100.0 * static_cast<double>(n) / static_cast<double>(total);
    const double xa = sx(h.bin_lo(k)), xb = sx(h.bin_hi(k));
    c.rect(xa, sy(share), std::max(xb - xa, 0.6), left.bottom() - sy(share), svg::kSkyBlue,
           svg::kDataMark);
  }
  std::vector<LegendItem> items{{"losses", svg::kSkyBlue, Mark::kBox}};
  if (top) {
    c.line(sx(top->var), left.top, sx(top->var), left.bottom(), svg::kVermillion, 2);  // VaR
    c.line(sx(top->es), left.top, sx(top->es), left.bottom(), svg::kBlack, 2, "5 3");
    items.push_back({"VaR " + percent_label(top->confidence), svg::kVermillion, Mark::kLine});
    items.push_back({"ES " + percent_label(top->confidence), svg::kBlack, Mark::kDashed});
  }
  svg::legend(c, left.left, 16, items);
  if (h.underflow() + h.overflow() > 0)
    c.text(left.right(), left.top - 4,
           std::to_string(h.underflow() + h.overflow()) + " paths outside the bins", "end", 9);

  // Right panel: the exact tail, P(loss >= x) on a log scale.
  const Frame right{410, 36, 250, 180};
  if (!s.tail_curve.empty()) {
    double t0 = s.tail_curve.back().loss, t1 = s.tail_curve.front().loss;
    for (const LevelRisk& l : s.levels) {
      t0 = std::min(t0, l.var);
      t1 = std::max(t1, l.es);
    }
    svg::nice_range(t0, t1, 4);
    double p_lo = s.tail_curve.front().exceedance, p_hi = s.tail_curve.back().exceedance;
    for (const LevelRisk& l : s.levels) p_hi = std::max(p_hi, 1 - l.confidence);
    p_lo = std::pow(10.0, std::floor(std::log10(p_lo)));
    p_hi = std::pow(10.0, std::ceil(std::log10(p_hi)));
    if (!(p_hi > p_lo)) p_hi = p_lo * 10;
    const Scale tx(t0, t1, right.left, right.right());
    const Scale ty(p_lo, p_hi, right.bottom(), right.top, true);
    const svg::Ticks txt = svg::nice_ticks(t0, t1, 4);
    svg::y_axis(c, right, ty, svg::log_ticks(p_lo, p_hi), svg::short_percent,
                "P(loss \u2265 x), log scale");
    svg::x_axis(c, right, tx, txt.values, amount_format(txt.step), "Loss x (" + currency + ")");
    std::vector<Point> pts;
    for (const TailPoint& p : s.tail_curve) pts.push_back({tx(p.loss), ty(p.exceedance)});
    c.polyline(pts, svg::kBlue, 1.75, "", svg::kDataMark);
    std::vector<LegendItem> marks{{"tail", svg::kBlue, Mark::kLine},
                                  {"VaR", svg::kText, Mark::kDot},
                                  {"ES", svg::kText, Mark::kSquare}};
    for (std::size_t k = 0; k < s.levels.size(); ++k) {
      const LevelRisk& l = s.levels[k];
      const char* colour = svg::palette(k + 1);
      const double y = ty(1 - l.confidence);
      c.line(right.left, y, right.right(), y, colour, 0.75, "2 2");
      c.circle(tx(l.var), y, 4, colour, svg::kBlack, svg::kDataMark);
      c.rect(tx(l.es) - 3.5, y - 3.5, 7, 7, colour,
             std::string("stroke=\"#000000\" ") + svg::kDataMark);
      marks.push_back({percent_label(l.confidence), colour, Mark::kBox});
    }
    svg::legend(c, right.left - 46, 16, marks);
  }
  return c.finish();
}

std::string scenario_comparison_chart(const RunReport& r) {
  std::vector<const ScenarioResult*> rows;
  std::size_t levels = 0;
  for (const ScenarioResult& s : r.scenarios) {
    rows.push_back(&s);
    levels = std::max(levels, s.levels.size());
  }
  if (rows.empty()) return "";
  const double bar = 10, gap = 14;
  const double group = static_cast<double>(std::max<std::size_t>(levels, 1)) * bar + gap;
  const Frame f{190, 34, 460, group * static_cast<double>(rows.size())};
  Canvas c(kWidth, f.bottom() + 44, "Expected shortfall and VaR by scenario");
  double x0 = 0, x1 = 0;
  bool any_replay = false;
  for (const ScenarioResult* s : rows) {
    for (const LevelRisk& l : s->levels) {
      x0 = std::min({x0, l.var, l.es});
      x1 = std::max({x1, l.var, l.es});
    }
    if (s->levels.empty()) {
      x0 = std::min(x0, s->mean_loss);
      x1 = std::max(x1, s->mean_loss);
      any_replay = true;
    }
  }
  svg::nice_range(x0, x1, 6);
  const Scale sx(x0, x1, f.left, f.right());
  const svg::Ticks xt = svg::nice_ticks(x0, x1, 6);
  svg::x_axis(c, f, sx, xt.values, amount_format(xt.step), "Loss (" + r.currency + ")");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ScenarioResult& s = *rows[i];
    const double gy = f.top + group * static_cast<double>(i) + gap / 2;
    c.text(f.left - 8, gy + (group - gap) / 2 + 4, shorten(s.name, 30), "end", 10.5);
    if (s.levels.empty()) {  // a single deterministic loss (replay)
      const double a = sx(std::min(0.0, s.mean_loss)), b = sx(std::max(0.0, s.mean_loss));
      c.rect(a, gy, std::max(b - a, 0.6), bar, "#999999", svg::kDataMark);
      continue;
    }
    for (std::size_t k = 0; k < s.levels.size(); ++k) {
      const LevelRisk& l = s.levels[k];
      const double y = gy + bar * static_cast<double>(k);
      const double a = sx(std::min(0.0, l.es)), b = sx(std::max(0.0, l.es));
      c.rect(a, y + 0.5, std::max(b - a, 0.6), bar - 1, svg::palette(k), svg::kDataMark);
      c.line(sx(l.var), y, sx(l.var), y + bar, svg::kBlack, 2);
    }
  }
  c.line(sx(0), f.top, sx(0), f.bottom(), svg::kText, 1);
  std::vector<LegendItem> items;
  for (std::size_t k = 0; k < levels; ++k) {
    double conf = 0;
    for (const ScenarioResult* s : rows)
      if (k < s->levels.size()) conf = s->levels[k].confidence;
    items.push_back({"ES " + percent_label(conf), svg::palette(k), Mark::kBox});
  }
  items.push_back({"VaR at the same level", svg::kBlack, Mark::kLine});
  if (any_replay) items.push_back({"single historical loss", "#999999", Mark::kBox});
  svg::legend(c, f.left, 16, items);
  return c.finish();
}

std::string value_fan_chart(const ValueFan& fan, const std::string& currency) {
  if (fan.empty() || fan.days.size() < 2 || fan.percentiles.size() != 5) return "";
  const std::size_t n = fan.series.size();
  const int cols = n > 1 ? 2 : 1;
  const int rows_n = static_cast<int>((n + 1) / static_cast<std::size_t>(cols));
  const double panel_w = cols == 2 ? 250 : 560, panel_h = 150, row_h = panel_h + 72;
  Canvas c(kWidth, 30 + row_h * rows_n, "Portfolio value percentiles over the horizon");
  double v0 = INFINITY, v1 = -INFINITY;
  for (const ValueFanSeries& s : fan.series)
    for (const std::vector<double>& v : s.value) {
      v0 = std::min(v0, v.front());
      v1 = std::max(v1, v.back());
    }
  svg::nice_range(v0, v1, 5);
  const double d1 = fan.days.back();
  const svg::Ticks yt = svg::nice_ticks(v0, v1, 5);
  svg::Ticks dt = svg::nice_ticks(0, d1, 6);
  if (dt.step < 1) {
    dt.values.clear();
    for (int d = 0; d <= static_cast<int>(d1); ++d) dt.values.push_back(d);
    dt.step = 1;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const ValueFanSeries& s = fan.series[i];
    const double left = 80 + (cols == 2 ? static_cast<double>(i % 2) * 330 : 0);
    const double top = 48 + row_h * static_cast<double>(i / static_cast<std::size_t>(cols));
    const Frame f{left, top, panel_w, panel_h};
    const Scale sx(0, d1, f.left, f.right()), sy(v0, v1, f.bottom(), f.top);
    svg::y_axis(c, f, sy, yt.values, amount_format(yt.step), "Value (" + currency + ")");
    svg::x_axis(c, f, sx, dt.values, [](double d) { return std::to_string(std::lround(d)); },
                "Trading day");
    c.text(f.left, f.top - 6, shorten(s.scenario, 48), "start", 11, "font-weight=\"bold\"");
    const auto band = [&](std::size_t lo, std::size_t hi, double opacity) {
      std::vector<Point> pts;
      for (std::size_t d = 0; d < s.value.size(); ++d)
        pts.push_back({sx(fan.days[d]), sy(s.value[d][hi])});
      for (std::size_t d = s.value.size(); d-- > 0;)
        pts.push_back({sx(fan.days[d]), sy(s.value[d][lo])});
      c.polygon(pts, svg::kBlue, opacity, svg::kDataMark);
    };
    band(0, 4, 0.18);
    band(1, 3, 0.38);
    std::vector<Point> median;
    for (std::size_t d = 0; d < s.value.size(); ++d)
      median.push_back({sx(fan.days[d]), sy(s.value[d][2])});
    c.polyline(median, svg::kBlue, 2, "", svg::kDataMark);
    const double today = s.value.front()[2];
    c.line(f.left, sy(today), f.right(), sy(today), svg::kVermillion, 1.25, "4 3");
  }
  svg::legend(c, 80, 18,
              {{"5\u201395% of paths", "#BFD7EA", Mark::kBox},
               {"25\u201375%", "#75A9D1", Mark::kBox},
               {"median", svg::kBlue, Mark::kLine},
               {"value today", svg::kVermillion, Mark::kDashed}});
  return c.finish();
}

std::string contribution_chart(const ScenarioResult& s, const std::string& currency) {
  if (s.components.empty()) return "";
  // One level: the highest (the components hold one row per position and level).
  double top = s.components.front().confidence;
  for (const auto& p : s.components) top = std::max(top, p.confidence);
  std::vector<PositionContribution> rows;
  for (const auto& p : s.components)
    if (p.confidence == top) rows.push_back(p);
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.es_contribution > b.es_contribution;
  });
  const double bar = 14;
  const Frame f{190, 34, 460, bar * static_cast<double>(rows.size())};
  Canvas c(kWidth, f.bottom() + 44, "Contribution to ES by position: " + s.name);
  double x0 = 0, x1 = 0;
  for (const auto& p : rows) {
    x0 = std::min(x0, p.es_contribution);
    x1 = std::max(x1, p.es_contribution);
  }
  svg::nice_range(x0, x1, 6);
  const Scale sx(x0, x1, f.left, f.right());
  const svg::Ticks xt = svg::nice_ticks(x0, x1, 6);
  svg::x_axis(c, f, sx, xt.values, amount_format(xt.step),
              "Contribution to ES " + percent_label(rows.front().confidence) + " (" + currency +
                  ")");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double y = f.top + bar * static_cast<double>(i);
    const double v = rows[i].es_contribution;
    const double a = sx(std::min(0.0, v)), b = sx(std::max(0.0, v));
    c.rect(a, y + 1.5, std::max(b - a, 0.6), bar - 3, v >= 0 ? svg::kBlue : svg::kOrange,
           svg::kDataMark);
    c.text(f.left - 8, y + bar / 2 + 3.5, shorten(rows[i].position, 30), "end", 10);
  }
  c.line(sx(0), f.top, sx(0), f.bottom(), svg::kText, 1);
  svg::legend(c, f.left, 16,
              {{"adds to ES", svg::kBlue, Mark::kBox}, {"reduces ES (hedge)", svg::kOrange, Mark::kBox}});
  return c.finish();
}

}  // namespace chipshock
