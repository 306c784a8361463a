#include "host/report/csv_report.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

namespace chipshock {

namespace {

constexpr const char* kEol = "\r\n";

// Joins fields that are already CSV-encoded.
std::string row(std::initializer_list<std::string> fields) {
  std::string out;
  bool first = true;
  for (const std::string& f : fields) {
    if (!first) out += ',';
    out += f;
    first = false;
  }
  return out + kEol;
}

std::string count(std::uint64_t n) { return std::to_string(n); }

}  // namespace

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, res.ptr);
}

std::string scenarios_csv(const RunReport& r) {
  std::string out = row({"scenario", "kind", "confidence", "var", "es", "var_lo", "var_hi",
                         "var_change", "es_change", "mean_loss", "stdev_loss", "prob_loss",
                         "worst_loss", "paths", "non_finite_paths", "currency", "es_lo", "es_hi",
                         "sampling", "target_met"});
  const ScenarioResult* base = r.scenarios.empty() ? nullptr : &r.scenarios.front();
  for (const ScenarioResult& s : r.scenarios) {
    const std::string sampling = s.importance.on ? "importance" : "plain";
    const std::string target =
        s.kind == "monte_carlo" && r.target_rel_error > 0 ? (s.target_met ? "true" : "false") : "";
    const auto tail_fields = [&](std::initializer_list<std::string> risk,
                                 const std::string& es_lo, const std::string& es_hi) {
      std::string line;
      line += csv_field(s.name) + "," + csv_field(s.kind);
      for (const std::string& f : risk) line += "," + f;
      line += "," + csv_number(s.mean_loss) + "," + csv_number(s.stdev_loss) + "," +
              csv_number(s.prob_loss) + "," + csv_number(s.worst_loss) + "," + count(s.paths) +
              "," + count(s.non_finite) + "," + csv_field(r.currency) + "," + es_lo + "," +
              es_hi + "," + sampling + "," + target + kEol;
      return line;
    };
    if (s.levels.empty()) {
      out += tail_fields({"", "", "", "", "", "", ""}, "", "");
      continue;
    }
    for (std::size_t k = 0; k < s.levels.size(); ++k) {
      const LevelRisk& l = s.levels[k];
      std::string dvar, des;
      if (base && k < base->levels.size() && base->levels[k].confidence == l.confidence) {
        dvar = csv_number(l.var - base->levels[k].var);
        des = csv_number(l.es - base->levels[k].es);
      }
      out += tail_fields({csv_number(l.confidence), csv_number(l.var), csv_number(l.es),
                          csv_number(l.var_lo), csv_number(l.var_hi), dvar, des},
                         csv_number(l.es_lo), csv_number(l.es_hi));
    }
  }
  return out;
}

std::string loss_histogram_csv(const RunReport& r) {
  std::string out = row({"scenario", "bin_lo", "bin_hi", "count", "density"});
  for (const ScenarioResult& s : r.scenarios) {
    const LossHistogram& h = s.histogram;
    if (!h.has_bins()) continue;
    const std::string name = csv_field(s.name);
    out += row({name, "-inf", csv_number(h.bins().lo), count(h.underflow()), ""});
    for (int k = 0; k < h.bins().count; ++k)
      out += row({name, csv_number(h.bin_lo(k)), csv_number(h.bin_hi(k)),
                  count(h.counts()[static_cast<std::size_t>(k)]), csv_number(h.density(k))});
    out += row({name, csv_number(h.bins().hi()), "inf", count(h.overflow()), ""});
  }
  return out;
}

std::string components_csv(const RunReport& r) {
  std::string out = row({"scenario", "confidence", "position", "es_contribution", "share_of_es",
                          "ticker", "sector", "quantity", "var_contribution",
                          "var_contribution_se", "marginal_es", "marginal_var"});
  for (const ScenarioResult& s : r.scenarios)
    for (const PositionContribution& p : s.components) {
      std::string share;
      for (const LevelRisk& l : s.levels)
        if (l.confidence == p.confidence && l.es != 0) share = csv_number(p.es_contribution / l.es);
      out += row({csv_field(s.name), csv_number(p.confidence), csv_field(p.position),
                  csv_number(p.es_contribution), share, csv_field(p.ticker), csv_field(p.sector),
                  csv_number(p.quantity), csv_number(p.var_contribution),
                  csv_number(p.var_contribution_se), csv_number(p.marginal_es()),
                  csv_number(p.marginal_var())});
    }
  return out;
}

namespace {

using nlohmann::ordered_json;

// A JSON number or boolean as report.json writes it; "" for null or a missing key.
std::string json_value(const ordered_json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number()) return csv_number(v.get<double>());
  if (v.is_string()) return csv_field(v.get<std::string>());
  return "";
}

std::string json_at(const ordered_json& o, const char* key) {
  return o.is_object() && o.contains(key) ? json_value(o.at(key)) : "";
}

void collect_values(const ordered_json& v, const std::string& pointer, std::string& out) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.items()) {
      std::string k;
      for (const char c : key) k += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
      collect_values(child, pointer + "/" + k, out);
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i)
      collect_values(v[i], pointer + "/" + std::to_string(i), out);
  } else if (v.is_number() || v.is_boolean()) {
    out += row({csv_field(pointer), json_value(v)});
  }
}

// The entries of report[key] when it is an array of objects (else none).
const ordered_json& list_at(const ordered_json& o, const char* key) {
  static const ordered_json none = ordered_json::array();
  return o.is_object() && o.contains(key) && o.at(key).is_array() ? o.at(key) : none;
}

}  // namespace

std::string report_values_csv(const ordered_json& report) {
  std::string out = row({"pointer", "value"});
  collect_values(report, "", out);
  return out;
}

std::string what_if_csv(const ordered_json& report) {
  std::string out = row({"scenario", "paths", "confidence", "var", "es", "var_change",
                         "es_change", "es_change_first_order"});
  if (!report.contains("what_if") || !report["what_if"].is_object()) return out;
  for (const ordered_json& s : list_at(report["what_if"], "scenarios"))
    for (const auto& [level, l] : s.at("levels").items())
      out += row({json_at(s, "scenario"), json_at(s, "paths"), level, json_at(l, "var"),
                  json_at(l, "es"), json_at(l, "var_change"), json_at(l, "es_change"),
                  json_at(l, "es_change_first_order")});
  return out;
}

std::string path_risk_csv(const ordered_json& report) {
  std::string out =
      row({"scenario", "measure", "day", "value", "stop_loss", "paths", "horizon_days"});
  if (!report.contains("path_risk") || !report["path_risk"].is_object()) return out;
  const ordered_json& p = report["path_risk"];
  const std::string stop = json_at(p, "stop_loss"), paths = json_at(p, "paths"),
                    horizon = json_at(p, "horizon_days");
  for (const ordered_json& s : list_at(p, "scenarios")) {
    const std::string name = json_at(s, "name");
    const auto add = [&](const std::string& measure, const std::string& day,
                         const std::string& value) {
      out += row({name, measure, day, value, stop, paths, horizon});
    };
    for (const char* q : {"mean", "p50", "p95", "p99"})
      add(std::string("max_drawdown_") + q, "", json_at(s.at("max_drawdown"), q));
    add("prob_breach_any_day", "", json_at(s, "prob_breach_any_day"));
    add("prob_breach_at_horizon", "", json_at(s, "prob_breach_at_horizon"));
    add("non_finite_paths", "", json_at(s, "non_finite_paths"));
    for (const ordered_json& d : list_at(s, "first_breach_day"))
      add("first_breach_probability", json_at(d, "day"), json_at(d, "probability"));
  }
  return out;
}

std::string convergence_csv(const ordered_json& report) {
  std::string out = row({"scenario", "paths", "confidence", "var", "var_lo", "var_hi", "es",
                         "es_lo", "es_hi"});
  for (const ordered_json& s : list_at(report, "scenarios"))
    for (const ordered_json& p : list_at(s, "convergence"))
      for (const auto& [level, var] : p.at("var").items()) {
        const ordered_json& vci = p.at("var_ci").at(level);
        const ordered_json& eci = p.at("es_ci").at(level);
        out += row({json_at(s, "name"), json_at(p, "paths"), level, json_value(var),
                    json_value(vci.at(0)), json_value(vci.at(1)), json_value(p.at("es").at(level)),
                    json_value(eci.at(0)), json_value(eci.at(1))});
      }
  return out;
}

std::string fan_chart_csv(const ordered_json& report) {
  std::string out = row({"scenario", "day", "percentile", "value"});
  if (!report.contains("fan_chart") || !report["fan_chart"].is_object()) return out;
  const ordered_json& f = report["fan_chart"];
  const ordered_json& days = f.at("days");
  const ordered_json& pct = f.at("percentiles");
  for (const ordered_json& s : list_at(f, "series")) {
    const ordered_json& value = s.at("value");
    for (std::size_t d = 0; d < value.size() && d < days.size(); ++d)
      for (std::size_t q = 0; q < value[d].size() && q < pct.size(); ++q)
        out += row({json_at(s, "scenario"), json_value(days[d]), json_value(pct[q]),
                    json_value(value[d][q])});
  }
  return out;
}

std::string backend_comparison_csv(const ordered_json& report) {
  std::string out =
      row({"scenario", "book", "confidence", "gpu_var", "cpu_var", "var_rel_diff", "gpu_es",
           "cpu_es", "es_rel_diff", "gpu_seconds", "cpu_seconds", "speedup", "max_rel_diff"});
  for (const ordered_json& c : list_at(report, "backend_comparison"))
    for (const auto& [level, l] : c.at("levels").items())
      out += row({json_at(c, "scenario"), json_at(c, "book"), level, json_at(l, "gpu_var"),
                  json_at(l, "cpu_var"), json_at(l, "var_rel_diff"), json_at(l, "gpu_es"),
                  json_at(l, "cpu_es"), json_at(l, "es_rel_diff"), json_at(c, "gpu_seconds"),
                  json_at(c, "cpu_seconds"), json_at(c, "speedup"), json_at(c, "max_rel_diff")});
  return out;
}

std::string greeks_csv(const ordered_json& report) {
  std::string out =
      row({"position", "ticker", "quantity", "value", "delta", "gamma", "vega", "theta"});
  if (!report.contains("greeks") || !report["greeks"].is_object()) return out;
  const ordered_json& g = report["greeks"];
  const auto add = [&](const ordered_json& p) {
    out += row({json_at(p, "position"), json_at(p, "ticker"), json_at(p, "quantity"),
                json_at(p, "value"), json_at(p, "delta"), json_at(p, "gamma"), json_at(p, "vega"),
                json_at(p, "theta")});
  };
  for (const ordered_json& p : list_at(g, "positions")) add(p);
  if (g.contains("total")) add(g.at("total"));
  return out;
}

std::string parametric_csv(const ordered_json& report) {
  std::string out = row({"scenario", "confidence", "parametric_var", "parametric_es",
                         "monte_carlo_var", "monte_carlo_es", "mean_loss", "stdev_loss"});
  if (!report.contains("parametric") || !report["parametric"].is_object()) return out;
  const ordered_json& p = report["parametric"];
  const std::string name = json_at(p, "scenario");
  const ordered_json* mc = nullptr;  // the Monte Carlo entry of the same name
  for (const ordered_json& s : list_at(report, "scenarios"))
    if (s.is_object() && s.contains("name") && s.at("name") == p.at("scenario")) mc = &s;
  const auto mc_at = [&](const char* measure, const std::string& level) {
    if (mc == nullptr || !mc->contains(measure) || !mc->at(measure).is_object()) return std::string();
    return json_at(mc->at(measure), level.c_str());
  };
  for (const auto& [level, var] : p.at("var").items())
    out += row({name, level, json_value(var), json_at(p.at("es"), level.c_str()),
                mc_at("var", level), mc_at("es", level), json_at(p, "mean_loss"),
                json_at(p, "stdev_loss")});
  return out;
}

std::string books_csv(const ordered_json& report) {
  std::string out = row({"scenario",
                         "book",
                         "parent",
                         "depth",
                         "confidence",
                         "var",
                         "es",
                         "var_lo",
                         "var_hi",
                         "es_lo",
                         "es_hi",
                         "children_var",
                         "children_es",
                         "diversification_es",
                         "es_contribution_to_parent",
                         "share_of_parent_es",
                         "mean_loss",
                         "stdev_loss",
                         "paths",
                         "positions",
                         "value",
                         "effective_tail_paths"});
  if (!report.contains("books") || !report["books"].is_object()) return out;
  const auto at_level = [](const ordered_json& s, const char* key, const std::string& level) {
    return s.contains(key) && s.at(key).is_object() ? json_at(s.at(key), level.c_str())
                                                      : std::string();
  };
  const auto bound = [](const ordered_json& s, const char* key, const std::string& level, int k) {
    if (!s.contains(key) || !s.at(key).is_object() || !s.at(key).contains(level)) return std::string();
    const ordered_json& pair = s.at(key).at(level);
    return pair.is_array() && pair.size() == 2 ? json_value(pair[static_cast<std::size_t>(k)])
                                               : std::string();
  };
  for (const ordered_json& n : list_at(report["books"], "nodes"))
    for (const ordered_json& s : list_at(n, "scenarios"))
      for (const auto& [level, var] : s.at("var").items())
        out += row({json_at(s, "scenario"),
                    json_at(n, "name"),
                    json_at(n, "parent"),
                    json_at(n, "depth"),
                    level,
                    json_value(var),
                    at_level(s, "es", level),
                    bound(s, "var_ci", level, 0),
                    bound(s, "var_ci", level, 1),
                    bound(s, "es_ci", level, 0),
                    bound(s, "es_ci", level, 1),
                    at_level(s, "children_var", level),
                    at_level(s, "children_es", level),
                    at_level(s, "diversification_es", level),
                    at_level(s, "es_contribution_to_parent", level),
                    at_level(s, "share_of_parent_es", level),
                    json_at(s, "mean_loss"),
                    json_at(s, "stdev_loss"),
                    json_at(s, "paths"),
                    json_at(n, "positions"),
                    json_at(n, "value"),
                    json_at(s, "effective_tail_paths")});
  return out;
}

}  // namespace chipshock
