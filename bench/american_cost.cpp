// The cost of American options (issue 17, part 5), on the CPU:
//  1. solving one option's curve (host/pricing/american.hpp: exercise boundary and premium fit),
//     once per option, run and day (cached within a process);
//  2. one revaluation from the curve (kernels/american.cuh, what each path does per option)
//     against one Black-Scholes price, over spots spread across the exercise region, the
//     continuation region and beyond;
//  3. a whole CPU scenario: a book of 20 puts on one asset, American against European, the
//     paths per second of CpuBackend::simulate_losses (all threads).
//
// Usage: bench_american_cost [paths]      (default 2M for part 3)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/pricing/american.hpp"
#include "host/sim_spec.hpp"
#include "kernels/american.cuh"
#include "kernels/black_scholes.cuh"

using namespace chipshock;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string book_text(bool american) {
  std::ostringstream out;
  out << "name = \"puts\"\n";
  for (int k = 0; k < 20; ++k)
    out << "[[positions]]\nticker = \"X\"\ntype = \"put\"\nquantity = 100\nstrike = " << 80 + 2 * k
        << "\nexpiry_days = " << 21 + 10 * k << "\nstyle = \""
        << (american ? "american" : "european") << "\"\n";
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t paths = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;

  // 1. curve solves: distinct maturities, so that none comes from the cache
  {
    const int n = 200;
    const auto t0 = std::chrono::steady_clock::now();
    double sink = 0;
    for (int i = 0; i < n; ++i)
      sink += american_curve(OptionKind::kPut, 100, 0.05 + 2.0 * i / n, 0.04, 0.45, 0.01).boundary;
    const double s = seconds_since(t0);
    std::printf(
        "curve solve: %.3f ms per option (%d puts, 0.05-2 years, vol 45%%, r 4%%, q 1%%)"
        " [%g]\n",
        1e3 * s / n, n, sink);
  }

  // 2. one revaluation per spot: the curve against Black-Scholes
  {
    const AmericanCurve c = american_curve(OptionKind::kPut, 100, 0.25, 0.04, 0.45, 0.01);
    std::vector<double> spots(4096);
    for (std::size_t i = 0; i < spots.size(); ++i)
      spots[i] = 50.0 + 100.0 * static_cast<double>(i) / static_cast<double>(spots.size());
    const int rounds = 2000;
    double sink = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r)
      for (const double s : spots) sink += american_value(c, s);
    const double am = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r)
      for (const double s : spots)
        sink += black_scholes(OptionKind::kPut, s, 100, 0.25, 0.04, 0.45, 0.01);
    const double bs = seconds_since(t0);
    const double n = static_cast<double>(rounds) * static_cast<double>(spots.size());
    std::printf(
        "revaluation (1 thread, spots 50-150, boundary %.2f): american %.1f ns, "
        "black-scholes %.1f ns [%g]\n",
        c.boundary, 1e9 * am / n, 1e9 * bs / n, sink);
  }

  // 3. a whole scenario, 20 puts on one asset, 10 days
  {
    const Market market = load_market_text(
        "currency = \"USD\"\nrate = 0.04\n[assets.X]\nspot = 100.0\nvol = 0.45\n"
        "dividend_yield = 0.01\n",
        "bench market");
    double rate[2] = {0, 0};
    for (const bool american : {false, true}) {
      const Portfolio book = load_portfolio_text(book_text(american), "bench book", market);
      auto t0 = std::chrono::steady_clock::now();
      const SimSpec spec(market, book, SimSettings{10, 1});
      const double setup = seconds_since(t0);
      std::vector<double> loss(paths);
      const CpuBackend cpu;
      cpu.simulate_losses(spec, 1, 0, std::min<std::uint64_t>(paths, 10000), loss.data(),
                          nullptr);  // warm-up
      t0 = std::chrono::steady_clock::now();
      cpu.simulate_losses(spec, 1, 0, paths, loss.data(), nullptr);
      const double s = seconds_since(t0);
      rate[american] = static_cast<double>(paths) / s;
      std::printf(
          "scenario, 20 %s puts, 1 asset x 10 days, %llu paths, %d threads: %.3f s "
          "(%.3g paths/s; spec set-up %.3f s)\n",
          american ? "american" : "european", static_cast<unsigned long long>(paths), cpu.threads(),
          s, rate[american], setup);
    }
    std::printf("american / european time: %.2f\n", rate[0] / rate[1]);
  }
  return 0;
}
