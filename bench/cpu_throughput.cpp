// CPU backend throughput in asset-steps per second, in the style of llm.c's dev/cuda: a scalar
// reference, the SIMD backend checked against it, then timing.
//
//   bench_cpu_throughput [--market F] [--portfolio F] [--paths N] [--horizon D]
//                        [--steps-per-day K] [--threads T] [--seed S] [--repeat R]
//                        [--rng philox|sobol] [--cpu-isa auto|avx2|avx512]
//
// Defaults: the 16-asset sample market, the AI book, 1M paths x 10 one-day steps, all cores.
// Prints one JSON object on stdout (the figures bench/compare_numpy.sh reads).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "host/app/arg_parsing.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/risk_engine.hpp"

using namespace chipshock;

int main(int argc, char** argv) {
  std::string market_file = "scenarios/market/ai_chips.toml";
  std::string portfolio_file = "scenarios/portfolio/ai_book.toml";
  std::uint64_t paths = 1000000, seed = 7;
  int horizon = 10, steps_per_day = 1, threads = 0, repeat = 3;
  RngKind rng = RngKind::kPhilox;
  CpuIsa isa = CpuIsa::kAuto;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a], v = argv[a + 1];
    if (k == "--market") market_file = v;
    else if (k == "--portfolio") portfolio_file = v;
    else if (k == "--paths") paths = parse_paths(v);
    else if (k == "--horizon") horizon = std::stoi(v);
    else if (k == "--steps-per-day") steps_per_day = std::stoi(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--repeat") repeat = std::max(1, std::stoi(v));
    else if (k == "--rng" && (v == "philox" || v == "sobol"))
      rng = v == "sobol" ? RngKind::kSobol : RngKind::kPhilox;
    else if (k == "--cpu-isa" && (v == "auto" || v == "avx2" || v == "avx512"))
      isa = v == "avx2" ? CpuIsa::kAvx2 : v == "avx512" ? CpuIsa::kAvx512 : CpuIsa::kAuto;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const Market market = load_market(market_file);
    const Portfolio portfolio = load_portfolio(portfolio_file, market);
    SimSettings sim{horizon, steps_per_day};
    sim.rng = rng;
    const SimSpec spec(market, portfolio, sim);
    const CpuBackend backend(threads, isa);

    // Correctness: the SIMD backend against the scalar reference, path by path.
    const std::uint64_t check = 4096;
    std::vector<double> simd(check);
    backend.simulate_losses(spec, seed, 0, check, simd.data());
    double max_abs_diff = 0;
    for (std::uint64_t p = 0; p < check; ++p)
      max_abs_diff = std::max(max_abs_diff, std::fabs(simd[p] - reference_path_loss(spec, seed, p)));
    const double rel = max_abs_diff / spec.gross_exposure();
    if (!(rel < 1e-5)) {
      std::fprintf(stderr, "FAIL: SIMD vs scalar reference differ by %g of gross exposure\n", rel);
      return 1;
    }

    RunSettings rs;
    rs.paths = paths;
    rs.seed = seed;
    double best = 1e300;
    ScenarioResult result;
    for (int r = 0; r < repeat; ++r) {
      result = simulate_scenario("baseline", spec, backend, rs);
      best = std::min(best, result.seconds);
    }
    const double steps = static_cast<double>(spec.total_steps());
    const double asset_steps = static_cast<double>(paths) * spec.n_assets() * steps;
    std::printf(
        "{\"engine\": \"chipshock-cpu\", \"cpu_isa\": \"%s\", \"rng\": \"%s\", \"threads\": %d, "
        "\"paths\": %llu, "
        "\"assets\": %d, "
        "\"steps\": %d, \"seconds\": %.4f, \"asset_steps_per_second\": %.4g, "
        "\"ns_per_asset_step_per_core\": %.3f, \"check_max_rel_diff\": %.3g, "
        "\"var\": {\"0.95\": %.2f, \"0.975\": %.2f, \"0.99\": %.2f}, "
        "\"es\": {\"0.95\": %.2f, \"0.975\": %.2f, \"0.99\": %.2f}, \"mean_loss\": %.2f, "
        "\"stdev_loss\": %.2f}\n",
        cpu_isa_name(backend.isa()), rng_name(rng), backend.threads(), static_cast<unsigned long long>(paths), spec.n_assets(),
        spec.total_steps(), best, asset_steps / best, best * backend.threads() / asset_steps * 1e9,
        rel, result.levels[0].var, result.levels[1].var, result.levels[2].var, result.levels[0].es,
        result.levels[1].es, result.levels[2].es, result.mean_loss, result.stdev_loss);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cpu_throughput: %s\n", e.what());
    return 2;
  }
  return 0;
}
