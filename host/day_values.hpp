// A backend's daily values of a book: every path simulated once over the horizon, the book
// revalued at the end of each day as the run cut at that day would (kernels/day_values.cuh), for
// the value fan (host/value_fan.hpp) and path-dependent risk (host/analytics/path_risk.hpp).
// CpuBackend runs it on its SIMD kernel, GpuBackend on the device.
#pragma once

#include <cstdint>
#include <vector>

#include "host/sim_spec.hpp"

namespace chipshock {

class DayValueSimulator {
 public:
  virtual ~DayValueSimulator() = default;

  // The book's loss on chosen days: for each day d = 1..spec.horizon_days with day_specs[d - 1]
  // non-null, row r (the r-th such day, in day order) of losses, losses[r * count + k], receives
  // path first_path + k's loss on day d: the loss of the same path in the run cut at day d
  // (spec_at_day). day_specs.size() must be spec.horizon_days, and the cut runs must share
  // spec's model over their days (spec_at_day of one run does). No importance sampling.
  virtual void simulate_days(const SimSpec& spec, const std::vector<const SimSpec*>& day_specs,
                             std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                             double* losses) const = 0;

  // Path-dependent risk of paths [first_path, first_path + count) in one pass over the horizon:
  // day_specs[d - 1] is the run cut at day d for every day d = 1..spec.horizon_days, the last
  // one spec itself or its equal. losses[k] is the path's loss at the horizon, drawdowns[k] its
  // maximum drawdown, first_breach[k] the 0-based day its loss first reached stop_loss (-1:
  // never; kNonFinitePath: a day's value was not finite). No importance sampling.
  virtual void simulate_path_risk(const SimSpec& spec,
                                  const std::vector<const SimSpec*>& day_specs, double stop_loss,
                                  std::uint64_t seed, std::uint64_t first_path,
                                  std::uint64_t count, double* losses, double* drawdowns,
                                  std::int32_t* first_breach) const = 0;
};

// The output row of each day whose cut run is given (-1 for the others), in day order; `rows`
// is how many have one.
std::vector<int> day_rows(const std::vector<const SimSpec*>& day_specs, int& rows);

// The books of the runs cut at each day (day_specs[d - 1]: day d; a default, empty book where
// the day is not asked for, unless every day is needed), each checked to be a cut of spec's run,
// then spec's own book (one entry more than days): the paths settle its options that expire
// inside the horizon (kernels/expiry.cuh), and each cut book reads the first of them. Throws
// std::invalid_argument naming `who`.
std::vector<BookView> day_books(const char* who, const SimSpec& spec,
                                const std::vector<const SimSpec*>& day_specs, bool every_day);

// The books of a hierarchy revalued on spec's paths (simulate_books), each checked to share
// spec's model (asset count, steps, spots, and its measure: without `weighted`, no importance
// sampling; with it, a book is under importance sampling exactly when spec is). A book with
// options expiring inside the horizon or implied-vol factors keeps its own marks on the paths
// (the CPU's lanes, kernels/book_losses.cuh on the GPU). Throws std::invalid_argument naming
// `who`.
std::vector<BookView> book_views(const char* who, const SimSpec& spec,
                                 const std::vector<const SimSpec*>& books, bool weighted = false);

}  // namespace chipshock
