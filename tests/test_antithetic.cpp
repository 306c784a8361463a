// Antithetic variates: paths 2k and 2k+1 share their random numbers with opposite signs, the
// pairing depends on the path index alone (so on no batch, thread or backend), and the paired
// estimator of a nearly linear book's mean loss has a much smaller variance.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/risk_engine.hpp"
#include "host/sim_spec.hpp"
#include "test_util.hpp"

using namespace chipshock;
using chipshock::testing::TempDir;

namespace {

const char* const kMarket = R"(currency = "USD"
rate = 0.01
%DOF%
[assets.A]
spot = 100.0
vol = 0.3
drift = 0.05
[assets.B]
spot = 50.0
vol = 0.5
[assets.C]
spot = 20.0
vol = 0.4
[correlation]
tickers = ["A", "B", "C"]
matrix = [[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]]
)";

const char* const kBook = R"(name = "b"
[[positions]]
ticker = "A"
quantity = 10
[[positions]]
ticker = "B"
quantity = -5
[[positions]]
ticker = "C"
type = "put"
quantity = 20
strike = 19
expiry_days = 30
)";

struct Specs {
  TempDir dir;
  Market market;
  Portfolio book;
  std::unique_ptr<SimSpec> plain, anti;
  Specs(const std::string& dof_line, int horizon) {
    std::string text = kMarket;
    text.replace(text.find("%DOF%"), 5, dof_line);
    market = load_market(dir.write("m.toml", text));
    book = load_portfolio(dir.write("p.toml", kBook), market);
    SimSettings s;
    s.horizon_days = horizon;
    plain = std::make_unique<SimSpec>(market, book, s);
    s.antithetic = true;
    anti = std::make_unique<SimSpec>(market, book, s);
  }
};

}  // namespace

TEST_CASE("antithetic pairs mirror each other around the drift", "[antithetic]") {
  Specs s("", 3);
  // Log-drift per asset over 3 days: (mu - sigma^2 / 2) * 3 / 252.
  const double dt = 3.0 / 252;
  const double drift[] = {(0.05 - 0.045) * dt, (0.0 - 0.125) * dt, (0.0 - 0.08) * dt};
  for (std::uint64_t k = 0; k < 50; ++k) {
    const auto even = reference_log_returns(*s.anti, 9, 2 * k);
    const auto odd = reference_log_returns(*s.anti, 9, 2 * k + 1);
    const auto plain = reference_log_returns(*s.plain, 9, 2 * k);
    for (int i = 0; i < 3; ++i) {
      CHECK(even[i] == plain[i]);  // the even path is the plain path
      CHECK(odd[i] - drift[i] == Approx(-(even[i] - drift[i])).margin(1e-6));
    }
  }
}

TEST_CASE("antithetic runs: SIMD equals the scalar reference and batches do not move pairs",
          "[antithetic]") {
  for (const char* dof : {"", "dof = 4.0"}) {
    CAPTURE(dof);
    Specs s(dof, 5);
    const std::uint64_t n = 2001;  // odd, so the last pair is cut
    std::vector<double> simd(n);
    CpuBackend(2).simulate_losses(*s.anti, 4, 0, n, simd.data());
    double worst = 0;
    for (std::uint64_t p = 0; p < n; ++p)
      worst = std::max(worst, std::fabs(simd[p] - reference_path_loss(*s.anti, 4, p)) /
                                  s.anti->gross_exposure());
    CHECK(worst < 1e-6);
    // Batches of 7 start pairs at odd indices: the losses must not change.
    std::vector<double> batched(n);
    for (std::uint64_t first = 0; first < n; first += 7)
      CpuBackend(1).simulate_losses(*s.anti, 4, first, std::min<std::uint64_t>(7, n - first),
                                    batched.data() + first);
    CHECK(batched == simd);
    // And the risk numbers are bit-identical for any batch size and thread count.
    RunSettings a, b;
    a.paths = b.paths = 20000;
    a.seed = b.seed = 4;
    a.batch_paths = 1 << 20;
    b.batch_paths = 333;
    const ScenarioResult ra = simulate_scenario("a", *s.anti, CpuBackend(2), a);
    const ScenarioResult rb = simulate_scenario("b", *s.anti, CpuBackend(1), b);
    for (std::size_t l = 0; l < ra.levels.size(); ++l) {
      CHECK(ra.levels[l].var == rb.levels[l].var);
      CHECK(ra.levels[l].es == rb.levels[l].es);
    }
    CHECK(ra.mean_loss == rb.mean_loss);
  }
}

TEST_CASE("antithetic pairs cut the variance of the mean loss of a nearly linear book",
          "[antithetic]") {
  Specs s("", 1);
  const std::uint64_t n = 100000;
  std::vector<double> plain(n), anti(n);
  CpuBackend(2).simulate_losses(*s.plain, 8, 0, n, plain.data());
  CpuBackend(2).simulate_losses(*s.anti, 8, 0, n, anti.data());
  auto variance = [](const std::vector<double>& v) {
    double m = 0, q = 0;
    for (double x : v) m += x;
    m /= static_cast<double>(v.size());
    for (double x : v) q += (x - m) * (x - m);
    return q / static_cast<double>(v.size() - 1);
  };
  std::vector<double> pair_means;
  for (std::uint64_t k = 0; k + 1 < n; k += 2) pair_means.push_back(0.5 * (anti[k] + anti[k + 1]));
  // Estimator variance per path: plain var(L) / n; antithetic var(pair mean) / (n / 2).
  const double ratio = (variance(pair_means) / (n / 2.0)) / (variance(plain) / n);
  CAPTURE(ratio);
  CHECK(ratio < 0.1);  // a 1-day horizon book is nearly linear in the normals
  // Same mean within Monte Carlo error.
  double mp = 0, ma = 0;
  for (std::uint64_t k = 0; k < n; ++k) {
    mp += plain[k] / n;
    ma += anti[k] / n;
  }
  CHECK(std::fabs(mp - ma) < 4.5 * std::sqrt(variance(plain) / n));
}
