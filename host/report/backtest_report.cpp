#include "host/report/backtest_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "host/report/html_escape.hpp"
#include "host/report/format.hpp"
#include "host/report/markdown_escape.hpp"

namespace chipshock {

namespace {

std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

std::string pct(double c) {
  std::ostringstream s;
  s << c * 100 << "%";
  return s.str();
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `count` ticks over span.
double nice_step(double span, int count) {
  const double raw = span / std::max(count, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

std::string money_short(double x) {
  const double a = std::fabs(x);
  if (a >= 1e9) return fixed(x / 1e9, 1) + "B";
  if (a >= 1e6) return fixed(x / 1e6, 2) + "M";
  if (a >= 1e3) return fixed(x / 1e3, 0) + "k";
  return fixed(x, 0);
}

// Okabe–Ito colours (colour-blind safe).
const char* const kVarColours[] = {"#0072B2", "#009E73", "#CC79A7", "#56B4E9"};
const char* const kLossColour = "#999999";
const char* const kExceedColour = "#D55E00";

}  // namespace

nlohmann::ordered_json backtest_json(const BacktestResult& r, const std::string& version) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["schema"] = "chipshock.backtest.v1";
  j["chipshock_version"] = version;
  j["settings"] = {{"from", r.settings.from},
                   {"to", r.settings.to},
                   {"window", r.settings.window},
                   {"paths", r.settings.paths},
                   {"seed", r.settings.seed},
                   {"vol", r.settings.ewma ? "ewma" : "sample"},
                   {"innovations", r.settings.student_t ? "student_t" : "gaussian"},
                   {"rate", r.settings.rate},
                   {"confidence_levels", r.settings.confidences},
                   {"prices_dir", r.prices_dir}};
  j["portfolio"] = {{"name", r.portfolio_name}, {"currency", r.currency}, {"tickers", r.tickers}};
  ordered_json tests = ordered_json::array();
  for (const CoverageTests& t : r.tests)
    tests.push_back({{"confidence", t.confidence},
                     {"days", t.days},
                     {"exceedances", t.exceedances},
                     {"expected", t.expected},
                     {"kupiec_lr", t.lr_pof},
                     {"kupiec_p", t.p_pof},
                     {"christoffersen_ind_lr", t.lr_ind},
                     {"christoffersen_ind_p", t.p_ind},
                     {"conditional_coverage_lr", t.lr_cc},
                     {"conditional_coverage_p", t.p_cc},
                     {"transitions", {{"n00", t.n00}, {"n01", t.n01}, {"n10", t.n10}, {"n11", t.n11}}},
                     {"traffic_light", t.zone},
                     {"binomial_cdf", t.cumulative_probability}});
  j["tests"] = tests;
  ordered_json days = ordered_json::array();
  for (const BacktestDay& d : r.days) {
    ordered_json var = ordered_json::object(), ex = ordered_json::object();
    for (std::size_t c = 0; c < d.var.size(); ++c) {
      var[confidence_key(r.settings.confidences[c])] = d.var[c];
      ex[confidence_key(r.settings.confidences[c])] = static_cast<bool>(d.exceeded[c]);
    }
    days.push_back({{"date", d.date},
                    {"value_before", d.value_before},
                    {"realised_loss", d.realised_loss},
                    {"var", var},
                    {"exceeded", ex},
                    {"dof", d.dof > 0 ? ordered_json(d.dof) : ordered_json(nullptr)}});
  }
  j["days"] = days;
  j["repaired_correlations"] = r.repaired_correlations;
  j["notes"] = r.notes;
  j["elapsed_seconds"] = r.seconds;
  return j;
}

std::string backtest_csv(const BacktestResult& r) {
  std::ostringstream o;
  o << "date,value_before,realised_loss";
  for (double c : r.settings.confidences) o << ",var_" << confidence_key(c);
  for (double c : r.settings.confidences) o << ",exceeded_" << confidence_key(c);
  o << "\n";
  char buf[64];
  for (const BacktestDay& d : r.days) {
    o << d.date;
    std::snprintf(buf, sizeof buf, ",%.6f,%.6f", d.value_before, d.realised_loss);
    o << buf;
    for (double v : d.var) {
      std::snprintf(buf, sizeof buf, ",%.6f", v);
      o << buf;
    }
    for (bool e : d.exceeded) o << "," << (e ? 1 : 0);
    o << "\n";
  }
  return o.str();
}

std::string backtest_markdown(const BacktestResult& r) {
  std::ostringstream md;
  md << "# chipshock VaR backtest: " << escape_markdown(r.portfolio_name) << "\n\n";
  md << "| | |\n|---|---|\n";
  md << "| Period | " << (r.days.empty() ? r.settings.from : r.days.front().date) << " to "
     << (r.days.empty() ? r.settings.to : r.days.back().date) << " (" << r.days.size()
     << " trading days) |\n";
  md << "| Forecast | 1-day VaR, Monte Carlo, " << r.settings.paths << " paths a day, seed "
     << r.settings.seed << " |\n";
  md << "| Calibration | trailing " << r.settings.window << " daily returns to the previous close; "
     << (r.settings.ewma ? "EWMA (0.94)" : "sample") << " vols, sample correlation, "
     << (r.settings.student_t ? "Student-t (dof fitted daily)" : "Gaussian") << " |\n";
  md << "| Book | held fixed (same quantities; options keep their expiry_days) |\n";
  md << "| Prices | " << markdown_code(r.prices_dir) << " |\n\n";
  md << "| Confidence | Days | Exceedances | Expected | Kupiec LR (p) | Independence LR (p) | "
        "Cond. coverage LR (p) | Basel zone |\n|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const CoverageTests& t : r.tests)
    md << "| " << pct(t.confidence) << " | " << t.days << " | " << t.exceedances << " | "
       << fixed(t.expected, 1) << " | " << fixed(t.lr_pof, 3) << " (" << fixed(t.p_pof, 3)
       << ") | " << fixed(t.lr_ind, 3) << " (" << fixed(t.p_ind, 3) << ") | "
       << fixed(t.lr_cc, 3) << " (" << fixed(t.p_cc, 3) << ") | " << t.zone << " |\n";
  md << "\nKupiec (1995) proportion of failures ~ chi2(1); Christoffersen (1998) independence "
        "~ chi2(1) and conditional coverage ~ chi2(2). Basel zone from the cumulative binomial "
        "probability of the exceedance count (green < 95%, yellow < 99.99%, red).\n";
  bool any = false;
  for (const BacktestDay& d : r.days)
    for (bool e : d.exceeded) any |= e;
  if (any) {
    md << "\n## Exceedances\n\n| Date | Realised loss |";
    for (double c : r.settings.confidences) md << " VaR " << pct(c) << " |";
    md << "\n|---|---:|";
    for (std::size_t c = 0; c < r.settings.confidences.size(); ++c) md << "---:|";
    md << "\n";
    for (const BacktestDay& d : r.days) {
      if (std::none_of(d.exceeded.begin(), d.exceeded.end(), [](bool e) { return e; })) continue;
      md << "| " << d.date << " | " << format_money(d.realised_loss) << " |";
      for (std::size_t c = 0; c < d.var.size(); ++c)
        md << " " << format_money(d.var[c]) << (d.exceeded[c] ? " **exceeded**" : "") << " |";
      md << "\n";
    }
  }
  for (const std::string& n : r.notes) md << "\n- " << n;
  md << "\n";
  return md.str();
}

std::string backtest_svg(const BacktestResult& r) {
  const double width = 720, height = 320, left = 70, right = 40, top = 30, bottom = 46;
  const double pw = width - left - right, ph = height - top - bottom;
  double lo = 0, hi = 0;
  for (const BacktestDay& d : r.days) {
    lo = std::min(lo, -d.realised_loss);
    hi = std::max(hi, -d.realised_loss);
    for (double v : d.var) lo = std::min(lo, -v);
  }
  if (!(hi > lo)) hi = lo + 1;
  const double step = nice_step(hi - lo, 6);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  const std::size_t n = std::max<std::size_t>(r.days.size(), 2);
  auto xs = [&](std::size_t i) { return left + pw * static_cast<double>(i) / static_cast<double>(n - 1); };
  auto ys = [&](double v) { return top + ph * (hi - v) / (hi - lo); };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << width << " " << height
    << "\" width=\"" << width << "\" height=\"" << height
    << "\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"VaR "
       "exceedance chart\">\n";
  s << "<text x=\"" << left << "\" y=\"16\" font-size=\"13\">Daily P&amp;L against minus the "
       "1-day VaR forecast ("
    << escape_html(r.currency) << ")</text>\n";
  // Y axis with ticks and grid.
  for (double v = lo; v <= hi + step / 2; v += step) {
    const double y = ys(v);
    s << "<line x1=\"" << left << "\" x2=\"" << left + pw << "\" y1=\"" << fixed(y, 1)
      << "\" y2=\"" << fixed(y, 1) << "\" stroke=\"#e0e0e0\"/>\n";
    s << "<text x=\"" << left - 6 << "\" y=\"" << fixed(y + 4, 1) << "\" text-anchor=\"end\">"
      << escape_html(money_short(v)) << "</text>\n";
  }
  s << "<line x1=\"" << left << "\" x2=\"" << left << "\" y1=\"" << top << "\" y2=\"" << top + ph
    << "\" stroke=\"#333\"/>\n";
  s << "<line x1=\"" << left << "\" x2=\"" << left + pw << "\" y1=\"" << fixed(ys(0), 1)
    << "\" y2=\"" << fixed(ys(0), 1) << "\" stroke=\"#333\"/>\n";
  // X axis: about six dated ticks.
  const std::size_t every = std::max<std::size_t>(1, r.days.size() / 6);
  for (std::size_t i = 0; i < r.days.size(); i += every) {
    s << "<line x1=\"" << fixed(xs(i), 1) << "\" x2=\"" << fixed(xs(i), 1) << "\" y1=\"" << top + ph
      << "\" y2=\"" << top + ph + 4 << "\" stroke=\"#333\"/>\n";
    s << "<text x=\"" << fixed(xs(i), 1) << "\" y=\"" << top + ph + 16
      << "\" text-anchor=\"middle\">" << escape_html(r.days[i].date) << "</text>\n";
  }
  s << "<text x=\"" << left + pw / 2 << "\" y=\"" << height - 6
    << "\" text-anchor=\"middle\">trading day</text>\n";
  // Realised P&L as thin bars.
  for (std::size_t i = 0; i < r.days.size(); ++i) {
    const double y0 = ys(0), y1 = ys(-r.days[i].realised_loss);
    s << "<line x1=\"" << fixed(xs(i), 1) << "\" x2=\"" << fixed(xs(i), 1) << "\" y1=\""
      << fixed(y0, 1) << "\" y2=\"" << fixed(y1, 1) << "\" stroke=\"" << kLossColour << "\"/>\n";
  }
  // Minus VaR per confidence as lines.
  for (std::size_t c = 0; c < r.settings.confidences.size(); ++c) {
    s << "<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"" << kVarColours[c % 4]
      << "\" points=\"";
    for (std::size_t i = 0; i < r.days.size(); ++i)
      s << fixed(xs(i), 1) << "," << fixed(ys(-r.days[i].var[c]), 1) << " ";
    s << "\"/>\n";
  }
  // Exceedances of the highest level as markers.
  for (std::size_t i = 0; i < r.days.size(); ++i)
    for (std::size_t c = 0; c < r.days[i].exceeded.size(); ++c)
      if (r.days[i].exceeded[c]) {
        s << "<circle cx=\"" << fixed(xs(i), 1) << "\" cy=\"" << fixed(ys(-r.days[i].realised_loss), 1)
          << "\" r=\"3.5\" fill=\"" << kExceedColour << "\"><title>"
          << escape_html(r.days[i].date) << ": loss " << escape_html(format_money(r.days[i].realised_loss))
          << " &gt; VaR " << escape_html(pct(r.settings.confidences[c])) << "</title></circle>\n";
        break;
      }
  // Legend.
  double lx = left + 8;
  const double ly = top + 12;
  s << "<rect x=\"" << lx - 4 << "\" y=\"" << ly - 10 << "\" width=\"" << 150 + 110 * r.settings.confidences.size()
    << "\" height=\"16\" fill=\"white\" opacity=\"0.85\"/>\n";
  s << "<line x1=\"" << lx << "\" x2=\"" << lx + 14 << "\" y1=\"" << ly - 3 << "\" y2=\"" << ly - 3
    << "\" stroke=\"" << kLossColour << "\" stroke-width=\"3\"/><text x=\"" << lx + 18 << "\" y=\""
    << ly << "\">daily P&amp;L</text>\n";
  lx += 80;
  for (std::size_t c = 0; c < r.settings.confidences.size(); ++c) {
    s << "<line x1=\"" << lx << "\" x2=\"" << lx + 14 << "\" y1=\"" << ly - 3 << "\" y2=\""
      << ly - 3 << "\" stroke=\"" << kVarColours[c % 4] << "\" stroke-width=\"2\"/><text x=\""
      << lx + 18 << "\" y=\"" << ly << "\">-VaR " << escape_html(pct(r.settings.confidences[c]))
      << "</text>\n";
    lx += 110;
  }
  s << "<circle cx=\"" << lx + 6 << "\" cy=\"" << ly - 3 << "\" r=\"3.5\" fill=\"" << kExceedColour
    << "\"/><text x=\"" << lx + 14 << "\" y=\"" << ly << "\">exceedance</text>\n";
  s << "</svg>\n";
  return s.str();
}

std::string backtest_html(const BacktestResult& r, const std::string& version) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>chipshock "
       "VaR backtest: "
    << escape_html(r.portfolio_name)
    << "</title>\n<style>\nbody{font-family:sans-serif;max-width:760px;margin:1.5em auto;"
       "color:#222}\ntable{border-collapse:collapse;margin:1em 0;font-size:13px}\ntd,th{border:1px "
       "solid #ccc;padding:3px 8px;text-align:right}\nth{background:#f4f4f4}\n.green{color:#009E73}"
       ".yellow{color:#b58900}.red{color:#D55E00}\n@media print{@page{size:A4;margin:15mm}"
       "body{margin:0}}\n</style>\n</head>\n<body>\n";
  h << "<h1>VaR backtest: " << escape_html(r.portfolio_name) << "</h1>\n";
  h << "<p>" << r.days.size() << " trading days"
    << (r.days.empty() ? "" : ", " + r.days.front().date + " to " + r.days.back().date)
    << ". Each day: calibrate on the trailing " << r.settings.window << " daily returns, forecast "
    << "the 1-day VaR with " << r.settings.paths << " Monte Carlo paths, compare with the "
    << "realised loss of the fixed book.</p>\n";
  h << backtest_svg(r);
  h << "<table>\n<tr><th>Confidence</th><th>Days</th><th>Exceedances</th><th>Expected</th>"
       "<th>Kupiec p</th><th>Independence p</th><th>Cond. coverage p</th><th>Basel zone</th>"
       "</tr>\n";
  for (const CoverageTests& t : r.tests)
    h << "<tr><td>" << pct(t.confidence) << "</td><td>" << t.days << "</td><td>" << t.exceedances
      << "</td><td>" << fixed(t.expected, 1) << "</td><td>" << fixed(t.p_pof, 3) << "</td><td>"
      << fixed(t.p_ind, 3) << "</td><td>" << fixed(t.p_cc, 3) << "</td><td class=\"" << t.zone
      << "\">" << t.zone << "</td></tr>\n";
  h << "</table>\n";
  for (const std::string& n : r.notes) h << "<p>" << escape_html(n) << "</p>\n";
  h << "<p><small>chipshock " << escape_html(version) << "</small></p>\n</body>\n</html>\n";
  return h.str();
}

std::string backtest_summary(const BacktestResult& r) {
  std::ostringstream o;
  o << r.portfolio_name << ": VaR backtest, " << r.days.size() << " trading days";
  if (!r.days.empty()) o << " (" << r.days.front().date << " to " << r.days.back().date << ")";
  o << ", window " << r.settings.window << ", " << r.settings.paths << " paths/day\n\n";
  char line[200];
  std::snprintf(line, sizeof line, "%7s %6s %9s %9s %10s %10s %10s %7s\n", "conf", "days",
                "exceeded", "expected", "Kupiec p", "indep. p", "cond. p", "zone");
  o << line;
  for (const CoverageTests& t : r.tests) {
    std::snprintf(line, sizeof line, "%7s %6llu %9llu %9.1f %10.3f %10.3f %10.3f %7s\n",
                  pct(t.confidence).c_str(), static_cast<unsigned long long>(t.days),
                  static_cast<unsigned long long>(t.exceedances), t.expected, t.p_pof, t.p_ind,
                  t.p_cc, t.zone.c_str());
    o << line;
  }
  double worst = -1e300;
  std::string worst_date;
  for (const BacktestDay& d : r.days)
    if (d.realised_loss > worst) {
      worst = d.realised_loss;
      worst_date = d.date;
    }
  if (!r.days.empty())
    o << "\nworst day " << worst_date << ": loss " << r.currency << " " << format_money(worst)
      << "\n";
  std::snprintf(line, sizeof line, "%.2f s\n", r.seconds);
  o << line;
  for (const std::string& n : r.notes) o << "note: " << n << "\n";
  return o.str();
}

}  // namespace chipshock
