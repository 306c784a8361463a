// Limits that protect, and nothing more (issue "nothing wrong, nothing lost", class 4): the guard
// against deeply dotted TOML keys counts the parts of a dotted key only, not decimal points or
// dots in strings and comments, so long correlation rows, wide tables and long descriptions load;
// deep dotted keys of every spelling are still refused with the file and line. A 1,000-asset
// market works end to end: calibrate, read back, run, report.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../cli_util.hpp"
#include "../test_util.hpp"
#include "host/config/market.hpp"
#include "host/input_error.hpp"
#include "host/scenario/scenario.hpp"

using namespace chipshock;
using namespace chipshock::testing;
using Catch::Matchers::Contains;

namespace {

std::string tickers_market(int n, bool correlation_row_per_line) {
  std::ostringstream s;
  s << "currency = \"USD\"\nrate = 0.01\n";
  for (int i = 0; i < n; ++i)
    s << "[assets.T" << i << "]\nspot = 10" << i % 7 << ".25\nvol = 0.3" << i % 5 << "\n";
  if (correlation_row_per_line) {
    s << "[correlation]\ntickers = [";
    for (int i = 0; i < n; ++i) s << (i ? ", " : "") << "\"T" << i << "\"";
    s << "]\nmatrix = [\n";
    for (int i = 0; i < n; ++i) {
      s << "  [";
      for (int j = 0; j < n; ++j) s << (j ? ", " : "") << (i == j ? "1.000" : "0.000");
      s << "],\n";
    }
    s << "]\n";
  }
  return s.str();
}

std::string repeat(const std::string& part, const std::string& sep, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? sep : "") + part;
  return out;
}

// Daily closes of n tickers on `days` dates, in tmp's folder `dir`: one common factor and an own
// shock each.
void write_prices(const TempDir& tmp, const std::string& dir, int n, int days) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> z;
  std::vector<double> close(static_cast<std::size_t>(n), 100.0);
  std::vector<std::ostringstream> files(static_cast<std::size_t>(n));
  for (auto& f : files) f << "date,close\n";
  for (int d = 0; d < days; ++d) {
    const int month = 1 + d / 28, day = 1 + d % 28;  // 28 days a month: always a valid date
    char date[16];
    std::snprintf(date, sizeof date, "2024-%02d-%02d", month, day);
    const double common = 0.01 * z(rng);
    for (int i = 0; i < n; ++i) {
      close[i] *= std::exp(common + 0.015 * z(rng));
      files[i].precision(10);
      files[i] << date << "," << close[i] << "\n";
    }
  }
  for (int i = 0; i < n; ++i) tmp.write(dir + "/T" + std::to_string(i) + ".csv", files[i].str());
}

}  // namespace

TEST_CASE("valid files with many dots on a line load", "[hostile][limits]") {
  SECTION("a 300-asset correlation row on one line") {
    const Market m = load_market_text(tickers_market(300, true), "wide.toml");
    CHECK(m.assets.size() == 300);
  }
  SECTION("a description of 2,000 dots, and a comment of as many") {
    const std::string text = "name = \"dots\"\ndescription = \"" + std::string(2000, '.') +
                             "\" # " + std::string(2000, '.') +
                             "\n[[jumps]]\nday = 1\nreturns = { T0 = -0.1 }\n";
    CHECK(load_scenario_text(text, "dots.toml").name == "dots");
  }
  SECTION("a 300-ticker returns table on one line") {
    std::string table;
    for (int i = 0; i < 300; ++i)
      table += (i ? ", " : "") + ("T" + std::to_string(i)) + " = -0.125";
    const std::string text =
        "name = \"wide\"\ndescription = \"d\"\n[[jumps]]\nday = 1\nreturns = { " + table + " }\n";
    CHECK(load_scenario_text(text, "wide.toml").jumps.at(0).returns.size() == 300);
  }
  SECTION("multi-line strings and escaped quotes with dots in them") {
    const std::string text = "name = \"s\"\ndescription = \"\"\"\n" + repeat("a.b", ".", 400) +
                             "\n\"\"\"\nsource = \"\\\"" + repeat("x", ".", 400) +
                             "\\\"\"\n[[jumps]]\nday = 1\nreturns = { T0 = 0.5 }\n";
    CHECK(load_scenario_text(text, "s.toml").name == "s");
  }
}

TEST_CASE("deeply dotted keys are refused however they are spelled", "[hostile][limits]") {
  const std::vector<std::string> keys = {
      repeat("a", ".", 300),              // bare
      repeat("\"a\"", ".", 300),          // quoted parts
      repeat("'a'", ".", 300),            // literal parts
      repeat("1", ".", 300),              // digit parts (not decimal points: many in one chain)
      repeat("a", " . ", 300),            // spaced
      "[" + repeat("t", ".", 300) + "]",  // a table header
  };
  for (const std::string& key : keys) {
    INFO(key.substr(0, 40));
    const std::string text =
        "currency = \"USD\"\nrate = 0.0\n" + key + (key[0] == '[' ? "\n" : " = 1\n");
    CHECK_THROWS_WITH(load_market_text(text, "deep.toml"),
                      Contains("deep.toml:3") && Contains("nested too deep"));
  }
  // 256 parts joined by dots (255 dots) is still a key the reader gets to see.
  const std::string text = "currency = \"USD\"\nrate = 0.0\n" + repeat("a", ".", 256) + " = 1\n";
  CHECK_THROWS_WITH(load_market_text(text, "ok.toml"), !Contains("nested too deep"));
}

TEST_CASE("a 1,000-asset market: calibrate, read back, run and report", "[hostile][limits]") {
  TempDir tmp;
  const std::string prices = tmp.file("prices");
  REQUIRE(std::system(("mkdir -p '" + prices + "'").c_str()) == 0);
  write_prices(tmp, "prices", 1000, 120);
  const CliResult cal = run_chipshock("calibrate --prices '" + prices +
                                      "' --window 100 --correlation ledoit-wolf "
                                      "--dof none --quiet --out '" +
                                      tmp.file("m.toml") + "'");
  INFO(cal.err);
  REQUIRE(cal.code == 0);
  const Market m = load_market(tmp.file("m.toml"));
  CHECK(m.assets.size() == 1000);
  std::ostringstream book;
  book << "name = \"all\"\n";
  for (int i = 0; i < 1000; i += 3)
    book << "[[positions]]\nticker = \"T" << i << "\"\nquantity = " << (i % 2 ? -3 : 5) << "\n";
  tmp.write("p.toml", book.str());
  const CliResult run =
      run_chipshock("run --market '" + tmp.file("m.toml") + "' --portfolio '" + tmp.file("p.toml") +
                    "' --paths 4000 --backend cpu " + "--quiet --out '" + tmp.file("out") + "'");
  INFO(run.err);
  CHECK(run.code == 0);
  CHECK(slurp_file(tmp.file("out/report.json")).find("\"assets\"") != std::string::npos);
  CHECK(slurp_file(tmp.file("out/report.md")).find("T999") != std::string::npos);
}
