#include "host/config/market.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <sstream>

#include "host/config/toml_reader.hpp"

namespace chipshock {

int Market::index_of(const std::string& ticker) const {
  for (std::size_t i = 0; i < assets.size(); ++i)
    if (assets[i].ticker == ticker) return static_cast<int>(i);
  return -1;
}

namespace {

constexpr int kMaxAssets = 4096;

std::string number_text(double x) {
  std::ostringstream s;
  s.precision(17);
  s << x;
  return s.str();
}

// [assets.X.implied_vol] = { atm, skew, term_slope, spot_beta, vol_of_vol }, checked for calendar
// arbitrage.
ImpliedVolSurface read_surface(const toml::table& t, const std::string& file,
                               const std::string& prefix) {
  TomlReader r(t, file, prefix);
  ImpliedVolSurface v;
  v.given = true;
  v.line = v.beta_line = r.line();
  v.file = file;
  v.field = prefix.substr(0, prefix.size() - 1);
  v.atm = r.number("atm");
  if (!(v.atm > 0 && v.atm <= 5))
    r.fail("atm", "the three-month at-the-money implied vol must be in (0, 5] (0.45 = 45%)");
  v.skew = r.optional_number("skew").value_or(0.0);
  if (!(std::fabs(v.skew) <= 2))
    r.fail("skew", "must be in [-2, 2] (vol change per unit of ln(K/F))");
  v.spot_beta = r.optional_number("spot_beta").value_or(0.0);
  if (!(std::fabs(v.spot_beta) <= 10))
    r.fail("spot_beta",
           "must be in [-10, 10] (the log change of the implied vol per unit of the "
           "asset's log-return; equities: about -1 to -3)");
  if (r.has("vol_of_vol")) v.vol_of_vol_line = r.line();
  v.vol_of_vol = r.optional_number("vol_of_vol").value_or(0.0);
  if (!(v.vol_of_vol >= 0 && v.vol_of_vol <= 5))
    r.fail("vol_of_vol",
           "must be in [0, 5] (the annualised vol of the implied vol's own log changes; "
           "equities: about 0.5 to 1.5)");
  v.term_slope = r.optional_number("term_slope").value_or(0.0);
  if (!(v.term_slope > -0.5 && v.term_slope <= 1))
    r.fail("term_slope",
           "must be in (-0.5, 1]: at -0.5 the at-the-money total variance stops "
           "growing with maturity (calendar arbitrage)");
  // At fixed k the total variance vol^2 tau grows as tau^(1 + 2 term_slope): term_slope > -0.5
  // is exactly the absence of calendar arbitrage for this form.
  r.finish();
  return v;
}

Asset read_asset(const std::string& file, const std::string& ticker, const toml::node& node) {
  const std::string prefix = "assets." + ticker + ".";
  if (!node.is_table())
    throw InputError(file, node_line(node), "assets." + ticker, "expected a table");
  TomlReader r(*node.as_table(), file, prefix);
  if (!valid_ticker(ticker))
    throw InputError(file, r.line(), "assets." + ticker,
                     "ticker must be 1-16 letters, digits, '.', '_' or '-'");
  Asset a;
  a.ticker = ticker;
  a.line = r.line();
  a.spot = r.number("spot");
  if (!(a.spot > 0)) r.fail("spot", "must be positive, got " + number_text(a.spot));
  if (a.spot < 1e-6 || a.spot > 1e9) r.fail("spot", "must lie in [1e-6, 1e9]");
  a.vol = r.number("vol");
  if (!(a.vol > 0))
    r.fail("vol", "must be positive (annualised, e.g. 0.45), got " + number_text(a.vol));
  if (a.vol > 10) r.fail("vol", "annualised vol above 1000% is not plausible; is it in percent?");
  a.drift = r.optional_number("drift").value_or(0.0);
  a.dividend_yield = r.optional_number("dividend_yield").value_or(0.0);
  if (!(a.dividend_yield >= 0.0 && a.dividend_yield <= 0.5))
    r.fail("dividend_yield", "a continuous dividend yield must be in [0, 0.5] (0.02 = 2% a year)");
  if (std::fabs(a.drift) > 10) r.fail("drift", "annualised drift beyond +-1000% is not plausible");
  if (const auto sector = r.optional_string("sector")) {
    if (!valid_identifier(*sector))
      r.fail("sector", "must be 1-32 letters, digits or '_' (e.g. \"semiconductors\")");
    a.sector = *sector;
  }
  if (const toml::table* ex = r.optional_table("exposures")) {
    TomlReader er(*ex, file, prefix + "exposures.");
    for (const auto& [k, v] : *ex) {
      const std::string factor(k.str());
      const double loading = er.number(factor);
      if (!valid_identifier(factor))
        er.fail(factor, "factor names are 1-32 letters, digits or '_'");
      if (std::fabs(loading) > 100) er.fail(factor, "a factor loading beyond +-100 is not plausible");
      a.exposures[factor] = loading;
    }
    er.finish();
  }
  if (const toml::table* iv = r.optional_table("implied_vol"))
    a.implied_vol = read_surface(*iv, file, prefix + "implied_vol.");
  r.finish();
  return a;
}

void read_stressed(Market& m, const toml::table& table) {
  TomlReader r(table, m.file, "stressed.");
  StressedWindow& s = m.stressed;
  s.line = r.line();
  s.first = read_date(r, "first");
  s.last = read_date(r, "last");
  if (s.last < s.first) r.fail("last", "the window ends before it starts (" + s.first + ")");
  const long long returns = r.integer("returns");
  if (returns < 2 || returns > 100000) r.fail("returns", "expected 2 to 100,000 daily returns");
  s.returns = static_cast<int>(returns);
  s.confidence = r.number("confidence");
  if (!(s.confidence > 0 && s.confidence < 1)) r.fail("confidence", "must be in (0, 1)");
  s.es = r.number("es");
  s.current_es = r.number("current_es");
  if (!std::isfinite(s.es) || !std::isfinite(s.current_es))
    r.fail("es", "must be finite");
  s.portfolio = r.string("portfolio");
  r.finish();
}

void read_correlation(Market& m, const toml::table& corr) {
  TomlReader r(corr, m.file, "correlation.");
  m.correlation_line = r.line();
  const toml::array& tickers = r.array("tickers");
  const long tickers_line = r.line_of("tickers");
  std::vector<int> idx;
  for (std::size_t k = 0; k < tickers.size(); ++k) {
    const auto t = tickers[k].value<std::string>();
    const std::string f = "correlation.tickers[" + std::to_string(k) + "]";
    if (!t) throw InputError(m.file, tickers_line, f, "expected a ticker string");
    const int i = m.index_of(*t);
    if (i < 0)
      throw InputError(m.file, tickers_line, f, "unknown ticker '" + echo_text(*t) + "'",
                       "every correlation ticker needs an [assets." + echo_text(*t) + "] table");
    for (int j : idx)
      if (j == i) throw InputError(m.file, tickers_line, f, "duplicate ticker '" + *t + "'");
    idx.push_back(i);
  }
  const toml::array& rows = r.array("matrix");
  const long matrix_line = r.line_of("matrix");
  const std::size_t k = idx.size();
  if (rows.size() != k)
    throw InputError(m.file, matrix_line, "correlation.matrix",
                     "has " + std::to_string(rows.size()) + " rows for " + std::to_string(k) +
                         " tickers");
  std::vector<double> c(k * k);
  for (std::size_t a = 0; a < k; ++a) {
    const std::string rf = "correlation.matrix[" + std::to_string(a) + "]";
    const toml::array* row = rows[a].as_array();
    const long rl = node_line(rows[a]) > 0 ? node_line(rows[a]) : matrix_line;
    if (row == nullptr) throw InputError(m.file, rl, rf, "expected an array of numbers");
    if (row->size() != k)
      throw InputError(m.file, rl, rf,
                       "has " + std::to_string(row->size()) + " entries, expected " +
                           std::to_string(k));
    for (std::size_t b = 0; b < k; ++b) {
      const auto v = (*row)[b].value<double>();
      const std::string ef = rf + "[" + std::to_string(b) + "]";
      if (!v || !std::isfinite(*v)) throw InputError(m.file, rl, ef, "expected a finite number");
      if (a == b && *v != 1.0) throw InputError(m.file, rl, ef, "diagonal must be 1");
      if (std::fabs(*v) > 1.0)
        throw InputError(m.file, rl, ef, "correlation must lie in [-1, 1]");
      c[a * k + b] = *v;
    }
  }
  for (std::size_t a = 0; a < k; ++a)
    for (std::size_t b = 0; b < a; ++b)
      if (std::fabs(c[a * k + b] - c[b * k + a]) > 1e-12) {
        const std::string ef =
            "correlation.matrix[" + std::to_string(a) + "][" + std::to_string(b) + "]";
        throw InputError(m.file, matrix_line, ef,
                         "matrix is not symmetric (" + number_text(c[a * k + b]) + " vs " +
                             number_text(c[b * k + a]) + " at [" + std::to_string(b) + "][" +
                             std::to_string(a) + "])");
      }
  for (std::size_t a = 0; a < k; ++a)
    for (std::size_t b = 0; b < k; ++b) m.correlation[idx[a] * m.size() + idx[b]] = c[a * k + b];
  r.finish();
}

Market market_from_toml(const toml::table& root, const std::string& path,
                        bool require_positive_definite) {
  Market m;
  m.file = path;
  TomlReader r(root, path, "");
  m.currency = r.string("currency");
  if (m.currency.empty() || m.currency.size() > 8) r.fail("currency", "expected a code like USD");
  m.rate = r.number("rate");
  if (std::fabs(m.rate) > 1.0) r.fail("rate", "a rate beyond +-100% is not plausible");
  if (const auto dof = r.optional_number("dof")) {
    // The model keeps dof in single precision: 2.001 keeps (dof - 2) well resolved.
    if (!(*dof >= 2.001))
      r.fail("dof", "Student-t degrees of freedom must be > 2 (finite variance; at least 2.001)");
    if (*dof > 1e6) r.fail("dof", "must be at most 1e6 (omit it for Gaussian innovations)");
    m.dof = *dof;
  }
  if (r.has("as_of")) m.as_of = read_date(r, "as_of");
  if (const auto c = r.optional_number("implied_vol_correlation")) {
    if (!(*c >= 0 && *c <= 1))
      r.fail("implied_vol_correlation",
             "must be in [0, 1] (the correlation of different tickers' implied-vol shocks)");
    m.implied_vol_correlation = *c;
    m.implied_vol_correlation_line = r.line();
  }
  const toml::table& assets = r.table("assets");
  // toml++ keeps keys sorted; report and simulate assets in the order the file lists them.
  std::vector<std::pair<long, std::string>> order;
  for (const auto& [k, v] : assets) order.emplace_back(node_line(v), std::string(k.str()));
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [line, ticker] : order)
    m.assets.push_back(read_asset(path, ticker, *assets.get(ticker)));
  if (m.assets.empty()) r.fail("assets", "no assets defined");
  if (m.assets.size() > static_cast<std::size_t>(kMaxAssets))
    r.fail("assets", "more than " + std::to_string(kMaxAssets) + " assets");
  const std::size_t n = m.size();
  m.correlation.assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) m.correlation[i * n + i] = 1.0;
  if (const toml::table* corr = r.optional_table("correlation")) read_correlation(m, *corr);
  if (const toml::table* stressed = r.optional_table("stressed")) read_stressed(m, *stressed);
  r.finish();
  try {
    m.cholesky = correlation_cholesky(m);  // refuses a matrix that is not positive definite
  } catch (const InputError&) {
    if (require_positive_definite) throw;
  }
  return m;
}

}  // namespace

Market load_market(const std::string& path, bool require_positive_definite) {
  return market_from_toml(parse_toml_file(path), path, require_positive_definite);
}

Market load_market_text(const std::string& text, const std::string& name,
                        bool require_positive_definite) {
  return market_from_toml(parse_toml_text(text, name), name, require_positive_definite);
}

double surface_vol(const ImpliedVolSurface& v, double s, double strike, double tau, double rate,
                   double dividend_yield) {
  const double k = std::log(strike / s) - (rate - dividend_yield) * tau;
  const double x = tau / 0.25;
  return v.atm * std::pow(x, v.term_slope) * std::exp(v.skew * k);
}

std::vector<double> correlation_cholesky(const Market& m) {
  return positive_definite_cholesky(m.correlation, static_cast<int>(m.size()), m.file,
                                    m.correlation_line, "correlation.matrix",
                                    "estimate it from one common window of returns, or repair it: "
                                    "`chipshock run --repair-correlation higham` (the nearest "
                                    "correlation matrix), or in the file: `chipshock calibrate "
                                    "--market FILE --repair-correlation higham --out NEW`");
}

std::vector<double> positive_definite_cholesky(const std::vector<double>& corr, int n,
                                               const std::string& file, long line,
                                               const std::string& field,
                                               const std::string& hint) {
  Eigen::MatrixXd c(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) c(i, j) = corr[i * n + j];
  // Cholesky succeeds exactly for positive definite matrices; the (slower) eigenvalues are
  // computed only to explain a refusal. A pivot below 1e-12 means numerically singular.
  Eigen::LLT<Eigen::MatrixXd> llt(c);
  bool ok = llt.info() == Eigen::Success;
  Eigen::MatrixXd l;
  if (ok) {
    l = llt.matrixL();
    for (int i = 0; i < n && ok; ++i) ok = l(i, i) * l(i, i) > 1e-12;
  }
  if (!ok) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(c, Eigen::EigenvaluesOnly);
    std::ostringstream msg;
    msg.precision(6);
    msg << "correlation matrix is not positive definite: smallest eigenvalue "
        << eig.eigenvalues().minCoeff();
    throw InputError(file, line, field, msg.str(), hint);
  }
  std::vector<double> out(static_cast<std::size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) out[i * n + j] = l(i, j);
  return out;
}

}  // namespace chipshock
