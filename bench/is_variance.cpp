// Importance sampling against plain Monte Carlo at equal path counts: R independent seeds of each,
// the sample variance of the VaR and ES estimators at each level, their ratio, and the agreement
// of both with a large plain reference run.
//
//   bench_is_variance [--market F] [--portfolio F] [--paths N] [--reps R] [--horizon D]
//                     [--steps-per-day K] [--reference-paths N] [--threads T]
//
// Defaults: the 16-asset sample market and the AI book, 1-day horizon, 65,536 paths, 40
// replications, levels 99% and 99.9%, a 2^24-path plain reference. The importance-sampling time
// includes its pilot (6 or, for Student-t markets, 24 candidates of 8,192 paths); "eff." is the variance ratio times the
// time ratio (the gain at equal CPU time).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "host/analytics/importance_sampling.hpp"
#include "host/app/arg_parsing.hpp"
#include "host/risk_engine.hpp"

using namespace chipshock;

namespace {

struct Stats {
  double mean = 0, var = 0, rmse = 0;
};

Stats stats(const std::vector<double>& x, double reference) {
  Stats s;
  for (double v : x) s.mean += v;
  s.mean /= static_cast<double>(x.size());
  for (double v : x) {
    s.var += (v - s.mean) * (v - s.mean);
    s.rmse += (v - reference) * (v - reference);
  }
  s.var /= static_cast<double>(x.size() - 1);
  s.rmse = std::sqrt(s.rmse / static_cast<double>(x.size()));
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string market_file = "scenarios/market/ai_chips.toml";
  std::string portfolio_file = "scenarios/portfolio/ai_book.toml";
  std::uint64_t paths = 65536, reference_paths = std::uint64_t{1} << 24;
  int reps = 40, horizon = 1, steps_per_day = 1, threads = 0;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a], v = argv[a + 1];
    if (k == "--market") market_file = v;
    else if (k == "--portfolio") portfolio_file = v;
    else if (k == "--paths") paths = parse_paths(v);
    else if (k == "--reps") reps = std::max(3, std::stoi(v));
    else if (k == "--horizon") horizon = std::stoi(v);
    else if (k == "--steps-per-day") steps_per_day = std::stoi(v);
    else if (k == "--reference-paths") reference_paths = parse_paths(v);
    else if (k == "--threads") threads = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const Market market = load_market(market_file);
    const Portfolio portfolio = load_portfolio(portfolio_file, market);
    SimSpec spec(market, portfolio, SimSettings{horizon, steps_per_day});
    const CpuBackend cpu(threads);
    const std::vector<double> levels = {0.99, 0.999};
    RunSettings s;
    s.confidences = levels;
    s.histogram_bins = 0;

    // the reference: one large plain run under a seed no replication uses
    s.paths = reference_paths;
    s.seed = 999999;
    const ScenarioResult ref = simulate_scenario("reference", spec, cpu, s);

    std::vector<std::vector<double>> pv(2 * levels.size()), iv(2 * levels.size());
    double plain_s = 0, is_s = 0;
    ImportanceInfo last;
    int fell_back = 0;  // replications whose pilot chose plain sampling
    s.paths = paths;
    for (int r = 0; r < reps; ++r) {
      s.seed = 1000 + static_cast<std::uint64_t>(r);
      spec.set_importance_shift({});
      auto t = std::chrono::steady_clock::now();
      const ScenarioResult p = simulate_scenario("plain", spec, cpu, s);
      plain_s += seconds_since(t);
      t = std::chrono::steady_clock::now();
      last = plan_importance_sampling(spec, cpu, s.seed, levels.back());
      // a pilot that finds no shift beating plain sampling leaves the spec plain: the run then
      // draws the same paths as the plain replication
      const ScenarioResult w = last.fell_back ? simulate_scenario("is", spec, cpu, s)
                                              : simulate_scenario_weighted("is", spec, cpu, s, last);
      fell_back += last.fell_back ? 1 : 0;
      is_s += seconds_since(t);
      for (std::size_t k = 0; k < levels.size(); ++k) {
        pv[2 * k].push_back(p.levels[k].var);
        pv[2 * k + 1].push_back(p.levels[k].es);
        iv[2 * k].push_back(w.levels[k].var);
        iv[2 * k + 1].push_back(w.levels[k].es);
      }
    }
    std::printf("%s, %s: %d-day horizon, %d step(s)/day, %llu paths x %d replications each; "
                "reference: %llu plain paths\n",
                market_file.c_str(), portfolio_file.c_str(), horizon, steps_per_day,
                static_cast<unsigned long long>(paths), reps,
                static_cast<unsigned long long>(reference_paths));
    std::printf("importance sampling: fell back to plain in %d of %d replications; the last "
                "pilot: shift %.3f sd, chi-square scale %.2f, %llu paths, estimated variance "
                "ratio %.3g (tail probability) %.3g (tail loss)\n",
                fell_back, reps, last.shift_sd, last.chi2_scale,
                static_cast<unsigned long long>(last.pilot_paths), last.pilot_ratio_tail,
                last.pilot_ratio_loss);
    std::printf("time per replication: plain %.3f s, importance %.3f s (with pilot)\n",
                plain_s / reps, is_s / reps);
    std::printf("%-9s %14s %14s %12s %14s %12s %10s %8s\n", "measure", "reference", "plain mean",
                "plain sd", "IS mean", "IS sd", "var ratio", "eff.");
    for (std::size_t k = 0; k < levels.size(); ++k)
      for (int e = 0; e < 2; ++e) {
        const double refv = e == 0 ? ref.levels[k].var : ref.levels[k].es;
        const Stats a = stats(pv[2 * k + e], refv), b = stats(iv[2 * k + e], refv);
        char name[32];
        std::snprintf(name, sizeof name, "%s %.1f%%", e == 0 ? "VaR" : "ES", levels[k] * 100);
        std::printf("%-9s %14.0f %14.0f %12.0f %14.0f %12.0f %10.2f %8.2f\n", name, refv, a.mean,
                    std::sqrt(a.var), b.mean, std::sqrt(b.var), a.var / b.var,
                    a.var / b.var * plain_s / is_s);
      }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_is_variance: %s\n", e.what());
    return 1;
  }
  return 0;
}
