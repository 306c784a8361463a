#include "host/scenario/scenario.hpp"

#include <cmath>
#include <regex>
#include <sstream>

#include "host/config/toml_reader.hpp"

namespace chipshock {

namespace {

constexpr std::size_t kMaxJumps = kMaxEvents;
constexpr std::size_t kMaxRegimes = 64;

std::string day_range_text() { return "between 1 and " + std::to_string(kMaxScenarioDay); }

// `day = 3` or `days = [2, 5]` (1-based trading days of the horizon, inclusive).
void read_days(TomlReader& r, int& first, int& last, bool window_allowed) {
  const bool has_day = r.has("day"), has_days = r.has("days");
  if (has_day && has_days) r.fail("days", "give either day or days, not both");
  if (has_day) {
    const long long d = r.integer("day");
    if (d < 1 || d > kMaxScenarioDay)
      r.fail("day", "trading day " + std::to_string(d) + " is out of range: must be " +
                        day_range_text() + " (day 1 is the first day of the horizon)");
    first = last = static_cast<int>(d);
    return;
  }
  if (!has_days)
    r.fail("day", "missing: give day = N or days = [FIRST, LAST] (1-based trading days)");
  const toml::array& a = r.array("days");
  if (a.size() != 2) r.fail("days", "expected [FIRST, LAST], two trading days");
  long long v[2];
  for (std::size_t k = 0; k < 2; ++k) {
    const auto x = a[k].value<long long>();
    if (!x) r.fail("days", "expected whole numbers [FIRST, LAST]");
    if (*x < 1 || *x > kMaxScenarioDay)
      r.fail("days", "trading day " + std::to_string(*x) + " is out of range: must be " +
                         day_range_text());
    v[k] = *x;
  }
  if (v[1] < v[0]) r.fail("days", "LAST must not be before FIRST");
  if (!window_allowed && v[0] != v[1]) r.fail("days", "a window is not allowed here");
  first = static_cast<int>(v[0]);
  last = static_cast<int>(v[1]);
}

// A table of name -> number, with each name and value checked.
std::map<std::string, double> read_number_table(TomlReader& r, const std::string& key,
                                                bool tickers, double lo, double hi,
                                                const std::string& range_text) {
  std::map<std::string, double> out;
  const toml::table& t = r.table(key);
  for (const auto& [k, v] : t) {
    const std::string name(k.str());
    const long line = node_line(v) > 0 ? node_line(v) : r.line_of(key);
    const std::string field = r.field(key) + "." + name;
    if (tickers ? !valid_ticker(name) : !valid_identifier(name))
      throw InputError(r.file(), line, field,
                       tickers ? "not a valid ticker (1-16 letters, digits, '.', '_' or '-')"
                               : "names are 1-32 letters, digits or '_'");
    const auto x = v.value<double>();
    if (!x || !std::isfinite(*x) || !v.is_number())
      throw InputError(r.file(), line, field, "expected a finite number");
    if (!(*x > lo && *x <= hi)) throw InputError(r.file(), line, field, range_text);
    out[name] = *x;
  }
  if (out.empty()) r.fail(key, "is empty");
  return out;
}

// `recovery = { fraction = F, days = D }`, optional: the part of a jump or move that reverts,
// linearly over the days after it.
void read_recovery(TomlReader& r, const std::string& name, const std::string& noun,
                   double& fraction, int& days) {
  const toml::table* rec = r.optional_table("recovery");
  if (rec == nullptr) return;
  TomlReader rr(*rec, r.file(), name + ".recovery.");
  fraction = rr.number("fraction");
  if (!(fraction > 0 && fraction <= 1))
    rr.fail("fraction", "must be in (0, 1]: the part of the " + noun + " that reverts");
  const long long d = rr.integer("days");
  if (d < 1 || d > 252) rr.fail("days", "must be between 1 and 252 trading days");
  days = static_cast<int>(d);
  rr.finish();
}

ScenarioJump read_jump(const std::string& file, std::size_t k, const toml::node& node) {
  const std::string name = "jumps[" + std::to_string(k) + "]";
  if (!node.is_table()) throw InputError(file, node_line(node), name, "expected a table ([[jumps]])");
  TomlReader r(*node.as_table(), file, name + ".");
  ScenarioJump j;
  j.line = r.line();
  read_days(r, j.day_first, j.day_last, true);
  if (const auto p = r.optional_number("probability")) {
    if (!(*p > 0 && *p <= 1)) r.fail("probability", "must be in (0, 1]");
    j.probability = *p;
  }
  if (r.has("returns"))
    j.returns = read_number_table(r, "returns", true, -1.0, 10.0,
                                  "a simple return must be in (-1, 10] (-0.17 is a 17% fall)");
  if (r.has("factors"))
    j.factors = read_number_table(r, "factors", false, -10.0, 10.0,
                                  "a factor shock must be in (-10, 10] (return per unit loading)");
  if (r.has("sectors"))
    j.sectors = read_number_table(r, "sectors", false, -1.0, 10.0,
                                  "a simple return must be in (-1, 10] (-0.17 is a 17% fall)");
  if (j.returns.empty() && j.factors.empty() && j.sectors.empty())
    r.fail("returns", "a jump needs returns, factors or sectors",
           "e.g. returns = { NVDA = -0.17 } or factors = { ai_capex = -0.15 }");
  if (const toml::table* size = r.optional_table("size")) {
    TomlReader sr(*size, file, name + ".size.");
    const std::string dist = sr.string("distribution");
    if (dist == "fixed") {
      j.size = JumpSize::kFixed;
    } else if (dist == "normal" || dist == "student_t") {
      j.size = dist == "normal" ? JumpSize::kNormal : JumpSize::kStudentT;
      j.size_sd = sr.number("sd");
      if (!(j.size_sd > 0 && j.size_sd <= 5))
        sr.fail("sd", "must be in (0, 5]: the standard deviation of the size multiplier");
      if (j.size == JumpSize::kStudentT) {
        j.size_dof = sr.number("dof");
        if (!(j.size_dof >= 2.001 && j.size_dof <= 1e6))
          sr.fail("dof", "must be in [2.001, 1e6] (finite variance)");
      }
    } else {
      sr.fail("distribution", "unknown size distribution '" + dist + "'",
              "use fixed, normal (with sd) or student_t (with sd and dof)");
    }
    sr.finish();
  }
  read_recovery(r, name, "jump", j.recovery_fraction, j.recovery_days);
  r.finish();
  return j;
}

void read_regime_correlation(TomlReader& parent, const toml::table& t, const std::string& prefix,
                             ScenarioRegime& g) {
  TomlReader r(t, parent.file(), prefix);
  g.correlation_line = r.line();
  const std::string toward = r.string("toward");
  g.correlation_weight = r.number("weight");
  if (!(g.correlation_weight >= 0 && g.correlation_weight < 1))
    r.fail("weight", "must be in [0, 1): the blend weight toward the stressed matrix");
  if (toward == "ones") {
    g.target = CorrelationTarget::kOnes;
  } else if (toward == "matrix") {
    g.target = CorrelationTarget::kMatrix;
    const toml::array& tickers = r.array("tickers");
    for (std::size_t k = 0; k < tickers.size(); ++k) {
      const auto s = tickers[k].value<std::string>();
      if (!s || !valid_ticker(*s)) r.fail("tickers", "expected ticker strings");
      for (const auto& seen : g.crisis_tickers)
        if (seen == *s) r.fail("tickers", "duplicate ticker '" + *s + "'");
      g.crisis_tickers.push_back(*s);
    }
    const std::size_t n = g.crisis_tickers.size();
    if (n < 2) r.fail("tickers", "a crisis matrix needs at least two tickers");
    const toml::array& rows = r.array("matrix");
    if (rows.size() != n)
      r.fail("matrix", "has " + std::to_string(rows.size()) + " rows for " + std::to_string(n) +
                           " tickers");
    g.crisis_matrix.assign(n * n, 0.0);
    for (std::size_t a = 0; a < n; ++a) {
      const toml::array* row = rows[a].as_array();
      const std::string rf = "matrix[" + std::to_string(a) + "]";
      if (row == nullptr || row->size() != n)
        r.fail(rf, "expected " + std::to_string(n) + " numbers");
      for (std::size_t b = 0; b < n; ++b) {
        const auto v = (*row)[b].value<double>();
        const std::string ef = rf + "[" + std::to_string(b) + "]";
        if (!v || !std::isfinite(*v)) r.fail(ef, "expected a finite number");
        if (a == b && *v != 1.0) r.fail(ef, "diagonal must be 1");
        if (std::fabs(*v) > 1.0) r.fail(ef, "correlation must lie in [-1, 1]");
        g.crisis_matrix[a * n + b] = *v;
      }
    }
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t b = 0; b < a; ++b)
        if (std::fabs(g.crisis_matrix[a * n + b] - g.crisis_matrix[b * n + a]) > 1e-12)
          r.fail("matrix[" + std::to_string(a) + "][" + std::to_string(b) + "]",
                 "matrix is not symmetric");
  } else {
    r.fail("toward", "unknown correlation target '" + toward + "'",
           "use toward = \"ones\" (all correlations toward 1) or toward = \"matrix\" with "
           "tickers and matrix");
  }
  r.finish();
}

ScenarioImpliedVol read_implied_vol(const std::string& file, std::size_t k,
                                    const toml::node& node) {
  const std::string name = "implied_vols[" + std::to_string(k) + "]";
  if (!node.is_table())
    throw InputError(file, node_line(node), name, "expected a table ([[implied_vols]])");
  TomlReader r(*node.as_table(), file, name + ".");
  ScenarioImpliedVol v;
  v.line = r.line();
  read_days(r, v.day, v.day, false);
  const std::string unit = r.string("unit");
  if (unit == "points") {
    v.unit = ImpliedVolUnit::kPoints;
  } else if (unit == "relative") {
    v.unit = ImpliedVolUnit::kRelative;
  } else {
    r.fail("unit", "unknown unit '" + unit + "'",
           "use points (10 = +0.10 of implied vol) or relative (0.25 = +25%)");
  }
  const bool points = v.unit == ImpliedVolUnit::kPoints;
  const double lo = points ? -100.0 : -1.0, hi = points ? 500.0 : 10.0;
  const std::string range = points ? "a move in vol points must be in (-100, 500] (10 = +0.10)"
                                   : "a relative move must be in (-1, 10] (0.25 = +25%)";
  if (r.has("tickers")) v.tickers = read_number_table(r, "tickers", true, lo, hi, range);
  if (r.has("factors"))
    v.factors = read_number_table(r, "factors", false, -10.0 * hi, 10.0 * hi,
                                  "a factor's move per unit of loading must be within ten times "
                                  "the unit's range");
  if (r.has("sectors")) v.sectors = read_number_table(r, "sectors", false, lo, hi, range);
  if (v.tickers.empty() && v.factors.empty() && v.sectors.empty())
    r.fail("tickers", "an implied-vol move needs tickers, factors or sectors",
           "e.g. unit = \"points\" and tickers = { NVDA = 12 }");
  read_recovery(r, name, "move", v.recovery_fraction, v.recovery_days);
  r.finish();
  return v;
}

ScenarioRegime read_regime(const std::string& file, std::size_t k, const toml::node& node) {
  const std::string name = "regimes[" + std::to_string(k) + "]";
  if (!node.is_table())
    throw InputError(file, node_line(node), name, "expected a table ([[regimes]])");
  TomlReader r(*node.as_table(), file, name + ".");
  ScenarioRegime g;
  g.line = r.line();
  read_days(r, g.day_first, g.day_last, true);
  bool any = false;
  if (const toml::node* vs = r.optional_node("vol_scale")) {
    any = true;
    if (vs->is_table()) {
      g.vol_scale_by = read_number_table(r, "vol_scale", true, 0.0, 20.0,
                                         "a vol scale must be in (0, 20]");
    } else {
      g.vol_scale = r.number("vol_scale");
      if (!(g.vol_scale > 0 && g.vol_scale <= 20)) r.fail("vol_scale", "must be in (0, 20]");
    }
  }
  if (const toml::node* d = r.optional_node("drift")) {
    any = true;
    if (d->is_table()) {
      g.drift_by = read_number_table(r, "drift", true, -10.0, 10.0,
                                     "an annualised drift must be in (-10, 10]");
    } else {
      g.has_drift = true;
      g.drift = r.number("drift");
      if (!(g.drift > -10 && g.drift <= 10)) r.fail("drift", "must be in (-10, 10] (annualised)");
    }
  }
  if (const toml::table* c = r.optional_table("correlation")) {
    any = true;
    read_regime_correlation(r, *c, name + ".correlation.", g);
  }
  if (const toml::node* iv = r.optional_node("implied_vols")) {
    if (!iv->is_boolean()) r.fail("implied_vols", "expected true or false");
    g.scales_implied_vols = iv->as_boolean()->get();
    if (g.scales_implied_vols && !r.has("vol_scale"))
      r.fail("implied_vols", "scales implied vols by the regime's vol_scale, which it lacks");
  }
  if (!any)
    r.fail("vol_scale", "a regime needs vol_scale, drift or correlation",
           "e.g. vol_scale = 1.5 or correlation = { toward = \"ones\", weight = 0.3 }");
  r.finish();
  return g;
}

Scenario scenario_from_toml(const toml::table& root, const std::string& path) {
  Scenario s;
  s.file = path;
  TomlReader r(root, path, "");
  s.name = r.string("name");
  static const std::regex name_re("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  if (!std::regex_match(s.name, name_re))
    r.fail("name", "must be 1-64 letters, digits, '_', '.' or '-' (it names the scenario in "
                   "reports)");
  if (s.name == "baseline") r.fail("name", "'baseline' is reserved for the unshocked model");
  s.description = r.string("description");
  if (s.description.empty() || s.description.size() > 2000)
    r.fail("description", "must be 1-2000 characters");
  s.source = r.optional_string("source").value_or("");
  if (s.source.size() > 4000) r.fail("source", "must be at most 4000 characters");
  if (r.has("calibration_date")) s.calibration_date = read_date(r, "calibration_date");
  if (r.has("jumps")) {
    const toml::array& jumps = r.array("jumps");
    if (jumps.size() > kMaxJumps)
      r.fail("jumps", "more than " + std::to_string(kMaxJumps) + " jumps in one scenario");
    for (std::size_t k = 0; k < jumps.size(); ++k) s.jumps.push_back(read_jump(path, k, jumps[k]));
  }
  if (r.has("regimes")) {
    const toml::array& regimes = r.array("regimes");
    if (regimes.size() > kMaxRegimes)
      r.fail("regimes", "more than " + std::to_string(kMaxRegimes) + " regimes in one scenario");
    for (std::size_t k = 0; k < regimes.size(); ++k)
      s.regimes.push_back(read_regime(path, k, regimes[k]));
  }
  if (r.has("implied_vols")) {
    const toml::array& moves = r.array("implied_vols");
    if (moves.size() > kMaxJumps)
      r.fail("implied_vols",
             "more than " + std::to_string(kMaxJumps) + " implied-vol moves in one scenario");
    for (std::size_t k = 0; k < moves.size(); ++k)
      s.implied_vols.push_back(read_implied_vol(path, k, moves[k]));
  }
  if (s.jumps.empty() && s.regimes.empty() && s.implied_vols.empty())
    r.fail("jumps",
           "a scenario needs at least one [[jumps]], [[regimes]] or [[implied_vols]] entry");
  for (std::size_t a = 0; a < s.regimes.size(); ++a)
    for (std::size_t b = 0; b < a; ++b)
      if (s.regimes[a].day_first <= s.regimes[b].day_last &&
          s.regimes[b].day_first <= s.regimes[a].day_last)
        throw InputError(path, s.regimes[a].line, "regimes[" + std::to_string(a) + "].days",
                         "overlaps regimes[" + std::to_string(b) + "] (days " +
                             std::to_string(s.regimes[b].day_first) + "-" +
                             std::to_string(s.regimes[b].day_last) + ")",
                         "merge overlapping regimes into one");
  r.finish();
  return s;
}

}  // namespace

Scenario load_scenario(const std::string& path) {
  return scenario_from_toml(parse_toml_file(path), path);
}

Scenario load_scenario_text(const std::string& text, const std::string& name) {
  return scenario_from_toml(parse_toml_text(text, name), name);
}

}  // namespace chipshock
