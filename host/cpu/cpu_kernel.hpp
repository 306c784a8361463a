// The CPU backend's SIMD kernel, compiled once per instruction set (host/cpu/cpu_kernel_*.cpp
// include host/cpu/cpu_kernel_impl.hpp with their own target flags). Each entry simulates paths
// [first_path, first_path + count) on `threads` OpenMP threads; they give the same losses (and
// importance-sampling log weights) bit for bit. Only the CPU backend calls them, after
// host/cpu/cpu_isa.hpp has checked that the CPU runs the chosen one.
#pragma once

#include <cstdint>

#include "kernels/day_values.cuh"
#include "kernels/revalue.cuh"
#include "kernels/sim_view.cuh"

namespace chipshock::cpu_kernel {

using SimulateFn = void (*)(const ModelView& m, const BookView& b, std::uint64_t seed,
                            std::uint64_t first_path, std::uint64_t count, double* losses,
                            double* log_weights, int threads);

// The book's loss on chosen days of each path, in one pass over the horizon: for each day
// d < m.horizon_days with day_rows[d] >= 0, losses[day_rows[d] * count + k] is path
// first_path + k's loss revalued by day_books[d] with its log-returns at the end of day d (0-based)
// -- bit for bit the loss of the same path in a run of d + 1 days whose book is day_books[d]
// (kernels/path_model.cuh's day observer). day_books[m.horizon_days] is the run's own book: the
// paths settle its options expiring inside the horizon (kernels/expiry.cuh), which the day's
// books read (host/day_values.hpp's day_books). No importance sampling (m.is_shift must be null).
using SimulateDaysFn = void (*)(const ModelView& m, const BookView* day_books,
                                const int* day_rows, std::uint64_t seed,
                                std::uint64_t first_path, std::uint64_t count, double* losses,
                                int threads);

// One portfolio line as the kernel revalues it (kernels/revalue.cuh).
using LineView = chipshock::LineView;

// Each line's loss on chosen paths, for the components of the tail paths: path paths[k]
// (any order, repeats allowed) is simulated as simulate_* does, under the model's measure
// (importance sampling included), and line_losses[k * n_lines + j] receives line j's loss on it
// (kernels/revalue.cuh's position_loss, from the same horizon spots), losses[k] its loss, bit
// for bit what simulate_* gives for that path.
using SimulateLinesFn = void (*)(const ModelView& m, const BookView& b, const LineView* lines,
                                 int n_lines, std::uint64_t seed, const std::uint64_t* paths,
                                 std::uint64_t count, double* line_losses, double* losses,
                                 int threads);

// Several books revalued on the same paths (run --portfolio with books): paths
// [first_path, first_path + count) simulated once under m, and losses[k * count + j] book k's
// loss on path first_path + j, bit for bit what SimulateFn gives with books[k] (each book's own
// lane_losses from the same log-returns). Under importance sampling (m.is_shift), the paths'
// log-likelihood ratios into log_weights[j], as SimulateFn gives them. A book with options
// expiring inside the horizon or vol factors keeps its own marks on the shared paths.
using SimulateBooksFn = void (*)(const ModelView& m, const BookView* books, int n_books,
                                 std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                                 double* losses, double* log_weights, int threads);

// Path-dependent risk of paths [first_path, first_path + count) in one pass over the horizon:
// at the end of each day d (0-based) the path's loss under day_books[d] (the run cut at day
// d + 1, as simulate_days gives it); losses[k] the last day's (bit for bit simulate_*'s loss
// when day_books ends with the run's own book), drawdowns[k] the largest fall of the value
// (-loss) from its running peak (today's value, 0, included), first_breach[k] the first day
// whose loss is >= stop_loss (-1: none; kNonFinitePath: some day's value was not finite, and
// drawdowns[k] is then meaningless). day_books[m.horizon_days] settles, as for SimulateDaysFn.
// No importance sampling.
using chipshock::kNonFinitePath;  // kernels/day_values.cuh
using SimulatePathRiskFn = void (*)(const ModelView& m, const BookView* day_books,
                                    double stop_loss, std::uint64_t seed,
                                    std::uint64_t first_path, std::uint64_t count, double* losses,
                                    double* drawdowns, std::int32_t* first_breach, int threads);

void simulate_avx2(const ModelView& m, const BookView& b, std::uint64_t seed,
                   std::uint64_t first_path, std::uint64_t count, double* losses,
                   double* log_weights, int threads);
void simulate_avx512(const ModelView& m, const BookView& b, std::uint64_t seed,
                     std::uint64_t first_path, std::uint64_t count, double* losses,
                     double* log_weights, int threads);

void simulate_days_avx2(const ModelView& m, const BookView* day_books, const int* day_rows,
                        std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                        double* losses, int threads);
void simulate_days_avx512(const ModelView& m, const BookView* day_books, const int* day_rows,
                          std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                          double* losses, int threads);

void simulate_lines_avx2(const ModelView& m, const BookView& b, const LineView* lines,
                         int n_lines, std::uint64_t seed, const std::uint64_t* paths,
                         std::uint64_t count, double* line_losses, double* losses, int threads);
void simulate_lines_avx512(const ModelView& m, const BookView& b, const LineView* lines,
                           int n_lines, std::uint64_t seed, const std::uint64_t* paths,
                           std::uint64_t count, double* line_losses, double* losses,
                           int threads);

void simulate_books_avx2(const ModelView& m, const BookView* books, int n_books, std::uint64_t seed,
                         std::uint64_t first_path, std::uint64_t count, double* losses,
                         double* log_weights, int threads);
void simulate_books_avx512(const ModelView& m, const BookView* books, int n_books,
                           std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                           double* losses, double* log_weights, int threads);

void simulate_path_risk_avx2(const ModelView& m, const BookView* day_books, double stop_loss,
                             std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                             double* losses, double* drawdowns, std::int32_t* first_breach,
                             int threads);
void simulate_path_risk_avx512(const ModelView& m, const BookView* day_books, double stop_loss,
                               std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                               double* losses, double* drawdowns, std::int32_t* first_breach,
                               int threads);

}  // namespace chipshock::cpu_kernel
