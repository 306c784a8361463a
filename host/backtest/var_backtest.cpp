#include "host/backtest/var_backtest.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "host/calibration/estimators.hpp"
#include "host/config/toml_reader.hpp"
#include "host/cpu/cpu_backend.hpp"
#include "host/history/price_history.hpp"
#include "host/input_error.hpp"
#include "host/risk_engine.hpp"
#include "host/sim_spec.hpp"
#include "kernels/revalue.cuh"

namespace chipshock {

namespace {

constexpr double kEwmaLambda = 0.94;

// The market of day t: calibrated on the returns of closes [t-1-window, t-1], spots at t-1.
Market day_market(const PriceHistory& h, std::size_t t, const BacktestSettings& s,
                  const std::string& currency, int& repaired, double& dof_out) {
  const std::size_t last = t - 1, first = last - static_cast<std::size_t>(s.window);
  const Eigen::MatrixXd r = log_returns(h, first, last);
  const Eigen::VectorXd sd = s.ewma ? ewma_stdev(r, kEwmaLambda) : sample_stdev(r);
  Eigen::MatrixXd corr = sample_correlation(r);
  if (corr.rows() > 1 && !(min_eigenvalue(corr) >= kMinCorrelationEigenvalue)) {
    corr = nearest_correlation(corr).correlation;
    ++repaired;
  }
  Market m;
  m.file = "backtest market of " + h.dates[t];
  m.currency = currency;
  m.rate = s.rate;
  dof_out = 0.0;
  if (s.student_t) {
    const DofFit fit = fit_unit_t_dof(pooled_standardised(r));
    if (!fit.at_upper_bound) dof_out = std::max(fit.dof, 2.01);
  }
  m.dof = dof_out;
  m.as_of = h.dates[last];
  const std::size_t n = h.tickers.size();
  for (std::size_t k = 0; k < n; ++k) {
    Asset a;
    a.ticker = h.tickers[k];
    a.spot = h.close(last, k);
    a.vol = sd[static_cast<Eigen::Index>(k)] * std::sqrt(static_cast<double>(kTradingDaysPerYear));
    if (!(a.vol > 1e-8))
      throw InputError(price_file(h.dir, a.ticker), 0, "close",
                       "the close does not move in the " + std::to_string(s.window) +
                           "-day window before " + h.dates[t] + ": no volatility to estimate");
    m.assets.push_back(a);
  }
  m.correlation.assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      m.correlation[i * n + j] =
          i == j ? 1.0 : corr(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
  m.cholesky = correlation_cholesky(m);
  return m;
}

}  // namespace

BacktestResult run_backtest(const BacktestSettings& s, const Market& universe,
                            const Portfolio& portfolio, const std::string& prices_dir) {
  const auto start = std::chrono::steady_clock::now();
  if (!valid_iso_date(s.from)) throw InputError("", 0, "--from", "'" + s.from + "': expected a date YYYY-MM-DD");
  if (!valid_iso_date(s.to)) throw InputError("", 0, "--to", "'" + s.to + "': expected a date YYYY-MM-DD");
  if (s.to < s.from) throw InputError("", 0, "--to", "is before --from");
  if (s.window < 20 || s.window > 100000)
    throw InputError("", 0, "--window", "must be between 20 and 100000 daily returns");
  BacktestResult res;
  res.prices_dir = prices_dir;
  res.portfolio_name = portfolio.name;
  res.currency = universe.currency;
  res.settings = s;
  const std::vector<std::string> held = held_tickers(universe, portfolio);
  const std::vector<std::string> available = available_tickers(prices_dir);
  for (const std::string& t : held)
    if (!std::binary_search(available.begin(), available.end(), t))
      throw InputError(price_file(prices_dir, t), 0, "",
                       "no price history for held ticker " + t,
                       "a backtest needs every held ticker's closes");
  const PriceHistory h = load_price_history(prices_dir, held);
  res.tickers = h.tickers;
  res.notes = h.notes;
  const auto first_it = std::lower_bound(h.dates.begin(), h.dates.end(), s.from);
  const auto last_it = std::upper_bound(h.dates.begin(), h.dates.end(), s.to);
  if (first_it >= last_it)
    throw InputError("", 0, "--from",
                     "no common trading day of the held tickers between " + s.from + " and " +
                         s.to + " (their common history runs " + h.dates.front() + " to " +
                         h.dates.back() + ")");
  const std::size_t t0 = static_cast<std::size_t>(first_it - h.dates.begin());
  const std::size_t t1 = static_cast<std::size_t>(last_it - h.dates.begin());  // exclusive
  const std::size_t need = static_cast<std::size_t>(s.window) + 1;
  if (t0 < need) {
    const std::size_t earliest = need < h.dates.size() ? need : h.dates.size() - 1;
    throw InputError("", 0, "--from",
                     "the first forecast on " + h.dates[t0] + " needs " +
                         std::to_string(s.window) + " returns before it; the common history " +
                         "starts " + h.dates.front(),
                     "start on " + h.dates[earliest] + " or later, or shorten --window");
  }
  const CpuBackend backend(s.threads);
  RunSettings rs;
  rs.paths = s.paths;
  rs.seed = s.seed;
  rs.confidences = s.confidences;
  for (double c : s.confidences)
    if (tail_mass(s.paths, c) < 1.0)
      throw InputError("", 0, "--paths", "too few paths for the " + std::to_string(c) + " level");
  SimSettings sim;  // one-day horizon, one step
  for (std::size_t t = t0; t < t1; ++t) {
    BacktestDay day;
    day.date = h.dates[t];
    const Market m = day_market(h, t, s, universe.currency, res.repaired_correlations, day.dof);
    const SimSpec spec(m, portfolio, sim);
    const ScenarioResult f = simulate_scenario(day.date, spec, backend, rs);
    std::vector<double> x(m.size()), spot(m.size());
    for (std::size_t k = 0; k < m.size(); ++k) x[k] = std::log(h.close(t, k) / h.close(t - 1, k));
    day.value_before = spec.value0();
    // a one-day horizon: an option expiring on it settles at that close
    const BookView book = spec.book();
    const auto xi = [&](int i) { return x[static_cast<std::size_t>(i)]; };
    std::vector<Settlement> settled(static_cast<std::size_t>(path_marks(book)));
    settle_at_horizon(book, xi, settled.data());
    day.realised_loss = path_loss(book, xi, spot.data(), settled.data());
    for (const LevelRisk& l : f.levels) {
      day.var.push_back(l.var);
      day.exceeded.push_back(day.realised_loss > l.var);
    }
    res.days.push_back(std::move(day));
  }
  for (std::size_t c = 0; c < s.confidences.size(); ++c) {
    std::vector<bool> ex;
    for (const BacktestDay& d : res.days) ex.push_back(d.exceeded[c]);
    res.tests.push_back(coverage_tests(ex, s.confidences[c]));
  }
  if (res.repaired_correlations > 0)
    res.notes.push_back(std::to_string(res.repaired_correlations) +
                        " day(s) had a sample correlation that was not positive definite; the "
                        "nearest correlation matrix (Higham 2002) was used");
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace chipshock
