// The CSV files: RFC 4180, parse back with the same column count on every row, and numbers
// equal to report.json's.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
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
                                      "non_finite_paths", "currency"});
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
