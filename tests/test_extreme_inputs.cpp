// Extreme but legal inputs run, or are refused with a clear reason: a vol of 500% over a year, a
// vol of 1e-8, 1,000 assets, a horizon of 252 days, 10^10 paths asked for. A NaN or infinite
// loss is counted and reported (non_finite_paths), never turned into a VaR.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/input_error.hpp"
#include "host/report/run_report.hpp"
#include "host/risk_engine.hpp"
#include "host/sim_spec.hpp"
#include "test_util.hpp"

using namespace chipshock;
using Catch::Matchers::Contains;
using chipshock::testing::TempDir;

namespace {

constexpr double kZ95 = 1.6448536269514722, kZ99 = 2.3263478740408408;

std::string one_asset_market(double vol) {
  std::ostringstream s;
  s.precision(17);
  s << "currency = \"USD\"\nrate = 0.0\n[assets.X]\nspot = 100.0\nvol = " << vol << "\n";
  return s.str();
}

const char* const kOneShare = "name = \"one share\"\n[[positions]]\nticker = \"X\"\nquantity = 1\n";

ScenarioResult run_engine(const Market& m, const Portfolio& p, int horizon_days,
                          std::uint64_t paths, std::vector<double> confidences = {0.95, 0.99}) {
  SimSettings sim;
  sim.horizon_days = horizon_days;
  const SimSpec spec(m, p, sim);
  RunSettings s;
  s.paths = paths;
  s.seed = 11;
  s.confidences = std::move(confidences);
  return simulate_scenario("baseline", spec, CpuBackend(2), s);
}

// VaR of one share (spot 100, drift 0) whose log-return over t years is N(-vol^2 t/2, vol^2 t).
double lognormal_var(double vol, double t, double z) {
  return 100.0 * (1.0 - std::exp(-0.5 * vol * vol * t - z * vol * std::sqrt(t)));
}

struct Result {
  int code;
  std::string out, err;
  double seconds;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Result run_cli(const std::string& args) {
  TempDir tmp;
  const std::string cmd = std::string("cd '") + CHIPSHOCK_SOURCE_DIR + "' && '" + CHIPSHOCK_BINARY +
                          "' " + args + " >'" + tmp.file("out") + "' 2>'" + tmp.file("err") +
                          "' </dev/null";
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(cmd.c_str());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(tmp.file("out")),
          slurp(tmp.file("err")), s};
}

const std::string kSample =
    "run --market scenarios/market/ai_chips.toml --portfolio scenarios/portfolio/ai_book.toml "
    "--backend cpu ";

}  // namespace

TEST_CASE("a vol of 500% (the largest the parser takes is 1000%) over 252 days runs", "[extreme]") {
  const Market m = load_market_text(one_asset_market(5.0), "vol5.toml");
  const Portfolio p = load_portfolio_text(kOneShare, "one.toml", m);
  const ScenarioResult r = run_engine(m, p, 252, 20000);
  CHECK(r.non_finite == 0);
  REQUIRE(r.levels.size() == 2);
  // ln S_T/S_0 ~ N(-12.5, 25): nearly every path loses nearly everything, never more.
  for (const LevelRisk& l : r.levels) {
    const double expected = lognormal_var(5.0, 1.0, l.confidence == 0.95 ? kZ95 : kZ99);
    INFO("confidence " << l.confidence << ": VaR " << l.var << ", ES " << l.es << ", closed form "
                       << expected);
    CHECK(std::isfinite(l.var));
    CHECK(std::isfinite(l.es));
    CHECK(l.var <= 100.0);
    CHECK(l.es <= 100.0);
    CHECK(l.var == Approx(expected).epsilon(1e-6));
  }
}

TEST_CASE("a vol of 1e-8 runs and gives the closed-form VaR, not float noise", "[extreme]") {
  const Market m = load_market_text(one_asset_market(1e-8), "tiny.toml");
  const Portfolio p = load_portfolio_text(kOneShare, "one.toml", m);
  const ScenarioResult r = run_engine(m, p, 1, 100000);
  CHECK(r.non_finite == 0);
  for (const LevelRisk& l : r.levels) {
    const double expected = lognormal_var(1e-8, 1.0 / 252, l.confidence == 0.95 ? kZ95 : kZ99);
    INFO("confidence " << l.confidence << ": VaR " << l.var << ", closed form " << expected);
    CHECK(l.var > 0);
    CHECK(l.var == Approx(expected).epsilon(0.05));  // ~1.5e-7 on a value of 100
  }
}

TEST_CASE("1,000 assets with a few paths run and match the Gaussian closed form", "[extreme]") {
  constexpr int n = 1000;
  std::ostringstream mt, pt;
  mt << "currency = \"USD\"\nrate = 0.0\n";
  pt << "name = \"wide book\"\n";
  double var_sum = 0;  // variance of the 1-day loss, to first order
  for (int i = 0; i < n; ++i) {
    const double vol = 0.2 + 0.3 * (i % 7) / 6.0;
    mt << "[assets.A" << i << "]\nspot = 50.0\nvol = " << vol << "\n";
    pt << "[[positions]]\nticker = \"A" << i << "\"\nquantity = 10\n";
    const double sd = 500.0 * vol / std::sqrt(252.0);
    var_sum += sd * sd;
  }
  const Market m = load_market_text(mt.str(), "wide.toml");
  const Portfolio p = load_portfolio_text(pt.str(), "wide_book.toml", m);
  REQUIRE(m.size() == n);
  const ScenarioResult r = run_engine(m, p, 1, 4000, {0.95});
  CHECK(r.non_finite == 0);
  const double expected = kZ95 * std::sqrt(var_sum);
  INFO("VaR " << r.levels[0].var << ", closed form " << expected);
  CHECK(r.levels[0].var == Approx(expected).epsilon(0.1));  // 4,000 paths: ~4% standard error
}

TEST_CASE("more assets than the parser's limit are refused with the reason", "[extreme]") {
  std::ostringstream mt;
  mt << "currency = \"USD\"\nrate = 0.0\n";
  for (int i = 0; i < 4097; ++i) mt << "[assets.A" << i << "]\nspot = 1.0\nvol = 0.2\n";
  CHECK_THROWS_WITH(load_market_text(mt.str(), "huge.toml"), Contains("more than 4096 assets"));
}

TEST_CASE("NaN and infinite losses are counted, left out of VaR and ES, and reported",
          "[extreme]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> losses;
  for (int i = 1; i <= 1000; ++i) losses.push_back(i);  // VaR 95% of these alone: 950
  std::vector<double> with_bad = losses;
  with_bad.insert(with_bad.begin() + 10, nan);
  with_bad.insert(with_bad.begin() + 500, inf);
  with_bad.push_back(-inf);
  LossAccumulator clean(1000.0, 200), dirty(1000.0, 200);
  clean.add(losses.data(), losses.size());
  dirty.add(with_bad.data(), with_bad.size());
  CHECK(dirty.non_finite() == 3);
  const ScenarioResult a = summarize_losses("clean", clean, 1000, {0.95});
  const ScenarioResult b = summarize_losses("dirty", dirty, 1003, {0.95});
  CHECK(b.non_finite == 3);
  CHECK(b.paths == 1003);
  CHECK(std::isfinite(b.levels[0].var));
  CHECK(b.levels[0].var == a.levels[0].var);
  CHECK(b.levels[0].es == a.levels[0].es);
  CHECK(b.worst_loss == 1000.0);

  RunReport report;
  report.currency = "USD";
  report.paths = 1003;
  report.confidences = {0.95};
  report.scenarios.push_back(b);
  CHECK(report_json(report)["scenarios"][0]["non_finite_paths"] == 3);
  CHECK_THAT(non_finite_warnings(report), Contains("3 of 1003 paths had a NaN or infinite loss"));
  CHECK_THAT(non_finite_warnings(report), Contains("exit code 4"));
  report.scenarios[0].non_finite = 0;
  CHECK(non_finite_warnings(report).empty());
}

TEST_CASE("when almost every loss is NaN there is no VaR: the run is refused", "[extreme]") {
  std::vector<double> losses(1000, std::numeric_limits<double>::quiet_NaN());
  losses[0] = 1.0;
  LossAccumulator acc(1.0, 100);
  acc.add(losses.data(), losses.size());
  CHECK(acc.non_finite() == 999);
  CHECK_THROWS_AS(summarize_losses("bad", acc, 1000, {0.99}), InputError);
  CHECK_THROWS_WITH(summarize_losses("bad", acc, 1000, {0.99}), Contains("finite loss"));
}

TEST_CASE("10^10 paths: --dry-run checks everything and estimates the time without running",
          "[extreme][cli]") {
  const Result r = run_cli(kSample + "--paths 1e10 --confidence 0.999 --horizon 10 --dry-run");
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Contains("nothing simulated"));
  CHECK_THAT(r.out, Contains("10000000000 paths"));
  CHECK_THAT(r.out, Contains("about"));
  CHECK(r.seconds < 60);
  // Bad input is still bad input in a dry run.
  const Result bad = run_cli(kSample + "--paths 1e10 --horizon 0 --dry-run");
  CHECK(bad.code == 2);
}

TEST_CASE("a loss tail larger than half the memory (10^14 paths) is refused before running",
          "[extreme][cli]") {
  const Result r = run_cli(kSample + "--paths 1e14");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Contains("--paths") && Contains("memory"));
  CHECK(r.seconds < 60);
  const Result beyond = run_cli(kSample + "--paths 2e14");
  CHECK(beyond.code == 2);
  CHECK_THAT(beyond.err, Contains("more than 1e14 paths"));
}
