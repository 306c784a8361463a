// Calibration estimators: hand-computed values on tiny series, positive definite repairs, and
// round trips through the engine: simulate daily returns with known vol, correlation and dof,
// write them as price files, calibrate, and recover the parameters within stated bounds.
#include <Eigen/Cholesky>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "host/calibration/calibrate_market.hpp"
#include "host/calibration/estimators.hpp"
#include "host/calibration/market_writer.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/cpu/reference_backend.hpp"
#include "host/history/calendar.hpp"
#include "host/input_error.hpp"
#include "test_util.hpp"

using namespace chipshock;
using Catch::Matchers::Contains;
using chipshock::testing::TempDir;

namespace {

Eigen::MatrixXd matrix(int rows, int cols, std::initializer_list<double> values) {
  Eigen::MatrixXd m(rows, cols);
  auto it = values.begin();
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) m(i, j) = *it++;
  return m;
}

bool is_correlation_pd(const Eigen::MatrixXd& c) {
  if ((c - c.transpose()).cwiseAbs().maxCoeff() > 0) return false;
  for (Eigen::Index i = 0; i < c.rows(); ++i)
    if (c(i, i) != 1.0) return false;
  return Eigen::LLT<Eigen::MatrixXd>(c).info() == Eigen::Success && min_eigenvalue(c) > 0;
}

// Fisher information per observation for nu of the unit-variance Student-t (variance known),
// by quadrature of the squared score: the scale of the dof estimator's standard error.
double unit_t_fisher_information(double nu) {
  const auto logf = [](double x, double v) {
    Eigen::VectorXd z(1);
    z[0] = x;
    return unit_t_loglik(z, v);
  };
  const double h = 1e-4, dx = 5e-3;
  double info = 0.0;
  for (double x = -400.0; x <= 400.0; x += dx) {
    const double score = (logf(x, nu + h) - logf(x, nu - h)) / (2 * h);
    info += score * score * std::exp(logf(x, nu)) * dx;
  }
  return info;
}

struct Truth {
  std::vector<std::string> tickers;
  std::vector<double> vols;
  std::vector<double> corr;  // row-major
  double dof = 0.0;          // 0 = Gaussian
};

// Simulates `days` one-day paths with the engine's scalar reference (the same kernels the
// backends run; each path's one-day log-return vector is one iid day) and writes them as
// price files from 100.0, on consecutive weekdays from 1960-01-04. The drift is sigma^2/2, so
// the log-returns have zero mean and the prices stay in range.
void write_simulated_prices(const TempDir& dir, const Truth& t, int days, std::uint64_t seed) {
  std::string market = "currency = \"USD\"\nrate = 0.0\n";
  if (t.dof > 0) market += "dof = " + std::to_string(t.dof) + "\n";
  std::string quoted;
  for (std::size_t k = 0; k < t.tickers.size(); ++k) {
    market += "[assets." + t.tickers[k] + "]\nspot = 100.0\nvol = " + std::to_string(t.vols[k]) +
              "\ndrift = " + std::to_string(0.5 * t.vols[k] * t.vols[k]) + "\n";
    quoted += (k ? ", \"" : "\"") + t.tickers[k] + "\"";
  }
  const std::size_t n = t.tickers.size();
  market += "[correlation]\ntickers = [" + quoted + "]\nmatrix = [";
  for (std::size_t i = 0; i < n; ++i) {
    market += i ? ", [" : "[";
    for (std::size_t j = 0; j < n; ++j)
      market += (j ? ", " : "") + std::to_string(t.corr[i * n + j]);
    market += "]";
  }
  market += "]\n";
  const Market m = load_market(dir.write("truth.toml", market));
  const Portfolio p =
      load_portfolio(dir.write("p.toml", "name = \"p\"\n[[positions]]\nticker = \"" + t.tickers[0] +
                                             "\"\nquantity = 1\n"),
                     m);
  const SimSpec spec(m, p, SimSettings{1, 1});
  std::vector<std::string> csv(n, "date,close\n");
  std::vector<double> logp(n, std::log(100.0));
  long day = day_number("1960-01-04");
  char line[80];
  for (int d = 0; d <= days; ++d) {
    if (d > 0) {
      const std::vector<float> x = reference_log_returns(spec, seed, static_cast<std::uint64_t>(d));
      for (std::size_t k = 0; k < n; ++k) logp[k] += static_cast<double>(x[k]);
    }
    const std::string date = iso_date(day);
    for (std::size_t k = 0; k < n; ++k) {
      std::snprintf(line, sizeof line, "%s,%.17g\n", date.c_str(), std::exp(logp[k]));
      csv[k] += line;
    }
    day += weekday(day) == 4 ? 3 : 1;
  }
  for (std::size_t k = 0; k < n; ++k) dir.write(t.tickers[k] + ".csv", csv[k]);
}

}  // namespace

TEST_CASE("log-returns, sample and EWMA vols and the sample correlation on tiny series",
          "[calibration]") {
  PriceHistory h;
  h.tickers = {"A", "B"};
  h.dates = {"2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"};
  h.closes = {100, 10, 110, 12, 99, 12, 118.8, 9};
  const Eigen::MatrixXd r = log_returns(h, 0, 3);
  REQUIRE(r.rows() == 3);
  CHECK(r(0, 0) == Approx(std::log(1.1)));
  CHECK(r(1, 0) == Approx(std::log(0.9)));
  CHECK(r(2, 1) == Approx(std::log(0.75)));
  CHECK(log_returns(h, 1, 3).rows() == 2);

  // r = (0.01, -0.02, 0.03): mean 1/150, squared deviations sum to 1.26667e-3, over T-1 = 2.
  const Eigen::MatrixXd x = matrix(3, 1, {0.01, -0.02, 0.03});
  CHECK(sample_stdev(x)[0] == Approx(std::sqrt(1.2666666666666667e-3 / 2)).epsilon(1e-12));
  // EWMA, lambda 0.5: weights 0.5, 0.25, 0.125 from the last day, normalised by 0.875.
  CHECK(ewma_stdev(x, 0.5)[0] ==
        Approx(std::sqrt((0.5 * 9e-4 + 0.25 * 4e-4 + 0.125 * 1e-4) / 0.875)).epsilon(1e-12));
  // As lambda -> 1 the weights flatten: the zero-mean root mean square.
  CHECK(ewma_stdev(x, 0.999999)[0] == Approx(std::sqrt(14e-4 / 3)).epsilon(1e-5));

  // x = 1,2,3,4 and y = 2,4,5,9: sxy = 11, sxx = 5, syy = 26, r = 11 / sqrt(130).
  const Eigen::MatrixXd c = sample_correlation(matrix(4, 2, {1, 2, 2, 4, 3, 5, 4, 9}));
  CHECK(c(0, 1) == Approx(11 / std::sqrt(130.0)).epsilon(1e-12));
  CHECK(c(1, 0) == c(0, 1));
  CHECK(c(0, 0) == 1.0);
}

TEST_CASE(
    "Higham's nearest correlation matrix: the paper's example, and PD from an "
    "indefinite input",
    "[calibration]") {
  // Higham (2002), section 4: the nearest correlation matrix to [1 1 0; 1 1 1; 0 1 1].
  const Eigen::MatrixXd a = matrix(3, 3, {1, 1, 0, 1, 1, 1, 0, 1, 1});
  const NearestCorrelation x = nearest_correlation(a, 1e-12);
  CHECK(x.converged);
  CHECK(x.correlation(0, 1) == Approx(0.7607).margin(1e-4));
  CHECK(x.correlation(1, 2) == Approx(0.7607).margin(1e-4));
  CHECK(x.correlation(0, 2) == Approx(0.1573).margin(1e-4));
  CHECK(is_correlation_pd(nearest_correlation(a).correlation));

  // An indefinite "correlation" (pairwise estimates that no joint law has).
  const Eigen::MatrixXd b =
      matrix(4, 4, {1, 0.9, 0.7, -0.5, 0.9, 1, 0.95, 0.3, 0.7, 0.95, 1, 0.8, -0.5, 0.3, 0.8, 1});
  REQUIRE(min_eigenvalue(b) < 0);
  const NearestCorrelation y = nearest_correlation(b);
  CAPTURE(y.iterations, y.distance);
  CHECK(y.converged);
  CHECK(is_correlation_pd(y.correlation));
  CHECK(min_eigenvalue(y.correlation) >= 0.99 * kMinCorrelationEigenvalue);
  CHECK(y.distance > 0);
  CHECK(y.distance < (b - Eigen::MatrixXd::Identity(4, 4)).norm());  // nearer than a trivial fix

  // A valid correlation matrix comes back unchanged.
  const Eigen::MatrixXd ok = matrix(2, 2, {1, 0.6, 0.6, 1});
  CHECK(nearest_correlation(ok).correlation == ok);
}

TEST_CASE(
    "Ledoit-Wolf constant-correlation shrinkage: the paper's intensity, and PD when the "
    "sample is singular",
    "[calibration]") {
  // Reference: a plain-Python transcription of the authors' covCor.m on the same six days.
  const Eigen::MatrixXd r =
      matrix(6, 4, {0.010, -0.020, 0.005, 0.030,  -0.015, 0.010,  0.000,  -0.010,
                    0.020, 0.015,  0.010, 0.005,  0.000,  -0.005, -0.020, 0.010,
                    0.005, 0.020,  0.015, -0.025, -0.010, -0.010, 0.005,  0.000});
  const Shrinkage s = ledoit_wolf_constant_correlation(r);
  CHECK(s.mean_correlation == Approx(0.00242544415225976).epsilon(1e-9));
  CHECK(s.intensity == Approx(0.410869580262306).epsilon(1e-9));
  CHECK(s.correlation(0, 1) == Approx(0.0784784967373142).epsilon(1e-9));
  CHECK_FALSE(s.raised);
  CHECK(is_correlation_pd(s.correlation));
  const Eigen::MatrixXd sample = sample_correlation(r);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      if (i != j)
        CHECK(s.correlation(i, j) ==
              Approx(s.intensity * s.mean_correlation + (1 - s.intensity) * sample(i, j)));

  // Two assets: the target equals the sample, nothing to shrink.
  const Shrinkage two = ledoit_wolf_constant_correlation(r.leftCols(2));
  CHECK(two.correlation(0, 1) == Approx(sample_correlation(r.leftCols(2))(0, 1)));

  // Five days of eight assets: the sample correlation is singular; the shrunk one is not.
  Eigen::MatrixXd wide(5, 8);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 8; ++j) wide(i, j) = std::sin(1.0 + i * 7.3 + j * 2.1 + i * j * 0.37);
  REQUIRE(min_eigenvalue(sample_correlation(wide)) < 1e-10);
  const Shrinkage w = ledoit_wolf_constant_correlation(wide);
  CAPTURE(w.intensity, w.raised);
  CHECK(w.intensity > 0);
  CHECK(w.intensity <= 1);
  CHECK(is_correlation_pd(w.correlation));
  CHECK(min_eigenvalue(w.correlation) >= 0.99 * kMinCorrelationEigenvalue);
}

TEST_CASE("the unit-variance Student-t likelihood and its maximum", "[calibration]") {
  Eigen::VectorXd z(2);
  z << 0.0, 1.0;
  // nu = 4: log f(0) = lgamma(2.5) - lgamma(2) - log(2 pi)/2; log f(1) adds -2.5 log(1.5).
  const double f0 = std::lgamma(2.5) - 0.5 * std::log(2 * 3.14159265358979323846);
  CHECK(unit_t_loglik(z, 4.0) == Approx(2 * f0 - 2.5 * std::log(1.5)).epsilon(1e-12));
  // It is a density with unit variance.
  for (double nu : {2.5, 4.0, 10.0}) {
    double mass = 0, var = 0;
    for (double x = -2000; x <= 2000; x += 5e-3) {
      Eigen::VectorXd v(1);
      v[0] = x;
      const double f = std::exp(unit_t_loglik(v, nu));
      mass += f * 5e-3;
      var += x * x * f * 5e-3;
    }
    CAPTURE(nu);
    CHECK(mass == Approx(1.0).epsilon(1e-4));
    if (nu > 3) CHECK(var == Approx(1.0).epsilon(2e-3));  // nu = 2.5: tails too slow to sum
  }
  // The fit is a maximum: the likelihood falls on both sides.
  Eigen::VectorXd heavy(8);
  heavy << -3.1, -0.4, 0.2, 0.05, 0.3, -0.2, 2.6, 0.1;
  const DofFit fit = fit_unit_t_dof(heavy);
  CAPTURE(fit.dof);
  REQUIRE_FALSE(fit.at_lower_bound);
  REQUIRE_FALSE(fit.at_upper_bound);
  CHECK(fit.loglik >= unit_t_loglik(heavy, fit.dof * 1.001));
  CHECK(fit.loglik >= unit_t_loglik(heavy, 2 + (fit.dof - 2) * 0.999));
  CHECK(fit.lo < fit.dof);
  CHECK(fit.hi > fit.dof);
}

TEST_CASE("round trip, Gaussian: vols and correlations come back within 4 standard errors",
          "[calibration][roundtrip]") {
  const Truth truth{{"AAA", "BBB", "CCC", "DDD"},
                    {0.25, 0.40, 0.60, 0.30},
                    {1.0, 0.7, 0.3, -0.2,  //
                     0.7, 1.0, 0.5, 0.0,   //
                     0.3, 0.5, 1.0, 0.4,   //
                     -0.2, 0.0, 0.4, 1.0},
                    0.0};
  const int days = 10000;
  TempDir dir;
  write_simulated_prices(dir, truth, days, 11);
  const PriceHistory h = load_price_history(dir.path().string(), truth.tickers);
  REQUIRE(h.dates.size() == static_cast<std::size_t>(days + 1));
  CHECK(h.notes.empty());
  CalibrationSettings s;
  s.window = days;
  s.vol = VolMethod::kEwma;
  const MarketCalibration c = calibrate_market(h, s);
  CHECK(c.as_of == h.dates.back());
  const double n = days;
  for (std::size_t k = 0; k < 4; ++k) {
    const double sigma = truth.vols[k];
    // Gaussian: SE(sample stdev) = sigma / sqrt(2 N).
    CAPTURE(truth.tickers[k], sigma, c.sample_vols[k], c.ewma_vols[k]);
    CHECK(std::fabs(c.sample_vols[k] - sigma) < 4 * sigma / std::sqrt(2 * n));
    // EWMA: Var(sigma_hat^2) = 2 sigma^4 (1 - lambda) / (1 + lambda), so SE(sigma_hat) is
    // sigma sqrt((1 - lambda) / (2 (1 + lambda))) = 0.124 sigma for lambda = 0.94.
    CHECK(std::fabs(c.ewma_vols[k] - sigma) < 4 * sigma * std::sqrt(0.06 / (2 * 1.94)));
    CHECK(c.vols[k] == c.ewma_vols[k]);
  }
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < i; ++j) {
      const double rho = truth.corr[static_cast<std::size_t>(i * 4 + j)];
      // Gaussian: SE(r) = (1 - rho^2) / sqrt(N).
      CAPTURE(i, j, rho, c.correlation(i, j));
      CHECK(std::fabs(c.correlation(i, j) - rho) < 4 * (1 - rho * rho) / std::sqrt(n));
    }
  // Gaussian data: the t fit runs to large dof. A t with nu has excess kurtosis 6 / (nu - 4);
  // the sample kurtosis of 10^4 to 4 10^4 values has SE <= sqrt(24 / 10^4) = 0.05, so nu < 20
  // (excess kurtosis > 0.375) would be a 7-sigma event.
  CAPTURE(c.dof_fit.dof);
  CHECK((c.dof_fit.at_upper_bound || c.dof_fit.dof > 20));

  // The written market loads and holds what was estimated.
  const std::string file = dir.file("m.toml");
  write_market_file(file, market_toml(c, "test"));
  const Market m = load_market(file);
  CHECK(m.as_of == c.as_of);
  REQUIRE(m.size() == 4);
  for (std::size_t k = 0; k < 4; ++k) {
    CHECK(m.assets[k].vol == Approx(c.vols[k]).margin(5e-5));
    CHECK(m.assets[k].spot == Approx(c.spots[k]).epsilon(1e-5));
    CHECK(m.assets[k].drift == 0.0);
  }
  CHECK(m.correlation[1] == Approx(c.correlation(0, 1)).margin(5e-5));
  CHECK(m.dof == (c.dof > 0 ? Approx(c.dof).margin(0.005) : Approx(0.0)));
}

TEST_CASE(
    "round trip, Student-t: dof, vols and correlations come back within 4 standard "
    "errors",
    "[calibration][roundtrip]") {
  const double nu = 5.0;
  const Truth truth{{"AAA", "BBB", "CCC"},
                    {0.45, 0.30, 0.20},
                    {1.0, 0.6, 0.2,   //
                     0.6, 1.0, -0.3,  //
                     0.2, -0.3, 1.0},
                    nu};
  const int days = 20000;
  TempDir dir;
  write_simulated_prices(dir, truth, days, 5);
  const PriceHistory h = load_price_history(dir.path().string(), truth.tickers);
  CalibrationSettings s;
  s.window = days;
  s.correlation = CorrelationMethod::kHigham;  // a PD sample passes through unchanged
  const MarketCalibration c = calibrate_market(h, s);
  const double n = days;
  // The pooled estimator averages the assets' scores; an average of equally distributed
  // scores has at most the variance of one, so 1 / sqrt(N I(nu)) (one series) bounds its SE.
  const double info = unit_t_fisher_information(nu);
  const double se_dof = 1 / std::sqrt(n * info);
  CAPTURE(info, se_dof, c.dof_fit.dof, c.dof_fit.lo, c.dof_fit.hi);
  CHECK(se_dof > 0.1);
  CHECK(se_dof < 0.2);
  CHECK(std::fabs(c.dof_fit.dof - nu) < 4 * se_dof);
  CHECK(c.dof == c.dof_fit.dof);
  // t with nu = 5: kurtosis k = 3 + 6 / (nu - 4) = 9, SE(sample stdev) = sigma sqrt((k - 1) /
  // (4 N)); elliptical kurtosis parameter (k / 3 - 1) = 2 widens SE(r) by sqrt(1 + 2).
  for (std::size_t k = 0; k < 3; ++k) {
    const double sigma = truth.vols[k];
    CAPTURE(k, sigma, c.sample_vols[k]);
    CHECK(std::fabs(c.sample_vols[k] - sigma) < 4 * sigma * std::sqrt(8 / (4 * n)));
  }
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < i; ++j) {
      const double rho = truth.corr[static_cast<std::size_t>(i * 3 + j)];
      CAPTURE(i, j, rho, c.correlation(i, j));
      CHECK(std::fabs(c.correlation(i, j) - rho) <
            4 * std::sqrt(3.0) * (1 - rho * rho) / std::sqrt(n));
    }
  CHECK(c.nearest.distance == 0.0);
}

TEST_CASE("calibration refuses what it cannot estimate, naming the option",
          "[calibration][errors]") {
  TempDir dir;
  std::string a = "date,close\n", b = a;
  long day = day_number("2024-01-01");
  for (int d = 0; d < 60; ++d, day += 1) {
    const std::string date = iso_date(day);
    a += date + "," + std::to_string(100 + (d * 37 % 11)) + "\n";
    b += date + "," + std::to_string(50 + (d * 13 % 7)) + "\n";
  }
  dir.write("A.csv", a);
  dir.write("B.csv", b);
  dir.write("C.csv", b);  // a copy of B: perfectly correlated
  const PriceHistory h = load_price_history(dir.path().string(), {"A", "B", "C"});
  const auto error = [&h](CalibrationSettings s) -> std::string {
    try {
      calibrate_market(h, s);
    } catch (const InputError& e) {
      return std::string(e.what()) + " | " + e.hint();
    }
    return "";
  };
  CalibrationSettings s;
  s.window = 59;
  s.correlation = CorrelationMethod::kHigham;
  CHECK(error(s).empty());
  s.correlation = CorrelationMethod::kLedoitWolf;
  CHECK(error(s).empty());
  s.correlation = CorrelationMethod::kSample;
  CHECK_THAT(error(s), Contains("--correlation") && Contains("not positive definite") &&
                           Contains("ledoit-wolf"));
  s.correlation = CorrelationMethod::kHigham;
  s.window = 60;
  CHECK_THAT(error(s), Contains("--window") && Contains("need 61 common closes"));
  s.window = 29;
  CHECK_THAT(error(s), Contains("--window") && Contains("between 30"));
  s.window = 30;
  s.as_of = "2024-13-01";
  CHECK_THAT(error(s), Contains("--as-of") && Contains("YYYY-MM-DD"));
  s.as_of = "2023-01-01";
  CHECK_THAT(error(s), Contains("--as-of") && Contains("starts on 2024-01-01"));
  s.as_of = "2024-01-31";  // the 31st date: exactly 30 returns
  CHECK(error(s).empty());
  s.as_of = "2024-01-30";
  CHECK_THAT(error(s), Contains("--window") && Contains("30 returns ending on 2024-01-30"));
  s.as_of = "";
  s.lambda = 1.0;
  CHECK_THAT(error(s), Contains("--lambda"));
  s.lambda = 0.94;
  s.dof = DofMethod::kFixed;
  s.dof_value = 2.0;
  CHECK_THAT(error(s), Contains("--dof"));
  s.dof = DofMethod::kAuto;
  s.currency = "usd";
  CHECK_THAT(error(s), Contains("--currency"));
  s.currency = "USD";
  s.rate = 2;
  CHECK_THAT(error(s), Contains("--rate"));
}

TEST_CASE(
    "estimate_vol_dynamics recovers the spot beta, vol-of-vol and correlation of the "
    "engine's implied-vol model from returns alone",
    "[calibration][implied_vol][issue17]") {
  // Two assets (return correlation 0.6), their daily log vol moving as the engine's implied vol
  // does: beta x the day's log-return + nu sqrt(1/252) x a shock (shock correlation 0.6), plus
  // a pull of 1% a day to its mean that keeps it from exploding (the model has none; with the
  // block proxy's own approximations it biases the estimates down by 10-20%; without the
  // averaging correction spot_beta would come out at about half). 100 histories of 400 blocks
  // (8,400 days): one history's spot_beta has a standard error of about 0.5, their mean about 0.05.
  const int histories = 100, blocks = 400, bl = kVolBlock;
  const double beta[2] = {-1.5, -0.5}, nu = 0.8, c = 0.6, rho = 0.6, pull = 0.01;
  std::mt19937_64 rng(12);
  std::normal_distribution<double> normal;
  double mean_beta[2] = {0, 0}, mean_nu[2] = {0, 0}, mean_c = 0;
  for (int hist = 0; hist < histories; ++hist) {
    Eigen::MatrixXd r(blocks * bl, 2);
    const double mu[2] = {std::log(0.012), std::log(0.015)};
    double lv[2] = {mu[0], mu[1]};
    for (Eigen::Index d = 0; d < r.rows(); ++d) {
      const double z0 = normal(rng), z1 = rho * z0 + std::sqrt(1 - rho * rho) * normal(rng);
      const double common = normal(rng);
      for (int j = 0; j < 2; ++j) {
        r(d, j) = std::exp(lv[j]) * (j == 0 ? z0 : z1);
        const double shock = std::sqrt(c) * common + std::sqrt(1 - c) * normal(rng);
        lv[j] += beta[j] * r(d, j) + nu * std::sqrt(1 / 252.0) * shock - pull * (lv[j] - mu[j]);
        lv[j] = std::clamp(lv[j], mu[j] - 3, mu[j] + 3);  // a bound against a rare runaway
      }
    }
    const VolDynamics v = estimate_vol_dynamics(r);
    REQUIRE(v.changes == blocks - 1);
    REQUIRE(v.pairs == 1);
    // the shrinkage: each beta between its own estimate and the pooled, precision-weighted one
    double weights = 0, pooled = 0;
    for (int j = 0; j < 2; ++j) {
      const double se = v.spot_beta_se[static_cast<std::size_t>(j)];
      weights += 1 / (se * se);
      pooled += v.spot_beta_own[static_cast<std::size_t>(j)] / (se * se);
    }
    CHECK(v.spot_beta_pooled == Approx(pooled / weights).epsilon(1e-12));
    for (std::size_t j = 0; j < 2; ++j) {
      const double lo = std::min(v.spot_beta_own[j], v.spot_beta_pooled);
      const double hi = std::max(v.spot_beta_own[j], v.spot_beta_pooled);
      CHECK(v.spot_beta[j] >= lo - 1e-12);
      CHECK(v.spot_beta[j] <= hi + 1e-12);
    }
    for (int j = 0; j < 2; ++j) {
      mean_beta[j] += v.spot_beta_own[static_cast<std::size_t>(j)] / histories;
      mean_nu[j] += v.vol_of_vol[static_cast<std::size_t>(j)] / histories;
    }
    mean_c += v.correlation / histories;
  }
  CAPTURE(mean_beta[0], mean_beta[1], mean_nu[0], mean_nu[1], mean_c);
  CHECK(mean_beta[0] == Approx(beta[0]).epsilon(0.3));
  CHECK(mean_beta[1] == Approx(beta[1]).margin(0.2));
  CHECK(mean_nu[0] == Approx(nu).epsilon(0.15));
  CHECK(mean_nu[1] == Approx(nu).epsilon(0.15));
  CHECK(mean_c == Approx(c).margin(0.15));
  // Constant-vol returns: the changes are sampling noise alone, so little vol-of-vol is left
  // (at 2,000 blocks the corrected variance's own noise allows about 0.15).
  Eigen::MatrixXd flat(2000 * bl, 1);
  for (Eigen::Index k = 0; k < flat.rows(); ++k) flat(k, 0) = 0.02 * normal(rng);
  const VolDynamics f = estimate_vol_dynamics(flat);
  CAPTURE(f.vol_of_vol[0], f.spot_beta[0]);
  CHECK(f.vol_of_vol[0] < 0.25);
  CHECK(std::fabs(f.spot_beta[0]) < 3 * f.spot_beta_se[0]);
  CHECK(f.spot_beta[0] == f.spot_beta_own[0]);  // one column: nothing to shrink toward
  // A block that does not move (stale closes) leaves that column unestimated, not NaN, and out
  // of the other columns' shrinkage.
  Eigen::MatrixXd stale(2000 * bl, 2);
  for (Eigen::Index k = 0; k < stale.rows(); ++k) {
    stale(k, 0) = 0.02 * normal(rng);
    stale(k, 1) = k >= 100 * bl && k < 101 * bl ? 0.0 : 0.02 * normal(rng);
  }
  const VolDynamics s = estimate_vol_dynamics(stale);
  CHECK(s.estimated[0]);
  CHECK_FALSE(s.estimated[1]);
  CHECK(s.spot_beta[1] == 0.0);
  CHECK(s.vol_of_vol[1] == 0.0);
  CHECK(std::isfinite(s.spot_beta[0]));
  CHECK(s.spot_beta[0] == s.spot_beta_own[0]);
  CHECK(s.pairs == 0);
  // Too short a history: nothing estimated.
  CHECK(estimate_vol_dynamics(flat.topRows(kMinVolBlocks * bl - 1)).changes == 0);
}
