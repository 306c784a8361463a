#include "host/calibration/calibrate_market.hpp"

#include <algorithm>
#include <cmath>
#include <Eigen/QR>
#include <cstdio>
#include <fstream>
#include <regex>

#include "host/config/toml_reader.hpp"
#include "host/input_error.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

const char* vol_method_name(VolMethod m) { return m == VolMethod::kEwma ? "ewma" : "sample"; }

const char* correlation_method_name(CorrelationMethod m) {
  switch (m) {
    case CorrelationMethod::kLedoitWolf:
      return "ledoit-wolf";
    case CorrelationMethod::kHigham:
      return "higham";
    default:
      return "sample";
  }
}

namespace {

std::string num(double x, const char* fmt = "%.6g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, x);
  return buf;
}

std::uint64_t fnv1a(std::uint64_t h, const std::string& text) {
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::size_t as_of_index(const PriceHistory& h, const std::string& as_of) {
  if (as_of.empty()) return h.dates.size() - 1;
  const int i = h.index_of_date(as_of);
  if (i >= 0) return static_cast<std::size_t>(i);
  const auto after = std::lower_bound(h.dates.begin(), h.dates.end(), as_of);
  std::string hint;
  if (after == h.dates.begin())
    hint = "the common history starts on " + h.dates.front();
  else if (after == h.dates.end())
    hint = "the common history ends on " + h.dates.back();
  else
    hint = "the nearest common dates are " + *(after - 1) + " and " + *after;
  throw InputError("", 0, "--as-of",
                   as_of + " is not a date with a close in every price file (" +
                       std::to_string(h.tickers.size()) + " files in " + h.dir + ")",
                   hint);
}

}  // namespace

void validate_calibration_settings(const CalibrationSettings& s) {
  if (s.window < kMinWindow || s.window > kMaxWindow)
    throw InputError("", 0, "--window",
                     std::to_string(s.window) + ": must be between " + std::to_string(kMinWindow) +
                         " and " + std::to_string(kMaxWindow) + " daily returns",
                     "two years of daily data is --window 500");
  if (!s.as_of.empty() && !valid_iso_date(s.as_of))
    throw InputError("", 0, "--as-of", "'" + s.as_of + "': expected a date YYYY-MM-DD");
  if (!(s.lambda > 0 && s.lambda < 1))
    throw InputError("", 0, "--lambda", num(s.lambda) + ": must lie strictly between 0 and 1",
                     "RiskMetrics uses 0.94 for daily data");
  if (s.dof == DofMethod::kFixed && !(s.dof_value >= 2.001 && s.dof_value <= 1e6))
    throw InputError("", 0, "--dof", num(s.dof_value) + ": must lie in [2.001, 1e6]",
                     "use --dof none for Gaussian innovations, --dof auto to estimate it");
  if (!std::isfinite(s.rate) || std::fabs(s.rate) > 1.0)
    throw InputError("", 0, "--rate", num(s.rate) + ": a rate beyond +-100% is not plausible");
  static const std::regex currency("[A-Z]{3}");
  if (!std::regex_match(s.currency, currency))
    throw InputError("", 0, "--currency",
                     "'" + s.currency + "': expected an ISO 4217 code like USD");
}

namespace {

// OLS loadings of each ticker's window returns on the factor proxies' returns over the same
// dates (c.loadings; a note when the proxies are missing or share too few dates).
void estimate_loadings(MarketCalibration& c, const PriceHistory& h, std::size_t first,
                       std::size_t last, const Eigen::MatrixXd& r, const std::string& dir) {
  if (dir.empty()) return;
  const std::vector<std::string> have = available_tickers(dir);
  for (const char* proxy : {kMarketProxy, kSemisProxy})
    if (std::find(have.begin(), have.end(), proxy) == have.end()) {
      c.notes.push_back(std::string("no factor loadings: ") + proxy + ".csv is not in " + dir +
                        " (the factor proxies are SPY for market, SMH - SPY for ai_capex)");
      return;
    }
  const PriceHistory p = load_price_history(dir, {kMarketProxy, kSemisProxy});
  std::vector<Eigen::Index> rows;
  std::vector<double> spy, smh;
  for (std::size_t d = first + 1; d <= last; ++d) {
    const int a = p.index_of_date(h.dates[d - 1]), b = p.index_of_date(h.dates[d]);
    if (a < 0 || b < 0) continue;
    rows.push_back(static_cast<Eigen::Index>(d - first - 1));
    spy.push_back(std::log(p.close(static_cast<std::size_t>(b), 0) /
                           p.close(static_cast<std::size_t>(a), 0)));
    smh.push_back(std::log(p.close(static_cast<std::size_t>(b), 1) /
                           p.close(static_cast<std::size_t>(a), 1)));
  }
  const auto m = static_cast<Eigen::Index>(rows.size());
  if (m < kMinWindow) {
    c.notes.push_back("no factor loadings: the proxies in " + dir + " share only " +
                      std::to_string(m) + " of the window's dates");
    return;
  }
  Eigen::MatrixXd x(m, 3), y(m, r.cols());
  for (Eigen::Index i = 0; i < m; ++i) {
    x(i, 0) = 1.0;
    x(i, 1) = spy[static_cast<std::size_t>(i)];
    x(i, 2) = smh[static_cast<std::size_t>(i)] - spy[static_cast<std::size_t>(i)];
    y.row(i) = r.row(rows[static_cast<std::size_t>(i)]);
  }
  const Eigen::MatrixXd beta = x.colPivHouseholderQr().solve(y);
  const Eigen::MatrixXd resid = y - x * beta;
  for (Eigen::Index k = 0; k < r.cols(); ++k) {
    c.loadings.push_back({beta(1, k), beta(2, k)});
    const double total = (y.col(k).array() - y.col(k).mean()).square().sum();
    c.loading_r2.push_back(total > 0 ? 1.0 - resid.col(k).squaredNorm() / total : 0.0);
  }
  c.loading_returns = static_cast<int>(m);
  c.factor_prices_dir = dir;
  if (m < static_cast<Eigen::Index>(last - first))
    c.notes.push_back("factor loadings from " + std::to_string(m) + " of the window's " +
                      std::to_string(last - first) + " returns (the dates " + dir +
                      "'s SPY and SMH share)");
}

}  // namespace

std::map<std::string, std::string> load_sector_table(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file, 0, "", "cannot open the sector table");
  std::map<std::string, std::string> out;
  std::string line;
  long n = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const std::size_t comma = line.find(',');
    if (!header) {
      if (line != "ticker,sector")
        throw InputError(file, n, "header", "expected 'ticker,sector', found '" + line + "'");
      header = true;
      continue;
    }
    if (comma == std::string::npos || line.find(',', comma + 1) != std::string::npos)
      throw InputError(file, n, "", "expected two fields, ticker,sector");
    const std::string ticker = line.substr(0, comma), sector = line.substr(comma + 1);
    if (!valid_ticker(ticker)) throw InputError(file, n, "ticker", "'" + ticker + "' is not a ticker");
    if (!valid_identifier(sector))
      throw InputError(file, n, "sector",
                       "'" + sector + "' is not a sector name (1-32 letters, digits or _)");
    if (!out.emplace(ticker, sector).second)
      throw InputError(file, n, "ticker", ticker + " is listed twice");
  }
  if (!header) throw InputError(file, 0, "header", "empty: expected 'ticker,sector' and rows");
  return out;
}

MarketCalibration calibrate_market(const PriceHistory& h, const CalibrationSettings& s) {
  validate_calibration_settings(s);
  MarketCalibration c;
  c.settings = s;
  c.prices_dir = h.dir;
  c.tickers = h.tickers;
  c.notes = h.notes;
  const std::size_t n = h.tickers.size();
  const std::size_t last = as_of_index(h, s.as_of);
  const std::size_t window = static_cast<std::size_t>(s.window);
  if (last < window) {
    // Name the files whose late start limits the common history, and the list without them.
    std::vector<std::string> late, others;
    const std::string earliest =
        h.file_first_dates.empty()
            ? h.dates.front()
            : *std::min_element(h.file_first_dates.begin(), h.file_first_dates.end());
    for (std::size_t k = 0; k < n; ++k)
      (k < h.file_first_dates.size() && h.file_first_dates[k] == h.dates.front() &&
               h.dates.front() > earliest
           ? late
           : others)
          .push_back(h.tickers[k]);
    std::string hint = last >= static_cast<std::size_t>(kMinWindow)
                           ? "use --window " + std::to_string(last) + " or less, or a later --as-of"
                           : "use a later --as-of";
    if (!late.empty() && !others.empty()) {
      std::string files, list;
      for (const std::string& t : late) files += (files.empty() ? "" : ", ") + t + ".csv";
      for (const std::string& t : others) list += (list.empty() ? "" : ",") + t;
      hint = files + (late.size() == 1 ? " starts" : " start") + " on " + h.dates.front() +
             "; leave " + (late.size() == 1 ? "it" : "them") + " out with --tickers " + list +
             ", or " + hint;
    }
    throw InputError("", 0, "--window",
                     std::to_string(s.window) + " returns ending on " + h.dates[last] + " need " +
                         std::to_string(window + 1) + " common closes; the files share only " +
                         std::to_string(last + 1) + " up to that date (from " + h.dates.front() +
                         ")",
                     hint);
  }
  const std::size_t first = last - window;
  c.as_of = h.dates[last];
  c.base_date = h.dates[first];
  c.first_return_date = h.dates[first + 1];
  c.returns = s.window;

  std::uint64_t fp = 1469598103934665603ull;
  for (std::size_t d = first; d <= last; ++d) {
    fp = fnv1a(fp, h.dates[d]);
    for (std::size_t k = 0; k < n; ++k) fp = fnv1a(fp, "," + num(h.close(d, k), "%.17g"));
  }
  c.fingerprint = fp;

  const Eigen::MatrixXd r = log_returns(h, first, last);
  const double annual = std::sqrt(static_cast<double>(kTradingDaysPerYear));
  const Eigen::VectorXd sd = sample_stdev(r);
  const Eigen::VectorXd ew = ewma_stdev(r, s.lambda);
  for (std::size_t k = 0; k < n; ++k) {
    const Eigen::Index i = static_cast<Eigen::Index>(k);
    const std::string file = price_file(h.dir, h.tickers[k]);
    if (!(sd[i] > 1e-12))
      throw InputError(file, 0, "close",
                       "the close does not move between " + c.base_date + " and " + c.as_of +
                           ": no volatility to estimate",
                       "leave this ticker out (--tickers) or use another window");
    c.spots.push_back(h.close(last, k));
    c.sample_vols.push_back(sd[i] * annual);
    c.ewma_vols.push_back(ew[i] * annual);
    c.vols.push_back(s.vol == VolMethod::kEwma ? c.ewma_vols.back() : c.sample_vols.back());
    if (!(c.vols.back() > 1e-6) || c.vols.back() > 10)
      throw InputError(file, 0, "close",
                       std::string(vol_method_name(s.vol)) + " annualised vol " +
                           num(c.vols.back()) + " over " + c.first_return_date + ".." + c.as_of +
                           " is outside what a market file accepts (1e-6 to 10)",
                       "check the file for bad prices or unadjusted splits in the window");
    if (c.spots.back() < 1e-6 || c.spots.back() > 1e9)
      throw InputError(file, 0, "close",
                       "the close on " + c.as_of + " (" + num(c.spots.back()) +
                           ") is outside what a market file accepts as a spot (1e-6 to 1e9)");
  }

  // Sectors from the table, loadings on the factor proxies.
  for (const std::string& t : h.tickers) {
    const auto it = s.sectors.find(t);
    c.sectors.push_back(it == s.sectors.end() ? "" : it->second);
  }
  std::string unsectored;
  for (std::size_t k = 0; k < n; ++k)
    if (c.sectors[k].empty()) unsectored += (unsectored.empty() ? "" : ", ") + h.tickers[k];
  if (!unsectored.empty())
    c.notes.push_back("no sector for " + unsectored +
                      " (not in the sector table): scenarios' sector defaults do not reach " +
                      "them; give their sectors with --sectors FILE");
  estimate_loadings(c, h, first, last, r, s.factor_prices);
  if (s.implied_vol) {
    // Every return up to the as-of date, not the window alone (the blocks are few): the
    // correlation from the common history, each ticker's own numbers from its own file's
    // (a late-listed ticker would shorten everyone's), then the betas shrunk together.
    c.vol_dynamics = estimate_vol_dynamics(log_returns(h, 0, last));
    VolDynamics& v = c.vol_dynamics;
    const std::size_t used = static_cast<std::size_t>(v.changes + 1) * kVolBlock;
    c.vol_dynamics_from = v.changes > 0 ? h.dates[last + 1 - used] : "";
    for (std::size_t k = 0; k < n && v.changes > 0; ++k) {
      const PriceHistory own = load_price_history(h.dir, {h.tickers[k]});
      const int own_last = own.index_of_date(c.as_of);
      const VolDynamics one =
          estimate_vol_dynamics(log_returns(own, 0, static_cast<std::size_t>(own_last)));
      c.vol_dynamics_blocks.push_back(one.changes + 1);
      if (one.changes == 0) {  // cannot happen with a common history of 11 blocks or more
        v.estimated[k] = false;
        v.spot_beta_own[k] = v.spot_beta_se[k] = v.vol_of_vol[k] = 0.0;
        continue;
      }
      v.spot_beta_own[k] = one.spot_beta_own[0];
      v.spot_beta_se[k] = one.spot_beta_se[0];
      v.vol_of_vol[k] = one.vol_of_vol[0];
      v.floored[k] = one.floored[0];
      v.estimated[k] = one.estimated[0];
    }
    shrink_spot_betas(v);
    if (v.changes == 0)
      c.notes.push_back("no implied-vol dynamics: the " + std::to_string(last) +
                        " common returns up to " + c.as_of + " hold fewer than " +
                        std::to_string(kMinVolBlocks) + " blocks of " + std::to_string(kVolBlock) +
                        "; the default surfaces are held in strike");
    std::string floored, stale;
    for (std::size_t k = 0; k < v.floored.size(); ++k) {
      if (!v.estimated[k])
        stale += (stale.empty() ? "" : ", ") + h.tickers[k];
      else if (v.floored[k])
        floored += (floored.empty() ? "" : ", ") + h.tickers[k];
    }
    if (!stale.empty())
      c.notes.push_back("no implied-vol dynamics for " + stale + ": a block of " +
                        std::to_string(kVolBlock) +
                        " returns does not move (stale closes), so its realised vol has no log");
    if (!floored.empty())
      c.notes.push_back("no vol-of-vol for " + floored +
                        ": the realised vol's changes are within their sampling noise");
  }

  c.sample_correlation = sample_correlation(r);
  c.sample_min_eigenvalue = min_eigenvalue(c.sample_correlation);
  switch (s.correlation) {
    case CorrelationMethod::kSample:
      if (n > 1 && !(c.sample_min_eigenvalue >= kMinCorrelationEigenvalue))
        throw InputError(
            "", 0, "--correlation",
            "the sample correlation of " + std::to_string(s.window) + " returns of " +
                std::to_string(n) + " tickers is not positive definite (smallest eigenvalue " +
                num(c.sample_min_eigenvalue, "%.3g") + ")",
            std::string(window <= n ? "the window must hold more returns than there are tickers; "
                                    : "some series are (nearly) linear combinations of others; ") +
                "use --correlation ledoit-wolf (shrinkage) or higham (nearest correlation "
                "matrix), or a longer --window");
      c.correlation = c.sample_correlation;
      break;
    case CorrelationMethod::kLedoitWolf:
      c.shrinkage = ledoit_wolf_constant_correlation(r);
      c.correlation = c.shrinkage.correlation;
      if (c.shrinkage.raised)
        c.notes.push_back("Ledoit-Wolf intensity raised to " + num(c.shrinkage.intensity, "%.4f") +
                          " to keep the smallest eigenvalue above " +
                          num(kMinCorrelationEigenvalue, "%g"));
      break;
    case CorrelationMethod::kHigham:
      c.nearest = nearest_correlation(c.sample_correlation);
      if (!c.nearest.converged)
        c.notes.push_back("Higham iteration stopped after " + std::to_string(c.nearest.iterations) +
                          " iterations before converging; the result is positive definite");
      c.correlation = c.nearest.correlation;
      break;
  }
  c.min_eigenvalue = min_eigenvalue(c.correlation);

  switch (s.dof) {
    case DofMethod::kNone:
      c.dof = 0.0;
      break;
    case DofMethod::kFixed:
      c.dof = s.dof_value;
      break;
    case DofMethod::kAuto:
      c.dof_fit = fit_unit_t_dof(pooled_standardised(r));
      c.dof = c.dof_fit.at_upper_bound ? 0.0 : std::max(c.dof_fit.dof, 2.01);
      if (c.dof_fit.at_upper_bound)
        c.notes.push_back("Student-t dof estimate reached its upper bound " +
                          num(kMaxFittedDof, "%g") +
                          ": the returns look Gaussian, so no dof is written");
      if (c.dof_fit.at_lower_bound)
        c.notes.push_back("Student-t dof estimate at its lower bound " + num(kMinFittedDof, "%g") +
                          ": extremely heavy tails; check the data");
      break;
  }
  return c;
}

}  // namespace chipshock
