#include "host/pricing/american.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace chipshock {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Tanh-sinh quadrature on [0, 1]: nodes t with 1 - t kept exactly (the integrands are evaluated
// at tau (1 - t^2)), weights w. Endpoint square-root behaviour (the boundary near expiry) costs
// it nothing.
struct Quadrature {
  std::vector<double> t, one_minus_t, w;
};

Quadrature tanh_sinh(double h, int half) {
  Quadrature q;
  for (int k = -half; k <= half; ++k) {
    const double u = h * k;
    const double a = 0.5 * kPi * std::sinh(u);
    const double c = std::cosh(a);
    const double w = 0.5 * h * 0.5 * kPi * std::cosh(u) / (c * c);
    // x = tanh(a); t = (1 + x) / 2, 1 - t = (1 - x) / 2 = 1 / (1 + e^{2a})
    const double one_minus_t = 1.0 / (1.0 + std::exp(2.0 * a));
    const double t = 1.0 / (1.0 + std::exp(-2.0 * a));
    if (!(w > 1e-300) || t <= 0.0 || one_minus_t <= 0.0) continue;
    q.t.push_back(t);
    q.one_minus_t.push_back(one_minus_t);
    q.w.push_back(w);
  }
  return q;
}

const Quadrature& boundary_quadrature() {
  static const Quadrature q = tanh_sinh(1.0 / 8.0, 28);
  return q;
}
// The price's premium integral is sharp near s = 0 when the spot is near the boundary: finer.
const Quadrature& premium_quadrature() {
  static const Quadrature q = tanh_sinh(1.0 / 24.0, 84);
  return q;
}

// A put of strike k, rate r, yield q, vol, maturity T > 0, with r > 0 (else no premium).
class PutBoundary {
 public:
  static constexpr int kNodes = 16;  // Chebyshev-Lobatto nodes in sqrt(tau / T): 0..kNodes

  PutBoundary(double k, double r, double q, double vol, double T)
      : k_(k), r_(r), q_(q), vol_(vol), T_(T) {
    x_ = q > r ? k * r / q : k;
    for (int i = 0; i <= kNodes; ++i) {
      xi_[i] = 0.5 * (1.0 - std::cos(kPi * i / kNodes));
      weight_[i] = ((i % 2 == 0) ? 1.0 : -1.0) * ((i == 0 || i == kNodes) ? 0.5 : 1.0);
    }
    solve();
  }

  // B(tau) for tau in [0, T].
  double at(double tau) const {
    const double xi = std::sqrt(std::max(0.0, tau) / T_);
    const double z = 2.0 * xi - 1.0;
    double num = 0, den = 0;
    for (int i = 0; i <= kNodes; ++i) {
      const double zi = 2.0 * xi_[i] - 1.0;
      const double d = z - zi;
      if (d == 0.0) return x_ * std::exp(-std::sqrt(std::max(h_[i], 0.0)));
      num += weight_[i] * h_[i] / d;
      den += weight_[i] / d;
    }
    return x_ * std::exp(-std::sqrt(std::max(num / den, 0.0)));
  }

  // The put's early-exercise premium at spot x > B(T): the American price less the European.
  double premium(double x) const {
    const double T = T_;
    const Quadrature& g = premium_quadrature();
    double sum = 0;
    for (std::size_t j = 0; j < g.t.size(); ++j) {
      const double t = g.t[j];
      const double s = T * t * t;             // time from now
      const double ss = vol_ * std::sqrt(s);  // B at T - s: premium_log_b_[j]
      const double d1s = (std::log(x) - premium_log_b_[j] + (r_ - q_ + 0.5 * vol_ * vol_) * s) / ss;
      const double d2s = d1s - ss;
      const double f = r_ * k_ * std::exp(-r_ * s) * normal_cdf(-d2s) -
                       q_ * x * std::exp(-q_ * s) * normal_cdf(-d1s);
      sum += g.w[j] * 2.0 * T * t * f;
    }
    return sum;
  }

  double expiry_boundary() const { return x_; }
  double boundary() const { return b_[kNodes]; }

 private:
  // FP-B: B(tau) = k N / D, N = e^{-r tau} N(d-(tau, B/k)) + r int_0^tau e^{-rs} N(d-(s, B(tau) /
  // B(tau - s))) ds, D likewise with q and d+.
  void solve() {
    const double b_inf = perpetual();
    for (int i = 0; i <= kNodes; ++i) {
      const double tau = T_ * xi_[i] * xi_[i];
      b_[i] = b_inf + (x_ - b_inf) * std::exp(-2.0 * vol_ * std::sqrt(tau));
    }
    b_[0] = x_;
    set_h();
    // What the iterations share: per node i and quadrature point j, the time s, its discount
    // factors and standard deviation, the weight, and the interpolation row of B(tau_i - s).
    const Quadrature& g = boundary_quadrature();
    const std::size_t m = g.t.size();
    const double drift = r_ - q_ + 0.5 * vol_ * vol_;
    struct Point {
      double ss, shift, wr, wq;  // vol sqrt(s), drift s, weights with discounting
      double row[kNodes + 1];
    };
    std::vector<Point> pts(static_cast<std::size_t>(kNodes) * m);
    for (int i = 1; i <= kNodes; ++i) {
      const double tau = T_ * xi_[i] * xi_[i];
      for (std::size_t j = 0; j < m; ++j) {
        Point& pt = pts[static_cast<std::size_t>(i - 1) * m + j];
        const double t = g.t[j];
        const double s = tau * t * t;
        const double left = tau * g.one_minus_t[j] * (1.0 + t);
        pt.ss = vol_ * std::sqrt(s);
        pt.shift = drift * s;
        const double w = g.w[j] * 2.0 * tau * t;
        pt.wr = r_ * w * std::exp(-r_ * s);
        pt.wq = q_ * w * std::exp(-q_ * s);
        interpolation_row(left, pt.row);
      }
    }
    for (int iter = 0;; ++iter) {
      double change = 0;
      double next[kNodes + 1];
      next[0] = x_;
      for (int i = 1; i <= kNodes; ++i) {
        const double tau = T_ * xi_[i] * xi_[i];
        const double b = b_[i];
        const double sd = vol_ * std::sqrt(tau);
        const double dp = (std::log(b / k_) + drift * tau) / sd;
        double n = std::exp(-r_ * tau) * normal_cdf(dp - sd);
        double d = std::exp(-q_ * tau) * normal_cdf(dp);
        const double lb = std::log(b / x_);
        for (std::size_t j = 0; j < m; ++j) {
          const Point& pt = pts[static_cast<std::size_t>(i - 1) * m + j];
          double h = 0;
          for (int l = 0; l <= kNodes; ++l) h += pt.row[l] * h_[l];
          // ln(B(tau) / B(tau - s)) = ln(B(tau) / X) + sqrt(H(tau - s))
          const double p = (lb + std::sqrt(std::max(h, 0.0)) + pt.shift) / pt.ss;
          n += pt.wr * normal_cdf(p - pt.ss);
          d += pt.wq * normal_cdf(p);
        }
        next[i] = std::min(x_, k_ * n / d);
        change = std::max(change, std::fabs(next[i] - b) / b);
      }
      std::copy(next, next + kNodes + 1, b_);
      set_h();
      // 1e-9 of the boundary moves the price by far less (it is stationary in the boundary)
      if (change < 1e-9) break;
      if (iter == 200 || !(change == change))
        throw std::runtime_error(
            "american option: the exercise boundary's iteration did not "
            "converge (strike " +
            std::to_string(k_) + ", " + std::to_string(T_) + " years, vol " + std::to_string(vol_) +
            ")");
    }
    // the boundary at the premium's quadrature points, for every price
    const Quadrature& gp = premium_quadrature();
    premium_log_b_.resize(gp.t.size());
    for (std::size_t j = 0; j < gp.t.size(); ++j)
      premium_log_b_[j] = std::log(at(T_ * gp.one_minus_t[j] * (1.0 + gp.t[j])));
  }

  // The barycentric interpolation's weights of the nodes' values at tau: H(tau) = row . h_.
  void interpolation_row(double tau, double* row) const {
    const double z = 2.0 * std::sqrt(std::max(0.0, tau) / T_) - 1.0;
    double den = 0;
    for (int i = 0; i <= kNodes; ++i) {
      const double d = z - (2.0 * xi_[i] - 1.0);
      if (d == 0.0) {
        for (int l = 0; l <= kNodes; ++l) row[l] = l == i ? 1.0 : 0.0;
        return;
      }
      row[i] = weight_[i] / d;
      den += row[i];
    }
    for (int i = 0; i <= kNodes; ++i) row[i] /= den;
  }

  // The perpetual put's boundary, below every finite maturity's.
  double perpetual() const {
    const double a = r_ - q_ - 0.5 * vol_ * vol_;
    const double v2 = vol_ * vol_;
    const double g = (-a - std::sqrt(a * a + 2.0 * v2 * r_)) / v2;  // negative root
    return k_ * g / (g - 1.0);
  }

  void set_h() {
    for (int i = 0; i <= kNodes; ++i) {
      const double l = std::log(b_[i] / x_);
      h_[i] = l * l;
    }
  }

  double k_, r_, q_, vol_, T_, x_;
  std::vector<double> premium_log_b_;
  double xi_[kNodes + 1], weight_[kNodes + 1], b_[kNodes + 1], h_[kNodes + 1];
};

void check_domain(double strike, double tau, double rate, double vol, double dividend_yield) {
  auto bad = [](const std::string& what) {
    throw std::invalid_argument("american option: " + what);
  };
  if (!(strike > 0) || !std::isfinite(strike)) bad("the strike must be positive");
  if (!(vol > 0 && vol <= 5)) bad("the implied vol must lie in (0, 5]");
  if (!(std::fabs(rate) <= 1)) bad("the rate must lie in [-1, 1]");
  if (!(std::fabs(dividend_yield) <= 1)) bad("the dividend yield must lie in [-1, 1]");
  if (!(tau <= 30)) bad("at most 30 years to expiry");
}

AmericanCurve solve_curve(OptionKind kind, double strike, double tau, double rate, double vol,
                          double dividend_yield) {
  AmericanCurve c{};
  c.kind = kind;
  c.strike = strike;
  c.tau = tau;
  c.rate = rate;
  c.vol = vol;
  c.dividend_yield = dividend_yield;
  const bool call = kind == OptionKind::kCall;
  // the put of the symmetry
  const double k = call ? 1.0 : strike;
  const double r = call ? dividend_yield : rate;
  const double q = call ? rate : dividend_yield;
  c.put_strike = k;
  // No premium: expired, or a put whose rate is not positive (holding the strike in cash earns
  // nothing), which for a call is a yield that is not positive.
  c.european = !(tau > 0) || !(r > 0);
  if (c.european) return c;
  const PutBoundary put(k, r, q, vol, tau);
  c.boundary = put.boundary();
  // y = ln(x / b) up to where the premium is below 1e-16 of the strike: beyond X, the boundary
  // at expiry and above every B, by 8.5 standard deviations of the log-spot and the drift.
  c.y_max = std::log(put.expiry_boundary() / c.boundary) + std::fabs(r - q) * tau +
            0.5 * vol * vol * tau + 8.5 * vol * std::sqrt(tau);
  // At a low vol and a high rate the premium falls far faster than that rule assumes (below the
  // smallest double at 30 years, 20% and a 5% vol): end the range where it reaches 1e-16 of the
  // strike, found by bisection (the premium falls with y), so that its logarithm is finite.
  const double floor = 1e-16 * k;
  if (!(put.premium(c.boundary * std::exp(c.y_max)) >= floor)) {
    double lo = 0, hi = c.y_max;
    for (int i = 0; i < 60 && hi - lo > 1e-9 * c.y_max; ++i) {
      const double mid = 0.5 * (lo + hi);
      (put.premium(c.boundary * std::exp(mid)) >= floor ? lo : hi) = mid;
    }
    c.y_max = lo;
  }
  double f[kAmericanTerms];
  for (int j = 0; j < kAmericanTerms; ++j) {
    const double t = std::cos(kPi * (j + 0.5) / kAmericanTerms);
    const double y = 0.5 * (t + 1.0) * c.y_max;
    f[j] = std::log(put.premium(c.boundary * std::exp(y)));
  }
  for (int m = 0; m < kAmericanTerms; ++m) {
    double sum = 0;
    for (int j = 0; j < kAmericanTerms; ++j)
      sum += f[j] * std::cos(kPi * m * (j + 0.5) / kAmericanTerms);
    c.coef[m] = (m == 0 ? 1.0 : 2.0) * sum / kAmericanTerms;
  }
  return c;
}

}  // namespace

AmericanCurve american_curve(OptionKind kind, double strike, double tau, double rate, double vol,
                             double dividend_yield) {
  check_domain(strike, tau, rate, vol, dividend_yield);
  // The runs of one job (scenarios, books, the cut runs of each day) ask for the same curves
  // again: each is solved once (a pure function of its arguments, keyed by their bits).
  using Key = std::array<std::uint64_t, 6>;
  auto bits = [](double v) {
    std::uint64_t u;
    std::memcpy(&u, &v, sizeof u);
    return u;
  };
  const Key key{static_cast<std::uint64_t>(kind),
                bits(strike),
                bits(tau),
                bits(rate),
                bits(vol),
                bits(dividend_yield)};
  static std::mutex mutex;
  static std::map<Key, AmericanCurve> cache;
  {
    const std::lock_guard<std::mutex> lock(mutex);
    const auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  const AmericanCurve c = solve_curve(kind, strike, tau, rate, vol, dividend_yield);
  const std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= 65536) cache.clear();  // bounded: 65,536 curves are about 20 MiB
  cache.emplace(key, c);
  return c;
}

double american_price(OptionKind kind, double s, double strike, double tau, double rate, double vol,
                      double dividend_yield) {
  return american_value(american_curve(kind, strike, tau, rate, vol, dividend_yield), s);
}

std::vector<double> american_exercise_spots(OptionKind kind, double strike, double rate, double vol,
                                            double dividend_yield, int days) {
  const double T = days / 252.0;
  check_domain(strike, T, rate, vol, dividend_yield);
  const bool call = kind == OptionKind::kCall;
  const double r = call ? dividend_yield : rate;
  const double q = call ? rate : dividend_yield;
  if (days <= 0 || !(r > 0)) return {};  // never exercised early
  // The cut runs and scenarios of one job ask for the same boundary again: solved once.
  using Key = std::array<std::uint64_t, 6>;
  auto bits = [](double v) {
    std::uint64_t u;
    std::memcpy(&u, &v, sizeof u);
    return u;
  };
  const Key key{static_cast<std::uint64_t>(kind) * 65536u + static_cast<std::uint64_t>(days),
                bits(strike),
                bits(rate),
                bits(vol),
                bits(dividend_yield),
                0};
  static std::mutex mutex;
  static std::map<Key, std::vector<double>> cache;
  {
    const std::lock_guard<std::mutex> lock(mutex);
    const auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  const PutBoundary put(call ? 1.0 : strike, r, q, vol, T);
  std::vector<double> spots(static_cast<std::size_t>(days));
  for (int d = 0; d < days; ++d) {
    const double x = put.at((days - d) / 252.0);  // the put's boundary with that time left
    spots[static_cast<std::size_t>(d)] = call ? strike / x : x;
  }
  const std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= 4096) cache.clear();
  cache.emplace(key, spots);
  return spots;
}

double american_put_boundary(double strike, double tau, double rate, double vol,
                             double dividend_yield) {
  check_domain(strike, tau, rate, vol, dividend_yield);
  if (!(tau > 0) || !(rate > 0)) return 0.0;
  return PutBoundary(strike, rate, dividend_yield, vol, tau).boundary();
}

}  // namespace chipshock
