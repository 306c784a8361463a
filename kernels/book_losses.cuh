// A book hierarchy's books on one shared path (host/analytics/books.hpp): every book's loss at
// the horizon from the path's log-returns, each book that keeps its own path state (options
// expiring inside the horizon, implied-vol factors: vol_factors.cuh's marks) moving its own marks
// on the path's days. One path at a time: what a GPU thread of the books kernels runs
// (gpu_engine.cu) and, in CI without a GPU, the OMP device source's test engine (the CPU's lanes
// do the same a register of paths at a time, host/cpu/cpu_kernel_impl.hpp's simulate_books).
#pragma once

#include <cstdint>
#include <vector>

#include "expiry.cuh"
#include "portability.cuh"
#include "sim_view.cuh"
#include "single_path.cuh"
#include "vol_factors.cuh"

namespace chipshock {

// The marked books of a hierarchy on one path: book marked[j]'s marks at marks + mark_at[j]
// (path_marks of it entries). start() before the path's first day; as a day observer of the path
// function it moves every marked book's marks (PathMarkDays, as each book's own run does).
struct BookMarkDays {
  const BookView* books;
  const int* marked;   // the indices of the books that keep marks, increasing
  const int* mark_at;  // [j]: the first of book marked[j]'s marks
  int n_marked;
  Settlement* marks;  // this path's
  std::uint64_t seed, path;
  int antithetic;  // ModelView::antithetic
  CHIPSHOCK_HD void start() const {
    for (int j = 0; j < n_marked; ++j) start_path_marks(books[marked[j]], marks + mark_at[j]);
  }
  template <class F>
  CHIPSHOCK_HD void operator()(int day, const F* x) const {
    for (int j = 0; j < n_marked; ++j)
      PathMarkDays{&books[marked[j]], marks + mark_at[j], seed, path, antithetic}(day, x);
  }
};

// Every book's loss on the path from its log-returns at the horizon x, book n's into
// out[n * stride], each with its own marks where it keeps them: horizon_loss, as the book's own
// run forms it. spot: scratch of m.n_assets doubles.
template <class Model>
CHIPSHOCK_HD inline void book_horizon_losses(const Model& m, const BookView* books, int n_books,
                                             const BookMarkDays& marks, const float* x,
                                             double* spot, double* out, std::uint64_t stride) {
  int j = 0;
  for (int n = 0; n < n_books; ++n) {
    const bool own = j < marks.n_marked && marks.marked[j] == n;
    out[static_cast<std::uint64_t>(n) * stride] =
        horizon_loss(m, books[n], x, spot, own ? marks.marks + marks.mark_at[j] : nullptr);
    j += own ? 1 : 0;
  }
}

// Host: which books keep marks and where each one's start in a path's marks (BookMarkDays), and
// how many marks a path needs in all.
struct BookMarkLayout {
  std::vector<int> marked, mark_at;
  int total = 0;
};
inline BookMarkLayout book_mark_layout(const std::vector<BookView>& books) {
  BookMarkLayout l;
  for (std::size_t n = 0; n < books.size(); ++n)
    if (needs_day_marks(books[n])) {
      l.marked.push_back(static_cast<int>(n));
      l.mark_at.push_back(l.total);
      l.total += path_marks(books[n]);
    }
  return l;
}

}  // namespace chipshock
