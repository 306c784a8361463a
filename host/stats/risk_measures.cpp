#include "host/stats/risk_measures.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace chipshock {

double tail_mass(std::uint64_t n, double confidence) {
  const double m = static_cast<double>(n) * (1.0 - confidence);
  const double r = std::nearbyint(m);
  return std::fabs(m - r) <= 1e-9 * std::max(1.0, m) ? r : m;
}

RankInterval var_rank_interval(std::uint64_t n, double confidence) {
  const double nd = static_cast<double>(n);
  const double center = nd - tail_mass(n, confidence);  // N alpha
  const double half = kZ975 * std::sqrt(center * (1.0 - confidence));
  const double lo = std::max(1.0, std::floor(center - half));
  const double hi = std::min(nd, std::ceil(center + half));
  return {static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi)};
}

std::uint64_t tail_size_needed(std::uint64_t n, const std::vector<double>& confidences) {
  std::uint64_t k = 1;
  for (double c : confidences) {
    const RankInterval r = var_rank_interval(n, c);
    const auto var_index = static_cast<std::uint64_t>(std::floor(tail_mass(n, c)));
    k = std::max({k, n - r.lo + 1, var_index + 1});
  }
  return std::min(k, n);
}

LevelRisk risk_at(std::uint64_t n, double confidence, const std::vector<double>& tail) {
  const double m = tail_mass(n, confidence);
  if (!(m >= 1.0))
    throw std::invalid_argument("fewer than one expected loss beyond VaR at this confidence");
  const auto j = static_cast<std::size_t>(std::floor(m));  // 0-based descending index of VaR
  const RankInterval r = var_rank_interval(n, confidence);
  if (tail.size() < std::max<std::uint64_t>(j + 1, n - r.lo + 1))
    throw std::logic_error("loss tail shorter than the estimators need");
  LevelRisk out;
  out.confidence = confidence;
  out.var = tail[j];
  long double s = 0;
  for (std::size_t i = 0; i < j; ++i) s += tail[i];
  s += static_cast<long double>(m - static_cast<double>(j)) * tail[std::min(j, tail.size() - 1)];
  out.es = static_cast<double>(s / m);
  out.var_lo = tail[n - r.lo];
  out.var_hi = tail[n - r.hi];
  out.es_se = es_standard_error(n, confidence, tail, out.var, out.es);
  out.es_lo = out.es - kZ975 * out.es_se;
  out.es_hi = out.es + kZ975 * out.es_se;
  return out;
}

double es_weight(std::uint64_t n, double confidence, std::size_t i) {
  const double m = tail_mass(n, confidence);
  const auto j = static_cast<std::size_t>(std::floor(m));
  return i < j ? 1.0 : i == j ? m - static_cast<double>(j) : 0.0;
}

double es_standard_error(std::uint64_t n, double confidence, const std::vector<double>& tail,
                         double var, double es) {
  const double m = tail_mass(n, confidence);
  const auto j = static_cast<std::size_t>(std::floor(m));
  long double ss = 0;  // weighted sum of squared deviations from ES over the worst m losses
  for (std::size_t i = 0; i <= j && i < tail.size(); ++i) {
    const long double d = static_cast<long double>(tail[i]) - es;
    ss += static_cast<long double>(es_weight(n, confidence, i)) * d * d;
  }
  const double tail_var = m > 1 ? static_cast<double>(ss / (m - 1)) : 0.0;
  const double gap = es - var;
  const double v = (tail_var + confidence * gap * gap) / m;  // N (1 - alpha) = m
  return v > 0 ? std::sqrt(v) : 0.0;
}

namespace {
// The grids' scale: the loss scale, or 1 when it is 0 (a book of cash only loses nothing).
// The scale the sums' grids are set by: the loss scale, or 1 where it is not a positive number
// whose square is a normal double (a damaged checkpoint image can hold a subnormal scale, whose
// square's exponent ilogb cannot give).
double grid_scale(double loss_scale) {
  return loss_scale >= 1e-150 && loss_scale <= 1e150 ? loss_scale : 1.0;
}
}  // namespace

LossAccumulator::LossAccumulator(double loss_scale, std::size_t tail_size)
    : loss_scale_(loss_scale),
      max_(-std::numeric_limits<double>::infinity()),
      // Losses up to 2^30 times the scale (the book's gross exposure, cash left out) are summed
      // on a grid of 2^-50 times it, and squares up to 2^16 times its square on a grid of 2^-64
      // times that: 1e-15 of the book for a loss, and a loss of 1e-7 of the book still has a
      // square of 2e5 units (a market-neutral book's small stdev is kept). Larger finite losses
      // go to the wide sums, exactly.
      sum_(ExactSum::exponent_for(grid_scale(loss_scale), 50)),
      sum_sq_(ExactSum::exponent_for(grid_scale(loss_scale) * grid_scale(loss_scale), 64)),
      tail_(tail_size) {}

void LossAccumulator::count_loss(double x, std::uint64_t path) {
  const double sq = x * x;
  if (sum_.representable(x) && sum_sq_.representable(sq)) {
    sum_.add(x);
    sum_sq_.add(sq);
  } else if (std::isfinite(x)) {
    wide_sum_.add(x);
    wide_sum_sq_.add_square(x);
    ++far_;
  } else {
    ++bad_;
    return;
  }
  ++n_;
  if (x > 0) ++positive_;
  if (x > max_) max_ = x;
  tail_.add(x, path);
  hist_.add(x);
}

void LossAccumulator::add(const double* losses, std::size_t count) {
  for (std::size_t k = 0; k < count; ++k) count_loss(losses[k], kUnknownPath);
}

void LossAccumulator::add(const double* losses, std::size_t count, std::uint64_t first_path) {
  for (std::size_t k = 0; k < count; ++k) count_loss(losses[k], first_path + k);
}

void LossAccumulator::add_weighted(const double* losses, const double* log_weights,
                                   std::size_t count, std::uint64_t first_path) {
  if (weighted_.capacity() < weighted_.size() + count)  // doubling: appends are amortized O(1)
    weighted_.reserve(std::max(weighted_.size() + count, 2 * weighted_.capacity()));
  for (std::size_t k = 0; k < count; ++k) {
    const double w = std::exp(log_weights[k]);
    if (!std::isfinite(losses[k]) || !std::isfinite(w)) {
      ++bad_;
      continue;
    }
    weighted_.push_back({losses[k], w, first_path + k});
    ++n_;
  }
}

const std::vector<WeightedLoss>& LossAccumulator::weighted_sorted() const {
  // The paths added since the last call are sorted on their own and merged in: a stop costs
  // O(new log new + all), not a sort of every path (the order is strict, so it is the same).
  if (weighted_in_order_ < weighted_.size()) {
    const auto mid = weighted_.begin() + static_cast<std::ptrdiff_t>(weighted_in_order_);
    std::sort(mid, weighted_.end(), WeightedOrder{});
    std::inplace_merge(weighted_.begin(), mid, weighted_.end(), WeightedOrder{});
    weighted_in_order_ = weighted_.size();
  }
  return weighted_;
}

void LossAccumulator::restore_weighted(std::vector<WeightedLoss> entries) {
  weighted_on_ = true;
  if (weighted_.empty()) {
    weighted_ = std::move(entries);
    weighted_in_order_ = std::is_sorted(weighted_.begin(), weighted_.end(), WeightedOrder{})
                             ? weighted_.size()
                             : 0;
  } else {
    weighted_.insert(weighted_.end(), entries.begin(), entries.end());
  }
}

void LossAccumulator::merge(const LossAccumulator& o) {
  if (o.weighted_on_) {
    weighted_on_ = true;
    weighted_.insert(weighted_.end(), o.weighted_.begin(), o.weighted_.end());
  }
  n_ += o.n_;
  bad_ += o.bad_;
  far_ += o.far_;
  positive_ += o.positive_;
  max_ = std::max(max_, o.max_);
  sum_.merge(o.sum_);
  sum_sq_.merge(o.sum_sq_);
  wide_sum_.merge(o.wide_sum_);
  wide_sum_sq_.merge(o.wide_sum_sq_);
  tail_.merge(o.tail_);
  hist_.merge(o.hist_);
}

void LossAccumulator::merge(const LossPartial& p) {
  n_ += p.n;
  bad_ += p.bad;
  positive_ += p.positive;
  if (p.n > 0) max_ = std::max(max_, p.max);
  sum_.add_units(p.sum_units);
  sum_sq_.add_units(p.sum_sq_units);
  for (const double x : p.far) {
    wide_sum_.add(x);
    wide_sum_sq_.add_square(x);
  }
  far_ += p.far.size();
  const bool indexed = p.tail_paths.size() == p.tail.size();
  for (std::size_t k = 0; k < p.tail.size(); ++k)
    tail_.add(p.tail[k], indexed ? p.tail_paths[k] : kUnknownPath);
}

double LossAccumulator::mean() const {
  return n_ ? static_cast<double>((sum_.value() + wide_sum_.value()) / static_cast<long double>(n_))
            : 0.0;
}

double LossAccumulator::stdev() const {
  if (n_ < 2) return 0.0;
  const long double n = static_cast<long double>(n_);
  const long double mean = (sum_.value() + wide_sum_.value()) / n;
  // long double's range holds the square of any double, so huge losses do not overflow here
  const long double var = (sum_sq_.value() + wide_sum_sq_.value() - n * mean * mean) / (n - 1);
  return var > 0 ? static_cast<double>(std::sqrt(var)) : 0.0;
}

}  // namespace chipshock
