#include "host/report/run_report.hpp"

#include "host/report/path_risk_report.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace chipshock {

double RunReport::paths_per_second() const {
  std::uint64_t total = 0;
  for (const ScenarioResult& s : scenarios)
    if (s.kind == "monte_carlo") total += s.paths;
  return elapsed_seconds > 0 ? static_cast<double>(total) / elapsed_seconds : 0.0;
}

std::string confidence_key(double c) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, c);
  return std::string(buf, res.ptr);
}

std::string format_money(double x) {
  if (!std::isfinite(x)) return std::isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf");
  char buf[400];  // %.2f of the largest double is 312 characters
  std::snprintf(buf, sizeof buf, "%.2f", std::fabs(x));
  const std::string digits(buf);
  const std::size_t dot = digits.find('.');
  std::string grouped = x < 0 && digits != "0.00" ? "-" : "";
  for (std::size_t i = 0; i < dot; ++i) {
    if (i > 0 && (dot - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped + digits.substr(dot);
}

static std::string model_name(double dof) {
  if (dof <= 0) return "Gaussian";
  std::ostringstream s;
  s << "Student-t (dof " << dof << ")";
  return s.str();
}

// Fields added to v1 (readers of the v1 contract can ignore them).
static nlohmann::ordered_json histogram_json(const LossHistogram& h) {
  if (!h.has_bins()) return nullptr;
  return {{"bin_lo", h.bins().lo},     {"bin_width", h.bins().width}, {"bins", h.bins().count},
          {"counts", h.counts()},      {"underflow", h.underflow()},  {"overflow", h.overflow()}};
}

static nlohmann::ordered_json tail_curve_json(const std::vector<TailPoint>& tail) {
  if (tail.empty()) return nullptr;
  nlohmann::ordered_json loss = nlohmann::ordered_json::array(),
                         exceedance = nlohmann::ordered_json::array();
  for (const TailPoint& p : tail) {
    loss.push_back(p.loss);
    exceedance.push_back(p.exceedance);
  }
  return {{"loss", loss}, {"exceedance", exceedance}};
}

static nlohmann::ordered_json components_json(const std::vector<PositionContribution>& c) {
  if (c.empty()) return nullptr;
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const PositionContribution& p : c)
    out.push_back({{"position", p.position},
                   {"confidence", p.confidence},
                   {"es_contribution", p.es_contribution}});
  return out;
}

static nlohmann::ordered_json fan_json(const ValueFan& fan) {
  if (fan.empty()) return nullptr;
  nlohmann::ordered_json series = nlohmann::ordered_json::array();
  for (const ValueFanSeries& s : fan.series) series.push_back({{"scenario", s.scenario}, {"value", s.value}});
  return {{"paths", fan.paths},         {"days", fan.days},       {"percentiles", fan.percentiles},
          {"series", series},           {"seconds", fan.seconds}, {"notes", fan.notes}};
}

nlohmann::ordered_json report_json(const RunReport& r) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["schema"] = "chipshock.report.v1";
  j["chipshock_version"] = r.version;
  j["run"] = {{"paths", r.paths},
              {"seed", r.seed},
              {"horizon_days", r.horizon_days},
              {"steps_per_day", r.steps_per_day},
              {"backend", r.backend},
              {"threads", r.threads},
              {"elapsed_seconds", r.elapsed_seconds},
              {"paths_per_second", r.paths_per_second()}};
  if (!r.gpu_name.empty()) j["run"]["gpu"] = r.gpu_name;
  ordered_json conf = ordered_json::array();
  for (double c : r.confidences) conf.push_back(c);
  j["model"] = {{"innovations", r.dof > 0 ? "student_t" : "gaussian"},
                {"dof", r.dof > 0 ? ordered_json(r.dof) : ordered_json(nullptr)},
                {"assets", r.n_assets},
                {"trading_days_per_year", kTradingDaysPerYear},
                {"confidence_levels", conf},
                {"market_file", r.market_file},
                {"portfolio_file", r.portfolio_file},
                {"as_of", r.as_of.empty() ? ordered_json(nullptr) : ordered_json(r.as_of)}};
  j["model"]["antithetic"] = r.antithetic;
  j["portfolio"] = {{"name", r.portfolio_name},
                    {"currency", r.currency},
                    {"value", r.portfolio_value}};
  ordered_json scenarios = ordered_json::array();
  for (const ScenarioResult& s : r.scenarios) {
    ordered_json var = ordered_json::object(), es = ordered_json::object(),
                 ci = ordered_json::object();
    for (const LevelRisk& l : s.levels) {
      const std::string key = confidence_key(l.confidence);
      var[key] = l.var;
      es[key] = l.es;
      ci[key] = {l.var_lo, l.var_hi};
    }
    ordered_json definition = nullptr;
    if (!s.description.empty() || !s.file.empty())
      definition = {{"description", s.description},
                    {"source", s.source},
                    {"file", s.file},
                    {"calibration_date", s.calibration_date.empty()
                                             ? ordered_json(nullptr)
                                             : ordered_json(s.calibration_date)}};
    scenarios.push_back({{"name", s.name},
                         {"kind", s.kind},
                         {"definition", definition},
                         {"skipped_tickers", s.skipped_tickers},
                         {"notes", s.notes},
                         {"var", var},
                         {"es", es},
                         {"var_ci", ci},
                         {"mean_loss", s.mean_loss},
                         {"stdev_loss", s.stdev_loss},
                         {"prob_loss", s.prob_loss},
                         {"worst_loss", s.worst_loss},
                         {"paths", s.paths},
                         {"non_finite_paths", s.non_finite},
                         {"histogram", histogram_json(s.histogram)},
                         {"tail_curve", tail_curve_json(s.tail_curve)},
                         {"components", components_json(s.components)}});
  }
  j["scenarios"] = scenarios;
  j["fan_chart"] = fan_json(r.fan);
  j["path_risk"] = path_risk_json(r.path_risk);
  if (!r.comparisons.empty()) j["backend_comparison"] = comparison_json(r.comparisons);
  return j;
}

static std::string signed_money(double x) {
  return (x > 0 ? "+" : x < 0 ? "-" : "") + format_money(std::fabs(x));
}

static std::string percent(double c) {
  std::ostringstream s;
  s << c * 100 << "%";
  return s.str();
}

std::string report_markdown(const RunReport& r) {
  std::ostringstream md;
  md << "# chipshock risk report: " << r.portfolio_name << "\n\n";
  md << "| | |\n|---|---|\n";
  md << "| Portfolio value | " << r.currency << " " << format_money(r.portfolio_value) << " |\n";
  md << "| Model | " << model_name(r.dof) << " log-Euler GBM, " << r.n_assets
     << " correlated assets, 252 trading days a year |\n";
  md << "| Horizon | " << r.horizon_days << " trading day" << (r.horizon_days == 1 ? "" : "s")
     << ", " << r.steps_per_day << " step" << (r.steps_per_day == 1 ? "" : "s") << " a day |\n";
  if (!r.as_of.empty()) md << "| As of | " << r.as_of << " |\n";
  md << "| Paths | " << r.paths << " per scenario, seed " << r.seed << " |\n";
  md << "| Backend | " << r.backend << " (" << r.threads << " threads) |\n";
  if (!r.gpu_name.empty()) md << "| GPU | " << r.gpu_name << " |\n";
  md << "| Run time | " << r.elapsed_seconds << " s (" << std::llround(r.paths_per_second())
     << " paths/s) |\n";
  md << "| Inputs | `" << r.market_file << "`, `" << r.portfolio_file << "` |\n\n";
  md << "Losses are positive numbers in " << r.currency
     << ": value today minus value at the horizon. VaR is the empirical quantile; ES the mean "
        "loss beyond it; the VaR interval is a 95% distribution-free order-statistic interval.\n\n";
  md << "| Scenario | Confidence | VaR | ES | VaR 95% interval |\n|---|---:|---:|---:|---|\n";
  for (const ScenarioResult& s : r.scenarios)
    for (const LevelRisk& l : s.levels)
      md << "| " << s.name << " | " << percent(l.confidence) << " | " << format_money(l.var)
         << " | " << format_money(l.es) << " | " << format_money(l.var_lo) << " – "
         << format_money(l.var_hi) << " |\n";
  if (r.scenarios.size() > 1) {
    const ScenarioResult& base = r.scenarios.front();
    md << "\nChange against the baseline (same seed, so the paths share their random numbers):\n\n"
          "| Scenario | Confidence | VaR change | ES change |\n|---|---:|---:|---:|\n";
    for (std::size_t k = 1; k < r.scenarios.size(); ++k)
      for (std::size_t l = 0; l < r.scenarios[k].levels.size() && l < base.levels.size(); ++l) {
        const LevelRisk& a = r.scenarios[k].levels[l];
        const LevelRisk& b = base.levels[l];
        md << "| " << r.scenarios[k].name << " | " << percent(a.confidence) << " | "
           << signed_money(a.var - b.var) << " | " << signed_money(a.es - b.es) << " |\n";
      }
  }
  md << "\n| Scenario | Mean loss | Stdev | P(loss > 0) | Worst loss | Non-finite paths |\n"
        "|---|---:|---:|---:|---:|---:|\n";
  for (const ScenarioResult& s : r.scenarios)
    md << "| " << s.name << " | " << format_money(s.mean_loss) << " | "
       << format_money(s.stdev_loss) << " | " << percent(s.prob_loss) << " | "
       << format_money(s.worst_loss) << " | " << s.non_finite << " |\n";
  bool any_definition = false;
  for (const ScenarioResult& s : r.scenarios) any_definition |= !s.description.empty();
  if (any_definition) {
    md << "\n## Scenario definitions\n";
    for (const ScenarioResult& s : r.scenarios) {
      if (s.description.empty()) continue;
      md << "\n### " << s.name << "\n\n" << s.description << "\n";
      if (!s.source.empty()) md << "\n**Source.** " << s.source << "\n";
      if (!s.calibration_date.empty()) md << "\n**Calibration date.** " << s.calibration_date << "\n";
      if (!s.file.empty()) md << "\n**File.** `" << s.file << "`\n";
      if (!s.skipped_tickers.empty()) {
        md << "\n**Skipped tickers** (named by the scenario, not in the market):";
        for (const auto& t : s.skipped_tickers) md << " " << t;
        md << "\n";
      }
      for (const auto& n : s.notes) md << "\n- " << n;
      if (!s.notes.empty()) md << "\n";
    }
  }
  md << path_risk_markdown(r.path_risk, r.currency);
  md << comparison_markdown(r.comparisons);
  md << "\n_chipshock " << r.version << "_\n";
  return md.str();
}

std::string report_summary(const RunReport& r) {
  std::ostringstream out;
  char line[256];
  out << r.portfolio_name << ": " << r.currency << " " << format_money(r.portfolio_value)
      << "\n";
  out << r.paths << " paths, " << r.horizon_days << "-day horizon, " << r.steps_per_day
      << " step(s)/day, seed " << r.seed << ", " << model_name(r.dof) << ", " << r.backend
      << " (" << r.threads << " threads)" << (r.gpu_name.empty() ? "" : ", GPU " + r.gpu_name)
      << "\n\n";
  int w = 8;
  for (const ScenarioResult& s : r.scenarios) w = std::max(w, static_cast<int>(s.name.size()));
  w = std::min(w, 48);
  std::snprintf(line, sizeof line, "%-*s %7s %18s %18s %18s %37s\n", w, "scenario", "conf", "VaR",
                "ES", "ES vs baseline", "VaR 95% interval");
  out << line;
  for (const ScenarioResult& s : r.scenarios)
    for (std::size_t k = 0; k < s.levels.size(); ++k) {
      const LevelRisk& l = s.levels[k];
      const std::string ci = format_money(l.var_lo) + " – " + format_money(l.var_hi);
      std::string delta;
      if (&s != &r.scenarios.front() && k < r.scenarios.front().levels.size())
        delta = signed_money(l.es - r.scenarios.front().levels[k].es);
      std::snprintf(line, sizeof line, "%-*s %7s %18s %18s %18s %39s\n", w,
                    s.name.substr(0, 48).c_str(), percent(l.confidence).c_str(),
                    format_money(l.var).c_str(), format_money(l.es).c_str(), delta.c_str(),
                    ci.c_str());
      out << line;
    }
  std::snprintf(line, sizeof line, "\n%.3f s, %.0f paths/s\n", r.elapsed_seconds,
                r.paths_per_second());
  out << line;
  out << comparison_summary(r.comparisons);
  for (const ScenarioResult& s : r.scenarios)
    for (const auto& t : s.skipped_tickers)
      out << "note: " << s.name << ": " << t << " is not in the market; skipped\n";
  for (const ScenarioResult& s : r.scenarios)
    for (const auto& n : s.notes) out << "note: " << s.name << ": " << n << "\n";
  out << path_risk_summary(r.path_risk);
  for (const ScenarioResult& s : r.scenarios)
    if (s.non_finite > 0)
      out << "warning: " << s.name << ": " << s.non_finite
          << " paths had a NaN or infinite loss and were left out of every statistic\n";
  return out.str();
}

void write_file_atomically(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path tmp = target.parent_path() /
                       ("." + target.filename().string() + ".tmp." + std::to_string(getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    out << content;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error("error writing " + tmp.string() + " (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    const std::string why = ec.message();
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot rename onto " + path + ": " + why);
  }
}

}  // namespace chipshock
