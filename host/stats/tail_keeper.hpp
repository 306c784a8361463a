// Keeps the k largest values of a stream in O(k) memory: the running tail of the loss
// distribution, all that VaR, ES and their order-statistic intervals need.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <limits>
#include <vector>

namespace chipshock {

class TailKeeper {
 public:
  explicit TailKeeper(std::size_t k) : k_(std::max<std::size_t>(k, 1)) { buffer_.reserve(2 * k_ + 1); }

  void add(double x) {
    if (buffer_.size() >= k_ && !(x > threshold_)) return;  // cannot enter the top k
    buffer_.push_back(x);
    if (buffer_.size() >= 2 * k_ + 1) compact();
  }

  void merge(const TailKeeper& other) {
    for (double x : other.buffer_) add(x);
  }

  // The k largest values seen (fewer if fewer were added), in descending order.
  std::vector<double> sorted() const {
    std::vector<double> out = buffer_;
    std::sort(out.begin(), out.end(), std::greater<double>());
    if (out.size() > k_) out.resize(k_);
    return out;
  }

  std::size_t capacity() const { return k_; }

 private:
  void compact() {
    std::nth_element(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(k_ - 1),
                     buffer_.end(), std::greater<double>());
    buffer_.resize(k_);
    threshold_ = buffer_[k_ - 1];  // the k-th largest so far
  }

  std::size_t k_;
  std::vector<double> buffer_;
  double threshold_ = -std::numeric_limits<double>::infinity();
};

}  // namespace chipshock
