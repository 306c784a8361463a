// Options that expire inside the horizon (kernels/expiry.cuh): the European settles at intrinsic
// on its expiry day and the cash accrues to the horizon; the American is exercised on the path's
// days where its boundary says. Closed forms, an independent replay of the rule on each path, the
// American policy's value against the price, and the CPU's lanes against the scalar reference.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "book_fixture.hpp"
#include "cli_util.hpp"
#include "lanes_vs_reference.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/pricing/american.hpp"
#include "host/risk_engine.hpp"
#include "host/stats/risk_measures.hpp"
#include "kernels/black_scholes.cuh"
#include "test_util.hpp"

using namespace chipshock;
using testing::Book;
using testing::paths_or_light;

namespace {

std::string option_book(const std::string& positions) {
  return "name = \"expiring\"\ncash = 0\n" + positions;
}

std::string option(const char* type, double quantity, double strike, int expiry,
                   const char* style = "european") {
  return "[[positions]]\nticker = \"X\"\ntype = \"" + std::string(type) +
         "\"\nquantity = " + std::to_string(quantity) + "\nstrike = " + std::to_string(strike) +
         "\nexpiry_days = " + std::to_string(expiry) + "\nstyle = \"" + style + "\"\n";
}

// Asset X's log-return at the close of each day of path `path` (the reference's arithmetic).
std::vector<double> daily_log_returns(const SimSpec& spec, std::uint64_t seed, std::uint64_t path) {
  std::vector<double> out;
  const auto record = [&out](int, const float* x) { out.push_back(static_cast<double>(x[0])); };
  const ModelView m = spec.model();
  std::vector<float> x(m.n_assets), z(4 * m.n_blocks), eps(m.n_assets);
  path_log_returns<PhiloxDiffusion<MirrorNormals>>(m, seed, path, x.data(), z.data(), eps.data(),
                                                   nullptr, record);
  return out;
}

}  // namespace

TEST_CASE(
    "expiry inside the horizon: the VaR of a long call is C0 - q max(S_expiry quantile - K, "
    "0), its payoff accrued to the horizon",
    "[expiry][closed_form][issue17]") {
  // X: spot 100, vol 30%, drift 8%, rate 3%; 1000 calls struck at 85 expiring on day 4 of a
  // 10-day horizon. The loss is q C0 - q (S_4 - K)+ e^(r 6 / 252), falling in S_4: its
  // alpha-quantile is at S_4's (1 - alpha)-quantile, inside the money at every level.
  const double q = 1000, s0 = 100, k = 85, sigma = 0.30, mu = 0.08, r = 0.03;
  const int expiry = 4, horizon = 10;
  const Book b(testing::kOneAsset, option_book(option("call", q, k, expiry)));
  const SimSpec spec(b.market, b.portfolio, SimSettings{horizon, 1});
  REQUIRE(spec.book().n_expiring == 1);
  RunSettings s;
  s.paths = paths_or_light(1000000, 200000);
  s.seed = 23;
  const ScenarioResult res = simulate_scenario("baseline", spec, CpuBackend(), s);
  const double c0 = black_scholes(OptionKind::kCall, s0, k, expiry / 252.0, r, sigma);
  const double t = expiry / 252.0, sd = sigma * std::sqrt(t);
  const double accrual = std::exp(r * (horizon - expiry) / 252.0);
  const double z[] = {1.6448536269514722, 1.959963984540054, 2.3263478740408408};
  REQUIRE(res.levels.size() == 3);
  for (std::size_t i = 0; i < res.levels.size(); ++i) {
    const LevelRisk& l = res.levels[i];
    const double s_q = s0 * std::exp((mu - 0.5 * sigma * sigma) * t - sd * z[i]);
    REQUIRE(s_q > k);
    const double var = q * (c0 - (s_q - k) * accrual);
    const double se_var = (l.var_hi - l.var_lo) / (2 * kZ975);
    CAPTURE(l.confidence, l.var, var, se_var);
    CHECK(std::fabs(l.var - var) < 4 * se_var);
  }
  // The worst loss is bounded by the premium paid: the option cannot be worth less than 0.
  CHECK(res.worst_loss <= q * c0 * (1 + 1e-12));
}

TEST_CASE(
    "expiry inside the horizon: each path's loss is its settlement replayed from the "
    "path's closes, European and American",
    "[expiry][issue17]") {
  // A 12-day horizon at a 10% rate: a European call settled on day 5, an American put struck in
  // the money (exercised early on some paths, on its expiry day or not at all on others), a
  // put expiring on the horizon's day, and a call alive past the horizon.
  const std::string market =
      "currency = \"USD\"\nrate = 0.10\n[assets.X]\nspot = 100.0\nvol = 0.45\ndrift = 0.0\n";
  const std::string book =
      option_book(option("call", 10, 98, 5) + option("put", 20, 112, 9, "american") +
                  option("put", -5, 101, 12) + option("call", 7, 105, 40));
  const Book b(market, book);
  const int horizon = 12;
  const SimSpec spec(b.market, b.portfolio, SimSettings{horizon, 1});
  const BookView bv = spec.book();
  REQUIRE(bv.n_expiring == 3);
  const double r = 0.10, vol = 0.45;
  const std::vector<double> edge =
      american_exercise_spots(OptionKind::kPut, 112, r, vol, 0.0, 8);  // days 0..7
  REQUIRE(edge.size() == 8);
  for (std::size_t d = 1; d < edge.size(); ++d) CHECK(edge[d] > edge[d - 1]);  // rises to K
  CHECK(edge.back() < 112);
  const auto& lines = spec.positions();
  int early = 0, at_expiry = 0, worthless = 0;
  const std::uint64_t n = paths_or_light(4000, 500);
  for (std::uint64_t path = 0; path < n; ++path) {
    const std::vector<double> x = daily_log_returns(spec, 5, path);
    REQUIRE(x.size() == static_cast<std::size_t>(horizon));
    const auto spot = [&](int day) { return 100.0 * std::exp(x[static_cast<std::size_t>(day)]); };
    const auto accrue = [&](double payoff, int day) {
      return day + 1 == horizon ? payoff : payoff * std::exp(r * ((horizon - 1 - day) / 252.0));
    };
    // the European call: day 4 (0-based)
    const double call = accrue(std::fmax(spot(4) - 98, 0.0), 4);
    // the American put: the first close at or below its boundary, else its expiry (day 8)
    int stop = 8;
    for (int d = 0; d < 8; ++d)
      if (spot(d) <= edge[static_cast<std::size_t>(d)]) {
        stop = d;
        break;
      }
    const double payoff = std::fmax(112 - spot(stop), 0.0);
    (stop < 8 ? early : payoff > 0 ? at_expiry : worthless) += 1;
    const double put = accrue(payoff, stop);
    // the put expiring on the horizon's day: its intrinsic value, as before it settled
    const double last = std::fmax(101 - spot(horizon - 1), 0.0);
    const double alive =
        black_scholes(OptionKind::kCall, spot(horizon - 1), 105, (40 - horizon) / 252.0, r, vol);
    double v = 0;
    v = std::fma(10, call, v);
    v = std::fma(20, put, v);
    v = std::fma(-5, last, v);
    v = std::fma(7, alive, v);
    const double expected = spec.value0() - v;
    const double loss = reference_path_loss(spec, 5, path);
    CAPTURE(path, stop, loss, expected);
    CHECK(loss == Approx(expected).epsilon(1e-13).margin(1e-10));
    // the position lines add up the same settlements
    std::vector<double> out(lines.size() + 1);
    reference_path_lines(spec, 5, path, out.data());
    CHECK(out[1] == Approx(20 * (lines[1].unit_value0 - put)).epsilon(1e-13).margin(1e-10));
    CHECK(out[2] == Approx(-5 * (lines[2].unit_value0 - last)).epsilon(1e-13).margin(1e-10));
  }
  CAPTURE(early, at_expiry, worthless);
  CHECK(early > static_cast<int>(n / 20));  // every branch of the rule is reached
  CHECK(at_expiry > static_cast<int>(n / 20));
  CHECK(worthless > static_cast<int>(n / 20));
}

TEST_CASE(
    "expiry inside the horizon: on the days of the value fan and the stop-loss, an American "
    "option the path exercised is its settlement, not a price",
    "[expiry][american][day_values][issue17]") {
  // The put of the replay test alone (struck at 112, expiring on day 9 of 12, rate 10%): the
  // run cut at day D values it at the full run's settlement when the path exercised it on a
  // day before D (with its interest since), at its price with 9 - D days left otherwise.
  const std::string market =
      "currency = \"USD\"\nrate = 0.10\n[assets.X]\nspot = 100.0\nvol = 0.45\ndrift = 0.0\n";
  const Book b(market, option_book(option("put", 20, 112, 9, "american")));
  const int horizon = 12;
  const SimSettings run{horizon, 1};
  const SimSpec spec(b.market, b.portfolio, run);
  std::vector<int> days;
  for (int d = 1; d <= horizon; ++d) days.push_back(d);
  const CutRuns cut = cut_runs(b.market, b.portfolio, run, nullptr, days);
  CHECK(cut.at[3]->book().options[0].settled_by == 0);  // day 4: alive, the full run settles it
  CHECK(cut.at[10]->book().options[0].expiring == 0);   // day 11: its own run settles it
  const double r = 0.10, vol = 0.45;
  const std::vector<double> edge = american_exercise_spots(OptionKind::kPut, 112, r, vol, 0.0, 8);
  const std::uint64_t n = paths_or_light(600, 100);
  std::vector<double> losses(static_cast<std::size_t>(horizon) * n);
  CpuBackend(2).simulate_days(*cut.specs.back(), cut.at, 5, 0, n, losses.data());
  const double value0 = spec.value0();
  int exercised_before = 0;
  for (std::uint64_t path = 0; path < n; ++path) {
    const std::vector<double> x = daily_log_returns(spec, 5, path);
    const auto spot = [&](int day) { return 100.0 * std::exp(x[static_cast<std::size_t>(day)]); };
    int stop = 8;
    for (int d = 0; d < 8; ++d)
      if (spot(d) <= edge[static_cast<std::size_t>(d)]) {
        stop = d;
        break;
      }
    for (int day = 1; day < 9; ++day) {  // the cut runs in which the put is alive
      const double v = stop <= day - 1 ? std::fmax(112 - spot(stop), 0.0) *
                                             std::exp(r * ((day - 1 - stop) / 252.0))
                                       : american_price(OptionKind::kPut, spot(day - 1), 112,
                                                        (9 - day) / 252.0, r, vol, 0.0);
      exercised_before += stop < day - 1;
      const double loss = losses[static_cast<std::size_t>(day - 1) * n + path];
      CAPTURE(path, day, stop, loss);
      CHECK(loss == Approx(value0 - 20 * v).margin(1e-6 * 20 * 112));
    }
  }
  CHECK(exercised_before > static_cast<int>(n));  // the settled branch is taken often
  // Run on its own, a cut run prices the put at its own horizon whatever the full run would
  // have done (its settlements are not there to read).
  for (std::uint64_t path = 0; path < 20; ++path) {
    const double s4 =
        100.0 * std::exp(static_cast<double>(reference_log_returns(*cut.at[3], 5, path)[0]));
    const double v = american_price(OptionKind::kPut, s4, 112, 5 / 252.0, r, vol, 0.0);
    CHECK(reference_path_loss(*cut.at[3], 5, path) ==
          Approx(cut.at[3]->value0() - 20 * v).margin(1e-6 * 20 * 112));
  }
}

TEST_CASE(
    "expiry inside the horizon: the American policy on the path's days is worth the "
    "American price, more than the European",
    "[expiry][american][issue17]") {
  // Risk-neutral (drift = rate, no dividend): the mean discounted payoff of the daily exercise
  // rule is the price of the option exercised at the closes. It sits between the European price
  // and the American (continuous exercise) price, and near the latter: the holder loses little by
  // waiting for the close.
  const double r = 0.2, vol = 0.3, s0 = 100, k = 110;
  const int expiry = 30;
  const std::string market =
      "currency = \"USD\"\nrate = 0.2\n[assets.X]\nspot = 100.0\n"
      "vol = 0.3\ndrift = 0.2\n";
  const Book b(market, option_book(option("put", 1, k, expiry, "american")));
  const SimSpec spec(b.market, b.portfolio, SimSettings{expiry, 1});
  const std::uint64_t n = paths_or_light(400000, 40000);
  double sum = 0, sum2 = 0;
  std::vector<Settlement> settled;
  for (std::uint64_t path = 0; path < n; ++path) {
    reference_log_returns(spec, 11, path, nullptr, &settled);
    REQUIRE(settled.size() == 1);
    REQUIRE(settled[0].day >= 0);
    const double pv = settled[0].payoff * std::exp(-r * (settled[0].day + 1) / 252.0);
    sum += pv;
    sum2 += pv * pv;
  }
  const double dn = static_cast<double>(n);
  const double mean = sum / dn, se = std::sqrt((sum2 / dn - mean * mean) / dn);
  const double tau = expiry / 252.0;
  const double american = american_price(OptionKind::kPut, s0, k, tau, r, vol, 0.0);
  const double european = black_scholes(OptionKind::kPut, s0, k, tau, r, vol);
  CAPTURE(mean, se, american, european);
  REQUIRE(american - european > 20 * se);  // a premium the test can see
  CHECK(mean > european + 10 * se);
  CHECK(mean < american + 4 * se);
  CHECK(mean > american - 4 * se - 0.01 * (american - european) - 0.002 * american);
}

TEST_CASE("expiry inside the horizon: the CPU's lanes settle as the scalar reference",
          "[expiry][issue17]") {
  // The lanes draw their normals with float log and sincos (host/cpu/simd_lanes.hpp), so a path's
  // log-returns agree with the reference's to float rounding; a settlement on the other side of
  // a boundary would differ by far more. (Every CPU kernel against the others bit for bit, with
  // these options in the book: test_cpu_isa.cpp's all_features_run.)
  const std::string market =
      "currency = \"USD\"\nrate = 0.10\ndof = 4.0\n[assets.X]\nspot = 100.0\nvol = 0.45\n"
      "drift = 0.0\n";
  const Book b(market,
               option_book(option("call", 10, 98, 2) + option("put", 20, 112, 5, "american") +
                           option("put", -5, 101, 6) + option("call", 7, 105, 40)));
  for (int horizon : {6, 9}) {
    const SimSpec spec(b.market, b.portfolio, SimSettings{horizon, 2});
    const double worst = testing::lanes_worst_gap(spec, 3, 301);
    CAPTURE(horizon, worst, spec.gross_exposure());
    CHECK(worst <= 1e-6 * spec.gross_exposure());
  }
}

TEST_CASE(
    "expiry inside the horizon on the command line: the run settles, the path risk and "
    "historical simulation too; a replay across the expiry and a book hierarchy are "
    "refused naming the option",
    "[expiry][cli][issue17]") {
  testing::TempDir dir;
  const std::string book = dir.write("p.toml", R"(name = "expiring"
cash = 10000
[[positions]]
ticker = "NVDA"
quantity = 100
[[positions]]
ticker = "NVDA"
type = "put"
quantity = 100
strike = 200
expiry_days = 3
[[positions]]
ticker = "AMD"
type = "put"
quantity = 50
strike = 520
expiry_days = 5
style = "american"
)");
  const std::string run = "run --market scenarios/market/ai_chips.toml --portfolio '" + book +
                          "' --paths 20000 --seed 3 --backend cpu ";
  {
    const testing::CliResult r = testing::run_chipshock(run +
                                                        "--horizon 10 --stop-loss 3000 --method "
                                                        "historical --out '" +
                                                        dir.file("out") + "'");
    CAPTURE(r.err);
    REQUIRE(r.code == 0);
    const std::string md = testing::slurp_file(dir.file("out/report.md"));
    CHECK_THAT(md, Catch::Contains("2 options expire inside the horizon: each path settles them at "
                                   "intrinsic value on the expiry day (1 American"));
    CHECK_THAT(md, Catch::Contains("historical"));
    CHECK_THAT(md, Catch::Contains("Max drawdown"));
  }
  {
    const testing::CliResult r =
        testing::run_chipshock(run + "--horizon 10 --replay-window 2025-01-21:2025-01-31 --out '" +
                               dir.file("replay") + "'");
    CHECK(r.code == 2);
    CHECK_THAT(r.err,
               Catch::Contains("p.toml:11: positions[1].expiry_days: --replay-window: the put "
                               "on NVDA expires after 3 trading days"));
  }
  {
    const std::string tree = dir.write("tree.toml", R"(name = "firm"
[[books]]
name = "desk A"
[[books]]
name = "desk B"
[[positions]]
ticker = "NVDA"
quantity = 100
book = "desk A"
[[positions]]
ticker = "NVDA"
type = "put"
quantity = 100
strike = 200
expiry_days = 3
book = "desk B"
)");
    // On the CPU each book settles its own options on the shared paths (the GPU's books kernel
    // refuses them at planning, naming --backend).
    const testing::CliResult r = testing::run_chipshock(
        "run --market scenarios/market/ai_chips.toml --portfolio '" + tree +
        "' --paths 2000 --horizon 10 --backend cpu --out '" + dir.file("tree") + "'");
    CAPTURE(r.err);
    CHECK(r.code == 0);
    const std::string md = testing::slurp_file(dir.file("tree/report.md"));
    CHECK_THAT(md, Catch::Contains("desk B") && Catch::Contains("expires inside the horizon"));
  }
}
