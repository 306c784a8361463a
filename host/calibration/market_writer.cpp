#include "host/calibration/market_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "host/config/market.hpp"
#include "host/files/durable_file.hpp"
#include "host/input_error.hpp"
#include "host/sim_spec.hpp"

namespace chipshock {

namespace {

// Fixed-point with at least min_decimals decimals and min_significant significant digits.
std::string fixed(double x, int min_decimals, int min_significant) {
  int decimals = min_decimals;
  if (x != 0.0)
    decimals = std::max(
        decimals, min_significant - 1 - static_cast<int>(std::floor(std::log10(std::fabs(x)))));
  decimals = std::min(decimals, 15);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

// Shortest text that reads back as x, always a TOML float.
std::string shortest(double x) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string hex64(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// A TOML key: bare when it can be, quoted otherwise ("BRK.B").
std::string toml_key(const std::string& t) {
  const bool bare = std::all_of(t.begin(), t.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
  });
  return bare ? t : "\"" + t + "\"";
}

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

double round_to(double x, int decimals) {
  const double scale = std::pow(10.0, decimals);
  const double v = std::round(x * scale) / scale;
  return v == 0.0 ? 0.0 : v;  // no "-0.0000"
}

Eigen::MatrixXd rounded(const Eigen::MatrixXd& c, int decimals) {
  Eigen::MatrixXd r = c;
  for (Eigen::Index i = 0; i < c.rows(); ++i) {
    r(i, i) = 1.0;
    for (Eigen::Index j = i + 1; j < c.cols(); ++j)
      r(i, j) = r(j, i) = round_to(0.5 * (c(i, j) + c(j, i)), decimals);
  }
  return r;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// A folder name fit for a one-line comment: control characters become '?'.
std::string printable(std::string s) {
  for (char& ch : s)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  return s;
}

}  // namespace

std::string shell_word(const std::string& s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || std::strchr("@%+=:,./_-", ch);
  });
  if (plain) return s;
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

int correlation_decimals(const Eigen::MatrixXd& c) {
  const double target = 0.5 * min_eigenvalue(c);
  for (int d = 4; d < 15; ++d)
    if (min_eigenvalue(rounded(c, d)) >= target) return d;
  return 15;
}

std::string calibrate_command_line(const MarketCalibration& c) {
  const CalibrationSettings& s = c.settings;
  std::string cmd = "chipshock calibrate --prices " + shell_word(printable(c.prices_dir)) +
                    " --tickers " + shell_word(join(c.tickers, ",")) + " --as-of " + c.as_of +
                    " --window " + std::to_string(s.window) + " --vol " + vol_method_name(s.vol);
  if (s.vol == VolMethod::kEwma) cmd += " --lambda " + shortest(s.lambda);
  cmd += std::string(" --correlation ") + correlation_method_name(s.correlation) + " --dof ";
  cmd += s.dof == DofMethod::kAuto   ? "auto"
         : s.dof == DofMethod::kNone ? "none"
                                     : shortest(s.dof_value);
  if (!s.implied_vol) cmd += " --implied-vol none";
  cmd += " --rate " + shortest(s.rate) + " --currency " + s.currency;
  if (!c.factor_prices_dir.empty() && c.factor_prices_dir != c.prices_dir)
    cmd += " --factor-prices " + shell_word(printable(c.factor_prices_dir));
  if (!s.sectors_option.empty()) cmd += " --sectors " + shell_word(printable(s.sectors_option));
  return cmd;
}

std::string market_toml(const MarketCalibration& c, const std::string& version) {
  const CalibrationSettings& s = c.settings;
  const std::size_t n = c.tickers.size();
  const int decimals = correlation_decimals(c.correlation);
  const Eigen::MatrixXd corr = rounded(c.correlation, decimals);  // as correlation_toml writes it
  const MarketCalibration::Stressed& st = c.stressed;
  std::ostringstream o;
  if (st.on)
    o << "# chipshock STRESSED market: " << n << (n == 1 ? " asset" : " assets")
      << " estimated over the stressed window " << st.period.first << " .. " << st.period.last
      << "\n# of the book " << toml_string(st.portfolio_name) << ", with today's spots (as of "
      << st.spots_as_of << ").\n";
  else
    o << "# chipshock market: " << n << (n == 1 ? " asset" : " assets")
      << " calibrated from daily closes as of " << c.as_of << ".\n";
  o << "#\n"
    << "# Generated file; do not edit by hand. chipshock " << version
    << " wrote it; these options reproduce it\n"
    << "# (from the same working folder):\n"
    << "#   " << (st.on ? st.command : calibrate_command_line(c)) << " --out FILE\n"
    << "#\n";
  if (st.on)
    o << "# Stressed period (FRTB's stressed ES, BCBS MAR33.5-33.8): of every window of "
      << c.returns << "\n#   consecutive daily"
      << " returns from " << st.period.searched_first << " to " << st.period.searched_last
      << " (" << st.period.windows << " windows), the one where today's book\n"
      << "#   (" << printable(st.portfolio_file) << ", at the spots of " << st.spots_as_of
      << ") had the largest\n#   1-day historical ES at " << shortest(st.confidence) << ":\n"
      << "#   " << st.period.first << " .. " << st.period.last << ", ES " << fixed(st.period.es, 2, 6)
      << ", VaR " << fixed(st.period.var, 2, 6) << "; over the last " << c.returns
      << " returns\n"
      << "#   (" << st.period.current_first << " .. " << st.period.current_last << ") ES "
      << fixed(st.period.current_es, 2, 6) << ". Vols, correlation, dof and loadings below are\n"
      << "#   that window's; the spots are today's. [stressed] at the end records the window.\n"
      << "#\n";
  o
    << "# Data: " << printable(c.prices_dir)
    << "/<TICKER>.csv (date,close), inner-joined on date.\n"
    << "#   fingerprint of the dates and closes used (FNV-1a 64): " << hex64(c.fingerprint) << "\n"
    << "# Window: the last " << c.returns << " daily log-returns ln(close_t / close_t-1) ending on "
    << (st.on ? "the stressed window's last day:\n" : "the as-of date:\n")
    << "#   first return " << c.first_return_date << " (from the close of " << c.base_date
    << "), last return " << c.as_of << "\n"
    << "# Estimators:\n"
    << "#   spot  = close on the as-of date (at least 6 significant digits)\n";
  if (s.vol == VolMethod::kSample)
    o << "#   vol   = sample stdev of the daily log-returns (divided by N-1) * sqrt("
      << kTradingDaysPerYear << ")\n";
  else
    o << "#   vol   = EWMA (RiskMetrics) stdev, lambda = " << shortest(s.lambda)
      << ", zero mean, weights\n"
      << "#           (1-lambda) lambda^k / (1-lambda^N) summing to 1 over the window, * sqrt("
      << kTradingDaysPerYear << ")\n";
  if (n > 1) {
    o << "#   correlation = sample Pearson correlation of the daily log-returns";
    if (s.correlation == CorrelationMethod::kLedoitWolf)
      o << ", shrunk toward\n"
        << "#           the constant-correlation target (Ledoit & Wolf 2004): intensity "
        << fixed(c.shrinkage.intensity, 4, 1) << ",\n"
        << "#           mean correlation " << fixed(c.shrinkage.mean_correlation, 4, 1)
        << (c.shrinkage.raised ? " (intensity raised to reach the eigenvalue floor)" : "") << "\n";
    else if (s.correlation == CorrelationMethod::kHigham)
      o << ", replaced by\n"
        << "#           the nearest correlation matrix with eigenvalues >= "
        << shortest(kMinCorrelationEigenvalue) << " (Higham 2002):\n"
        << "#           Frobenius distance " << fixed(c.nearest.distance, 6, 3) << " after "
        << c.nearest.iterations << " iterations\n";
    else
      o << "\n";
    o << "#           written to " << decimals << " decimals; smallest eigenvalue "
      << fixed(min_eigenvalue(corr), 6, 3) << " (sample: " << fixed(c.sample_min_eigenvalue, 6, 3)
      << ")\n";
  }
  if (s.dof == DofMethod::kAuto) {
    o << "#   dof   = maximum-likelihood Student-t degrees of freedom of the unit-variance t\n"
      << "#           (the law of sqrt((nu-2)/nu) T_nu) for the " << c.dof_fit.n
      << " pooled standardised returns\n"
      << "#           (each series minus its mean, divided by its sample stdev), nu in ["
      << shortest(kMinFittedDof) << ", " << shortest(kMaxFittedDof) << "]:\n";
    if (c.dof_fit.at_upper_bound)
      o << "#           the maximum is at the upper bound, so the file keeps Gaussian "
           "innovations\n";
    else
      o << "#           " << fixed(c.dof_fit.dof, 2, 3) << ", likelihood-ratio 95% interval ["
        << fixed(c.dof_fit.lo, 2, 3) << ", " << fixed(c.dof_fit.hi, 2, 3) << "] (too narrow: it\n"
        << "#           treats the pooled values as independent)\n";
  } else if (s.dof == DofMethod::kFixed) {
    o << "#   dof   = given on the command line (--dof), not estimated\n";
  } else {
    o << "#   dof   = none: Gaussian innovations (--dof none)\n";
  }
  o << "#   drift = 0.0 for every asset: not estimated (a sample mean return over the window is\n"
    << "#           far too noisy to serve as an expected return).\n";
  if (!c.loadings.empty()) {
    double r2_lo = 1, r2_hi = 0;
    for (const double r2 : c.loading_r2) {
      r2_lo = std::min(r2_lo, r2);
      r2_hi = std::max(r2_hi, r2);
    }
    o << "#   exposures = factor loadings, OLS of each ticker's daily log-return on an intercept,\n"
      << "#           `market` (" << kMarketProxy << "'s log-return) and `ai_capex` (" << kSemisProxy
      << "'s minus " << kMarketProxy << "'s log-return:\n"
      << "#           semiconductors in excess of the market) over " << c.loading_returns
      << " returns of the window, 3 decimals\n"
      << "#           (R^2 " << fixed(r2_lo, 2, 2) << " to " << fixed(r2_hi, 2, 2)
      << "); proxies' closes from " << printable(c.factor_prices_dir) << ".\n"
      << "#           Scenarios that shock these factors move each ticker by its loadings.\n";
  } else {
    o << "#   exposures = none: no factor proxies (" << kMarketProxy << ".csv, " << kSemisProxy
      << ".csv) were found; scenarios that shock\n"
      << "#           factors (ai_capex_cut, reverse --factor) need them (--factor-prices DIR).\n";
  }
  const VolDynamics& vd = c.vol_dynamics;
  if (!s.implied_vol) {
    o << "#   implied_vol = none (--implied-vol none): options price at each asset's vol.\n";
  } else {
    o << "#   implied_vol = a default surface, not implied-vol quotes (none ship): atm = the\n"
      << "#           asset's vol above (realised vol as the proxy of implied), flat in strike\n"
      << "#           and maturity (skew = term_slope = 0: closes cannot estimate them; fit\n"
      << "#           quotes with run --iv-file). Its dynamics use the realised vol of blocks\n"
      << "#           of " << vd.block << " returns as the proxy of the at-the-money level";
    if (vd.changes == 0) {
      o << ": the history holds\n#           too few blocks, so none are written (held in "
           "strike).\n";
    } else {
      std::vector<double> se = vd.spot_beta_se;
      std::sort(se.begin(), se.end());
      const auto blocks =
          std::minmax_element(c.vol_dynamics_blocks.begin(), c.vol_dynamics_blocks.end());
      o << ",\n#           each ticker's own history up to " << c.as_of << " ("
        << (blocks.first == c.vol_dynamics_blocks.end()
                ? std::string("none")
                : std::to_string(*blocks.first) + " to " + std::to_string(*blocks.second))
        << " blocks), on the model\n"
        << "#           d ln vol = spot_beta x the day's log-return + vol_of_vol sqrt(1/252) x a\n"
        << "#           shock: spot_beta = the OLS slope of the blocks' change of ln(realised "
           "vol)\n"
        << "#           on their log-return, scaled for the block averaging (median standard "
           "error\n"
        << "#           " << fixed(se[se.size() / 2], 2, 2)
        << "), shrunk toward the tickers' pooled " << fixed(vd.spot_beta_pooled, 2, 2)
        << " by how much of\n"
        << "#           their spread is noise (spread left " << fixed(vd.spot_beta_spread, 2, 2)
        << "); vol_of_vol = the residual's sd less the sampling noise of a\n"
        << "#           " << vd.block << "-return realised vol and the averaging, per year;"
        << " implied_vol_correlation =\n"
        << "#           the shocks' mean pairwise correlation (" << vd.pairs
        << " pairs, over the common\n#           returns from " << c.vol_dynamics_from
        << "), in [0, 1]. Realised vol mean-\n"
        << "#           reverts where the model's log vol is a random walk: a proxy.\n";
    }
  }
  o << "#   sector = from the ticker -> sector table";
  for (const std::string& f : s.sector_files) o << "\n#           " << printable(f);
  o << "\n#           (scenarios' per-sector defaults use it; a ticker not in it has none).\n";
  if (!c.notes.empty()) {
    o << "# Notes on the data:\n";
    for (const std::string& note : c.notes) o << "#   " << note << "\n";
  }
  o << "\ncurrency = \"" << s.currency << "\"\n"
    << "\n# Continuously compounded risk-free rate, used only to price options: an assumption\n"
    << "# given on the command line (--rate), not an estimate.\n"
    << "rate = " << shortest(s.rate) << "\n"
    << (st.on ? "\n# Date of the spots (today's; the estimates are the stressed window's).\n"
              : "\n# Date of the spots: the last return's date.\n")
    << "as_of = " << (st.on ? st.spots_as_of : c.as_of) << "\n";
  if (c.dof > 0)
    o << "\n# Student-t degrees of freedom (see the header).\n"
      << "dof = " << fixed(c.dof, 2, 1) << "\n";
  if (s.implied_vol && vd.changes > 0 && n > 1)
    o << "\n# The correlation of the tickers' implied-vol shocks (see the header).\n"
      << "implied_vol_correlation = " << fixed(vd.correlation, 3, 3) << "\n";
  // the surface's dynamics, inside what load_market accepts
  const auto surface = [&](std::size_t k) {
    if (!s.implied_vol) return std::string();
    std::string t = "implied_vol = { atm = " + fixed(c.vols[k], 4, 4);
    if (vd.changes > 0)
      t += ", spot_beta = " + fixed(std::clamp(vd.spot_beta[k], -10.0, 10.0), 3, 3) +
           ", vol_of_vol = " + fixed(std::clamp(vd.vol_of_vol[k], 0.0, 5.0), 3, 3);
    return t + " }\n";
  };
  for (std::size_t k = 0; k < n; ++k)
    o << "\n[assets." << toml_key(c.tickers[k]) << "]\n"
      << "spot = " << fixed(st.on ? st.spots[k] : c.spots[k], 2, 6) << "\n"
      << "vol = " << fixed(c.vols[k], 4, 4) << "\n"
      << "drift = 0.0\n"
      << (k < c.sectors.size() && !c.sectors[k].empty() ? "sector = \"" + c.sectors[k] + "\"\n"
                                                        : std::string())
      << (k < c.loadings.size() ? "exposures = { market = " + fixed(c.loadings[k][0], 3, 3) +
                                      ", ai_capex = " + fixed(c.loadings[k][1], 3, 3) + " }\n"
                                : std::string())
      << surface(k);
  if (n > 1) o << "\n" << correlation_toml(c.tickers, c.correlation);
  if (st.on)
    o << "\n# The stressed window (chipshock run --stressed reads it).\n"
      << "[stressed]\n"
      << "first = " << st.period.first << "\n"
      << "last = " << st.period.last << "\n"
      << "returns = " << c.returns << "\n"
      << "confidence = " << shortest(st.confidence) << "\n"
      << "es = " << fixed(st.period.es, 2, 6) << "\n"
      << "current_es = " << fixed(st.period.current_es, 2, 6) << "\n"
      << "portfolio = " << toml_string(st.portfolio_name) << "\n";
  return o.str();
}

std::string correlation_toml(const std::vector<std::string>& tickers,
                             const Eigen::MatrixXd& correlation) {
  const int decimals = correlation_decimals(correlation);
  const Eigen::MatrixXd corr = rounded(correlation, decimals);
  const std::size_t n = tickers.size();
  std::ostringstream o;
  std::size_t width = static_cast<std::size_t>(decimals) + 3;
  for (const std::string& t : tickers) width = std::max(width, t.size());
  std::vector<std::string> quoted;
  for (const std::string& t : tickers) quoted.push_back("\"" + t + "\"");
  o << "[correlation]\n"
    << "tickers = [" << join(quoted, ", ") << "]\n"
    << "# columns, in the order of `tickers`:\n#  ";
  for (const std::string& t : tickers) o << std::string(width + 2 - t.size(), ' ') << t;
  o << "\nmatrix = [\n";
  for (std::size_t i = 0; i < n; ++i) {
    o << "  [";
    for (std::size_t j = 0; j < n; ++j) {
      const std::string v =
          fixed(corr(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)), decimals, 1);
      char cell[64];
      std::snprintf(cell, sizeof cell, "%*s", static_cast<int>(width), v.c_str());
      o << cell << (j + 1 < n ? ", " : "");
    }
    o << "],  # " << tickers[i] << "\n";
  }
  o << "]\n";
  return o.str();
}

namespace {

// A table header line: [name] or [[name]], with an optional comment. Matrix rows ("[0.5, 1.0],")
// hold commas, which no header does.
bool table_header(const std::string& line) {
  static const std::regex header(R"(^\s*\[\[?\s*[A-Za-z0-9_."' -]+\s*\]\]?\s*(#.*)?\r?$)");
  return std::regex_match(line, header);
}

bool correlation_header(const std::string& line) {
  static const std::regex header(R"(^\s*\[\s*("correlation"|correlation)\s*\]\s*(#.*)?\r?$)");
  return std::regex_match(line, header);
}

}  // namespace

std::string repaired_market_toml(const std::string& text, const Market& m,
                                 const std::string& command) {
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  std::size_t first = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (correlation_header(lines[i])) {
      first = i;
      break;
    }
  if (first == lines.size())
    throw InputError(m.file, m.correlation_line, "correlation",
                     "not written as a [correlation] table, so it cannot be replaced in place",
                     "write it as [correlation] with tickers and matrix, or run with "
                     "--repair-correlation higham");
  std::size_t last = first + 1;  // one past the table's lines
  while (last < lines.size() && !table_header(lines[last])) ++last;
  while (last > first + 1 && lines[last - 1].find_first_not_of(" \t\r") == std::string::npos)
    --last;  // blank lines before the next table stay where they are
  const std::size_t n = m.size();
  std::vector<std::string> tickers;
  Eigen::MatrixXd corr(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    tickers.push_back(m.assets[i].ticker);
    for (std::size_t j = 0; j < n; ++j)
      corr(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = m.correlation[i * n + j];
  }
  std::ostringstream o;
  for (std::size_t i = 0; i < first; ++i) o << lines[i] << "\n";
  o << "# Correlation repaired by chipshock:\n#   " << command << "\n"
    << "# the nearest correlation matrix (Higham 2002) with eigenvalues >= "
    << shortest(kMinCorrelationEigenvalue) << ", over every asset\n"
    << "# of the file, " << m.repair.iterations << " iterations: Frobenius distance "
    << fixed(m.repair.distance, 4, 3) << " from the given one; smallest eigenvalue\n"
    << "# " << fixed(m.repair.min_eigenvalue_given, 4, 3) << " given, "
    << fixed(min_eigenvalue(rounded(corr, correlation_decimals(corr))), 6, 3)
    << " as written.\n"
    << correlation_toml(tickers, corr)
    << "# The table as it was:\n";
  for (std::size_t i = first; i < last; ++i) o << "#   " << lines[i] << "\n";
  for (std::size_t i = last; i < lines.size(); ++i) o << lines[i] << "\n";
  return o.str();
}

void write_market_file(const std::string& path, const std::string& text) {
  write_file_durably(path, text, [](const std::string& written) {
    try {
      load_market(written);
    } catch (const InputError& e) {
      throw std::runtime_error(std::string("the calibrated market file does not load: ") +
                               e.what());
    }
  });
}

}  // namespace chipshock
