#include "host/stats/loss_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace chipshock {

namespace {

constexpr double kGainQuantile = 0.001;

// 1, 2, 2.5 or 5 times a power of ten, at least x.
double nice_width(double x) {
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * p >= x) return m * p;
  return 10.0 * p;
}

}  // namespace

HistogramBins histogram_bins_from_pilot(const double* losses, std::uint64_t count,
                                        int target_bins) {
  std::vector<double> finite;
  finite.reserve(count);
  for (std::uint64_t k = 0; k < count; ++k)
    if (std::isfinite(losses[k])) finite.push_back(losses[k]);
  HistogramBins b;
  if (finite.empty() || target_bins < 1) return b;
  // Left edge: the pilot's 0.1% quantile (the largest gains go to underflow, so the bins resolve
  // the body); right edge: its largest loss (the loss tail is what the report is about).
  const auto q = static_cast<std::ptrdiff_t>(static_cast<double>(finite.size()) * kGainQuantile);
  std::nth_element(finite.begin(), finite.begin() + q, finite.end());
  const double lo = finite[static_cast<std::size_t>(q)];
  const double hi = *std::max_element(finite.begin(), finite.end());
  double span = hi - lo;
  // All pilot losses equal (a cash-only book, a zero-vol market): a small range around them.
  if (!(span > 0)) span = std::max(std::fabs(lo) * 1e-3, 1e-6);
  const double margin = 0.05 * span;
  const double width = nice_width((span + 2 * margin) / target_bins);
  if (!(width > 0) || !std::isfinite(width)) return b;
  b.width = width;
  b.lo = std::floor((lo - margin) / width) * width;
  b.count = static_cast<int>(std::ceil((hi + margin - b.lo) / width));
  b.count = std::clamp(b.count, 1, 4 * target_bins);
  return b;
}

LossHistogram::LossHistogram(const HistogramBins& bins)
    : bins_(bins), counts_(static_cast<std::size_t>(std::max(bins.count, 0)), 0) {}

LossHistogram::LossHistogram(const HistogramBins& bins, std::vector<std::uint64_t> counts,
                             std::uint64_t underflow, std::uint64_t overflow)
    : bins_(bins), counts_(std::move(counts)), underflow_(underflow), overflow_(overflow) {
  if (counts_.size() != static_cast<std::size_t>(std::max(bins.count, 0)))
    throw std::invalid_argument("histogram counts do not match its bins");
}

void LossHistogram::merge(const LossHistogram& o) {
  if (o.bins_.count == 0 && o.underflow_ == 0 && o.overflow_ == 0) return;
  if (o.bins_.count != bins_.count || o.bins_.lo != bins_.lo || o.bins_.width != bins_.width)
    throw std::logic_error("merging histograms with different bins");
  for (std::size_t k = 0; k < counts_.size(); ++k) counts_[k] += o.counts_[k];
  underflow_ += o.underflow_;
  overflow_ += o.overflow_;
}

void LossHistogram::add_slots(const std::vector<std::uint64_t>& slots) {
  if (slots.empty()) return;
  if (slots.size() != counts_.size() + 2)
    throw std::logic_error("histogram slot counts do not match the bins");
  underflow_ += slots.front();
  overflow_ += slots.back();
  for (std::size_t k = 0; k < counts_.size(); ++k) counts_[k] += slots[k + 1];
}

std::uint64_t LossHistogram::total() const {
  std::uint64_t t = underflow_ + overflow_;
  for (std::uint64_t c : counts_) t += c;
  return t;
}

double LossHistogram::density(int k) const {
  const std::uint64_t t = total();
  if (t == 0 || !(bins_.width > 0)) return 0.0;
  return static_cast<double>(counts_[static_cast<std::size_t>(k)]) /
         (static_cast<double>(t) * bins_.width);
}

}  // namespace chipshock
