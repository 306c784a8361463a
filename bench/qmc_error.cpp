// Quasi-Monte Carlo against pseudo-random at equal path counts: the error of VaR, ES and the
// mean loss over R independent seeds of --rng philox and of --rng sobol, at each path count,
// against a high-precision reference.
//
//   bench_qmc_error [--market F] [--portfolio F] [--horizon D] [--steps-per-day K]
//                   [--replications R] [--paths N,N,...] [--reference-runs M]
//                   [--reference-paths N] [--threads T]
//
// Defaults: the 16-asset sample market and the AI book, 1 one-day step, R = 30, paths 2^12,
// 2^14, 2^16, 2^18; reference = the mean of M = 4 Sobol' runs of 2^21 paths (seeds 1001..),
// whose standard error (their spread / sqrt(M)) is printed beside it. Seeds 1..R for both
// generators. RMSE = sqrt(mean over seeds of (estimate - reference)^2), relative to the
// reference; ratio = RMSE philox / RMSE sobol (its square is the variance reduction, i.e. how
// many times more Philox paths reach the same error). Also the spread across seeds (sd), which
// needs no reference. Prints Markdown tables.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "host/app/arg_parsing.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/risk_engine.hpp"

using namespace chipshock;

namespace {

constexpr int kMeasures = 5;
const char* const kMeasureNames[kMeasures] = {"mean loss", "VaR 95%", "ES 95%", "VaR 99%",
                                              "ES 99%"};

struct Estimates {
  double m[kMeasures];
};

Estimates estimate(const SimSpec& spec, const CpuBackend& backend, std::uint64_t paths,
                   std::uint64_t seed) {
  RunSettings s;
  s.paths = paths;
  s.seed = seed;
  s.confidences = {0.95, 0.99};
  s.histogram_bins = 0;
  s.components = false;
  const ScenarioResult r = simulate_scenario("baseline", spec, backend, s);
  return {{r.mean_loss, r.levels[0].var, r.levels[0].es, r.levels[1].var, r.levels[1].es}};
}

std::vector<std::uint64_t> parse_list(const std::string& text) {
  std::vector<std::uint64_t> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(parse_paths(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string market_file = "scenarios/market/ai_chips.toml";
  std::string portfolio_file = "scenarios/portfolio/ai_book.toml";
  int horizon = 1, steps_per_day = 1, replications = 30, reference_runs = 4, threads = 0;
  std::vector<std::uint64_t> path_counts = {1u << 12, 1u << 14, 1u << 16, 1u << 18};
  std::uint64_t reference_paths = 1u << 21;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a], v = argv[a + 1];
    if (k == "--market")
      market_file = v;
    else if (k == "--portfolio")
      portfolio_file = v;
    else if (k == "--horizon")
      horizon = std::stoi(v);
    else if (k == "--steps-per-day")
      steps_per_day = std::stoi(v);
    else if (k == "--replications")
      replications = std::max(2, std::stoi(v));
    else if (k == "--paths")
      path_counts = parse_list(v);
    else if (k == "--reference-runs")
      reference_runs = std::max(2, std::stoi(v));
    else if (k == "--reference-paths")
      reference_paths = parse_paths(v);
    else if (k == "--threads")
      threads = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const Market market = load_market(market_file);
    const Portfolio portfolio = load_portfolio(portfolio_file, market);
    SimSettings sim{horizon, steps_per_day};
    const SimSpec philox(market, portfolio, sim);
    sim.rng = RngKind::kSobol;
    const SimSpec sobol(market, portfolio, sim);
    const CpuBackend backend(threads);
    const auto now = [] { return std::chrono::steady_clock::now(); };
    const auto seconds = [](auto a, auto b) {
      return std::chrono::duration<double>(b - a).count();
    };

    // The reference: the mean of independent Sobol' runs, and its standard error.
    const auto t_ref = now();
    double ref[kMeasures] = {}, ref_sq[kMeasures] = {};
    for (int r = 0; r < reference_runs; ++r) {
      const Estimates e =
          estimate(sobol, backend, reference_paths, 1001 + static_cast<std::uint64_t>(r));
      for (int k = 0; k < kMeasures; ++k) {
        ref[k] += e.m[k];
        ref_sq[k] += e.m[k] * e.m[k];
      }
    }
    double ref_se[kMeasures];
    for (int k = 0; k < kMeasures; ++k) {
      const double n = reference_runs, mean = ref[k] / n;
      ref_se[k] = std::sqrt(std::max(0.0, (ref_sq[k] - n * mean * mean) / (n - 1)) / n);
      ref[k] = mean;
    }
    const double ref_seconds = seconds(t_ref, now());

    // rmse[g][p][k], sd[g][p][k]: generator g (0 philox, 1 sobol), path count p, measure k.
    const std::size_t np = path_counts.size();
    std::vector<double> rmse(2 * np * kMeasures), sd(2 * np * kMeasures);
    double gen_seconds[2] = {0, 0};
    for (int g = 0; g < 2; ++g)
      for (std::size_t p = 0; p < np; ++p) {
        double sum[kMeasures] = {}, sum_sq[kMeasures] = {}, err_sq[kMeasures] = {};
        const auto t0 = now();
        for (int r = 1; r <= replications; ++r) {
          const Estimates e = estimate(g == 0 ? philox : sobol, backend, path_counts[p],
                                       static_cast<std::uint64_t>(r));
          for (int k = 0; k < kMeasures; ++k) {
            sum[k] += e.m[k];
            sum_sq[k] += e.m[k] * e.m[k];
            err_sq[k] += (e.m[k] - ref[k]) * (e.m[k] - ref[k]);
          }
        }
        gen_seconds[g] += seconds(t0, now());
        for (int k = 0; k < kMeasures; ++k) {
          const double n = replications, mean = sum[k] / n;
          const std::size_t at = (static_cast<std::size_t>(g) * np + p) * kMeasures + k;
          rmse[at] = std::sqrt(err_sq[k] / n);
          sd[at] = std::sqrt(std::max(0.0, (sum_sq[k] - n * mean * mean) / (n - 1)));
        }
      }

    std::printf(
        "%s, %s: %d assets, %d day(s) x %d step(s) = %d Sobol' dimensions; R = %d seeds "
        "per cell; %d threads\n",
        market_file.c_str(), portfolio_file.c_str(), philox.n_assets(), horizon, steps_per_day,
        philox.n_assets() * philox.total_steps(), replications, backend.threads());
    std::printf("reference: mean of %d Sobol' runs of %llu paths (%.1f s)\n\n", reference_runs,
                static_cast<unsigned long long>(reference_paths), ref_seconds);
    std::printf(
        "| measure | reference | its SE | paths | RMSE philox | RMSE sobol | ratio | "
        "sd philox | sd sobol |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < kMeasures; ++k)
      for (std::size_t p = 0; p < np; ++p) {
        const std::size_t a = p * kMeasures + k, b = (np + p) * kMeasures + k;
        // Relative to the reference, except the mean loss (near 0): in currency.
        const double scale = k == 0 ? 1.0 : std::fabs(ref[k]) / 100.0;
        const char* unit = k == 0 ? "" : "%";
        std::printf("| %s | %.1f | %.1f | 2^%.0f | %.3g%s | %.3g%s | %.1f | %.3g%s | %.3g%s |\n",
                    kMeasureNames[k], ref[k], ref_se[k],
                    std::log2(static_cast<double>(path_counts[p])), rmse[a] / scale, unit,
                    rmse[b] / scale, unit, rmse[b] > 0 ? rmse[a] / rmse[b] : 0.0, sd[a] / scale,
                    unit, sd[b] / scale, unit);
      }
    std::printf("\nseconds: philox %.1f, sobol %.1f (the %d x %zu runs of each)\n", gen_seconds[0],
                gen_seconds[1], replications, np);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_qmc_error: %s\n", e.what());
    return 2;
  }
  return 0;
}
