// Implied-vol moves in scenarios (issue 17, part 2): [[implied_vols]] in vol points or relative,
// per ticker, factor loading or sector, on a day with recovery; a regime whose vol scale also
// scales implied vols. Checked against the Black-Scholes repricing of each option at the horizon.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "book_fixture.hpp"
#include "cli_util.hpp"
#include "host/config/iv_quotes.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/input_error.hpp"
#include "host/pricing/american.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "kernels/black_scholes.cuh"
#include "kernels/normal_quantile.cuh"
#include "test_util.hpp"

using namespace chipshock;
using testing::Book;

namespace {

// X: spot 100, a near-zero realised vol, no drift; Y: a semiconductor with a factor loading.
const char* const kMarket =
    "currency = \"USD\"\nrate = 0.03\n[assets.X]\nspot = 100.0\nvol = 0.000001\ndrift = 0.0\n"
    "sector = \"software\"\n[assets.Y]\nspot = 50.0\nvol = 0.4\nsector = \"semiconductors\"\n"
    "exposures = { ai_capex = 1.5 }\n";
const char* const kBook =
    "name = \"vols\"\n[[positions]]\nticker = \"X\"\ntype = \"call\"\nquantity = 100\n"
    "strike = 100\nexpiry_days = 63\nimplied_vol = 0.3\n[[positions]]\nticker = \"Y\"\n"
    "type = \"put\"\nquantity = -40\nstrike = 45\nexpiry_days = 42\n";

Scenario scenario(const testing::TempDir& dir, const std::string& body) {
  return load_scenario(dir.write("s.toml", "name = \"vol\"\ndescription = \"vol moves\"\n" + body));
}

std::string scenario_error(const std::string& body, int horizon = 5) {
  testing::TempDir dir;
  try {
    const Book b(kMarket, kBook);
    const Scenario s = scenario(dir, body);
    const SimSpec spec(b.market, b.portfolio, SimSettings{horizon, 1},
                       apply_scenario(s, b.market, horizon));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE(
    "an implied-vol shock on a near-zero-vol asset: the loss is the Black-Scholes "
    "repricing at the shocked vol",
    "[implied_vol][scenario][issue17]") {
  testing::TempDir dir;
  const Book b(kMarket, kBook);
  const int h = 5;
  const Scenario s = scenario(dir,
                              "[[implied_vols]]\nday = 2\nunit = \"points\"\n"
                              "tickers = { X = 10 }\n");
  const SimSpec spec(b.market, b.portfolio, SimSettings{h, 1}, apply_scenario(s, b.market, h));
  REQUIRE(spec.book().options[0].implied_vol == Approx(0.4).epsilon(1e-15));
  REQUIRE(spec.book().options[1].implied_vol == 0.4);  // Y: not named, no sector default
  const double tau0 = 63 / 252.0, tau_h = (63 - h) / 252.0, r = 0.03;
  const double c0 = black_scholes(OptionKind::kCall, 100, 100, tau0, r, 0.3);
  CHECK(spec.positions()[0].unit_value0 == Approx(c0).epsilon(1e-14));  // at today's vol
  for (std::uint64_t path = 0; path < 200; ++path) {
    const std::vector<float> x = reference_log_returns(spec, 4, path);
    const double sx = 100 * std::exp(static_cast<double>(x[0]));
    const double sy = 50 * std::exp(static_cast<double>(x[1]));
    CHECK(std::fabs(sx - 100) < 1e-4);  // the spot barely moves
    const double p0 = spec.positions()[1].unit_value0;
    const double expected =
        100 * (c0 - black_scholes(OptionKind::kCall, sx, 100, tau_h, r, 0.4)) -
        40 * (p0 - black_scholes(OptionKind::kPut, sy, 45, (42 - h) / 252.0, r, 0.4));
    CHECK(reference_path_loss(spec, 4, path) == Approx(expected).epsilon(1e-12));
  }
  // The loss of the X call alone is the repricing: q (C0 - C(S0, 0.4, tau_h)), as the spot holds.
  const double vega_gain = 100 * (black_scholes(OptionKind::kCall, 100, 100, tau_h, r, 0.4) - c0);
  CHECK(vega_gain > 150);  // a 10-point rise on a 3-month at-the-money call
}

TEST_CASE(
    "implied-vol moves: tickers before factors before sectors, relative times, points "
    "added, the part left after recovery",
    "[implied_vol][scenario][issue17]") {
  testing::TempDir dir;
  const Book b(kMarket, kBook);
  const Scenario s = scenario(dir,
                              "[[implied_vols]]\nday = 2\nunit = \"relative\"\n"
                              "factors = { ai_capex = 0.2 }\nsectors = { software = 0.5 }\n"
                              "recovery = { fraction = 0.5, days = 4 }\n"
                              "[[implied_vols]]\nday = 3\nunit = \"points\"\n"
                              "tickers = { Y = -6 }\nsectors = { software = 4 }\n"
                              "[[regimes]]\ndays = [4, 9]\nvol_scale = { Y = 1.5 }\n"
                              "implied_vols = true\n");
  for (const int h : {1, 2, 4, 6, 12}) {
    CAPTURE(h);
    const AppliedScenario a = apply_scenario(s, b.market, h);
    const SimSpec spec(b.market, b.portfolio, SimSettings{h, 1}, a);
    // move 0 from day 2: X by its sector (+50%), Y by its loading (1.5 x 0.2 = +30%), of which
    // half reverts over 4 days; move 1 from day 3: X +4 points, Y -6; the regime scales Y by 1.5
    // while it covers the horizon's last day (days 4-9)
    const double left = h < 2 ? 0.0 : 1.0 - 0.5 * std::min(h - 2, 4) / 4.0;
    const double x = 0.3 * (1 + 0.5 * left) + (h >= 3 ? 0.04 : 0.0);
    const double y =
        0.4 * (1 + 0.3 * left) * (h >= 4 && h <= 9 ? 1.5 : 1.0) - (h >= 3 ? 0.06 : 0.0);
    CHECK(spec.book().options[0].implied_vol == Approx(x).epsilon(1e-14));
    CHECK(spec.book().options[1].implied_vol == Approx(y).epsilon(1e-14));
  }
}

TEST_CASE("implied-vol moves: bad entries name the file, line and field",
          "[implied_vol][scenario][errors][issue17]") {
  struct Case {
    std::string body, expect1, expect2;
  };
  const std::vector<Case> cases = {
      {"[[implied_vols]]\nday = 1\ntickers = { X = 5 }\n", "implied_vols[0].unit", "missing"},
      {"[[implied_vols]]\nday = 1\nunit = \"percent\"\ntickers = { X = 5 }\n",
       "implied_vols[0].unit", "unknown unit 'percent'"},
      {"[[implied_vols]]\nday = 1\nunit = \"points\"\n", "implied_vols[0].tickers",
       "needs tickers, factors or sectors"},
      {"[[implied_vols]]\nday = 1\nunit = \"relative\"\ntickers = { X = -1.0 }\n",
       "implied_vols[0].tickers.X", "(-1, 10]"},
      {"[[implied_vols]]\ndays = [1, 3]\nunit = \"points\"\ntickers = { X = 5 }\n",
       "implied_vols[0].days", "a window is not allowed"},
      {"[[implied_vols]]\nday = 1\nunit = \"points\"\nfactors = { nope = 5 }\n",
       "implied_vols[0].factors.nope", "unknown factor"},
      {"[[implied_vols]]\nday = 1\nunit = \"points\"\ntickers = { X = -35 }\n",
       "s.toml:3: implied_vols[0]", "takes the implied vol of positions[0] (X call 100"},
      {"[[regimes]]\ndays = [1, 3]\ndrift = 0.1\nimplied_vols = true\n", "regimes[0].implied_vols",
       "lacks"},
      {"[[regimes]]\ndays = [1, 3]\nvol_scale = 2\nimplied_vols = \"yes\"\n",
       "regimes[0].implied_vols", "true or false"},
  };
  for (const Case& c : cases) {
    const std::string err = scenario_error(c.body);
    CAPTURE(c.body, err);
    CHECK_THAT(err, Catch::Contains(c.expect1));
    CHECK_THAT(err, Catch::Contains(c.expect2));
  }
  CHECK(scenario_error("[[implied_vols]]\nday = 9\nunit = \"points\"\ntickers = { X = -35 }\n")
            .empty());  // after the horizon: no effect
}

TEST_CASE("every built-in scenario moves implied vols and states its proxy",
          "[implied_vol][scenario][builtin][issue17]") {
  for (const char* name :
       {"cheaper_model_disruption", "cheaper_model_disruption_no_rebound", "export_restrictions",
        "ai_capex_cut", "rates_shock", "taiwan_supply_disruption"}) {
    CAPTURE(name);
    const Scenario s =
        load_scenario(testing::source_path(std::string("scenarios/builtin/") + name + ".toml"));
    bool regime = false;
    for (const ScenarioRegime& g : s.regimes) regime |= g.scales_implied_vols;
    CHECK((s.implied_vols.size() == 1 || regime));
    CHECK_THAT(s.source, Catch::Contains("no implied-vol history ships"));
    CHECK_THAT(s.source, Catch::Contains("assumption"));
  }
}

TEST_CASE(
    "the smile: options price off the asset's implied-vol surface at their strike and "
    "maturity, today and at the horizon",
    "[implied_vol][surface][issue17]") {
  // X: a near-zero realised vol, so the horizon's spot is today's to 1e-5; its surface has a
  // skew and a falling term structure. Five calls across strikes, and one with its own vol.
  const std::string market =
      "currency = \"USD\"\nrate = 0.03\n[assets.X]\nspot = 100.0\nvol = 0.000001\n"
      "dividend_yield = 0.01\nimplied_vol = { atm = 0.4, skew = -0.3, term_slope = -0.1 }\n";
  std::string book = "name = \"smile\"\n";
  const double strikes[] = {80, 90, 100, 110, 120};
  for (double k : strikes)
    book += "[[positions]]\nticker = \"X\"\ntype = \"call\"\nquantity = 10\nstrike = " +
            std::to_string(k) + "\nexpiry_days = 63\n";
  book +=
      "[[positions]]\nticker = \"X\"\ntype = \"put\"\nquantity = 10\nstrike = 90\n"
      "expiry_days = 63\nimplied_vol = 0.5\n";
  const Book b(market, book);
  const int h = 10;
  const SimSpec spec(b.market, b.portfolio, SimSettings{h, 1});
  const double r = 0.03, q = 0.01, tau0 = 63 / 252.0, tau_h = (63 - h) / 252.0;
  const auto surface = [&](double k, double tau) {
    const double x = tau / 0.25, m = std::log(k / 100) - (r - q) * tau;
    return 0.4 * std::pow(x, -0.1) * std::exp(-0.3 * m);
  };
  const auto& lines = spec.positions();
  REQUIRE(lines.size() == 6);
  for (int j = 0; j < 5; ++j) {
    CAPTURE(j);
    CHECK(lines[j].vol0 == Approx(surface(strikes[j], tau0)).epsilon(1e-14));
    CHECK(spec.book().options[j].implied_vol == Approx(surface(strikes[j], tau_h)).epsilon(1e-14));
    CHECK(lines[j].unit_value0 ==
          Approx(black_scholes(OptionKind::kCall, 100, strikes[j], tau0, r, lines[j].vol0, q))
              .epsilon(1e-14));
  }
  CHECK(lines[1].vol0 > lines[3].vol0);  // the skew: lower strikes, higher vols
  CHECK(lines[5].vol0 == 0.5);           // its own implied_vol overrides the surface
  CHECK(spec.book().options[5].implied_vol == 0.5);
  std::vector<double> out(lines.size() + 1);
  for (std::uint64_t path = 0; path < 50; ++path) {
    reference_path_lines(spec, 2, path, out.data());
    const double s_h = 100 * std::exp(static_cast<double>(reference_log_returns(spec, 2, path)[0]));
    for (int j = 0; j < 5; ++j) {
      const double v_h = black_scholes(OptionKind::kCall, s_h, strikes[j], tau_h, r,
                                       surface(strikes[j], tau_h), q);
      CHECK(out[static_cast<std::size_t>(j)] ==
            Approx(10 * (lines[j].unit_value0 - v_h)).epsilon(1e-12).margin(1e-9));
    }
  }
}

TEST_CASE(
    "implied-vol surfaces: bad entries and calendar arbitrage name the file, line and "
    "field",
    "[implied_vol][surface][errors][issue17]") {
  struct Case {
    std::string surface, expect1, expect2;
  };
  const std::vector<Case> cases = {
      {"{ skew = -0.1 }", "assets.X.implied_vol.atm", "missing"},
      {"{ atm = 0 }", "assets.X.implied_vol.atm", "(0, 5]"},
      {"{ atm = 0.4, term_slope = -0.6 }", "assets.X.implied_vol.term_slope", "calendar arbitrage"},
      {"{ atm = 0.4, skew = -2.5 }", "assets.X.implied_vol.skew", "[-2, 2]"},
      {"{ atm = 0.4, smile = 2 }", "assets.X.implied_vol.smile", "unknown"},
  };
  for (const Case& c : cases) {
    testing::TempDir dir;
    std::string err;
    try {
      load_market(dir.write("m.toml",
                            "currency = \"USD\"\nrate = 0.03\n[assets.X]\nspot = 100\n"
                            "vol = 0.3\nimplied_vol = " +
                                c.surface + "\n"));
    } catch (const InputError& e) {
      err = e.what();
    }
    CAPTURE(c.surface, err);
    CHECK_THAT(err, Catch::Contains("m.toml:") && Catch::Contains(c.expect1));
    CHECK_THAT(err, Catch::Contains(c.expect2));
  }
}

TEST_CASE(
    "the quotes of an --iv-file, by strike or delta, fit the surface they were drawn from, "
    "and bad rows "
    "name the file, line and column",
    "[implied_vol][surface][iv_file][issue17]") {
  testing::TempDir dir;
  const std::string market_text =
      "currency = \"USD\"\nrate = 0.04\nas_of = 2026-07-31\n[assets.X]\nspot = 100.0\n"
      "vol = 0.3\ndividend_yield = 0.02\n[assets.Y]\nspot = 20.0\nvol = 0.5\n";
  // quotes from atm 0.42, skew -0.25, term_slope -0.08, exactly
  const double atm = 0.42, skew = -0.25, slope = -0.08, r = 0.04, q = 0.02;
  const auto vol_at = [&](double k_fwd, double tau) {
    return atm * std::pow(tau / 0.25, slope) * std::exp(skew * k_fwd);
  };
  std::string csv = "Ticker,Expiry,Strike,Delta,Vol\n";
  char buf[200];
  for (int days : {10, 42, 126, 252})
    for (double strike : {80.0, 95.0, 100.0, 110.0}) {
      const double tau = days / 252.0, k = std::log(strike / 100) - (r - q) * tau;
      std::snprintf(buf, sizeof buf, "X,%d,%.17g,,%.17g\n", days, strike, vol_at(k, tau));
      csv += buf;
    }
  // by delta: find the vol consistent with a 25-delta put at 63 days by fixed point
  {
    const double tau = 63 / 252.0;
    double vol = atm, k = 0;
    for (int it = 0; it < 200; ++it) {
      const double sd = vol * std::sqrt(tau);
      const double d1 = -normal_quantile(0.25 * std::exp(q * tau));
      k = -d1 * sd + 0.5 * sd * sd;
      vol = vol_at(k, tau);
    }
    std::snprintf(buf, sizeof buf, "X,63,,-0.25,%.17g\n", vol);
    csv += buf;
  }
  csv += "Y,2026-08-31,20,,0.6\n";  // one quote: the at-the-money level alone
  Market m = load_market_text(market_text, "m.toml");
  const std::vector<IvFit> fits = apply_iv_file(dir.write("iv.csv", csv), m);
  REQUIRE(fits.size() == 2);
  const ImpliedVolSurface& s = m.assets[0].implied_vol;
  REQUIRE(s.given);
  CHECK(s.atm == Approx(atm).epsilon(1e-9));
  CHECK(s.skew == Approx(skew).epsilon(1e-9));
  CHECK(s.term_slope == Approx(slope).epsilon(1e-9));
  CHECK(fits[0].quotes == 17);
  CHECK(fits[0].rms_points < 1e-8);
  const ImpliedVolSurface& y = m.assets[1].implied_vol;
  CHECK(y.atm == Approx(0.6).epsilon(1e-12));
  CHECK(y.skew == 0);
  CHECK(y.term_slope == 0);
  CHECK_THAT(iv_fit_note(fits[1], "iv.csv"),
             Catch::Contains("Y: implied-vol surface fitted to 1 quote of iv.csv (1 expiry)"));

  struct Case {
    std::string csv, expect1, expect2;
  };
  const std::vector<Case> cases = {
      {"ticker,expiry,vol\nX,10,0.3\n", "iv.csv:1: header", "no 'strike' or 'delta' column"},
      {"ticker,expiry,strike,size\n", "iv.csv:1: header", "unknown column 'size'"},
      {"ticker,expiry,strike,vol\nZZZ,10,100,0.3\n", "iv.csv:2: ticker", "unknown ticker 'ZZZ'"},
      {"ticker,expiry,strike,vol\nX,10,100,-0.3\n", "iv.csv:2: vol", "(0, 5]"},
      {"ticker,expiry,strike,vol\nX,soon,100,0.3\n", "iv.csv:2: expiry", "'soon'"},
      {"ticker,expiry,strike,delta,vol\nX,10,100,0.3,0.3\n", "iv.csv:2: delta", "not both"},
      {"ticker,expiry,delta,vol\nX,10,1.2,0.3\n", "iv.csv:2: delta", "(0, 1)"},
      {"ticker,expiry,strike,vol\nX,10,100,0.3\nX,10\n", "iv.csv:3", "2 fields"},
      {"ticker,expiry,strike,vol\nX,5,100,0.9\nX,250,100,0.05\nX,250,110,0.05\n", "iv.csv:2: vol",
       "calendar arbitrage"},
  };
  for (const Case& c : cases) {
    Market mm = load_market_text(market_text, "m.toml");
    std::string err;
    try {
      apply_iv_file(dir.write("iv.csv", c.csv), mm);
    } catch (const InputError& e) {
      err = e.what();
    }
    CAPTURE(c.csv, err);
    CHECK_THAT(err, Catch::Contains(c.expect1));
    CHECK_THAT(err, Catch::Contains(c.expect2));
  }
}

TEST_CASE("run --iv-file: the fitted surfaces price the options, and the report says so",
          "[implied_vol][iv_file][cli][issue17]") {
  testing::TempDir dir;
  const std::string iv = dir.write("iv.csv",
                                   "ticker,expiry,strike,vol\nMSFT,21,480,0.30\n"
                                   "MSFT,63,480,0.28\nMSFT,63,520,0.26\n");
  const std::string base =
      "run --market scenarios/market/ai_chips.toml --portfolio "
      "scenarios/portfolio/hedged_book.toml --paths 20000 --seed 5 "
      "--horizon 5 --backend cpu ";
  const testing::CliResult with =
      testing::run_chipshock(base + "--iv-file '" + iv + "' --out '" + dir.file("a") + "'");
  REQUIRE(with.code == 0);
  CHECK_THAT(testing::slurp_file(dir.file("a/report.md")),
             Catch::Contains("MSFT: implied-vol surface fitted to 3 quotes of"));
  const testing::CliResult without = testing::run_chipshock(base + "--out '" + dir.file("b") + "'");
  REQUIRE(without.code == 0);
  // the short MSFT call (no implied_vol of its own) is worth less at the quotes' ~26% than at
  // MSFT's realised vol: the book's value differs
  CHECK(testing::slurp_file(dir.file("a/report.json")) !=
        testing::slurp_file(dir.file("b/report.json")));
  const testing::CliResult bad = testing::run_chipshock(base + "--iv-file '" + dir.path().string() +
                                                        "' --out '" + dir.file("c") + "'");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("not a regular file"));
}

TEST_CASE(
    "a surface's spot beta: after a 10% fall the implied vol is the surface's times "
    "0.9^beta, path by path",
    "[implied_vol][surface][issue17]") {
  testing::TempDir dir;
  const std::string market =
      "currency = \"USD\"\nrate = 0.03\n[assets.X]\nspot = 100.0\nvol = 0.000001\n"
      "implied_vol = { atm = 0.4, spot_beta = -1.5 }\n";
  const Book b(market,
               "name = \"b\"\n[[positions]]\nticker = \"X\"\ntype = \"call\"\n"
               "quantity = 10\nstrike = 100\nexpiry_days = 63\n");
  const Scenario s = scenario(dir, "[[jumps]]\nday = 1\nreturns = { X = -0.10 }\n");
  const int h = 5;
  const SimSpec spec(b.market, b.portfolio, SimSettings{h, 1}, apply_scenario(s, b.market, h));
  REQUIRE(spec.book().options[0].vol_beta == -1.5);
  const double r = 0.03, tau0 = 63 / 252.0, tau_h = (63 - h) / 252.0;
  const double c0 = black_scholes(OptionKind::kCall, 100, 100, tau0, r, 0.4);
  for (std::uint64_t path = 0; path < 50; ++path) {
    const double s_h = 100 * std::exp(static_cast<double>(reference_log_returns(spec, 8, path)[0]));
    CHECK(s_h == Approx(90).epsilon(1e-4));
    const double vol = 0.4 * std::pow(s_h / 100, -1.5);  // about 0.468
    CHECK(reference_path_loss(spec, 8, path) ==
          Approx(10 * (c0 - black_scholes(OptionKind::kCall, s_h, 100, tau_h, r, vol)))
              .epsilon(1e-12));
  }
  // An American option revalues between its curves at several vols (american_across_vols): the
  // price at the path's vol, to the interpolation's 1e-4.
  const Book am(market,
                "name = \"b\"\n[[positions]]\nticker = \"X\"\ntype = \"put\"\n"
                "quantity = 10\nstrike = 100\nexpiry_days = 63\nstyle = \"american\"\n");
  const SimSpec amspec(am.market, am.portfolio, SimSettings{h, 1}, apply_scenario(s, am.market, h));
  REQUIRE(amspec.book().options[0].american_nodes == kAmericanVolNodes);
  const double p0 = amspec.positions()[0].unit_value0;
  for (std::uint64_t path = 0; path < 20; ++path) {
    const double s_h =
        100 * std::exp(static_cast<double>(reference_log_returns(amspec, 8, path)[0]));
    const double vol = 0.4 * std::pow(s_h / 100, -1.5);
    const double v = american_price(OptionKind::kPut, s_h, 100, tau_h, r, vol, 0.0);
    CHECK(reference_path_loss(amspec, 8, path) == Approx(10 * (p0 - v)).margin(1e-4 * 10 * v));
  }
}

TEST_CASE(
    "review mends: an --iv-file surface's errors name the quotes' file; a settled option "
    "ignores a scenario's vol move; quotes that cannot fix the surface are refused",
    "[implied_vol][iv_file][errors][issue17]") {
  testing::TempDir dir;
  const std::string market_text =
      "currency = \"USD\"\nrate = 0.04\n[assets.X]\nspot = 100.0\nvol = 0.3\n";
  {
    // a steep fitted skew (-1.7) puts a put struck at 1 far above 1000% of vol
    Market m = load_market_text(market_text, "m.toml");
    apply_iv_file(dir.write("q.csv", "ticker,expiry,strike,vol\nX,63,100,0.5\nX,63,150,0.25\n"), m);
    const Portfolio p =
        load_portfolio(dir.write("p.toml",
                                 "name = \"b\"\n[[positions]]\nticker = \"X\"\ntype = \"put\"\n"
                                 "quantity = 1\nstrike = 1\nexpiry_days = 63\n"),
                       m);
    std::string err;
    try {
      SimSpec(m, p, SimSettings{1, 1});
    } catch (const InputError& e) {
      err = e.what();
    }
    CHECK_THAT(
        err, Catch::Contains("q.csv:2: vol: gives positions[0]") && Catch::Contains("above 1000%"));
  }
  {
    const Book b(market_text,
                 "name = \"b\"\n[[positions]]\nticker = \"X\"\ntype = \"call\"\n"
                 "quantity = 1\nstrike = 100\nexpiry_days = 2\n");
    const Scenario s = scenario(dir,
                                "[[implied_vols]]\nday = 3\nunit = \"points\"\n"
                                "tickers = { X = -40 }\n");
    CHECK_NOTHROW(
        SimSpec(b.market, b.portfolio, SimSettings{5, 1}, apply_scenario(s, b.market, 5)));
  }
  {
    Market m = load_market_text(market_text, "m.toml");
    std::string err;
    try {
      apply_iv_file(dir.write("q.csv", "ticker,expiry,strike,vol\nX,21,90,0.5\nX,63,110,0.4\n"), m);
    } catch (const InputError& e) {
      err = e.what();
    }
    CHECK_THAT(err, Catch::Contains("q.csv:2: vol: the 2 quotes of X (from line 2) do not "
                                    "determine the surface's 3 parameters"));
  }
}
