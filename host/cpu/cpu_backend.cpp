#include "host/cpu/cpu_backend.hpp"

#include <omp.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "host/cpu/cpu_kernel.hpp"
#include "host/run_cancel.hpp"

namespace chipshock {

CpuBackend::CpuBackend(int threads, CpuIsa isa)
    : threads_(threads > 0 ? threads : omp_get_max_threads()), isa_(resolve_cpu_isa(isa)) {}

void CpuBackend::simulate_losses(const SimSpec& spec, std::uint64_t seed,
                                 std::uint64_t first_path, std::uint64_t count,
                                 double* losses, double* log_weights) const {
  const ModelView m = spec.model();
  if (m.is_shift != nullptr && log_weights == nullptr)
    throw std::invalid_argument("importance sampling: the paths' weights have nowhere to go");
  const cpu_kernel::SimulateFn kernel =
      isa_ == CpuIsa::kAvx512 ? cpu_kernel::simulate_avx512 : cpu_kernel::simulate_avx2;
  kernel(m, spec.book(), seed, first_path, count, losses, log_weights, threads_);
  throw_if_run_cancelled();  // the kernel skipped the paths left (host/run_cancel.hpp)
}

void CpuBackend::simulate_books(const SimSpec& spec, const std::vector<const SimSpec*>& books,
                                std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                                double* losses, double* log_weights) const {
  const std::vector<BookView> views = book_views("simulate_books", spec, books, true);
  if (views.empty() || count == 0) return;
  if (spec.importance_sampling() && log_weights == nullptr)
    throw std::invalid_argument("importance sampling: the paths' weights have nowhere to go");
  const cpu_kernel::SimulateBooksFn kernel = isa_ == CpuIsa::kAvx512
                                                 ? cpu_kernel::simulate_books_avx512
                                                 : cpu_kernel::simulate_books_avx2;
  kernel(spec.model(), views.data(), static_cast<int>(views.size()), seed, first_path, count,
         losses, log_weights, threads_);
  throw_if_run_cancelled();
}

void CpuBackend::simulate_lines(const SimSpec& spec, std::uint64_t seed,
                                const std::vector<std::uint64_t>& paths,
                                std::vector<double>& line_losses,
                                std::vector<double>& losses) const {
  std::vector<LineView> lines;
  for (const PositionLine& p : spec.positions())
    lines.push_back({p.asset, p.option, p.quantity, p.unit_value0});
  line_losses.assign(paths.size() * lines.size(), 0.0);
  losses.assign(paths.size(), 0.0);
  if (paths.empty()) return;
  const cpu_kernel::SimulateLinesFn kernel = isa_ == CpuIsa::kAvx512
                                                 ? cpu_kernel::simulate_lines_avx512
                                                 : cpu_kernel::simulate_lines_avx2;
  kernel(spec.model(), spec.book(), lines.data(), static_cast<int>(lines.size()), seed,
         paths.data(), paths.size(), line_losses.data(), losses.data(), threads_);
  throw_if_run_cancelled();
}

void CpuBackend::simulate_path_risk(const SimSpec& spec,
                                    const std::vector<const SimSpec*>& day_specs,
                                    double stop_loss, std::uint64_t seed,
                                    std::uint64_t first_path, std::uint64_t count,
                                    double* losses, double* drawdowns,
                                    std::int32_t* first_breach) const {
  const std::vector<BookView> books = day_books("simulate_path_risk", spec, day_specs, true);
  if (count == 0) return;
  const cpu_kernel::SimulatePathRiskFn kernel = isa_ == CpuIsa::kAvx512
                                                    ? cpu_kernel::simulate_path_risk_avx512
                                                    : cpu_kernel::simulate_path_risk_avx2;
  kernel(spec.model(), books.data(), stop_loss, seed, first_path, count, losses, drawdowns,
         first_breach, threads_);
  throw_if_run_cancelled();
}

void CpuBackend::simulate_days(const SimSpec& spec, const std::vector<const SimSpec*>& day_specs,
                               std::uint64_t seed, std::uint64_t first_path,
                               std::uint64_t count, double* losses) const {
  const std::vector<BookView> books = day_books("simulate_days", spec, day_specs, false);
  int n_rows = 0;
  const std::vector<int> rows = day_rows(day_specs, n_rows);
  if (n_rows == 0 || count == 0) return;
  const cpu_kernel::SimulateDaysFn kernel = isa_ == CpuIsa::kAvx512
                                                ? cpu_kernel::simulate_days_avx512
                                                : cpu_kernel::simulate_days_avx2;
  kernel(spec.model(), books.data(), rows.data(), seed, first_path, count, losses, threads_);
  throw_if_run_cancelled();
}

}  // namespace chipshock
