// The simulated log-returns have the model's moments and correlations, within Monte Carlo error.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/cpu/reference_backend.hpp"
#include "test_util.hpp"

using namespace chipshock;

namespace {

const char* const kMarket = R"(currency = "USD"
rate = 0.0
%DOF%
[assets.A]
spot = 100.0
vol = 0.40
drift = 0.10
[assets.B]
spot = 50.0
vol = 0.25
drift = -0.05
[assets.C]
spot = 10.0
vol = 0.80
[correlation]
tickers = ["A", "B", "C"]
matrix = [[1.0, 0.7, -0.3], [0.7, 1.0, 0.2], [-0.3, 0.2, 1.0]]
)";

struct Moments {
  std::vector<double> mean, var, kurt;
  std::vector<std::vector<double>> corr;
};

Moments simulate(const std::string& dof_line, int horizon, int steps, int n) {
  testing::TempDir dir;
  std::string text = kMarket;
  text.replace(text.find("%DOF%"), 5, dof_line);
  const Market m = load_market(dir.write("m.toml", text));
  const Portfolio p = load_portfolio(
      dir.write("p.toml", "name = \"p\"\n[[positions]]\nticker = \"A\"\nquantity = 1\n"), m);
  const SimSpec spec(m, p, SimSettings{horizon, steps});
  const int k = 3;
  std::vector<double> s1(k), s2(k * k), s4(k);
  std::vector<std::vector<float>> xs;
  for (int path = 0; path < n; ++path) {
    const std::vector<float> x = reference_log_returns(spec, 2024, static_cast<std::uint64_t>(path));
    for (int i = 0; i < k; ++i) s1[i] += x[i];
    xs.push_back(x);
  }
  Moments out;
  for (int i = 0; i < k; ++i) out.mean.push_back(s1[i] / n);
  for (const auto& x : xs)
    for (int i = 0; i < k; ++i) {
      const double di = x[i] - out.mean[i];
      s4[i] += di * di * di * di;
      for (int j = 0; j < k; ++j) s2[i * k + j] += di * (x[j] - out.mean[j]);
    }
  out.corr.assign(k, std::vector<double>(k));
  for (int i = 0; i < k; ++i) {
    out.var.push_back(s2[i * k + i] / (n - 1));
    out.kurt.push_back(s4[i] / n / std::pow(s2[i * k + i] / n, 2));
  }
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) out.corr[i][j] = s2[i * k + j] / std::sqrt(s2[i * k + i] * s2[j * k + j]);
  return out;
}

}  // namespace

TEST_CASE("Gaussian log-returns have mean (mu - sigma^2/2) T, variance sigma^2 T and the "
          "correlation asked for", "[model]") {
  const int n = 200000, horizon = 5, steps = 2;
  const Moments m = simulate("", horizon, steps, n);
  const double t = horizon / 252.0;
  const double mu[] = {0.10, -0.05, 0.0}, sigma[] = {0.40, 0.25, 0.80};
  const double rho[3][3] = {{1, 0.7, -0.3}, {0.7, 1, 0.2}, {-0.3, 0.2, 1}};
  for (int i = 0; i < 3; ++i) {
    const double var = sigma[i] * sigma[i] * t;
    const double mean = (mu[i] - 0.5 * sigma[i] * sigma[i]) * t;
    const double se_mean = std::sqrt(var / n), se_var = var * std::sqrt(2.0 / n);
    CAPTURE(i, m.mean[i], mean, se_mean, m.var[i], var, se_var, m.kurt[i]);
    CHECK(std::fabs(m.mean[i] - mean) < 4.5 * se_mean);
    CHECK(std::fabs(m.var[i] - var) < 4.5 * se_var);
    CHECK(std::fabs(m.kurt[i] - 3.0) < 4.5 * std::sqrt(24.0 / n));
    for (int j = 0; j < i; ++j) {
      const double se_rho = (1 - rho[i][j] * rho[i][j]) / std::sqrt(n);
      CAPTURE(j, m.corr[i][j], rho[i][j], se_rho);
      CHECK(std::fabs(m.corr[i][j] - rho[i][j]) < 4.5 * se_rho);
    }
  }
}

TEST_CASE("Student-t innovations keep unit variance and add the t's excess kurtosis",
          "[model][student_t]") {
  // One step, dof 10: a unit-variance t has kurtosis 3 + 6 / (nu - 4) = 4.
  const int n = 300000;
  const Moments m = simulate("dof = 10", 1, 1, n);
  const double sigma[] = {0.40, 0.25, 0.80};
  const double rho[3][3] = {{1, 0.7, -0.3}, {0.7, 1, 0.2}, {-0.3, 0.2, 1}};
  for (int i = 0; i < 3; ++i) {
    const double var = sigma[i] * sigma[i] / 252.0;
    // Var of the sample variance of a t(10): var^2 (kurt - 1) / n with kurt = 4.
    const double se_var = var * std::sqrt(3.0 / n);
    CAPTURE(i, m.var[i], var, se_var, m.kurt[i]);
    CHECK(std::fabs(m.var[i] - var) < 5 * se_var);
    CHECK(m.kurt[i] == Approx(4.0).margin(0.35));
    for (int j = 0; j < i; ++j) CHECK(m.corr[i][j] == Approx(rho[i][j]).margin(0.01));
  }
}

TEST_CASE("a Student-t day is the same t at any steps per day: one mixing draw a day",
          "[model][student_t][issue17]") {
  // dof 10: a day's log-return is a unit-variance t(10) times sigma sqrt(dt) (plus drift) for
  // K = 1, 2 and 4 steps a day, kurtosis 3 + 6 / (nu - 4) = 4 and 0.1% quantile
  // -t_10(0.999) sqrt(8/10) = -3.7066 sd. One draw per step (the old model) gave K = 4 a
  // kurtosis of 3.25 and a quantile near -3.3 sd.
  const int n = 200000;
  for (int k : {1, 2, 4}) {
    testing::TempDir dir;
    std::string text = kMarket;
    text.replace(text.find("%DOF%"), 5, "dof = 10");
    const Market m = load_market(dir.write("m.toml", text));
    const Portfolio p = load_portfolio(
        dir.write("p.toml", "name = \"p\"\n[[positions]]\nticker = \"A\"\nquantity = 1\n"), m);
    const SimSpec spec(m, p, SimSettings{1, k});
    std::vector<double> a(static_cast<std::size_t>(n));
    double s1 = 0, s2 = 0, s4 = 0;
    for (int path = 0; path < n; ++path) {
      a[static_cast<std::size_t>(path)] =
          reference_log_returns(spec, 77, static_cast<std::uint64_t>(path))[0];
      s1 += a[static_cast<std::size_t>(path)];
    }
    const double mean = s1 / n;
    for (double x : a) {
      s2 += (x - mean) * (x - mean);
      s4 += (x - mean) * (x - mean) * (x - mean) * (x - mean);
    }
    const double var = s2 / n, kurt = s4 / n / (var * var);
    std::nth_element(a.begin(), a.begin() + n / 1000, a.end());
    const double q = (a[static_cast<std::size_t>(n / 1000)] - mean) / (0.40 / std::sqrt(252.0));
    CAPTURE(k, var, kurt, q);
    CHECK(var == Approx(0.16 / 252.0).epsilon(0.02));
    CHECK(kurt == Approx(4.0).margin(0.4));
    CHECK(q == Approx(-3.7066).epsilon(0.05));
  }
}
