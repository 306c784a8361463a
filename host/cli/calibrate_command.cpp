#include "host/cli/calibrate_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "host/calibration/calibrate_market.hpp"
#include "host/calibration/correlation_repair.hpp"
#include "host/config/toml_reader.hpp"
#include "host/calibration/market_writer.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/history/stressed_period.hpp"
#include "host/cli/run_command.hpp"
#include "host/history/price_history.hpp"
#include "host/input_error.hpp"
#include "host/scenario/scenario_library.hpp"
#include "host/files/durable_file.hpp"
#include "host/files/free_space.hpp"

#ifndef CHIPSHOCK_VERSION
#define CHIPSHOCK_VERSION "unknown"
#endif

namespace chipshock {

namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::vector<std::string> parse_tickers(const std::string& text, const std::string& dir) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  const std::vector<std::string> available = available_tickers(dir);
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string t = text.substr(start, comma - start);
    start = comma + 1;
    if (t.empty())
      throw InputError("", 0, "--tickers", "'" + text + "': empty ticker in the list",
                       "example: --tickers NVDA,AMD,TSM");
    if (std::find(out.begin(), out.end(), t) != out.end())
      throw InputError("", 0, "--tickers", "ticker '" + t + "' listed twice");
    if (std::find(available.begin(), available.end(), t) == available.end())
      throw InputError("", 0, "--tickers", "unknown ticker '" + t + "': no " + price_file(dir, t),
                       available.empty() ? "the folder holds no <TICKER>.csv files"
                                         : "tickers with a file there: " + join(available, ", "));
    out.push_back(t);
  }
  return out;
}

CalibrationSettings settings_from(const CalibrateOptions& o) {
  CalibrationSettings s;
  s.as_of = o.as_of;
  s.window = o.window;
  if (o.vol == "sample")
    s.vol = VolMethod::kSample;
  else if (o.vol == "ewma")
    s.vol = VolMethod::kEwma;
  else
    throw InputError("", 0, "--vol", "'" + o.vol + "': expected sample or ewma");
  if (o.lambda_given && s.vol != VolMethod::kEwma)
    throw InputError("", 0, "--lambda", "only used with --vol ewma");
  s.lambda = o.lambda;
  if (o.correlation == "sample")
    s.correlation = CorrelationMethod::kSample;
  else if (o.correlation == "ledoit-wolf")
    s.correlation = CorrelationMethod::kLedoitWolf;
  else if (o.correlation == "higham")
    s.correlation = CorrelationMethod::kHigham;
  else
    throw InputError("", 0, "--correlation",
                     "'" + o.correlation + "': expected sample, ledoit-wolf or higham");
  if (o.dof == "auto") {
    s.dof = DofMethod::kAuto;
  } else if (o.dof == "none") {
    s.dof = DofMethod::kNone;
  } else {
    char* end = nullptr;
    s.dof_value = std::strtod(o.dof.c_str(), &end);
    if (o.dof.empty() || end != o.dof.c_str() + o.dof.size() || !std::isfinite(s.dof_value))
      throw InputError("", 0, "--dof", "'" + o.dof + "': expected auto, none or a number > 2");
    s.dof = DofMethod::kFixed;
  }
  if (o.implied_vol != "proxy" && o.implied_vol != "none")
    throw InputError("", 0, "--implied-vol", "'" + o.implied_vol + "': expected proxy or none");
  s.implied_vol = o.implied_vol == "proxy";
  s.rate = o.rate;
  s.currency = o.currency;
  // Factor proxies: --factor-prices, else --prices when it holds them, else the shipped history.
  if (o.factor_prices == "none") {
    s.factor_prices.clear();
  } else if (!o.factor_prices.empty()) {
    const std::vector<std::string> have = available_tickers(o.factor_prices);
    for (const char* proxy : {kMarketProxy, kSemisProxy})
      if (std::find(have.begin(), have.end(), proxy) == have.end())
        throw InputError("", 0, "--factor-prices",
                         o.factor_prices + " holds no " + proxy + ".csv",
                         "the factor proxies are SPY (market) and SMH (ai_capex = SMH - SPY)");
    s.factor_prices = o.factor_prices;
  } else {
    std::error_code ec;
    const auto has_proxies = [&](const std::string& dir) {
      return !dir.empty() &&
             std::filesystem::is_regular_file(price_file(dir, kMarketProxy), ec) &&
             std::filesystem::is_regular_file(price_file(dir, kSemisProxy), ec);
    };
    if (has_proxies(o.prices))
      s.factor_prices = o.prices;
    else if (has_proxies(default_prices_dir()))
      s.factor_prices = default_prices_dir();
  }
  // Sectors: the shipped table, then --sectors over it.
  const std::string root = data_root();
  const std::string shipped =
      root.empty() ? "" : (std::filesystem::path(root) / "data" / "sectors.csv").string();
  std::error_code ec;
  if (!shipped.empty() && std::filesystem::is_regular_file(shipped, ec)) {
    s.sectors = load_sector_table(shipped);
    s.sector_files.push_back(shipped);
  }
  if (!o.sectors.empty()) {
    for (const auto& [ticker, sector] : load_sector_table(o.sectors)) s.sectors[ticker] = sector;
    s.sector_files.push_back(o.sectors + " (over the shipped table)");
    s.sectors_option = o.sectors;
  }
  return s;
}

void check_out(const CalibrateOptions& o) {
  namespace fs = std::filesystem;
  if (o.out.empty())
    throw InputError("", 0, "--out", "required", "give the market file to write, or - for stdout");
  if (o.out == "-") return;
  std::error_code ec;
  const fs::path out(o.out);
  // Refused even with --force: the rename would replace a FIFO, device or folder entry.
  if (const std::string kind = not_a_file_target(o.out); !kind.empty())
    throw InputError("", 0, "--out", o.out + " is " + kind + ", not a regular file",
                     "give a file name, e.g. market.toml");
  const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  if (!fs::is_directory(parent, ec))
    throw InputError("", 0, "--out", "folder " + parent.string() + " does not exist");
  if (fs::exists(out, ec) && !o.force)
    throw InputError("", 0, "--out", o.out + " exists", "add --force to replace it");
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

std::string summary(const MarketCalibration& c, const std::string& out) {
  std::ostringstream o;
  const std::size_t n = c.tickers.size();
  o << "calibrated " << n << (n == 1 ? " ticker" : " tickers") << " from " << c.prices_dir << ": "
    << c.returns << " daily returns " << c.first_return_date << " .. " << c.as_of
    << (c.stressed.on ? "" : " (as of)") << "\n";
  if (c.stressed.on) {
    const StressedPeriod& p = c.stressed.period;
    o << "stressed window of " << c.stressed.portfolio_file << ": " << p.first << " .. " << p.last
      << " (the largest 1-day historical " << fmt("%g", c.stressed.confidence * 100)
      << "% ES of " << p.windows << " windows from " << p.searched_first << "): ES "
      << fmt("%.2f", p.es) << ", against " << fmt("%.2f", p.current_es) << " over the last "
      << c.returns << " returns; spots as of " << c.stressed.spots_as_of << "\n";
  }
  o << "\n";
  const bool ewma = c.settings.vol == VolMethod::kEwma;
  char line[160];
  std::snprintf(line, sizeof line, "%-8s %14s %12s %12s %10s\n", "ticker", "spot",
                ewma ? "vol sample" : "vol sample*", ewma ? "vol ewma*" : "vol ewma", "mean corr");
  o << line;
  for (std::size_t k = 0; k < n; ++k) {
    double mean_corr = 0.0;
    for (std::size_t j = 0; j < n; ++j)
      if (j != k)
        mean_corr += c.correlation(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j));
    const std::string mc = n > 1 ? fmt("%.3f", mean_corr / static_cast<double>(n - 1)) : "-";
    std::snprintf(line, sizeof line, "%-8s %14.4f %12.4f %12.4f %10s\n", c.tickers[k].c_str(),
                  c.stressed.on ? c.stressed.spots[k] : c.spots[k], c.sample_vols[k],
                  c.ewma_vols[k], mc.c_str());
    o << line;
  }
  o << "(* written; annualised with sqrt(252); EWMA lambda " << fmt("%g", c.settings.lambda)
    << ")\n\n";
  if (n > 1) {
    o << "correlation: " << correlation_method_name(c.settings.correlation);
    if (c.settings.correlation == CorrelationMethod::kLedoitWolf)
      o << " (intensity " << fmt("%.4f", c.shrinkage.intensity) << " toward mean correlation "
        << fmt("%.4f", c.shrinkage.mean_correlation) << ")";
    if (c.settings.correlation == CorrelationMethod::kHigham)
      o << " (Frobenius distance " << fmt("%.3g", c.nearest.distance) << ")";
    o << ", smallest eigenvalue " << fmt("%.4g", c.min_eigenvalue) << " (sample "
      << fmt("%.4g", c.sample_min_eigenvalue) << ")\n";
  }
  o << "dof: ";
  if (c.settings.dof == DofMethod::kAuto && !c.dof_fit.at_upper_bound)
    o << fmt("%.2f", c.dof) << " (maximum likelihood, pooled standardised returns; 95% interval "
      << fmt("%.2f", c.dof_fit.lo) << " .. " << fmt("%.2f", c.dof_fit.hi) << ")\n";
  else if (c.dof > 0)
    o << fmt("%.2f", c.dof) << " (given)\n";
  else
    o << "none (Gaussian innovations)\n";
  for (const std::string& note : c.notes) o << "note: " << note << "\n";
  if (out != "-") o << "wrote " << out << "\n";
  return o.str();
}

// calibrate --stressed: today's market (current) prices the book; the window of
// o.stressed_window returns where its 1-day historical ES was largest is found in the history up
// to today, and the market estimated over it with today's spots.
MarketCalibration stressed_calibration(const CalibrateOptions& o, const PriceHistory& history,
                                       const CalibrationSettings& settings,
                                       const MarketCalibration& current) {
  const Market today = load_market_text(market_toml(current, CHIPSHOCK_VERSION),
                                        "the market calibrated as of " + current.as_of);
  const Portfolio book = load_portfolio(o.portfolio, today);
  StressedSearch search;
  search.window = o.stressed_window;
  const StressedPeriod period = find_stressed_period(today, book, history, current.as_of, search);
  CalibrationSettings at = settings;
  at.as_of = period.last;
  at.window = o.stressed_window;
  MarketCalibration c = calibrate_market(history, at);
  MarketCalibration::Stressed& st = c.stressed;
  st.on = true;
  st.period = period;
  st.confidence = search.confidence;
  st.portfolio_name = book.name;
  st.portfolio_file = o.portfolio;
  st.spots_as_of = current.as_of;
  st.spots = current.spots;
  st.command = calibrate_command_line(current) + " --stressed --portfolio " +
               shell_word(o.portfolio) + " --stressed-window " + std::to_string(o.stressed_window);
  return c;
}

// Writes a market file's text to --out (a file, or "-": stdout, checked the same way through a
// temporary file that load_market reads).
void emit_market_text(const CalibrateOptions& o, const std::string& text) {
  if (o.out == "-") {
    const std::string probe = (std::filesystem::temp_directory_path() /
                               ("chipshock-calibrate-" + std::to_string(::getpid()) + ".toml"))
                                  .string();
    write_market_file(probe, text);
    std::error_code ec;
    std::filesystem::remove(probe, ec);
    std::cout << text;
  } else {
    write_market_file(o.out, text);
  }
}

// calibrate --market FILE --repair-correlation higham: the file with its correlation replaced by
// the nearest correlation matrix, every other line as it was. Returns the summary.
std::string repair_market_job(const CalibrateOptions& o) {
  if (!o.prices.empty())
    throw InputError("", 0, "--market",
                     "either --prices (calibrate from closes) or --market (repair a market "
                     "file's correlation), not both");
  if (o.repair_correlation.empty())
    throw InputError("", 0, "--market", "only used with --repair-correlation higham",
                     "chipshock calibrate --market m.toml --repair-correlation higham --out "
                     "repaired.toml");
  check_out(o);
  const std::string text = read_input_file(o.market);
  Market m = load_market_text(text, o.market, false);
  repair_market_correlation(m, o.repair_correlation);  // names --repair-correlation if unknown
  std::ostringstream summary;
  std::string out_text = text;
  if (m.repair.method.empty()) {
    summary << o.market << ": the correlation matrix is positive definite; nothing to repair"
            << (o.out == "-" ? "" : ", the file copied as it is") << "\n";
  } else {
    const std::string command = "chipshock calibrate --market " + o.market +
                                " --repair-correlation " + o.repair_correlation;
    out_text = repaired_market_toml(text, m, command);
    summary << "repaired the correlation of " << o.market << " (" << m.size()
            << " assets): the nearest correlation matrix (Higham 2002), Frobenius distance "
            << fmt("%.4g", m.repair.distance) << ", smallest eigenvalue "
            << fmt("%.4g", m.repair.min_eigenvalue_given) << " given, "
            << fmt("%.4g", m.repair.min_eigenvalue) << " repaired (" << m.repair.iterations
            << " iterations)\n";
  }
  const std::uint64_t bound = 2 * (out_text.size() + 4096);
  if (o.out == "-")
    check_space({{"", bound, bound, "--out", "the market file"}});
  else
    check_space({{std::filesystem::path(std::filesystem::absolute(o.out)).parent_path().string(),
                  2 * bound, bound, "--out", "the market file and its temporary copy"}});
  emit_market_text(o, out_text);
  if (o.out != "-") summary << "wrote " << o.out << "\n";
  return summary.str();
}

}  // namespace

CalibrateOutcome calibrate_job(const CalibrateOptions& o) {
  if (o.prices.empty())
    throw InputError("", 0, "--prices", "required",
                     "give the folder of <TICKER>.csv files (date,close)");
  const CalibrationSettings settings = settings_from(o);
  validate_calibration_settings(settings);
  if (o.stressed && o.portfolio.empty())
    throw InputError("", 0, "--stressed", "needs --portfolio: the book whose stressed window to find",
                     "chipshock calibrate --prices DIR --stressed --portfolio book.toml --out s.toml");
  if (!o.stressed && !o.portfolio.empty())
    throw InputError("", 0, "--portfolio", "only used with --stressed");
  if (o.stressed && o.stressed_window < 20)
    throw InputError("", 0, "--stressed-window", "at least 20 daily returns per window");
  if (!o.text_only) check_out(o);
  std::vector<std::string> tickers = parse_tickers(o.tickers, o.prices);
  // Without --tickers, every file in the folder is a candidate: files whose own history cannot
  // fill the window up to --as-of (a late listing such as ARM's) are left out and listed, rather
  // than shortening everyone's window. An explicit --tickers list is taken as given.
  std::vector<std::string> left_out;
  if (o.tickers.empty()) {
    for (const std::string& t : every_ticker_file(o.prices)) {
      const PriceHistory one = load_price_history(o.prices, {t});
      std::size_t closes = 0;
      for (const std::string& d : one.dates) closes += settings.as_of.empty() || d <= settings.as_of;
      if (closes >= static_cast<std::size_t>(settings.window) + 1)
        tickers.push_back(t);
      else
        left_out.push_back(t + " (" + std::to_string(closes) + " closes from " +
                           one.dates.front() + ")");
    }
    if (tickers.empty())
      throw InputError("", 0, "--window",
                       "no price file in " + o.prices + " holds " +
                           std::to_string(settings.window + 1) + " closes" +
                           (settings.as_of.empty() ? "" : " up to " + settings.as_of),
                       "use a shorter --window or a later --as-of");
  }
  // Room for the market file before the calibration: about twice its size (a header, a line
  // per ticker and the correlation matrix's n x n cells of at most 8 characters).
  const std::uint64_t n = tickers.size();
  const std::uint64_t bound = 2 * ((16 << 10) + 256 * n + 12 * n * n);
  if (o.text_only) {
    // nothing written
  } else if (o.out == "-") {
    check_space({{"", bound, bound, "--out", "the market file"}});
  } else {
    check_space({{std::filesystem::path(std::filesystem::absolute(o.out)).parent_path().string(),
                  2 * bound, bound, "--out", "the market file and its temporary copy"}});
  }
  const PriceHistory history = load_price_history(o.prices, tickers);
  MarketCalibration c = calibrate_market(history, settings);
  if (o.stressed) c = stressed_calibration(o, history, settings, c);
  for (const std::string& t : left_out)
    c.notes.push_back("left out " + t + ": too short for " + std::to_string(settings.window) +
                      " returns; name the tickers with --tickers to be told instead");
  std::string market_text = market_toml(c, CHIPSHOCK_VERSION);
  CalibrateOutcome out{std::move(c), std::move(market_text)};
  const std::string& text = out.text;
  if (o.text_only) {
    // What a file would get checked by: the market it holds loads.
    (void)load_market_text(text, "the calibrated market");
  } else {
    emit_market_text(o, text);
  }
  return out;
}

int calibrate_command(const CalibrateOptions& o) {
  if (!o.market.empty()) {
    const std::string summary = repair_market_job(o);
    if (!o.quiet) (o.out == "-" ? std::cerr : std::cout) << summary;
    std::cout.flush();
    return kExitOk;
  }
  if (!o.repair_correlation.empty())
    throw InputError("", 0, "--repair-correlation",
                     "only used with --market (a market file to repair)",
                     "when calibrating from --prices, use --correlation higham");
  const CalibrateOutcome out = calibrate_job(o);
  const MarketCalibration& c = out.calibration;
  if (!o.quiet) (o.out == "-" ? std::cerr : std::cout) << summary(c, o.out);
  std::cout.flush();
  return kExitOk;
}

}  // namespace chipshock
