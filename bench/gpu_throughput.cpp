// GPU throughput in asset-steps per second, with two references on the same device (llm.c's
// dev/cuda style: reference, correctness check, then timing):
//   engine   the whole GPU run: fused kernel + device-side moments and tail (GpuEngine::run),
//            with its phases (batches, final sort, tail to the host) on the line below; each
//            run's tail vectors are recycled into the next, as the GPU backend does
//   kernel   the fused kernel alone, losses left on the device
//   normals  a kernel that only draws Philox normals with the device API and sums them, one
//            normal per asset-step (the engine's generator cost, nothing else)
//   curand   curandGenerateNormal (host API, Philox4_32_10), the same number of normals
//
//   bench_gpu_throughput [--market F] [--portfolio F] [--paths LIST] [--horizon D]
//                        [--steps-per-day K] [--seed S] [--repeat R]
//
// Defaults: the 16-asset sample market, the AI book, 10 one-day steps, 10M and 100M paths,
// best of 3. Prints a table, then one JSON object per path count (for scripts/gpu_check.sh).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bench/gpu_reference_kernels.hpp"
#include "host/app/arg_parsing.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/gpu/gpu_backend.hpp"
#include "host/risk_engine.hpp"

using namespace chipshock;

int main(int argc, char** argv) {
  std::string market_file = "scenarios/market/ai_chips.toml";
  std::string portfolio_file = "scenarios/portfolio/ai_book.toml";
  std::string path_list = "10M,100M";
  std::uint64_t seed = 7;
  int horizon = 10, steps_per_day = 1, repeat = 3;
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string k = argv[a], v = argv[a + 1];
    if (k == "--market") market_file = v;
    else if (k == "--portfolio") portfolio_file = v;
    else if (k == "--paths") path_list = v;
    else if (k == "--horizon") horizon = std::stoi(v);
    else if (k == "--steps-per-day") steps_per_day = std::stoi(v);
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--repeat") repeat = std::max(1, std::stoi(v));
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    std::vector<std::uint64_t> path_counts;
    std::stringstream list(path_list);
    for (std::string item; std::getline(list, item, ',');) path_counts.push_back(parse_paths(item));

    const Market market = load_market(market_file);
    const Portfolio portfolio = load_portfolio(portfolio_file, market);
    const SimSpec spec(market, portfolio, SimSettings{horizon, steps_per_day});
    GpuBackend gpu(0);
    GpuEngine& engine = gpu.engine();
    engine.load(spec.model(), spec.book());
    std::fprintf(stderr, "device: %s (%d SMs), kernel: %s\n", gpu.name().c_str(),
                 gpu.device().sm_count, engine.kernel_name().c_str());

    // Correctness: GPU losses against the scalar reference (the same per-path function on the
    // CPU), relative to the loss floored at 1% of gross exposure.
    const std::uint64_t check = 4096;
    std::vector<double> losses(check);
    engine.simulate_losses(seed, 0, check, losses.data());
    double worst = 0;
    for (std::uint64_t p = 0; p < check; ++p) {
      const double ref = reference_path_loss(spec, seed, p);
      worst = std::max(worst, std::fabs(losses[p] - ref) /
                                  std::max(std::fabs(ref), 0.01 * spec.gross_exposure()));
    }
    if (!(worst <= 1e-5)) {
      std::fprintf(stderr, "FAIL: GPU vs scalar reference differ by %g (relative)\n", worst);
      return 1;
    }

    const double asset_steps_per_path =
        static_cast<double>(spec.n_assets()) * static_cast<double>(spec.total_steps());
    const int normals_per_path = 4 * spec.model().n_blocks * spec.total_steps();
    RunSettings rs;
    rs.seed = seed;
    std::printf("%-10s %14s %14s %14s %14s %9s %9s %9s\n", "paths", "engine", "kernel",
                "normals", "curand", "eng/norm", "eng/cur", "eng/kern");
    std::vector<std::string> json;
    bool warmed = false;
    for (const std::uint64_t paths : path_counts) {
      rs.paths = paths;
      const LossAccumulator acc = scenario_accumulator(spec, rs);
      if (!warmed) {  // first launches: module load, local memory reservation
        engine.run(seed, 0, std::min<std::uint64_t>(paths, 1u << 20), loss_grid(acc), 1000);
        double sink = 0;
        bench::time_device_api_normals(1u << 20, normals_per_path, seed, &sink);
        warmed = true;
      }
      // curandGenerateNormal writes every normal to memory (4 bytes each, 64 GB for 100M paths):
      // its rate is measured on at most 2^31 normals.
      const std::uint64_t curand_normals = std::min<std::uint64_t>(
          paths * static_cast<std::uint64_t>(normals_per_path), 1ull << 31);
      double t_engine = 1e300, t_kernel = 1e300, t_normals = 1e300, t_curand = 1e300;
      double checksum = 0;
      LossSummary fastest;  // the fastest engine run's phase times
      std::size_t tail_losses = 0;
      double t_first = 0;
      for (int r = 0; r < repeat; ++r) {
        const auto start = std::chrono::steady_clock::now();
        LossSummary s = engine.run(seed, 0, paths, loss_grid(acc), acc.tail_size());
        const double t =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (s.moments.n + s.moments.bad != paths) throw std::runtime_error("engine lost paths");
        if (r == 0) t_first = t;
        if (t < t_engine) {
          t_engine = t;
          fastest.batch_seconds = s.batch_seconds;
          fastest.sort_seconds = s.sort_seconds;
          fastest.copy_seconds = s.copy_seconds;
          tail_losses = s.tail.size();
        }
        // As the GPU backend does after folding a run: the next run's tail reuses the host
        // memory (the first run at a path count grows it, and writes fresh pages).
        engine.recycle(std::move(s));
        t_kernel = std::min(t_kernel, engine.time_kernel(seed, paths));
        t_normals = std::min(
            t_normals, bench::time_device_api_normals(paths, normals_per_path, seed, &checksum));
        t_curand = std::min(t_curand, bench::time_curand_generate_normal(curand_normals, seed));
      }
      const double work = static_cast<double>(paths) * asset_steps_per_path;
      const double normals = static_cast<double>(paths) * normals_per_path;
      const double engine_rate = work / t_engine, kernel_rate = work / t_kernel;
      const double normal_rate = normals / t_normals;
      const double curand_rate = static_cast<double>(curand_normals) / t_curand;
      std::printf("%-10llu %14.4g %14.4g %14.4g %14.4g %9.3f %9.3f %9.3f\n",
                  static_cast<unsigned long long>(paths), engine_rate, kernel_rate, normal_rate,
                  curand_rate, engine_rate / normal_rate, engine_rate / curand_rate,
                  engine_rate / kernel_rate);
      const double other = t_engine - fastest.batch_seconds - fastest.sort_seconds -
                           fastest.copy_seconds;
      std::printf("           engine %.4f s (first of %d runs %.4f s): batches %.4f s, final tail "
                  "sort %.4f s, tail to host %.4f s (%zu losses), other %.4f s\n",
                  t_engine, repeat, t_first, fastest.batch_seconds, fastest.sort_seconds,
                  fastest.copy_seconds, tail_losses, other);
      char line[1400];
      std::snprintf(
          line, sizeof line,
          "{\"engine\": \"chipshock-gpu\", \"device\": \"%s\", \"kernel\": \"%s\", \"paths\": %llu, "
          "\"assets\": %d, \"steps\": %d, \"engine_seconds\": %.5f, "
          "\"engine_asset_steps_per_second\": %.4g, \"kernel_asset_steps_per_second\": %.4g, "
          "\"device_api_normals_per_second\": %.4g, \"curand_generate_normals_per_second\": %.4g, "
          "\"engine_over_device_api_normals\": %.4f, \"engine_over_curand_generate\": %.4f, "
          "\"check_max_rel_diff\": %.3g, \"normals_checksum\": %.6g, "
          "\"engine_batch_seconds\": %.5f, \"engine_sort_seconds\": %.5f, "
          "\"engine_copy_seconds\": %.5f, \"engine_first_run_seconds\": %.5f, "
          "\"tail_losses\": %zu}",
          gpu.name().c_str(), engine.kernel_name().c_str(), static_cast<unsigned long long>(paths),
          spec.n_assets(), spec.total_steps(), t_engine, engine_rate, kernel_rate, normal_rate,
          curand_rate, engine_rate / normal_rate, engine_rate / curand_rate, worst, checksum,
          fastest.batch_seconds, fastest.sort_seconds, fastest.copy_seconds, t_first,
          tail_losses);
      json.emplace_back(line);
    }
    std::printf("(asset-steps/s for engine and kernel, normals/s for the references; one normal per "
                "asset-step)\n");
    for (const std::string& j : json) std::printf("%s\n", j.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu_throughput: %s\n", e.what());
    return 2;
  }
  return 0;
}
