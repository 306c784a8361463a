#include "host/cli/backtest_command.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "host/backtest/var_backtest.hpp"
#include "host/app/arg_parsing.hpp"
#include "host/cli/run_command.hpp"
#include "host/history/price_history.hpp"
#include "host/input_error.hpp"
#include "host/report/backtest_report.hpp"
#include "host/cli/file_set_notice.hpp"
#include "host/files/file_set.hpp"
#include "host/files/free_space.hpp"
#include "host/scenario/scenario_library.hpp"

#ifndef CHIPSHOCK_VERSION
#define CHIPSHOCK_VERSION "unknown"
#endif

namespace chipshock {

namespace {

constexpr std::uint64_t kMaxBacktestPaths = 10000000;

const std::vector<std::string> kBacktestFiles = {"backtest.json", "backtest.csv", "backtest.md",
                                                 "backtest.html"};

// What the backtest writes, bounded before it runs: about twice the sizes measured on the
// sample book (a base and, per calendar day of --from..--to, a row per confidence level in each
// file and a chart point).
std::vector<SpaceNeed> backtest_space(const BacktestOptions& o, const std::vector<double>& conf) {
  const auto day_number = [](const std::string& date) {
    int y = 0, m = 0, d = 0;
    if (std::sscanf(date.c_str(), "%d-%d-%d", &y, &m, &d) != 3) return 0L;
    return 372L * y + 31L * m + d;  // an upper bound on the day count, enough for a size
  };
  const long days = std::max(1L, day_number(o.to) - day_number(o.from) + 1);
  const std::uint64_t set =
      2 * ((32 << 10) + static_cast<std::uint64_t>(days) * (192 + 384 * conf.size()));
  std::vector<SpaceNeed> needs;
  if (!o.out_dir.empty()) needs.push_back({o.out_dir, set, set / 2, "--out", "the backtest"});
  if (o.json) needs.push_back({"", set / 2, set / 2, "--json", "backtest.json"});
  return needs;
}

// Every ticker with a price file, as a market the portfolio can be checked against.
Market universe_from_prices(const std::string& dir, double rate) {
  Market m;
  m.file = dir;
  m.currency = "USD";
  m.rate = rate;
  for (const std::string& t : available_tickers(dir)) {
    Asset a;
    a.ticker = t;
    a.spot = 1.0;
    a.vol = 0.2;
    m.assets.push_back(a);
  }
  return m;
}

}  // namespace

BacktestOutcome backtest_job(const BacktestOptions& o) {
  if (o.portfolio.empty()) throw InputError("", 0, "--portfolio", "required");
  if (o.from.empty()) throw InputError("", 0, "--from", "required", "e.g. --from 2024-01-26");
  if (o.to.empty()) throw InputError("", 0, "--to", "required", "e.g. --to 2025-01-27");
  if (o.vol != "sample" && o.vol != "ewma")
    throw InputError("", 0, "--vol", "'" + o.vol + "': expected sample or ewma");
  if (o.dof != "none" && o.dof != "auto")
    throw InputError("", 0, "--dof", "'" + o.dof + "': expected none (Gaussian) or auto");
  if (o.threads < 0 || o.threads > 4096)
    throw InputError("", 0, "--threads", "must be between 1 and 4096 (0 = all cores)");
  BacktestSettings s;
  s.from = o.from;
  s.to = o.to;
  s.window = o.window;
  s.confidences = parse_confidences(o.confidence);
  s.paths = parse_paths(o.paths);
  if (s.paths > kMaxBacktestPaths)
    throw InputError("", 0, "--paths",
                     "at most " + std::to_string(kMaxBacktestPaths) + " paths a day in a backtest");
  s.seed = parse_unsigned(o.seed, "--seed");
  s.ewma = o.vol == "ewma";
  s.student_t = o.dof == "auto";
  s.threads = o.threads;
  const std::string prices = o.prices.empty() ? default_prices_dir() : o.prices;
  if (prices.empty())
    throw InputError("", 0, "--prices", "no price history found", "give --prices DIR");
  Market universe;
  if (!o.market.empty()) {
    universe = load_market(o.market);
    s.rate = universe.rate;
  } else {
    universe = universe_from_prices(prices, o.rate);
    s.rate = o.rate;
  }
  const Portfolio portfolio = load_portfolio(o.portfolio, universe);
  if (!o.out_dir.empty()) prepare_set_folder(o.out_dir, kBacktestFiles, "--out");
  check_space(backtest_space(o, s.confidences));
  BacktestOutcome out{run_backtest(s, universe, portfolio, prices), ""};
  const BacktestResult& r = out.result;
  out.json = backtest_json(r, CHIPSHOCK_VERSION)
                 .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
             "\n";
  const std::string& json = out.json;
  if (!o.out_dir.empty()) {
    say_set_written(write_file_set(o.out_dir,
                                   {{"backtest.csv", backtest_csv(r)},
                                    {"backtest.md", backtest_markdown(r)},
                                    {"backtest.html", backtest_html(r, CHIPSHOCK_VERSION)},
                                    {"backtest.json", json}},
                                   kBacktestFiles),
                    o.out_dir, o.quiet);
  }
  return out;
}

int backtest_command(const BacktestOptions& o) {
  const BacktestOutcome out = backtest_job(o);
  const BacktestResult& r = out.result;
  const std::string& json = out.json;
  if (o.json) {
    std::cout << json;
  } else if (!o.quiet) {
    std::cout << backtest_summary(r);
    if (!o.out_dir.empty())
      std::cout << "wrote " << (std::filesystem::path(o.out_dir) / "backtest.json").string()
                << ", backtest.csv, backtest.md and backtest.html\n";
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace chipshock
