// CpuBackend::simulate_lines: each portfolio line's loss on gathered paths (the tail paths that
// component VaR/ES simulate again). The paths' losses equal simulate_losses bit for bit in any
// order and group, on every kernel this CPU runs and every model feature (Student-t, options,
// every scenario primitive, antithetic pairs, Sobol', importance sampling); the lines add up to
// the path's loss to rounding and agree with the scalar reference.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "all_features.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/cpu_isa.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/qmc/sobol_tables.hpp"
#include "kernels/revalue.cuh"
#include "test_util.hpp"

using namespace chipshock;
using namespace chipshock::testing;

namespace {

// Scattered, unordered, repeated path indices, an odd count (a partial group).
std::vector<std::uint64_t> gathered_paths() {
  std::vector<std::uint64_t> p;
  std::uint64_t x = 12345;
  for (int k = 0; k < 517; ++k) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    p.push_back((x >> 33) % 200000);
  }
  p.push_back(p[3]);
  p.push_back(0);
  p.push_back(1);
  return p;
}

void check_lines(const SimSpec& spec, const std::string& what) {
  const std::uint64_t seed = 4242;
  const std::vector<std::uint64_t> paths = gathered_paths();
  const std::size_t n_lines = spec.positions().size();
  REQUIRE(n_lines > 0);
  for (const CpuIsa isa : built_cpu_isas()) {
    if (!cpu_isa_supported(isa)) continue;
    INFO(what << ", kernel " << cpu_isa_name(isa));
    const CpuBackend backend(2, isa);
    std::vector<double> lines, losses;
    backend.simulate_lines(spec, seed, paths, lines, losses);
    REQUIRE(lines.size() == paths.size() * n_lines);
    REQUIRE(losses.size() == paths.size());
    std::uint64_t differ = 0;
    double worst_sum = 0, worst_ref = 0;
    const BookView book = spec.book();
    for (std::size_t k = 0; k < paths.size(); ++k) {
      double one = 0, lw = 0;
      std::vector<double> w(1);
      backend.simulate_losses(spec, seed, paths[k], 1, &one,
                              spec.importance_sampling() ? w.data() : nullptr);
      differ += std::memcmp(&one, &losses[k], sizeof(double)) != 0;
      double sum = 0;
      std::vector<Settlement> settled;  // the options expiring inside the horizon
      const std::vector<float> x = reference_log_returns(spec, seed, paths[k], &lw, &settled);
      for (std::size_t j = 0; j < n_lines; ++j) {
        const PositionLine& line = spec.positions()[j];
        sum += lines[k * n_lines + j];
        const double spot = book.spot0[line.asset] * std::exp(static_cast<double>(x[line.asset]));
        worst_ref =
            std::max(worst_ref, std::fabs(lines[k * n_lines + j] -
                                          position_loss(book, line.option, line.quantity,
                                                        line.unit_value0, spot, settled.data())));
      }
      worst_sum = std::max(worst_sum, std::fabs(sum - losses[k]));
    }
    CHECK(differ == 0);
    CAPTURE(worst_sum, worst_ref, spec.gross_exposure());
    CHECK(worst_sum <= 1e-9 * spec.gross_exposure());
    CHECK(worst_ref <= 1e-6 * spec.gross_exposure());  // the lanes' float log/sincos
  }
}


}  // namespace

TEST_CASE("line losses of gathered paths: every model feature, every kernel", "[lines]") {
  TempDir dir;
  {
    const TestRun t = all_features_run(dir, 8, 2);
    check_lines(*t.spec, "Student-t, options, every scenario primitive");
  }
  {
    TestRun t = all_features_run(dir, 6, 1);
    t.spec->set_importance_shift(some_importance_shift(*t.spec));
    check_lines(*t.spec, "importance sampling");
  }
  {
    const TestRun t = five_asset_run(dir, 3, 2);
    check_lines(*t.spec, "five assets, an option");
  }
  {
    const Market market = load_market(source_path("scenarios/market/ai_chips.toml"));
    const Portfolio book = load_portfolio(source_path("scenarios/portfolio/ai_book.toml"), market);
    SimSettings anti{5, 1};
    anti.antithetic = true;
    const SimSpec spec(market, book, anti);
    check_lines(spec, "antithetic pairs, 16 assets");
  }
}

TEST_CASE("line losses of gathered paths under Sobol' points", "[lines][qmc]") {
  if (!sobol_tables_available()) {
    WARN("SKIPPED: no cuRAND in this build (--rng sobol needs it)");
    return;
  }
  TempDir dir;
  {
    const TestRun t = all_features_run(dir, 7, 1, true, RngKind::kSobol);
    check_lines(*t.spec, "Sobol', every scenario primitive");
  }
  TestRun t = all_features_run(dir, 4, 1, false, RngKind::kSobol);
  t.spec->set_importance_shift(some_importance_shift(*t.spec));
  check_lines(*t.spec, "Sobol' with importance sampling");
}
