// Scenario files: good files parse into their primitives; bad files are refused naming the file,
// the line and the field; applying a scenario to a market resolves tickers, factors and sector
// defaults, skips tickers the market lacks, and keeps stressed correlations positive definite.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "host/config/market.hpp"
#include "host/input_error.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/scenario/scenario_library.hpp"
#include "test_util.hpp"

using namespace chipshock;
using chipshock::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

const char* const kMarket = R"(currency = "USD"
rate = 0.0
[assets.NVDA]
spot = 100.0
vol = 0.5
sector = "semiconductors"
exposures = { ai_capex = 1.5, market = 1.2 }
[assets.AMD]
spot = 100.0
vol = 0.5
sector = "semiconductors"
exposures = { ai_capex = 1.0 }
[assets.MSFT]
spot = 100.0
vol = 0.3
sector = "software"
[assets.XOM]
spot = 100.0
vol = 0.3
[correlation]
tickers = ["NVDA", "AMD", "MSFT"]
matrix = [[1.0, 0.6, 0.3], [0.6, 1.0, 0.3], [0.3, 0.3, 1.0]]
)";

const char* const kScenario = R"(name = "test_shock"
description = "A test shock."
source = "Made up for the test."
calibration_date = 2025-01-27

[[jumps]]
day = 1
returns = { NVDA = -0.17, TSLA = -0.05 }
factors = { ai_capex = -0.10 }
sectors = { software = -0.02 }
recovery = { fraction = 0.5, days = 2 }

[[jumps]]
days = [2, 5]
probability = 0.25
returns = { MSFT = -0.3 }
size = { distribution = "student_t", sd = 0.4, dof = 4 }

[[regimes]]
days = [1, 3]
vol_scale = { NVDA = 2.0 }
drift = -0.5
correlation = { toward = "ones", weight = 0.4 }

[[regimes]]
days = [4, 4]
vol_scale = 1.5
[regimes.correlation]
toward = "matrix"
weight = 0.5
tickers = ["NVDA", "MSFT", "AAPL"]
matrix = [[1.0, 0.9, 0.9], [0.9, 1.0, 0.9], [0.9, 0.9, 1.0]]
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const std::size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

std::string scenario_error(const std::string& text) {
  TempDir dir;
  try {
    load_scenario(dir.write("s.toml", text));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string apply_error(const std::string& scenario_text, const std::string& market_text,
                        int horizon = 5) {
  TempDir dir;
  try {
    const Market m = load_market(dir.write("m.toml", market_text));
    apply_scenario(load_scenario(dir.write("s.toml", scenario_text)), m, horizon);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a scenario file parses into jumps and regimes", "[scenario]") {
  TempDir dir;
  const Scenario s = load_scenario(dir.write("s.toml", kScenario));
  CHECK(s.name == "test_shock");
  CHECK(s.calibration_date == "2025-01-27");
  REQUIRE(s.jumps.size() == 2);
  CHECK(s.jumps[0].day_first == 1);
  CHECK(s.jumps[0].day_last == 1);
  CHECK(s.jumps[0].returns.at("NVDA") == -0.17);
  CHECK(s.jumps[0].factors.at("ai_capex") == -0.10);
  CHECK(s.jumps[0].sectors.at("software") == -0.02);
  CHECK(s.jumps[0].recovery_fraction == 0.5);
  CHECK(s.jumps[0].recovery_days == 2);
  CHECK(s.jumps[0].line == 6);
  CHECK(s.jumps[1].day_first == 2);
  CHECK(s.jumps[1].day_last == 5);
  CHECK(s.jumps[1].probability == 0.25);
  CHECK(s.jumps[1].size == JumpSize::kStudentT);
  CHECK(s.jumps[1].size_sd == 0.4);
  CHECK(s.jumps[1].size_dof == 4);
  REQUIRE(s.regimes.size() == 2);
  CHECK(s.regimes[0].vol_scale_by.at("NVDA") == 2.0);
  CHECK(s.regimes[0].has_drift);
  CHECK(s.regimes[0].drift == -0.5);
  CHECK(s.regimes[0].target == CorrelationTarget::kOnes);
  CHECK(s.regimes[1].vol_scale == 1.5);
  CHECK(s.regimes[1].target == CorrelationTarget::kMatrix);
  CHECK(s.regimes[1].crisis_tickers.size() == 3);
}

TEST_CASE("bad scenario files name the file, the line and the field", "[scenario][errors]") {
  struct Case {
    std::string text, expect1, expect2;
  };
  const std::vector<Case> cases = {
      {replace(kScenario, "day = 1\n", "day = 0\n"), "s.toml:7: jumps[0].day", "out of range"},
      {replace(kScenario, "day = 1\n", "day = 99999\n"), "jumps[0].day", "out of range"},
      {replace(kScenario, "day = 1\n", ""), "s.toml:6: jumps[0].day", "missing"},
      {replace(kScenario, "day = 1\n", "day = 1\ndays = [1, 2]\n"), "jumps[0].days",
       "either day or days"},
      {replace(kScenario, "days = [2, 5]", "days = [5, 2]"), "jumps[1].days", "LAST"},
      {replace(kScenario, "days = [2, 5]", "days = [2]"), "jumps[1].days", "[FIRST, LAST]"},
      {replace(kScenario, "probability = 0.25", "probability = 0"),
       "s.toml:15: jumps[1].probability", "(0, 1]"},
      {replace(kScenario, "probability = 0.25", "probability = 1.5"), "jumps[1].probability",
       "(0, 1]"},
      {replace(kScenario, "NVDA = -0.17", "NVDA = -1.0"), "s.toml:8: jumps[0].returns.NVDA",
       "(-1, 10]"},
      {replace(kScenario, "NVDA = -0.17", "NVDA = \"big\""), "jumps[0].returns.NVDA",
       "finite number"},
      {replace(kScenario, "NVDA = -0.17", "\"N V\" = -0.17"), "jumps[0].returns.N V",
       "not a valid ticker"},
      {replace(kScenario, "ai_capex = -0.10", "ai_capex = 20"), "jumps[0].factors.ai_capex",
       "(-10, 10]"},
      {replace(kScenario, "\"student_t\"", "\"lognormal\""), "jumps[1].size.distribution",
       "unknown size distribution"},
      {replace(kScenario, ", dof = 4", ""), "jumps[1].size.dof", "missing"},
      {replace(kScenario, "dof = 4", "dof = 2"), "jumps[1].size.dof", "finite variance"},
      {replace(kScenario, "sd = 0.4", "sd = 0"), "jumps[1].size.sd", "(0, 5]"},
      {replace(kScenario, "fraction = 0.5", "fraction = 1.5"), "jumps[0].recovery.fraction",
       "(0, 1]"},
      {replace(kScenario, "days = 2 }", "days = 0 }"), "jumps[0].recovery.days", "between 1"},
      {replace(kScenario, "days = 2 }", "days = 2, shape = 1 }"), "jumps[0].recovery.shape",
       "unknown key"},
      {replace(kScenario, "probability = 0.25", "probabilty = 0.25"),
       "s.toml:15: jumps[1].probabilty", "unknown key"},
      {replace(replace(replace(kScenario, "returns = { NVDA = -0.17, TSLA = -0.05 }\n", ""),
                       "factors = { ai_capex = -0.10 }\n", ""),
               "sectors = { software = -0.02 }\n", ""),
       "jumps[0].returns", "needs returns, factors or sectors"},
      {replace(kScenario, "returns = { MSFT = -0.3 }", "returns = {}"), "jumps[1].returns",
       "empty"},
      {replace(kScenario, "vol_scale = 1.5", "vol_scale = 0"), "s.toml:27: regimes[1].vol_scale",
       "(0, 20]"},
      {replace(kScenario, "vol_scale = { NVDA = 2.0 }", "vol_scale = { NVDA = -2.0 }"),
       "regimes[0].vol_scale.NVDA", "(0, 20]"},
      {replace(kScenario, "days = [4, 4]", "days = [3, 4]"), "regimes[1].days",
       "overlaps regimes[0]"},
      {replace(kScenario, "weight = 0.4", "weight = 1.0"), "regimes[0].correlation.weight",
       "[0, 1)"},
      {replace(kScenario, "toward = \"ones\"", "toward = \"crisis\""),
       "regimes[0].correlation.toward", "unknown correlation target"},
      {replace(kScenario, "[0.9, 1.0, 0.9], [0.9, 0.9, 1.0]]", "[0.8, 1.0, 0.9], [0.9, 0.9, 1.0]]"),
       "regimes[1].correlation.matrix[1][0]", "not symmetric"},
      {replace(kScenario, "[[1.0, 0.9, 0.9]", "[[0.9, 0.9, 0.9]"),
       "regimes[1].correlation.matrix[0][0]", "diagonal"},
      {replace(kScenario, "name = \"test_shock\"", "name = \"baseline\""), "s.toml:1: name",
       "reserved"},
      {replace(kScenario, "name = \"test_shock\"", "name = \"a b\""), "s.toml:1: name", "letters"},
      {replace(kScenario, "description = \"A test shock.\"\n", ""), "description", "missing"},
      {replace(kScenario, "calibration_date = 2025-01-27", "calibration_date = \"2025-02-30\""),
       "calibration_date", "YYYY-MM-DD"},
      {"name = \"x\"\ndescription = \"y\"\n", "s.toml",
       "at least one [[jumps]], [[regimes]] or [[implied_vols]]"},
      {"name = \"x\"\ndescription = \"y\"\n[[regimes]]\ndays = [1, 2]\n", "s.toml:3: regimes[0]",
       "needs vol_scale, drift or correlation"},
      {"name = \"x\"\ndescription = \"y\"\n[[jumps]\n", "s.toml:3", "TOML syntax error"},
      {"name = \"x\"\ndescription = \"y\"\njumps = 3\n", "s.toml:3: jumps", "expected an array"},
  };
  for (const Case& c : cases) {
    const std::string err = scenario_error(c.text);
    CAPTURE(c.text, err);
    CHECK_THAT(err, Contains(c.expect1));
    CHECK_THAT(err, Contains(c.expect2));
  }
}

TEST_CASE("applying a scenario resolves tickers, factors and sectors", "[scenario]") {
  TempDir dir;
  const Market m = load_market(dir.write("m.toml", kMarket));
  const Scenario s = load_scenario(dir.write("s.toml", kScenario));
  const AppliedScenario a = apply_scenario(s, m, 5);
  REQUIRE(a.events.size() == 2);
  // Jump 0: NVDA named; AMD via ai_capex (1.0 * -0.10); MSFT via its sector; XOM unmoved.
  CHECK(a.simple_returns[0][0] == -0.17);
  CHECK(a.simple_returns[0][1] == Approx(-0.10));
  CHECK(a.simple_returns[0][2] == -0.02);
  CHECK(a.simple_returns[0][3] == 0.0);
  CHECK(a.events[0].day_first == 0);
  CHECK(a.events[0].recovery_days == 2);
  CHECK(a.events[1].day_first == 1);
  CHECK(a.events[1].day_last == 4);
  CHECK(a.events[1].probability == 0.25f);
  // TSLA (jump) and AAPL (crisis matrix) are not in the market.
  CHECK(a.skipped_tickers == std::vector<std::string>{"AAPL", "TSLA"});
  bool unmoved_noted = false;
  for (const auto& n : a.notes) unmoved_noted |= n.find("XOM") != std::string::npos;
  CHECK(unmoved_noted);
  // Regimes: days 1-3 -> segment 1, day 4 -> segment 2, day 5 -> baseline.
  CHECK(a.day_segment == std::vector<int>{1, 1, 1, 2, 0});
  REQUIRE(a.segments.size() == 3);
  CHECK(a.segments[1].vol[0] == 1.0);   // NVDA 0.5 * 2
  CHECK(a.segments[1].vol[1] == 0.5);   // AMD unscaled
  CHECK(a.segments[1].drift[2] == -0.5);
  CHECK(a.segments[1].correlation[0 * 4 + 1] == Approx(0.6 * 0.6 + 0.4));
  CHECK(a.segments[1].correlation[0 * 4 + 3] == Approx(0.4));  // XOM: 0 toward 1
  CHECK(a.segments[2].vol[2] == Approx(0.45));
  CHECK(a.segments[2].correlation[0 * 4 + 2] == Approx(0.5 * 0.3 + 0.5 * 0.9));  // NVDA-MSFT
  CHECK(a.segments[2].correlation[0 * 4 + 1] == Approx(0.6));  // NVDA-AMD: not in the matrix
  // Each segment's Cholesky factor reproduces its correlation.
  for (const AppliedSegment& seg : a.segments)
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        double c = 0;
        for (int k = 0; k < 4; ++k) c += seg.cholesky[i * 4 + k] * seg.cholesky[j * 4 + k];
        CHECK(c == Approx(seg.correlation[i * 4 + j]).margin(1e-12));
      }
}

TEST_CASE("a scenario that cannot apply to the market is refused with file and line",
          "[scenario][errors]") {
  // A factor no asset carries.
  std::string err = apply_error(replace(kScenario, "ai_capex = -0.10", "china_revenue = -0.10"),
                                kMarket);
  CHECK_THAT(err, Contains("s.toml:6: jumps[0].factors.china_revenue"));
  CHECK_THAT(err, Contains("unknown factor"));
  // A factor shock that takes a price below zero: NVDA is named, AMD's loading is 1.0.
  err = apply_error(replace(kScenario, "ai_capex = -0.10", "ai_capex = -1.5"), kMarket);
  CHECK_THAT(err, Contains("s.toml:6: jumps[0]"));
  CHECK_THAT(err, Contains("AMD by -150.00%"));
  // A crisis matrix that makes the blended matrix indefinite.
  err = apply_error(
      replace(replace(kScenario, "[[1.0, 0.9, 0.9], [0.9, 1.0, 0.9], [0.9, 0.9, 1.0]]",
                      "[[1.0, -1.0, 1.0], [-1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]"),
              "weight = 0.5", "weight = 0.99"),
      kMarket);
  CHECK_THAT(err, Contains("s.toml:28: regimes[1].correlation"));
  CHECK_THAT(err, Contains("not positive definite"));
  // Vol scaled beyond 1000%.
  err = apply_error(replace(kScenario, "vol_scale = { NVDA = 2.0 }", "vol_scale = { NVDA = 18.0 }"),
                    replace(kMarket, "vol = 0.5", "vol = 0.9"));
  CHECK_THAT(err, Contains("regimes[0].vol_scale"));
}

TEST_CASE("days after the horizon are reported, not simulated", "[scenario]") {
  TempDir dir;
  const Market m = load_market(dir.write("m.toml", kMarket));
  const AppliedScenario a = apply_scenario(load_scenario(dir.write("s.toml", kScenario)), m, 1);
  CHECK(a.day_segment == std::vector<int>{1});
  std::string notes;
  for (const auto& n : a.notes) notes += n + "\n";
  CHECK_THAT(notes, Contains("jumps[1]: day 2 is after the 1-day horizon"));
  CHECK_THAT(notes, Contains("jumps[0]: part of its recovery falls after the horizon"));
  CHECK_THAT(notes, Contains("regimes[1]: days 4-4 are after the 1-day horizon"));
}

TEST_CASE("every built-in scenario loads, names its source and applies to the sample market",
          "[scenario][builtin]") {
  const std::vector<std::string> files = builtin_scenario_files();
  const std::vector<std::string> required = {
      "cheaper_model_disruption", "cheaper_model_disruption_no_rebound", "export_restrictions",
      "ai_capex_cut", "taiwan_supply_disruption", "rates_shock"};
  for (const std::string& name : required) CHECK_NOTHROW(resolve_scenario(name));
  const Market m = load_market(testing::source_path("scenarios/market/ai_chips.toml"));
  for (const std::string& f : files) {
    CAPTURE(f);
    const Scenario s = load_scenario(f);
    CHECK_FALSE(s.source.empty());
    CHECK_FALSE(s.calibration_date.empty());
    for (int horizon : {1, 10}) {
      const AppliedScenario a = apply_scenario(s, m, horizon);
      CHECK(a.skipped_tickers.empty());
    }
  }
  // The 2025-01-27 calibration: NVDA fell 16.97% close to close (see the event notes).
  const Scenario c = load_scenario(resolve_scenario("cheaper_model_disruption"));
  CHECK(c.jumps.at(0).returns.at("NVDA") == Approx(-0.1697).margin(5e-5));
  // Day 2 is each name's own 2025-01-28 move (NVDA +8.93%, AMD -0.73%), not a pooled recovery.
  REQUIRE(c.jumps.size() == 2);
  CHECK(c.jumps.at(0).recovery_fraction == 0);
  CHECK(c.jumps.at(1).day_first == 2);
  CHECK(c.jumps.at(1).day_last == 2);
  CHECK(c.jumps.at(1).returns.at("NVDA") == Approx(0.0893).margin(5e-5));
  CHECK(c.jumps.at(1).returns.at("AMD") == Approx(-0.0073).margin(5e-5));
  const Scenario no_rebound = load_scenario(resolve_scenario("cheaper_model_disruption_no_rebound"));
  CHECK(no_rebound.jumps.size() == 1);
  CHECK(no_rebound.jumps.at(0).recovery_fraction == 0);
}

TEST_CASE("unknown scenario names list the built-ins", "[scenario][errors]") {
  try {
    resolve_scenario("no_such_scenario");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Contains("--scenario: unknown scenario 'no_such_scenario'"));
    CHECK_THAT(e.hint(), Contains("cheaper_model_disruption"));
  }
  CHECK_THROWS_WITH(resolve_scenario("missing/file.toml"), Contains("no such file"));
}

TEST_CASE("the worked example in README.md parses and applies to the sample market",
          "[scenario][docs]") {
  std::ifstream in(testing::source_path("README.md"));
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string readme = buf.str();
  const std::size_t start = readme.find("```toml\nname = \"my_shock\"");
  REQUIRE(start != std::string::npos);
  const std::size_t body = start + 8;
  const std::size_t end = readme.find("```", body);
  REQUIRE(end != std::string::npos);
  TempDir dir;
  const Scenario s = load_scenario(dir.write("my_shock.toml", readme.substr(body, end - body)));
  CHECK(s.jumps.size() == 2);
  CHECK(s.regimes.size() == 1);
  const Market m = load_market(testing::source_path("scenarios/market/ai_chips.toml"));
  CHECK_NOTHROW(apply_scenario(s, m, 10));
}
