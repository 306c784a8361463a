// Keeps the k largest values of a stream in O(k) memory: the running tail of the loss
// distribution, all that VaR, ES and their order-statistic intervals need. Each value carries
// the index of the path it came from, so the tail paths can be simulated again (component ES).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace chipshock {

// A kept loss and the path it came from (kUnknownPath when the caller did not say).
struct TailEntry {
  double loss;
  std::uint64_t path;
};

// One simulated path under an importance-sampling measure: its loss, its likelihood ratio w
// (original density / sampling density) and its index (host/stats/weighted_risk.hpp).
struct WeightedLoss {
  double loss;
  double weight;
  std::uint64_t path;
};

// The tail's order for weighted paths: larger loss first, ties by the smaller path index.
struct WeightedOrder {
  bool operator()(const WeightedLoss& a, const WeightedLoss& b) const {
    return a.loss > b.loss || (a.loss == b.loss && a.path < b.path);
  }
};

constexpr std::uint64_t kUnknownPath = std::numeric_limits<std::uint64_t>::max();

// The tail's strict total order: larger loss first, ties broken by the smaller path index. It
// makes the kept set (and so the paths re-simulated for component ES) a function of the losses
// alone, whatever the batch size, thread count or merge order.
inline bool tail_before(const TailEntry& a, const TailEntry& b) {
  return a.loss > b.loss || (a.loss == b.loss && a.path < b.path);
}
// The same as a function object, which std::sort and std::nth_element inline (a function
// pointer they call out of line, about a tenth of a default run's time).
struct TailOrder {
  bool operator()(const TailEntry& a, const TailEntry& b) const { return tail_before(a, b); }
};

class TailKeeper {
 public:
  // Room for 2k + 1 entries is taken as they come (at most 2^16 at first, then doubling, never
  // past 2k + 1): a large k costs memory only once the tail holds that much, so that a damaged
  // state image naming an absurd k is refused by the checks after it, not by an allocation.
  explicit TailKeeper(std::size_t k) : k_(std::max<std::size_t>(k, 1)) {
    buffer_.reserve(std::min<std::size_t>(2 * k_ + 1, std::size_t{1} << 16));
  }

  void add(double x, std::uint64_t path = kUnknownPath) {
    const TailEntry e{x, path};
    // Cannot enter the top k: k kept values (here, or where the floor came from) precede it.
    if ((floored_ || size() >= k_) && !tail_before(e, threshold_)) return;
    if (in_order_) unorder();
    sorted_.clear();  // the cached order is out of date
    if (buffer_.size() == buffer_.capacity())
      buffer_.reserve(std::min<std::size_t>(2 * k_ + 1, 2 * buffer_.capacity()));
    buffer_.push_back(e);
    if (buffer_.size() >= 2 * k_ + 1) compact();
  }

  void merge(const TailKeeper& other) {
    if (other.in_order_) {
      for (std::size_t i = 0; i < other.losses_in_order_.size(); ++i)
        add(other.losses_in_order_[i], other.paths_in_order_[i]);
    } else {
      for (const TailEntry& e : other.buffer_) add(e.loss, e.path);
    }
  }

  // The k largest values seen (fewer if fewer were added), in descending order.
  std::vector<double> sorted(std::size_t m = std::numeric_limits<std::size_t>::max()) const {
    const std::vector<double>& all = sorted_ref(m);
    return all;
  }

  // The same with their path indices, in the order tail_before; at most the first `m` of them
  // (selected first, so a stop that needs a short tail does not sort the whole buffer).
  // The last result is cached until a value enters, so the stop, the result and the components
  // of a scenario's last stretch sort its tail once.
  std::vector<TailEntry> sorted_entries(
      std::size_t m = std::numeric_limits<std::size_t>::max()) const {
    return sorted_entries_ref(m);
  }

  // The same as references to vectors the keeper reuses (valid until the next call of either or
  // the next change): a stop reads a tail of millions of losses without copying it into fresh
  // memory (for a tail assigned in order, sorted_ref of all of it is the keeper's own losses).
  const std::vector<double>& sorted_ref(
      std::size_t m = std::numeric_limits<std::size_t>::max()) const {
    m = std::min({m, k_, size()});
    if (in_order_) {
      if (m == losses_in_order_.size()) return losses_in_order_;
      losses_.assign(losses_in_order_.begin(),
                     losses_in_order_.begin() + static_cast<std::ptrdiff_t>(m));
      return losses_;
    }
    sort_prefix(m);
    losses_.resize(m);
    for (std::size_t i = 0; i < m; ++i) losses_[i] = sorted_[i].loss;
    return losses_;
  }
  const std::vector<TailEntry>& sorted_entries_ref(
      std::size_t m = std::numeric_limits<std::size_t>::max()) const {
    m = std::min({m, k_, size()});
    if (in_order_) {
      prefix_.resize(m);
      for (std::size_t i = 0; i < m; ++i) prefix_[i] = {losses_in_order_[i], paths_in_order_[i]};
      return prefix_;
    }
    sort_prefix(m);
    if (sorted_.size() == m) return sorted_;
    prefix_.assign(sorted_.begin(), sorted_.begin() + static_cast<std::ptrdiff_t>(m));
    return prefix_;
  }

  std::size_t capacity() const { return k_; }

  // Replaces the kept values with n entries in the tail's order, whose losses and path indices
  // fill(double* losses, std::uint64_t* paths) writes: the top of a tail kept elsewhere (a
  // GPU's), brought to the host, or a decoded image's. The arrays keep their memory from call to
  // call and grow by doubling (never past what is asked and k), so a tail that grows from stop
  // to stop writes few fresh pages, and a damaged image naming an absurd k costs nothing.
  // Values added later are kept as usual.
  template <class Fill>
  void assign_in_order(std::size_t n, Fill&& fill) {
    n = std::min(n, k_);
    sorted_.clear();
    buffer_ = std::vector<TailEntry>();
    if (losses_in_order_.capacity() < n) {  // doubling, at most k: as the tail grows stop by stop
      const std::size_t room =
          std::min(k_, std::max(n, 2 * losses_in_order_.capacity()));
      losses_in_order_.reserve(room);
      paths_in_order_.reserve(room);
    }
    losses_in_order_.resize(n);
    paths_in_order_.resize(n);
    fill(losses_in_order_.data(), paths_in_order_.data());
    floored_ = false;
    threshold_ = n == k_ ? TailEntry{losses_in_order_[n - 1], paths_in_order_[n - 1]}
                         : TailEntry{-std::numeric_limits<double>::infinity(), 0};
    in_order_ = true;
  }

  // For a partial keeper whose values will be merged into `into`: values that `into` already
  // has k better ones than are not kept. The merged top k is unchanged (exact), and a thread's
  // partial holds only candidates.
  void floor_from(const TailKeeper& into) {
    if (into.size() < into.k_ && !into.floored_) return;  // nothing known yet
    if (tail_before(into.threshold_, threshold_)) threshold_ = into.threshold_;  // the stricter
    floored_ = true;
  }

 private:
  std::size_t size() const { return in_order_ ? losses_in_order_.size() : buffer_.size(); }

  // From the arrays of assign_in_order back to the buffer, before a value is added.
  void unorder() {
    buffer_.resize(losses_in_order_.size());
    for (std::size_t i = 0; i < buffer_.size(); ++i)
      buffer_[i] = {losses_in_order_[i], paths_in_order_[i]};
    losses_in_order_ = std::vector<double>();
    paths_in_order_ = std::vector<std::uint64_t>();
    in_order_ = false;
  }

  // Fills the sorted_ cache with at least the first m (m <= buffer_.size()) in order.
  void sort_prefix(std::size_t m) const {
    if (sorted_.size() >= m) return;
    sorted_ = buffer_;
    if (sorted_.size() > m) {
      std::nth_element(sorted_.begin(), sorted_.begin() + static_cast<std::ptrdiff_t>(m - 1),
                       sorted_.end(), TailOrder{});
      sorted_.resize(m);
    }
    std::sort(sorted_.begin(), sorted_.end(), TailOrder{});
  }

  void compact() {
    std::nth_element(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(k_ - 1),
                     buffer_.end(), TailOrder{});
    buffer_.resize(k_);
    threshold_ = buffer_[k_ - 1];  // the k-th in the tail's order so far
  }

  std::size_t k_;
  std::vector<TailEntry> buffer_;
  // Once the buffer has been compacted (or a floor is set), every value that is not before
  // threshold_ is out of the top k.
  TailEntry threshold_{-std::numeric_limits<double>::infinity(), 0};
  bool floored_ = false;
  // sorted_entries' last result: the buffer's first sorted_.size() values in order (empty =
  // none cached).
  mutable std::vector<TailEntry> sorted_;
  // assign_in_order's tail (then buffer_ is empty): losses and path indices in the tail's order.
  bool in_order_ = false;
  std::vector<double> losses_in_order_;
  std::vector<std::uint64_t> paths_in_order_;
  mutable std::vector<double> losses_;     // sorted_ref's, when not losses_in_order_
  mutable std::vector<TailEntry> prefix_;  // sorted_entries_ref's, when not sorted_
};

}  // namespace chipshock
