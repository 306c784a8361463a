#include "host/gpu/gpu_backend.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "host/gpu/device_path_source.hpp"

namespace chipshock {

GpuBackend::GpuBackend(int device, KernelChoice kernel)
    : engine_(std::make_unique<GpuEngine>(device)), kernel_(kernel) {}

std::unique_ptr<PathSource> GpuBackend::path_source(const SimSpec& spec, const RunSettings& s,
                                                    bool batched, PathObserver* observer) {
  // Unbatched, each stretch between stops is one device run (the engine batches inside it by
  // free memory); batched (checkpoints), one run per settings.gpu_batch_paths (2^26 when 0).
  const std::uint64_t batch =
      batched ? (s.gpu_batch_paths > 0 ? s.gpu_batch_paths : std::uint64_t{1} << 26)
              : ~std::uint64_t{0};
  return std::make_unique<DevicePathSource<GpuEngine>>(*engine_, kernel_, spec, s, batch, observer);
}

std::unique_ptr<TailLineSimulator> GpuBackend::tail_lines() {
  return std::make_unique<DeviceTailLines<GpuEngine>>(*engine_, kernel_);
}

void GpuBackend::simulate_books(const SimSpec& spec, const std::vector<const SimSpec*>& books,
                                std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                                double* losses) {
  const std::vector<BookView> views = book_views("simulate_books", spec, books);
  if (views.empty() || count == 0) return;
  engine_->load(spec.model(), spec.book(), kernel_);
  engine_->simulate_books(views, spec.n_assets(), seed, first_path, count, losses);
}

ScenarioResult GpuBackend::simulate_scenario(const std::string& name, const SimSpec& spec,
                                             const RunSettings& s, const ProgressFn& progress) {
  const std::unique_ptr<PathSource> source = path_source(spec, s, false);
  return run_scenario(name, spec, *source, s, progress);
}

void GpuBackend::simulate_days(const SimSpec& spec, const std::vector<const SimSpec*>& day_specs,
                               std::uint64_t seed, std::uint64_t first_path, std::uint64_t count,
                               double* losses) const {
  const std::vector<BookView> books = day_books("simulate_days", spec, day_specs, false);
  int n_rows = 0;
  const std::vector<int> rows = day_rows(day_specs, n_rows);
  if (n_rows == 0 || count == 0) return;
  engine_->load(spec.model(), spec.book(), kernel_);
  engine_->simulate_days(books, spec.n_assets(), rows, seed, first_path, count, losses);
}

void GpuBackend::simulate_path_risk(const SimSpec& spec,
                                    const std::vector<const SimSpec*>& day_specs,
                                    double stop_loss, std::uint64_t seed,
                                    std::uint64_t first_path, std::uint64_t count,
                                    double* losses, double* drawdowns,
                                    std::int32_t* first_breach) const {
  const std::vector<BookView> books = day_books("simulate_path_risk", spec, day_specs, true);
  if (count == 0) return;
  engine_->load(spec.model(), spec.book(), kernel_);
  engine_->simulate_path_risk(books, spec.n_assets(), stop_loss, seed, first_path, count, losses,
                              drawdowns, first_breach);
}

void GpuBackend::simulate_losses(const SimSpec& spec, std::uint64_t seed, std::uint64_t first_path,
                                 std::uint64_t count, double* losses) {
  engine_->load(spec.model(), spec.book(), kernel_);
  engine_->simulate_losses(seed, first_path, count, losses);
}

}  // namespace chipshock
