// Where a GPU scenario's time goes around the engine, stop by stop: the run of advance_scenario
// and finish_scenario (host/risk_engine.hpp) written out with a clock on each piece. Per stop of
// the convergence table: the device run of its stretch (fold), bringing the top of the device
// tail into the host accumulator (settle), reading it (tail_ref) and the row's statistics
// (summarize); then the result's statistics and the components on the device (finish).
//
//   bench_stop_cost [--market F] [--portfolio F] [--paths N] [--horizon D] [--seed S]
//                   [--confidence LIST] [--components 0|1]
//
// Defaults: the sample market and AI book, 10 days, 100M paths, 95/97.5/99%, components on.
// Prints one line a stop and the totals, then one JSON object (scripts/gpu_check.sh).
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "host/app/arg_parsing.hpp"
#include "host/component_risk.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/gpu/gpu_backend.hpp"
#include "host/risk_engine.hpp"

using namespace chipshock;

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string market_file = "scenarios/market/ai_chips.toml";
  std::string portfolio_file = "scenarios/portfolio/ai_book.toml";
  std::string paths = "100M", confidences = "0.95,0.975,0.99";
  std::uint64_t seed = 7;
  int horizon = 10;
  bool components = true;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a], v = argv[a + 1];
    if (k == "--market") market_file = v;
    else if (k == "--portfolio") portfolio_file = v;
    else if (k == "--paths") paths = v;
    else if (k == "--horizon") horizon = std::stoi(v);
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--confidence") confidences = v;
    else if (k == "--components") components = v != "0";
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const Market market = load_market(market_file);
    const Portfolio portfolio = load_portfolio(portfolio_file, market);
    const SimSpec spec(market, portfolio, SimSettings{horizon, 1});
    RunSettings s;
    s.paths = parse_paths(paths);
    s.seed = seed;
    s.components = components;
    s.confidences.clear();
    std::stringstream list(confidences);
    for (std::string item; std::getline(list, item, ',');) s.confidences.push_back(std::stod(item));

    GpuBackend gpu(0);
    const auto whole = Clock::now();
    const std::unique_ptr<PathSource> source = gpu.path_source(spec, s, false);
    auto t = Clock::now();
    LossAccumulator acc = source->start();
    source->adopt(acc);
    const double start_seconds = since(t);
    double fold = 0, settle = 0, read = 0, summarize = 0;
    std::uint64_t done = 0;
    std::printf("%14s %10s %10s %10s %10s %10s\n", "stop", "tail", "fold s", "settle s",
                "read s", "row s");
    for (const std::uint64_t cp : convergence_stops(s)) {
      t = Clock::now();
      source->fold(acc, done, cp - done, {});
      const double f = since(t);
      done = cp;
      const std::size_t m = tail_size_needed(cp, s.confidences);
      t = Clock::now();
      source->settle(acc, m);
      const double st = since(t);
      t = Clock::now();
      const std::vector<double>& tail = acc.tail_ref(m);
      const double rd = since(t);
      t = Clock::now();
      const ScenarioResult row = summarize_tail("", acc, cp, s.confidences, tail);
      const double sm = since(t);
      fold += f;
      settle += st;
      read += rd;
      summarize += sm;
      std::printf("%14llu %10zu %10.4f %10.4f %10.4f %10.4f\n", static_cast<unsigned long long>(cp),
                  m, f, st, rd, sm);
      (void)row;
    }
    t = Clock::now();
    ScenarioResult r = summarize_tail("baseline", acc, s.paths, s.confidences,
                                      acc.tail_ref(tail_size_needed(s.paths, s.confidences)));
    const double result_seconds = since(t);
    t = Clock::now();
    if (components) allocate_scenario_risk(r, spec, s, acc, source->tail_lines());
    const double components_seconds = since(t);
    const double total = since(whole);
    std::printf("start (pilot) %.4f s, fold %.4f s, settle %.4f s, read %.4f s, rows %.4f s, "
                "result %.4f s, components %.4f s, total %.4f s\n",
                start_seconds, fold, settle, read, summarize, result_seconds, components_seconds,
                total);
    std::printf("{\"paths\": %llu, \"stops\": %zu, \"start_seconds\": %.5f, \"fold_seconds\": %.5f, "
                "\"settle_seconds\": %.5f, \"read_seconds\": %.5f, \"row_seconds\": %.5f, "
                "\"result_seconds\": %.5f, \"components_seconds\": %.5f, "
                "\"total_seconds\": %.5f, \"var\": %.2f}\n",
                static_cast<unsigned long long>(s.paths), convergence_stops(s).size(),
                start_seconds, fold, settle, read, summarize, result_seconds, components_seconds,
                total, r.levels[0].var);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_stop_cost: %s\n", e.what());
    return 1;
  }
  return 0;
}
