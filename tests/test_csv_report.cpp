// The CSV files: RFC 4180, parse back with the same column count on every row, and numbers
// equal to report.json's.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "host/report/csv_report.hpp"
#include "report_fixture.hpp"

using namespace chipshock;

namespace {

using Table = std::vector<std::vector<std::string>>;

// A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes.
Table parse_csv(const std::string& text) {
  Table rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      REQUIRE(field.empty());
      quoted = was_quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
      was_quoted = false;
    } else if (c == '\r') {
      REQUIRE(i + 1 < text.size());
      REQUIRE(text[i + 1] == '\n');
      row.push_back(field);
      rows.push_back(row);
      row.clear();
      field.clear();
      ++i;
    } else {
      REQUIRE(c != '\n');  // a bare LF outside quotes
      field += c;
    }
  }
  REQUIRE_FALSE(quoted);
  REQUIRE(row.empty());  // the last record ends with CRLF
  (void)was_quoted;
  return rows;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  REQUIRE(it != header.end());
  return static_cast<std::size_t>(it - header.begin());
}

double number(const std::string& s) {
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  REQUIRE(end == s.c_str() + s.size());
  return x;
}

}  // namespace

TEST_CASE("fields are quoted only when needed, quotes doubled", "[report][csv]") {
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_number(0.95) == "0.95");
  CHECK(csv_number(1234567.0) == "1234567");
  CHECK(csv_number(-INFINITY) == "-inf");
}

TEST_CASE("scenarios.csv: one row per scenario and level, numbers equal to report.json",
          "[report][csv]") {
  RunReport r = testing::small_report();
  r.scenarios.push_back(testing::replay_entry());
  const Table t = parse_csv(scenarios_csv(r));
  REQUIRE(t.size() == 1 + 2 * 3 + 1);
  const auto& h = t[0];
  CHECK(h == std::vector<std::string>{"scenario", "kind", "confidence", "var", "es", "var_lo",
                                      "var_hi", "var_change", "es_change", "mean_loss",
                                      "stdev_loss", "prob_loss", "worst_loss", "paths",
                                      "non_finite_paths", "currency", "es_lo", "es_hi",
                                      "sampling", "target_met"});
  for (const auto& row : t) CHECK(row.size() == h.size());
  const nlohmann::json j = nlohmann::json::parse(report_json(r).dump());
  for (std::size_t i = 1; i < 7; ++i) {
    const auto& row = t[i];
    const std::size_t s = (i - 1) / 3;
    const std::string key = confidence_key(number(row[column(h, "confidence")]));
    const auto& js = j["scenarios"][s];
    CAPTURE(i, key);
    CHECK(row[0] == js["name"].get<std::string>());  // the hostile name survives the round trip
    CHECK(number(row[column(h, "var")]) == js["var"][key].get<double>());
    CHECK(number(row[column(h, "es")]) == js["es"][key].get<double>());
    CHECK(number(row[column(h, "var_lo")]) == js["var_ci"][key][0].get<double>());
    CHECK(number(row[column(h, "var_hi")]) == js["var_ci"][key][1].get<double>());
    CHECK(number(row[column(h, "es_lo")]) == js["es_ci"][key][0].get<double>());
    CHECK(number(row[column(h, "es_hi")]) == js["es_ci"][key][1].get<double>());
    CHECK(row[column(h, "sampling")] == "plain");
    CHECK(row[column(h, "target_met")].empty());
    CHECK(number(row[column(h, "mean_loss")]) == js["mean_loss"].get<double>());
    CHECK(number(row[column(h, "paths")]) == js["paths"].get<double>());
    const double base_es = j["scenarios"][0]["es"][key];
    CHECK(number(row[column(h, "es_change")]) == js["es"][key].get<double>() - base_es);
  }
  // The replay: its loss, no risk columns.
  const auto& last = t.back();
  CHECK(last[1] == "replay");
  CHECK(last[column(h, "var")].empty());
  CHECK(number(last[column(h, "mean_loss")]) == 1234567.5);
}

TEST_CASE("loss_histogram.csv: counts add up to the paths, bins are contiguous",
          "[report][csv]") {
  RunReport r = testing::small_report();
  r.scenarios.push_back(testing::replay_entry());  // no histogram: no rows
  const Table t = parse_csv(loss_histogram_csv(r));
  REQUIRE(t[0] == std::vector<std::string>{"scenario", "bin_lo", "bin_hi", "count", "density"});
  for (const ScenarioResult& s : r.scenarios) {
    std::uint64_t total = 0;
    double prev_hi = -INFINITY, mass = 0;
    int rows = 0;
    for (std::size_t i = 1; i < t.size(); ++i) {
      if (t[i][0] != s.name) continue;
      REQUIRE(t[i].size() == 5);
      ++rows;
      const double lo = number(t[i][1]), hi = number(t[i][2]);
      CHECK(lo == prev_hi);
      CHECK(hi > lo);
      prev_hi = hi;
      total += static_cast<std::uint64_t>(number(t[i][3]));
      if (!t[i][4].empty()) mass += number(t[i][4]) * (hi - lo);
    }
    CAPTURE(s.name);
    if (!s.histogram.has_bins()) {
      CHECK(rows == 0);
      continue;
    }
    CHECK(rows == s.histogram.bins().count + 2);
    CHECK(prev_hi == INFINITY);
    CHECK(total == s.paths - s.non_finite);
    CHECK(mass <= 1.0 + 1e-9);
    CHECK(mass > 0.99);  // under/overflow hold well under 1% of the paths
  }
}

TEST_CASE("components.csv: the header alone until component ES exists, then one row each",
          "[report][csv]") {
  RunReport r = testing::small_report();
  Table t = parse_csv(components_csv(r));
  REQUIRE(t.size() == 1);
  CHECK(t[0] == std::vector<std::string>{"scenario", "confidence", "position", "es_contribution",
                                         "share_of_es", "ticker", "sector", "quantity",
                                         "var_contribution", "var_contribution_se",
                                         "marginal_es", "marginal_var"});
  const double es = r.scenarios[0].levels.back().es;
  r.scenarios[0].components = {{"NVDA, long", 0.99, 0.75 * es}, {"AMD", 0.99, 0.25 * es}};
  t = parse_csv(components_csv(r));
  REQUIRE(t.size() == 3);
  CHECK(t[1][2] == "NVDA, long");
  CHECK(number(t[1][4]) == Approx(0.75));
  CHECK(number(t[2][3]) == 0.25 * es);
}

namespace {

// Every number and boolean leaf of j with its RFC 6901 pointer.
void leaves(const nlohmann::json& j, const std::string& pointer,
            std::vector<std::pair<std::string, nlohmann::json>>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      std::string key;
      for (const char c : k) key += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
      leaves(v, pointer + "/" + key, out);
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) leaves(j[i], pointer + "/" + std::to_string(i), out);
  } else if (j.is_number() || j.is_boolean()) {
    out.emplace_back(pointer, j);
  }
}

}  // namespace

TEST_CASE("report_values.csv holds every number and boolean of report.json, in order, equal",
          "[report][csv][issue19]") {
  RunReport r = testing::small_report();
  r.scenarios.push_back(testing::replay_entry());
  const nlohmann::ordered_json oj = report_json(r);
  const nlohmann::json j = nlohmann::json::parse(oj.dump());
  std::vector<std::pair<std::string, nlohmann::json>> want;
  leaves(nlohmann::json::parse(oj.dump()), "", want);
  const Table t = parse_csv(report_values_csv(nlohmann::ordered_json::parse(oj.dump())));
  REQUIRE(t[0] == std::vector<std::string>{"pointer", "value"});
  REQUIRE(t.size() == want.size() + 1);
  std::size_t numbers = 0;
  for (std::size_t i = 1; i < t.size(); ++i) {
    CAPTURE(t[i][0]);
    const nlohmann::json& v = j.at(nlohmann::json::json_pointer(t[i][0]));
    if (v.is_boolean()) {
      CHECK(t[i][1] == (v.get<bool>() ? "true" : "false"));
    } else {
      CHECK(number(t[i][1]) == v.get<double>());
      ++numbers;
    }
  }
  CHECK(numbers > 20);
}

TEST_CASE("the tables read from report.json: what-if, path risk, convergence, fan, comparison",
          "[report][csv][issue19]") {
  using nlohmann::ordered_json;
  ordered_json j = ordered_json::parse(R"({
    "scenarios": [{"name": "baseline", "convergence": [
       {"paths": 1000, "var": {"0.99": 10.5}, "es": {"0.99": 12.0},
        "var_ci": {"0.99": [9.0, 11.0]}, "es_ci": {"0.99": [11.0, 13.0]}},
       {"paths": 2000, "var": {"0.99": 10.25}, "es": {"0.99": 12.5},
        "var_ci": {"0.99": [9.5, 11.0]}, "es_ci": {"0.99": [11.5, 13.5]}}]}],
    "what_if": {"scenarios": [{"scenario": "baseline, hedged", "paths": 1000, "levels": {
       "0.99": {"var": 8.0, "es": 9.5, "var_change": -2.5, "es_change": -2.5,
                "es_change_first_order": null}}}]},
    "path_risk": {"stop_loss": 500.0, "horizon_days": 2, "paths": 300, "seconds": 0.1,
       "scenarios": [{"name": "baseline", "max_drawdown": {"mean": 1.0, "p50": 0.5, "p95": 3.0,
         "p99": 4.0}, "prob_breach_any_day": 0.25, "prob_breach_at_horizon": 0.125,
         "first_breach_day": [{"day": 1, "probability": 0.2}, {"day": 2, "probability": 0.05}],
         "non_finite_paths": 0}]},
    "fan_chart": {"paths": 300, "days": [0, 1, 2], "percentiles": [0.05, 0.5],
       "series": [{"scenario": "baseline", "value": [[100.0, 100.0], [95.0, 101.0], [90.0, 102.0]]}]},
    "backend_comparison": [{"scenario": "baseline", "book": null, "gpu_seconds": 0.5,
       "cpu_seconds": 5.0, "speedup": 10.0, "max_rel_diff": 1e-06, "levels": {"0.99": {"gpu_var": 10.0,
       "cpu_var": 10.00001, "var_rel_diff": 1e-06, "gpu_es": 12.0, "cpu_es": 12.0,
       "es_rel_diff": 0.0}}},
      {"scenario": "baseline", "book": "desk A", "gpu_seconds": 0.5,
       "cpu_seconds": 5.0, "speedup": 10.0, "max_rel_diff": 0.0, "levels": {"0.99": {"gpu_var": 4.0,
       "cpu_var": 4.0, "var_rel_diff": 0.0, "gpu_es": 5.0, "cpu_es": 5.0,
       "es_rel_diff": 0.0}}}]})");
  const Table w = parse_csv(what_if_csv(j));
  REQUIRE(w.size() == 2);
  CHECK(w[1] == std::vector<std::string>{"baseline, hedged", "1000", "0.99", "8", "9.5", "-2.5",
                                         "-2.5", ""});
  const Table p = parse_csv(path_risk_csv(j));
  REQUIRE(p.size() == 1 + 7 + 2);
  CHECK(p[1] == std::vector<std::string>{"baseline", "max_drawdown_mean", "", "1", "500", "300",
                                         "2"});
  CHECK(p[9] == std::vector<std::string>{"baseline", "first_breach_probability", "2", "0.05", "500",
                                         "300", "2"});
  const Table c = parse_csv(convergence_csv(j));
  REQUIRE(c.size() == 3);
  CHECK(c[2] == std::vector<std::string>{"baseline", "2000", "0.99", "10.25", "9.5", "11", "12.5",
                                         "11.5", "13.5"});
  const Table f = parse_csv(fan_chart_csv(j));
  REQUIRE(f.size() == 1 + 3 * 2);
  CHECK(f[6] == std::vector<std::string>{"baseline", "2", "0.5", "102"});
  const Table b = parse_csv(backend_comparison_csv(j));
  REQUIRE(b.size() == 3);
  CHECK(b[1][0] == "baseline");
  CHECK(b[1][1] == "");
  CHECK(number(b[1][4]) == 10.00001);
  CHECK(b[1][11] == "10");
  CHECK(b[2][1] == "desk A");
  CHECK(number(b[2][3]) == 4.0);
  // a report without these parts: the header rows only
  const ordered_json none = ordered_json::parse(R"({"scenarios": [], "what_if": null,
      "path_risk": null, "fan_chart": null})");
  for (const std::string& text : {what_if_csv(none), path_risk_csv(none), convergence_csv(none),
                                  fan_chart_csv(none), backend_comparison_csv(none)})
    CHECK(parse_csv(text).size() == 1);
}
