#include "host/cli/backtest_command.hpp"

#include <filesystem>
#include <iostream>

#include "host/backtest/var_backtest.hpp"
#include "host/app/arg_parsing.hpp"
#include "host/cli/run_command.hpp"
#include "host/history/price_history.hpp"
#include "host/input_error.hpp"
#include "host/report/backtest_report.hpp"
#include "host/report/atomic_file.hpp"
#include "host/scenario/scenario_library.hpp"

#ifndef CHIPSHOCK_VERSION
#define CHIPSHOCK_VERSION "unknown"
#endif

namespace chipshock {

namespace {

constexpr std::uint64_t kMaxBacktestPaths = 10000000;

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

int backtest_command(const BacktestOptions& o) {
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
  if (!o.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
    if (ec || !std::filesystem::is_directory(o.out_dir))
      throw InputError("", 0, "--out", "cannot create folder '" + o.out_dir + "'");
  }
  const BacktestResult r = run_backtest(s, universe, portfolio, prices);
  const std::string json =
      backtest_json(r, CHIPSHOCK_VERSION)
          .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (!o.out_dir.empty()) {
    const std::filesystem::path dir(o.out_dir);
    write_file_atomically((dir / "backtest.json").string(), json);
    write_file_atomically((dir / "backtest.csv").string(), backtest_csv(r));
    write_file_atomically((dir / "backtest.md").string(), backtest_markdown(r));
    write_file_atomically((dir / "backtest.html").string(), backtest_html(r, CHIPSHOCK_VERSION));
  }
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
