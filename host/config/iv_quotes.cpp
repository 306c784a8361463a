#include "host/config/iv_quotes.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "host/config/portfolio.hpp"
#include "host/config/toml_reader.hpp"
#include "host/config/trading_calendar.hpp"
#include "host/input_error.hpp"
#include "kernels/normal_quantile.cuh"

namespace chipshock {

namespace {

constexpr int kMaxQuotes = 100000;

struct Quote {
  long line = 0;
  double tau = 0, k = 0, vol = 0;  // years, ln(K / F), implied vol
};

double number_of(const std::string& v, const std::string& file, long line,
                 const std::string& column) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(x))
    throw InputError(file, line, column, "'" + echo_text(v) + "' is not a number");
  return x;
}

// The quote's expiry in trading days: a whole number, or a date counted from the market's as_of.
long expiry_days(const std::string& v, const Market& market, const std::string& file, long line) {
  if (!v.empty() && v.size() < 6 &&
      std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const long d = std::stol(v);
    if (d < 1 || d > 30 * 252)
      throw InputError(file, line, "expiry", "must be 1 to 7560 trading days (30 years)");
    return d;
  }
  if (market.as_of.empty())
    throw InputError(file, line, "expiry", "a date needs the market's as_of",
                     "give as_of in " + market.file + ", or the expiry in trading days");
  long d = 0;
  try {
    d = TradingCalendar::nyse().trading_days_between(market.as_of, v);
  } catch (const std::out_of_range& e) {
    throw InputError(file, line, "expiry", e.what());
  } catch (const std::exception&) {
    throw InputError(file, line, "expiry",
                     "'" + echo_text(v) +
                         "' is neither a whole number of trading days nor a "
                         "date YYYY-MM-DD");
  }
  if (d < 1) throw InputError(file, line, "expiry", v + " is not after the market's as_of");
  return d;
}

}  // namespace

std::vector<IvFit> apply_iv_file(const std::string& path, Market& market) {
  std::istringstream in(read_input_file(path, std::uintmax_t{64} << 20, "a table of quotes"));
  std::vector<std::string> header;
  std::map<std::string, std::vector<Quote>> quotes;  // by ticker
  std::string text;
  long n = 0, count = 0;
  while (std::getline(in, text)) {
    ++n;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.find_first_not_of(" \t,") == std::string::npos || text[0] == '#') continue;
    const std::vector<std::string> fields = csv_fields(text);
    if (header.empty()) {
      for (std::string f : fields) {
        std::transform(f.begin(), f.end(), f.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (f != "ticker" && f != "expiry" && f != "strike" && f != "delta" && f != "vol")
          throw InputError(path, n, "header", "unknown column '" + echo_text(f) + "'",
                           "columns: ticker, expiry, strike and/or delta, vol");
        if (std::find(header.begin(), header.end(), f) != header.end())
          throw InputError(path, n, "header", "column '" + f + "' given twice");
        header.push_back(f);
      }
      for (const char* need : {"ticker", "expiry", "vol"})
        if (std::find(header.begin(), header.end(), need) == header.end())
          throw InputError(path, n, "header", std::string("no '") + need + "' column",
                           "the header names ticker, expiry, strike or delta, and vol");
      if (std::find(header.begin(), header.end(), "strike") == header.end() &&
          std::find(header.begin(), header.end(), "delta") == header.end())
        throw InputError(path, n, "header", "no 'strike' or 'delta' column");
      continue;
    }
    if (fields.size() != header.size())
      throw InputError(path, n, "",
                       std::to_string(fields.size()) + " fields, the header has " +
                           std::to_string(header.size()));
    if (++count > kMaxQuotes)
      throw InputError(path, n, "", "more than " + std::to_string(kMaxQuotes) + " quotes");
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < header.size(); ++c) row[header[c]] = fields[c];
    const std::string& ticker = row["ticker"];
    const int i = market.index_of(ticker);
    if (i < 0)
      throw InputError(path, n, "ticker",
                       "unknown ticker '" + echo_text(ticker) + "': not in " + market.file);
    const Asset& a = market.assets[static_cast<std::size_t>(i)];
    Quote q;
    q.line = n;
    q.tau = static_cast<double>(expiry_days(row["expiry"], market, path, n)) / 252.0;
    q.vol = number_of(row["vol"], path, n, "vol");
    if (!(q.vol > 0 && q.vol <= 5))
      throw InputError(path, n, "vol", "an implied vol must be in (0, 5] (0.45 = 45%)");
    const double drift = (market.rate - a.dividend_yield) * q.tau;  // ln(F / S)
    const std::string strike = row.count("strike") ? row["strike"] : "";
    const std::string delta = row.count("delta") ? row["delta"] : "";
    if (!strike.empty() && !delta.empty())
      throw InputError(path, n, "delta", "give strike or delta, not both");
    if (!strike.empty()) {
      const double k = number_of(strike, path, n, "strike");
      if (!(k > 0)) throw InputError(path, n, "strike", "must be positive");
      q.k = std::log(k / a.spot) - drift;
    } else if (!delta.empty()) {
      // A call's delta e^(-qT) N(d1), a put's -e^(-qT) N(-d1): d1, then
      // ln(K / F) = -d1 sd + sd^2 / 2 with sd = vol sqrt(T).
      const double d = number_of(delta, path, n, "delta");
      const double scaled = std::fabs(d) * std::exp(a.dividend_yield * q.tau);
      if (!(d != 0 && std::fabs(d) < 1 && scaled < 1))
        throw InputError(path, n, "delta",
                         "a call's delta must be in (0, 1), a put's in (-1, 0) (0.25, -0.25)");
      const double d1 = d > 0 ? normal_quantile(scaled) : -normal_quantile(scaled);
      const double sd = q.vol * std::sqrt(q.tau);
      q.k = -d1 * sd + 0.5 * sd * sd;
    } else {
      throw InputError(path, n, "strike", "missing: give strike or delta");
    }
    quotes[ticker].push_back(q);
  }
  if (header.empty()) throw InputError(path, 0, "header", "empty: no header and no quotes");
  if (quotes.empty()) throw InputError(path, 0, "", "no quotes");

  std::vector<IvFit> fits;
  for (const auto& entry : quotes) {
    const std::string& ticker = entry.first;  // named, not bound: the lambda below captures them
    const std::vector<Quote>& qs = entry.second;
    IvFit f;
    f.ticker = ticker;
    f.quotes = static_cast<int>(qs.size());
    std::set<double> taus, ks;
    for (const Quote& q : qs) {
      taus.insert(q.tau);
      ks.insert(std::round(q.k * 100));  // levels 0.01 of log-moneyness apart, not the drift
    }
    f.expiries = static_cast<int>(taus.size());
    f.fitted_term = taus.size() >= 2;
    f.fitted_skew = ks.size() >= 2;
    // least squares on ln vol = ln atm + term_slope ln(T / 0.25) + skew k (the columns the
    // quotes identify)
    const int cols = 1 + (f.fitted_term ? 1 : 0) + (f.fitted_skew ? 1 : 0);
    Eigen::MatrixXd x(static_cast<Eigen::Index>(qs.size()), cols);
    Eigen::VectorXd y(static_cast<Eigen::Index>(qs.size()));
    for (std::size_t r = 0; r < qs.size(); ++r) {
      const Eigen::Index row = static_cast<Eigen::Index>(r);
      int c = 0;
      x(row, c++) = 1.0;
      if (f.fitted_term) x(row, c++) = std::log(qs[r].tau / 0.25);
      if (f.fitted_skew) x(row, c++) = qs[r].k;
      y(row) = std::log(qs[r].vol);
    }
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
    if (qr.rank() < cols) {
      std::ostringstream m;
      m << "the " << qs.size() << " quotes of " << ticker << " (from line " << qs.front().line
        << ") do not determine the surface's " << cols << " parameters (level"
        << (f.fitted_term ? ", term slope" : "") << (f.fitted_skew ? ", skew" : "") << ")";
      throw InputError(path, qs.front().line, "vol", m.str(),
                       "quote more strikes at each expiry, or one expiry only");
    }
    const Eigen::VectorXd beta = qr.solve(y);
    int c = 0;
    ImpliedVolSurface& s = f.surface;
    s.given = true;
    s.line = qs.front().line;
    s.file = path;
    s.field = "vol";
    s.atm = std::exp(beta(c++));
    s.term_slope = f.fitted_term ? beta(c++) : 0.0;
    s.skew = f.fitted_skew ? beta(c++) : 0.0;
    const auto refuse = [&](const std::string& what) {
      std::ostringstream m;
      m << "the quotes of " << ticker << " (" << qs.size() << ", from line " << qs.front().line
        << ") fit " << what;
      throw InputError(path, qs.front().line, "vol", m.str(),
                       "check the quotes, or give the positions their own implied_vol");
    };
    if (!(s.atm > 0 && s.atm <= 5)) refuse("an at-the-money vol outside (0, 5]");
    if (!(std::fabs(s.skew) <= 2)) refuse("a skew outside [-2, 2]");
    if (!(s.term_slope > -0.5 && s.term_slope <= 1))
      refuse(
          "a term slope outside (-0.5, 1]: total variance would fall with maturity (calendar "
          "arbitrage)");
    double sum2 = 0;
    for (const Quote& q : qs) {
      const double x1 = q.tau / 0.25;
      const double fitted = s.atm * std::pow(x1, s.term_slope) * std::exp(s.skew * q.k);
      const double e = 100.0 * (fitted - q.vol);
      sum2 += e * e;
      f.worst_points = std::max(f.worst_points, std::fabs(e));
    }
    f.rms_points = std::sqrt(sum2 / static_cast<double>(qs.size()));
    ImpliedVolSurface& given =
        market.assets[static_cast<std::size_t>(market.index_of(ticker))].implied_vol;
    s.spot_beta = given.spot_beta;  // the market's dynamics stay: the quotes give today's level
    s.beta_line = given.beta_line;
    s.vol_of_vol = given.vol_of_vol;
    s.vol_of_vol_line = given.vol_of_vol_line;
    given = s;
    fits.push_back(f);
  }
  return fits;
}

std::string iv_fit_note(const IvFit& f, const std::string& file) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(4);
  o << f.ticker << ": implied-vol surface fitted to " << f.quotes
    << (f.quotes == 1 ? " quote of " : " quotes of ") << file << " (" << f.expiries
    << (f.expiries == 1 ? " expiry" : " expiries") << "): atm " << f.surface.atm << ", skew "
    << f.surface.skew << (f.fitted_skew ? "" : " (one moneyness: not fitted)") << ", term_slope "
    << f.surface.term_slope << (f.fitted_term ? "" : " (one expiry: not fitted)");
  o.precision(2);
  o << "; fit error " << f.rms_points << " vol points RMS, " << f.worst_points << " at worst";
  return o.str();
}

}  // namespace chipshock
