// End to end: `chipshock calibrate` on the sample price history. The written market loads, is
// reproducible byte for byte, matches the sample market that scripts/estimate_sample_market.py
// estimated, and bad input exits 2 naming the option or the file.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "host/config/market.hpp"
#include "host/history/calendar.hpp"
#include "cli_util.hpp"
#include "test_util.hpp"

using namespace chipshock;
using Catch::Matchers::Contains;
using chipshock::testing::TempDir;

namespace {

using chipshock::testing::CliResult;
using chipshock::testing::run_chipshock;
using chipshock::testing::slurp_file;

const std::string kPrices = "calibrate --prices scenarios/data/prices ";
// Every sample ticker but ARM, whose history starts on 2023-09-14.
const std::string kNoArm =
    "--tickers AAPL,AMD,AMZN,ASML,AVGO,GOOGL,INTC,META,MRVL,MSFT,MU,NVDA,QCOM,QQQ,SMCI,SMH,SOXX,"
    "SPY,TSM ";
// The tickers and order of scripts/estimate_sample_market.py.
const std::string kSampleMarketTickers =
    "--tickers NVDA,AMD,TSM,AVGO,ASML,MU,INTC,QCOM,SMCI,ARM,MRVL,MSFT,GOOGL,META,AMZN,AAPL ";

}  // namespace

TEST_CASE("calibrate --help shows the options, an example and the exit codes", "[cli][calibrate]") {
  const CliResult r = run_chipshock("calibrate --help");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Contains("--prices") && Contains("--window") && Contains("--correlation") &&
                        Contains("--dof") && Contains("Example") && Contains("Ledoit-Wolf") &&
                        Contains("Exit codes"));
  CHECK_THAT(run_chipshock("--help").out, Contains("calibrate"));
}

TEST_CASE("calibrate as of the DeepSeek Friday writes a market that loads, reproducibly",
          "[cli][calibrate]") {
  TempDir dir;
  const std::string out = dir.file("m.toml");
  const std::string args = kPrices + kNoArm + "--as-of 2025-01-24 --window 500 --out '" + out + "'";
  const CliResult r = run_chipshock(args);
  CAPTURE(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Contains("NVDA") && Contains("500 daily returns 2023-01-27 .. 2025-01-24") &&
                        Contains("wrote"));
  const Market m = load_market(out);
  CHECK(m.size() == 19);
  CHECK(m.as_of == "2025-01-24");
  CHECK(m.currency == "USD");
  CHECK(m.rate == 0.04);
  CHECK(m.dof > 2.5);
  CHECK(m.dof < 8);
  const int nvda = m.index_of("NVDA");
  REQUIRE(nvda >= 0);
  CHECK(m.assets[static_cast<std::size_t>(nvda)].spot == Approx(142.407));  // see SOURCES.md
  for (const Asset& a : m.assets) {
    CAPTURE(a.ticker);
    CHECK(a.vol > 0.1);
    CHECK(a.vol < 1.5);
    CHECK(a.drift == 0.0);
  }
  const std::string text = slurp_file(out);
  CHECK_THAT(text, Contains("--as-of 2025-01-24 --window 500 --vol sample --correlation sample") &&
                       Contains("first return 2023-01-27"));

  // Same inputs, same bytes; an existing file is kept unless --force.
  const CliResult again = run_chipshock(args);
  CHECK(again.code == 2);
  CHECK_THAT(again.err, Contains("--out") && Contains("exists") && Contains("--force"));
  REQUIRE(run_chipshock(args + " --force").code == 0);
  CHECK(slurp_file(out) == text);
  // Only the market file: no temporary files left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    CAPTURE(e.path().string());
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("calibrate reproduces the sample market of scripts/estimate_sample_market.py",
          "[cli][calibrate]") {
  // The script: 16 tickers, 500 returns to 2026-07-31, vols to 4 decimals, correlations to 3,
  // spots to 2, dof on a 0.1 grid from returns divided by their stdev (not demeaned). This
  // command writes vols to 4 decimals, correlations to 4 and spots to 6 significant digits.
  const CliResult r = run_chipshock(kPrices + kSampleMarketTickers +
                           "--as-of 2026-07-31 --window 500 "
                           "--out - --quiet");
  CAPTURE(r.err);
  REQUIRE(r.code == 0);
  TempDir dir;
  const Market mine = load_market(dir.write("mine.toml", r.out));
  const Market ref = load_market(testing::source_path("scenarios/market/ai_chips.toml"));
  const Market ref_t = load_market(testing::source_path("scenarios/market/ai_chips_t.toml"));
  REQUIRE(mine.size() == ref.size());
  const std::size_t n = ref.size();
  for (std::size_t k = 0; k < n; ++k) {
    CAPTURE(ref.assets[k].ticker);
    CHECK(mine.assets[k].ticker == ref.assets[k].ticker);
    CHECK(std::fabs(mine.assets[k].vol - ref.assets[k].vol) <= 1e-4 + 1e-12);
    CHECK(std::fabs(mine.assets[k].spot - ref.assets[k].spot) <= 0.005 + 1e-9);
    // The same sectors, and the same OLS loadings on SPY and SMH - SPY (both to 3 decimals).
    CHECK(mine.assets[k].sector == ref.assets[k].sector);
    REQUIRE(mine.assets[k].exposures.size() == 2);
    for (const char* f : {"market", "ai_capex"}) {
      CAPTURE(f);
      CHECK(std::fabs(mine.assets[k].exposures.at(f) - ref.assets[k].exposures.at(f)) <=
            1e-3 + 1e-12);
    }
  }
  double worst = 0;
  for (std::size_t i = 0; i < n * n; ++i)
    worst = std::max(worst, std::fabs(mine.correlation[i] - ref.correlation[i]));
  CHECK(worst <= 5e-4 + 5e-5 + 1e-12);  // rounding to 3 and to 4 decimals
  CHECK(mine.dof == Approx(ref_t.dof).margin(0.1));
  // The default implied-vol surfaces: flat at the vol, with the proxy's dynamics (the script
  // writes none, so the sample market keeps options at their vols).
  CHECK(mine.implied_vol_correlation >= 0.0);
  CHECK(mine.implied_vol_correlation <= 1.0);
  int with_vol_of_vol = 0;
  for (const Asset& a : mine.assets) {
    CAPTURE(a.ticker, a.implied_vol.spot_beta, a.implied_vol.vol_of_vol);
    CHECK(a.implied_vol.given);
    CHECK(a.implied_vol.atm == a.vol);
    CHECK(a.implied_vol.skew == 0.0);
    CHECK(a.implied_vol.term_slope == 0.0);
    CHECK(std::fabs(a.implied_vol.spot_beta) < 10.0);
    with_vol_of_vol += a.implied_vol.vol_of_vol > 0;
  }
  CHECK(with_vol_of_vol >= 8);
  CHECK_THAT(r.out, Contains("realised vol as the proxy of implied"));
  // each ticker's own file: ARM's from its 2023 listing, the others' from 2020
  CHECK_THAT(r.out, Contains("own history up to 2026-07-31 (34 to 78 blocks)"));
  const CliResult none = run_chipshock(kPrices + kSampleMarketTickers +
                                       "--as-of 2026-07-31 --window 500 --implied-vol none "
                                       "--out - --quiet");
  REQUIRE(none.code == 0);
  CHECK_THAT(none.out, !Contains("implied_vol = {") && Contains("--implied-vol none"));
}

TEST_CASE(
    "calibrate with EWMA vols, Ledoit-Wolf, Higham and fixed or no dof writes markets "
    "that load",
    "[cli][calibrate]") {
  TempDir dir;
  const std::string base = kPrices + "--tickers NVDA,AMD,SMH --window 250 --quiet --out ";
  CliResult r = run_chipshock(base + "'" + dir.file("a.toml") +
                     "' --vol ewma --lambda 0.97 --correlation ledoit-wolf --dof none");
  CAPTURE(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.empty());
  Market m = load_market(dir.file("a.toml"));
  CHECK(m.as_of == "2026-07-31");
  CHECK(m.dof == 0.0);
  CHECK_THAT(slurp_file(dir.file("a.toml")), Contains("lambda = 0.97") && Contains("Ledoit & Wolf"));
  r = run_chipshock(base + "'" + dir.file("b.toml") + "' --correlation higham --dof 4.5 --rate 0.035");
  REQUIRE(r.code == 0);
  m = load_market(dir.file("b.toml"));
  CHECK(m.dof == 4.5);
  CHECK(m.rate == 0.035);
}

TEST_CASE("calibrate without --tickers leaves out files too short for the window, and says so",
          "[cli][calibrate]") {
  TempDir dir;
  // The issue's example: ARM's file starts at its 2023-09-14 IPO.
  const CliResult r = run_chipshock(kPrices + "--as-of 2025-01-24 --window 500 --out '" + dir.file("m.toml") +
                           "'");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Contains("left out ARM (342 closes from 2023-09-14)"));
  const std::string text = slurp_file(dir.file("m.toml"));
  CHECK_THAT(text, Contains("left out ARM"));
  CHECK(text.find("[assets.ARM]") == std::string::npos);
  CHECK_THAT(text, Contains("[assets.NVDA]") && Contains("as_of = 2025-01-24"));
}

TEST_CASE("calibrate: bad input exits 2 naming the option or the file",
          "[cli][calibrate][errors]") {
  TempDir dir;
  dir.write("X.csv", "date,close\n2025-01-02,10\n2025-01-03,-1\n");
  struct Case {
    std::string args, expect, hint;
  };
  const std::string out = " --out '" + dir.file("m.toml") + "'";
  const std::vector<Case> cases = {
      {kPrices + "--tickers NVDA,ARM,AMD --as-of 2025-01-24 --window 500" + out,
       "--window: 500 returns ending on "
       "2025-01-24 need 501 common closes",
       "ARM.csv starts on 2023-09-14"},
      {kPrices + kNoArm + "--as-of 2025-01-25" + out,
       "--as-of: 2025-01-25 is not a date with a "
       "close in every price file",
       "nearest common dates are 2025-01-24 and 2025-01-27"},
      {kPrices + "--as-of 2025-13-01" + out, "--as-of: '2025-13-01': expected a date", ""},
      {kPrices + "--as-of 2030-01-02" + out, "--as-of", "ends on 2026-07-31"},
      {kPrices + "--tickers NVDA,NVDAA" + out, "--tickers: unknown ticker 'NVDAA'", "NVDA, QCOM"},
      {kPrices + "--tickers NVDA,NVDA" + out, "listed twice", ""},
      {kPrices + "--tickers NVDA,,AMD" + out, "empty ticker", ""},
      {kPrices + "--window 10" + out, "--window: 10: must be between 30", ""},
      {kPrices + "--window abc" + out, "--window", ""},
      {kPrices + "--vol garch" + out, "--vol: 'garch'", ""},
      {kPrices + "--lambda 0.9" + out, "--lambda: only used with --vol ewma", ""},
      {kPrices + "--vol ewma --lambda 1.5" + out, "--lambda", ""},
      {kPrices + "--correlation spearman" + out, "--correlation: 'spearman'", ""},
      {kPrices + "--dof 1.5" + out, "--dof: 1.5", ""},
      {kPrices + "--dof lots" + out, "--dof: 'lots'", ""},
      {kPrices + "--currency dollars" + out, "--currency", ""},
      {kPrices, "--out: required", ""},
      {kPrices + "--out /nonexistent-folder/m.toml", "--out: folder /nonexistent-folder", ""},
      {kPrices + "--out /tmp", "--out: /tmp is a folder", ""},
      {"calibrate --out x.toml", "--prices: required", ""},
      {"calibrate --prices no/such/dir --out x.toml", "no/such/dir: no such folder", ""},
      {"calibrate --prices '" + dir.path().string() + "'" + out,
       "X.csv:3: close: must be "
       "positive",
       ""},
  };
  for (const Case& c : cases) {
    const CliResult r = run_chipshock(c.args);
    CAPTURE(c.args, r.err);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Contains(c.expect) && Contains(c.hint));
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("m.toml")));
}

TEST_CASE("a calibrated market carries sectors and factor loadings: every built-in scenario and "
          "reverse run on it", "[cli][calibrate][issue19]") {
  TempDir dir;
  // Prices in a folder of the user's own, without the factor proxies: they come from the
  // shipped history, and the file's header says so.
  std::filesystem::create_directories(dir.path() / "mine");
  for (const char* t : {"NVDA", "AMD", "MU", "MSFT"})
    dir.write(std::string("mine/") + t + ".csv",
              slurp_file(testing::source_path(std::string("scenarios/data/prices/") + t + ".csv")));
  const std::string market = dir.file("m.toml");
  const CliResult r = run_chipshock("calibrate --prices '" + dir.file("mine") +
                                    "' --window 400 --quiet --out '" + market + "'");
  CAPTURE(r.err);
  REQUIRE(r.code == 0);
  const Market m = load_market(market);
  for (const Asset& a : m.assets) {
    CAPTURE(a.ticker);
    CHECK(!a.sector.empty());
    CHECK(a.exposures.count("market") == 1);
    CHECK(a.exposures.count("ai_capex") == 1);
  }
  CHECK(m.assets[m.index_of("MSFT")].sector == "software");
  CHECK(m.assets[m.index_of("NVDA")].exposures.at("ai_capex") > 0.3);  // a semiconductor
  CHECK(m.assets[m.index_of("MSFT")].exposures.at("ai_capex") < 0.3);
  CHECK_THAT(slurp_file(market), Contains("exposures = factor loadings, OLS") &&
                                     Contains("scenarios/data/prices") &&
                                     Contains("sectors.csv"));
  const std::string book = dir.write("book.toml",
                                     "name = \"mine\"\n[[positions]]\nticker = \"NVDA\"\nquantity = 100\n"
                                     "[[positions]]\nticker = \"MSFT\"\nquantity = 50\n");
  for (const char* sc : {"ai_capex_cut", "cheaper_model_disruption",
                         "cheaper_model_disruption_no_rebound", "export_restrictions",
                         "rates_shock", "taiwan_supply_disruption"}) {
    CAPTURE(sc);
    const CliResult run = run_chipshock("run --market '" + market + "' --portfolio '" + book +
                                        "' --paths 5000 --horizon 5 --quiet --scenario " + sc);
    CAPTURE(run.err);
    CHECK(run.code == 0);
  }
  const CliResult rev = run_chipshock("reverse --market '" + market + "' --portfolio '" + book +
                                      "' --factor ai_capex --target-loss 5000 --paths 5000");
  CAPTURE(rev.err);
  CHECK(rev.code == 0);

  // --sectors overrides the shipped table; --factor-prices none writes no loadings (and says
  // why in the header), after which a factor scenario is refused by name.
  const std::string sectors = dir.write("sectors.csv", "# mine\nticker,sector\nMSFT,cloud\n");
  const CliResult own = run_chipshock("calibrate --prices '" + dir.file("mine") +
                                      "' --window 400 --quiet --factor-prices none --sectors '" +
                                      sectors + "' --out -");
  REQUIRE(own.code == 0);
  const Market plain = load_market(dir.write("plain.toml", own.out));
  CHECK(plain.assets[plain.index_of("MSFT")].sector == "cloud");
  CHECK(plain.assets[plain.index_of("NVDA")].sector == "semiconductors");
  CHECK(plain.assets[plain.index_of("NVDA")].exposures.empty());
  CHECK_THAT(own.out, Contains("exposures = none"));
  const CliResult refused = run_chipshock("run --market '" + dir.file("plain.toml") +
                                          "' --portfolio '" + book +
                                          "' --paths 5000 --scenario ai_capex_cut");
  CHECK(refused.code == 2);
  CHECK_THAT(refused.err, Contains("unknown factor"));

  // A bad sector table or a folder without the proxies: exit 2 naming the file or option.
  const std::string bad = dir.write("bad.csv", "ticker,sector\nMSFT,not a sector\n");
  const CliResult b = run_chipshock("calibrate --prices '" + dir.file("mine") + "' --window 400 "
                                    "--sectors '" + bad + "' --out -");
  CHECK(b.code == 2);
  CHECK_THAT(b.err, Contains(bad + ":2: sector"));
  const CliResult f = run_chipshock("calibrate --prices '" + dir.file("mine") + "' --window 400 "
                                    "--factor-prices '" + dir.file("mine") + "' --out -");
  CHECK(f.code == 2);
  CHECK_THAT(f.err, Contains("--factor-prices") && Contains("SPY.csv"));
}

TEST_CASE("calibrate --market --repair-correlation higham repairs a market file in place of its "
          "correlation table, every other line kept", "[cli][calibrate][issue19]") {
  TempDir dir;
  const std::string market = dir.write("m.toml", R"(# my hand-made market
currency = "USD"
rate = 0.03

[assets.A]   # first
spot = 100.0
vol = 0.3
[assets.B]
spot = 50.0
vol = 0.4

[correlation]   # mixed windows
tickers = ["A", "B", "C"]
matrix = [[1.0, 0.9, -0.9],
          [0.9, 1.0, 0.9],
          [-0.9, 0.9, 1.0]]

[assets.C]  # after the matrix
spot = 20.0
vol = 0.5
)");
  const std::string book = dir.write("b.toml", "name = \"abc\"\n[[positions]]\nticker = \"A\"\n"
                                               "quantity = 10\n[[positions]]\nticker = \"C\"\n"
                                               "quantity = -20\n");
  const std::string fixed = dir.file("fixed.toml");
  const CliResult r = run_chipshock("calibrate --market '" + market +
                                    "' --repair-correlation higham --out '" + fixed + "'");
  CAPTURE(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Contains("Frobenius distance 0.9798"));
  const std::string text = slurp_file(fixed);
  // the user's lines stay, the old table is kept as comments, the repair is named
  for (const char* kept : {"# my hand-made market", "[assets.A]   # first",
                           "[assets.C]  # after the matrix", "#   [correlation]   # mixed windows",
                           "#             [-0.9, 0.9, 1.0]]",
                           "--repair-correlation higham", "Higham 2002"})
    CHECK_THAT(text, Contains(kept));
  const Market m = load_market(fixed);  // positive definite: loads without a repair
  CHECK(m.size() == 3);
  CHECK(m.correlation[0 * 3 + 1] == Approx(0.5).margin(1e-5));
  CHECK(m.correlation[0 * 3 + 2] == Approx(-0.5).margin(1e-5));
  // a run on the repaired file gives what run --repair-correlation gives (to the file's rounding)
  const std::string run = "run --portfolio '" + book + "' --paths 20k --seed 3 --json --market '";
  const CliResult on_file = run_chipshock(run + fixed + "'");
  const CliResult repaired = run_chipshock(run + market + "' --repair-correlation higham");
  REQUIRE(on_file.code == 0);
  REQUIRE(repaired.code == 0);
  const double a = nlohmann::json::parse(on_file.out)["scenarios"][0]["var"]["0.99"];
  const double b = nlohmann::json::parse(repaired.out)["scenarios"][0]["var"]["0.99"];
  CHECK(a == Approx(b).epsilon(1e-3));
  // a positive definite file: nothing to repair, copied as it is
  const CliResult again = run_chipshock("calibrate --market '" + fixed +
                                        "' --repair-correlation higham --out - --quiet");
  REQUIRE(again.code == 0);
  CHECK(again.out == text);
  // refusals: exit 2, naming the option or the file
  const std::string base = "calibrate --market '" + market + "' ";
  for (const auto& [args, says] : std::vector<std::pair<std::string, std::string>>{
           {base + "--out -", "--market: only used with --repair-correlation higham"},
           {base + "--repair-correlation nearest --out -", "--repair-correlation"},
           {base + "--repair-correlation higham --prices scenarios/data/prices --out -",
            "not both"},
           {base + "--repair-correlation higham --out '" + fixed + "'", "exists"},
           {base + "--repair-correlation higham --out '" + dir.path().string() + "'",
            "not a regular file"},
           {"calibrate --market '" + dir.file("none.toml") + "' --repair-correlation higham "
            "--out -", "none.toml"},
           {"calibrate --market '" + dir.path().string() + "' --repair-correlation higham "
            "--out -", "not a regular file"},
           {"calibrate --prices scenarios/data/prices --repair-correlation higham --out -",
            "--repair-correlation: only used with --market"}}) {
    CAPTURE(args);
    const CliResult bad = run_chipshock(args);
    CHECK(bad.code == 2);
    CHECK_THAT(bad.err, Contains(says));
  }
}

namespace {

// A synthetic history: tickers A and B, `days` business days from 2015-01-02, independent daily
// log-returns with sd 1%, 4% on return days [turbulent_first, turbulent_first + 250) (a known
// turbulent year). Normals from a fixed LCG and Box-Muller (the same on every platform).
std::vector<std::string> write_turbulent_history(const TempDir& dir, int days,
                                                 int turbulent_first) {
  std::filesystem::create_directories(dir.path() / "prices");
  std::vector<std::string> dates;
  for (long d = day_number("2015-01-02"); static_cast<int>(dates.size()) < days; ++d)
    if (weekday(d) != 0 && weekday(d) != 6) dates.push_back(iso_date(d));
  std::uint64_t state = 12345;
  const auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (static_cast<double>(state >> 11) + 0.5) / 9007199254740992.0;
  };
  for (const char* ticker : {"A", "B"}) {
    std::ostringstream csv;
    csv << "date,close\n";
    double log_close = std::log(100.0);
    for (int d = 0; d < days; ++d) {
      if (d > 0) {
        const double z = std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
        const bool turbulent = d >= turbulent_first && d < turbulent_first + 250;
        log_close += (turbulent ? 0.04 : 0.01) * z;
      }
      char line[64];
      std::snprintf(line, sizeof line, "%s,%.6f\n", dates[static_cast<std::size_t>(d)].c_str(),
                    std::exp(log_close));
      csv << line;
    }
    dir.write(std::string("prices/") + ticker + ".csv", csv.str());
  }
  return dates;
}

}  // namespace

TEST_CASE("calibrate --stressed finds the known turbulent year of a synthetic history, and run "
          "--stressed reports the book under it beside the current market",
          "[cli][calibrate][issue19]") {
  TempDir dir;
  const int turbulent_first = 600;  // return days 600 .. 849 of 1,200 closes
  const std::vector<std::string> dates = write_turbulent_history(dir, 1200, turbulent_first);
  const std::string book = dir.write("book.toml", "name = \"AB\"\n[[positions]]\nticker = \"A\"\n"
                                                  "quantity = 1000\n[[positions]]\nticker = \"B\"\n"
                                                  "quantity = 500\n");
  const std::string prices = (dir.path() / "prices").string();
  const std::string out = dir.file("stressed.toml");
  const CliResult r = run_chipshock("calibrate --prices '" + prices + "' --factor-prices none "
                                    "--window 250 --stressed --portfolio '" + book + "' --out '" +
                                    out + "'");
  CAPTURE(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Contains("stressed window of"));
  const Market m = load_market(out);
  INFO("found " << m.stressed.first << " .. " << m.stressed.last << "; the turbulent year is "
                << dates[turbulent_first] << " .. " << dates[turbulent_first + 249]);
  const auto index_of = [&](const std::string& d) {
    return static_cast<int>(std::find(dates.begin(), dates.end(), d) - dates.begin());
  };
  // that year, to a few days (its neighbours share most of its days and all of its worst ones)
  CHECK(std::abs(index_of(m.stressed.first) - turbulent_first) <= 5);
  CHECK(std::abs(index_of(m.stressed.last) - (turbulent_first + 249)) <= 5);
  CHECK(m.stressed.returns == 250);
  CHECK(m.stressed.portfolio == "AB");
  CHECK(m.stressed.es > 3 * m.stressed.current_es);  // 4% against 1% daily moves
  // the window's vols (4% a day), today's spots and as_of
  const double turbulent_vol = 0.04 * std::sqrt(252.0);
  for (const Asset& a : m.assets) CHECK(a.vol == Approx(turbulent_vol).epsilon(0.15));
  CHECK(m.as_of == dates.back());
  const std::string a_csv = slurp_file((dir.path() / "prices" / "A.csv").string());
  const std::string last_line = a_csv.substr(a_csv.rfind('\n', a_csv.size() - 2) + 1);
  CHECK(m.assets[0].spot == Approx(std::stod(last_line.substr(last_line.find(',') + 1))).epsilon(1e-5));

  // run --stressed: the current market (calibrated to the same date) and the stressed one
  const std::string current = dir.file("current.toml");
  REQUIRE(run_chipshock("calibrate --prices '" + prices + "' --factor-prices none --window 250 "
                        "--out '" + current + "' --quiet")
              .code == 0);
  const std::string run = "run --market '" + current + "' --portfolio '" + book +
                          "' --paths 20k --seed 3 --stressed '" + out + "' ";
  const CliResult j = run_chipshock(run + "--json");
  CAPTURE(j.err);
  REQUIRE(j.code == 0);
  const nlohmann::json report = nlohmann::json::parse(j.out);
  const nlohmann::json& stressed = report["scenarios"][1];
  CHECK(stressed["name"] == "stressed");
  CHECK(stressed["kind"] == "monte_carlo");
  CHECK(stressed["stressed_window"]["first"] == m.stressed.first);
  CHECK(stressed["stressed_window"]["last"] == m.stressed.last);
  CHECK(stressed["stressed_window"]["historical_es"].get<double>() == Approx(m.stressed.es));
  for (const char* level : {"0.95", "0.975", "0.99"}) {
    // about 4 times the current vol: the stressed ES is well above the current one
    CHECK(stressed["es"][level].get<double>() > 2.5 * report["scenarios"][0]["es"][level].get<double>());
  }
  const CliResult text = run_chipshock(run);
  REQUIRE(text.code == 0);
  CHECK_THAT(text.out, Contains("stressed (window " + m.stressed.first + " .. " + m.stressed.last));
  // checkpointed like any run: the same numbers
  const CliResult saved = run_chipshock(run + "--json --checkpoint '" + dir.file("run.ckpt") + "'");
  REQUIRE(saved.code == 0);
  CHECK(nlohmann::json::parse(saved.out)["scenarios"][1]["es"] == stressed["es"]);
  // a malformed [stressed] table: exit 2 naming the file, line and field
  std::string broken = slurp_file(out);
  broken.replace(broken.find("returns = 250"), 13, "returns = 1");
  const std::string bad_market = dir.write("bad.toml", broken);
  const CliResult bad_table = run_chipshock("run --market '" + current + "' --portfolio '" + book +
                                            "' --paths 1k --stressed '" + bad_market + "'");
  CHECK(bad_table.code == 2);
  CHECK_THAT(bad_table.err, Contains("bad.toml:"));
  CHECK_THAT(bad_table.err, Contains("stressed.returns"));
  // refusals
  for (const auto& [args, says] : std::vector<std::pair<std::string, std::string>>{
           {"calibrate --prices '" + prices + "' --stressed --out -", "--stressed: needs --portfolio"},
           {"calibrate --prices '" + prices + "' --portfolio '" + book + "' --out -",
            "--portfolio: only used with --stressed"},
           {"calibrate --prices '" + prices + "' --factor-prices none --stressed --portfolio '" +
                book + "' --stressed-window 2000 --out -",
            "--stressed-window"},
           {"run --market '" + current + "' --portfolio '" + book + "' --paths 1k --stressed '" +
                current + "'",
            "not a stressed market"}}) {
    CAPTURE(args);
    const CliResult bad = run_chipshock(args);
    CHECK(bad.code == 2);
    CHECK_THAT(bad.err, Contains(says));
  }
}

TEST_CASE("calibrate --stressed on the shipped history finds the 2020 crash for the AI book",
          "[cli][calibrate][issue19]") {
  TempDir dir;
  const std::string out = dir.file("s.toml");
  const CliResult r = run_chipshock(kPrices + kNoArm + "--stressed --portfolio "
                                    "scenarios/portfolio/ai_book.toml --out '" + out + "'");
  CAPTURE(r.err);
  REQUIRE(r.code == 0);
  const Market m = load_market(out);
  CHECK(m.stressed.first.substr(0, 4) == "2020");
  CHECK(m.stressed.first <= "2020-03-16");  // the window holds the crash's worst days
  CHECK(m.stressed.last >= "2020-03-16");
  CHECK(m.stressed.es > m.stressed.current_es);
  // every built-in scenario runs on it, and the run reports both
  const CliResult run = run_chipshock("run --market scenarios/market/ai_chips.toml --portfolio "
                                      "scenarios/portfolio/ai_book.toml --paths 20k --stressed '" +
                                      out + "' --scenario ai_capex_cut --json");
  CAPTURE(run.err);
  REQUIRE(run.code == 0);
  CHECK(nlohmann::json::parse(run.out)["scenarios"][1]["name"] == "stressed");
}
