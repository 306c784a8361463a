// The CPU backend's kernels for each instruction set (AVX2, AVX-512: host/cpu/cpu_isa.hpp) give
// the same losses and importance-sampling weights bit for bit, on every model feature, and
// agree with the scalar reference path by path. A kernel this CPU cannot run is named in a
// "SKIPPED: ..." line (CTest reports the test as skipped where none but the baseline can run).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "all_features.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/cpu_isa.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/qmc/sobol_tables.hpp"
#include "test_util.hpp"

using namespace chipshock;
using namespace chipshock::testing;

namespace {

struct Losses {
  std::vector<double> loss, log_weight;
};

Losses simulate(const SimSpec& spec, CpuIsa isa, std::uint64_t first, std::uint64_t n) {
  Losses out{std::vector<double>(n), {}};
  if (spec.importance_sampling()) out.log_weight.resize(n);
  CpuBackend(2, isa).simulate_losses(spec, 4242, first, n, out.loss.data(),
                                     spec.importance_sampling() ? out.log_weight.data() : nullptr);
  return out;
}

std::uint64_t differing_bits(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  std::uint64_t differ = 0;
  for (std::size_t k = 0; k < a.size(); ++k)
    differ += std::memcmp(&a[k], &b[k], sizeof(double)) != 0;
  return differ;
}

// The runnable kernels other than the baseline; says which ones cannot run here.
std::vector<CpuIsa> other_runnable_isas() {
  std::vector<CpuIsa> out;
  for (const CpuIsa isa : built_cpu_isas()) {
    if (isa == CpuIsa::kAvx2) continue;
    if (cpu_isa_supported(isa))
      out.push_back(isa);
    else
      WARN("SKIPPED: this CPU cannot run the " << cpu_isa_name(isa) << " kernel");
  }
  return out;
}

// Every kernel that runs here gives the AVX2 kernel's numbers bit for bit.
void check_isas_agree(const SimSpec& spec, const std::string& what,
                      const std::vector<CpuIsa>& isas) {
  const std::uint64_t first = 1000003, n = 4099;  // odd start and count: partial groups
  const Losses ref = simulate(spec, CpuIsa::kAvx2, first, n);
  for (const CpuIsa isa : isas) {
    const Losses got = simulate(spec, isa, first, n);
    INFO(what << ": " << cpu_isa_name(isa) << " against avx2, " << n << " paths");
    CHECK(differing_bits(got.loss, ref.loss) == 0);
    CHECK(differing_bits(got.log_weight, ref.log_weight) == 0);
  }
}

}  // namespace

TEST_CASE("cpu_isa: auto picks the best kernel the CPU runs, and names it", "[cpu_isa]") {
  const CpuIsa best = best_cpu_isa();
  CHECK(cpu_isa_supported(CpuIsa::kAvx2));  // the build's baseline: it could not start without
  CHECK(CpuBackend(1).isa() == best);
  CHECK(std::string(cpu_isa_name(best)) ==
        (cpu_isa_supported(CpuIsa::kAvx512) ? "avx512" : "avx2"));
  for (const CpuIsa isa : built_cpu_isas())
    if (!cpu_isa_supported(isa)) CHECK_THROWS_AS(CpuBackend(1, isa), std::invalid_argument);
  INFO("this CPU runs: avx2" << (cpu_isa_supported(CpuIsa::kAvx512) ? ", avx512" : ""));
  SUCCEED();
}

TEST_CASE("every CPU kernel gives the same losses bit for bit, every model feature on",
          "[cpu_isa]") {
  const std::vector<CpuIsa> isas = other_runnable_isas();  // says once which cannot run
  TempDir dir;
  {
    const TestRun t = all_features_run(dir, 8, 2);
    check_isas_agree(*t.spec, "Student-t, options, every scenario primitive, 8 days x 2 steps",
                     isas);
  }
  {
    const TestRun t = five_asset_run(dir, 3, 1);
    check_isas_agree(*t.spec, "five assets (a partial register tile), Student-t, an option", isas);
  }
  {
    const Market market = load_market(source_path("scenarios/market/ai_chips.toml"));
    const Portfolio book = load_portfolio(source_path("scenarios/portfolio/ai_book.toml"), market);
    SimSettings anti{10, 1};
    anti.antithetic = true;
    const SimSpec spec(market, book, anti);
    check_isas_agree(spec, "Gaussian, 16 assets, antithetic, 10 days", isas);
  }
}

TEST_CASE("every CPU kernel gives the same losses and weights under importance sampling",
          "[cpu_isa]") {
  const std::vector<CpuIsa> isas = other_runnable_isas();  // says once which cannot run
  TempDir dir;
  TestRun t = all_features_run(dir, 6, 1);
  t.spec->set_importance_shift(some_importance_shift(*t.spec));
  check_isas_agree(*t.spec, "importance sampling, Student-t twist, every scenario primitive", isas);
}

TEST_CASE("every CPU kernel gives the same quasi-Monte Carlo losses", "[cpu_isa][qmc]") {
  const std::vector<CpuIsa> isas = other_runnable_isas();  // says once which cannot run
  if (!sobol_tables_available()) {
    WARN("SKIPPED: no cuRAND in this build (--rng sobol needs it)");
    return;
  }
  TempDir dir;
  {
    const TestRun t = all_features_run(dir, 7, 1, true, RngKind::kSobol);
    check_isas_agree(*t.spec, "Sobol', every scenario primitive", isas);
  }
  TestRun t = all_features_run(dir, 4, 1, false, RngKind::kSobol);
  t.spec->set_importance_shift(some_importance_shift(*t.spec));
  check_isas_agree(*t.spec, "Sobol' with importance sampling", isas);
}

TEST_CASE("every CPU kernel agrees with the scalar reference path by path", "[cpu_isa]") {
  TempDir dir;
  const TestRun t = all_features_run(dir, 8, 2);
  std::vector<CpuIsa> isas = other_runnable_isas();
  isas.push_back(CpuIsa::kAvx2);
  const std::uint64_t first = 77, n = 1001;
  for (const CpuIsa isa : isas) {
    const Losses got = simulate(*t.spec, isa, first, n);
    double worst = 0;
    for (std::uint64_t k = 0; k < n; ++k)
      worst =
          std::max(worst, std::fabs(got.loss[k] - reference_path_loss(*t.spec, 4242, first + k)));
    CAPTURE(cpu_isa_name(isa), worst, t.spec->gross_exposure());
    CHECK(worst <= 1e-6 * t.spec->gross_exposure());  // float rounding of the lanes' log/sincos
  }
}
