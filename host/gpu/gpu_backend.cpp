#include "host/gpu/gpu_backend.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "host/run_phases.hpp"

namespace chipshock {

namespace {

// The GPU's paths: each fold is one device run, whose tail (with path indices), moments and
// histogram counts fold into the host accumulator. The histogram's bins come from a pilot of
// the first paths, as on the CPU (CpuPathSource), simulated on the GPU; the run then simulates
// those paths again (at most 65,536, a fraction of a millisecond).
class GpuPathSource final : public PathSource {
 public:
  GpuPathSource(GpuEngine& engine, KernelChoice kernel, const SimSpec& spec, const RunSettings& s,
                std::uint64_t batch)
      : engine_(engine), kernel_(kernel), spec_(spec), s_(s), batch_(batch) {}

  std::uint64_t batch() const override { return batch_; }
  std::uint64_t first_stop() const override { return 0; }
  LossAccumulator start() override {
    LossAccumulator acc = scenario_accumulator(spec_, s_);
    if (s_.histogram_bins > 0) {
      std::vector<double> pilot(static_cast<std::size_t>(histogram_pilot_paths(s_.paths)));
      {
        const PhaseScope phase(Phase::kSimulate);
        engine_.load(spec_.model(), spec_.book(), kernel_);
        engine_.simulate_losses(s_.seed, 0, pilot.size(), pilot.data());
      }
      acc.set_histogram(histogram_bins_from_pilot(pilot.data(), pilot.size(), s_.histogram_bins));
    }
    return acc;
  }

  void fold(LossAccumulator& acc, std::uint64_t first, std::uint64_t count,
            const std::function<void(std::uint64_t)>& folded) override {
    std::optional<PhaseScope> simulating(std::in_place, Phase::kSimulate);
    engine_.load(spec_.model(), spec_.book(), kernel_);
    LossSummary summary = engine_.run(s_.seed, first, count, loss_grid(acc), acc.tail_size(),
                                      s_.gpu_batch_paths,
                                      [&](std::uint64_t done, std::uint64_t) {
                                        if (folded) folded(done);
                                      },
                                      acc.histogram().bins());
    simulating.reset();  // the device run and its copies are done: the rest is the tail's
    merge_summary_keeping_tail(acc, summary);
    engine_.recycle(std::move(summary));  // the next run's tail reuses this host memory
  }

 private:
  GpuEngine& engine_;
  KernelChoice kernel_;
  const SimSpec& spec_;
  const RunSettings& s_;
  std::uint64_t batch_;
};

}  // namespace

GpuBackend::GpuBackend(int device, KernelChoice kernel, CpuBackend host)
    : engine_(std::make_unique<GpuEngine>(device)), kernel_(kernel), host_(host) {}

std::unique_ptr<PathSource> GpuBackend::path_source(const SimSpec& spec, const RunSettings& s,
                                                    bool batched) {
  // Unbatched, each stretch between stops is one device run (the engine batches inside it by
  // free memory); batched (checkpoints), one run per settings.gpu_batch_paths (2^26 when 0).
  const std::uint64_t batch =
      batched ? (s.gpu_batch_paths > 0 ? s.gpu_batch_paths : std::uint64_t{1} << 26)
              : ~std::uint64_t{0};
  return std::make_unique<GpuPathSource>(*engine_, kernel_, spec, s, batch);
}

ScenarioResult GpuBackend::simulate_scenario(const std::string& name, const SimSpec& spec,
                                             const RunSettings& s, const ProgressFn& progress) {
  // The tail paths simulated again on the host's SIMD kernel (the GPU's path function to float
  // rounding).
  const std::unique_ptr<PathSource> source = path_source(spec, s, false);
  return run_scenario(name, spec, *source, s, host_, progress);
}

void GpuBackend::simulate_losses(const SimSpec& spec, std::uint64_t seed, std::uint64_t first_path,
                                 std::uint64_t count, double* losses) {
  engine_->load(spec.model(), spec.book(), kernel_);
  engine_->simulate_losses(seed, first_path, count, losses);
}

}  // namespace chipshock
