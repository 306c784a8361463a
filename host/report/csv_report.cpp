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
                         "worst_loss", "paths", "non_finite_paths", "currency"});
  const ScenarioResult* base = r.scenarios.empty() ? nullptr : &r.scenarios.front();
  for (const ScenarioResult& s : r.scenarios) {
    const auto tail_fields = [&](std::initializer_list<std::string> risk) {
      std::string line;
      line += csv_field(s.name) + "," + csv_field(s.kind);
      for (const std::string& f : risk) line += "," + f;
      line += "," + csv_number(s.mean_loss) + "," + csv_number(s.stdev_loss) + "," +
              csv_number(s.prob_loss) + "," + csv_number(s.worst_loss) + "," + count(s.paths) +
              "," + count(s.non_finite) + "," + csv_field(r.currency) + kEol;
      return line;
    };
    if (s.levels.empty()) {
      out += tail_fields({"", "", "", "", "", "", ""});
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
                          csv_number(l.var_lo), csv_number(l.var_hi), dvar, des});
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

}  // namespace chipshock
