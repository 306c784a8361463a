// A scenario's paths on a device engine, as advance_scenario folds them: GpuEngine in CUDA
// builds; in tests, the same LossPipeline compiled for Thrust's OMP system with the kernel's
// per-path function run on the host (tests/test_device_source.cpp), so that this logic runs in
// CI without a GPU.
//
// An Engine has: load(model, book, kernel); simulate_losses(seed, first, count, losses);
// simulate_weighted(seed, first, count, losses, log_weights) (the model's importance-sampling
// measure); and the scenario's tail on the device: begin_tail(k), fold(seed, first, count, grid,
// batch, progress, hist) -> LossSummary, tail_count(), copy_tail(m, losses, paths),
// load_tail(losses, paths, n), where fold may also revalue a book hierarchy's books on the same
// paths (FoldBooks); and the components' lines: tail_lines(lines, seed, request)
// (kernels/gpu_engine.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "host/component_risk.hpp"
#include "host/day_values.hpp"
#include "host/risk_engine.hpp"
#include "host/run_phases.hpp"
#include "host/sim_spec.hpp"
#include "kernels/gpu_engine.hpp"

namespace chipshock {

// The tail paths' line losses simulated and summed on the device (kernels/tail_lines.cuh).
template <class Engine>
class DeviceTailLines final : public TailLineSimulator {
 public:
  DeviceTailLines(Engine& engine, KernelChoice kernel) : engine_(engine), kernel_(kernel) {}
  TailLineSums tail_lines(const SimSpec& spec, std::uint64_t seed,
                          const TailLineRequest& request) const override {
    std::vector<LineView> lines;
    for (const PositionLine& p : spec.positions())
      lines.push_back({p.asset, p.option, p.quantity, p.unit_value0});
    engine_.load(spec.model(), spec.book(), kernel_);
    return engine_.tail_lines(lines, seed, request);
  }

 private:
  Engine& engine_;
  KernelChoice kernel_;
};

// Each fold is one device run, whose moments and histogram counts fold into the host
// accumulator; the scenario's tail (with path indices) stays on the device from run to run, and
// a stop or a checkpoint copies the top it needs (settle). The histogram's bins come from a
// pilot of the first paths, as on the CPU (CpuPathSource), simulated on the device; the run then
// simulates those paths again (at most 65,536). Under importance sampling every path's loss and
// log-likelihood ratio come to the host, where the weighted accumulator keeps them all (as the
// CPU's does): there is no tail to keep on the device.
template <class Engine>
class DevicePathSource final : public PathSource {
 public:
  // observer (may be null): a book hierarchy's BooksTap, whose books (device_books) every fold
  // revalues on its paths in the same pass, handing their losses to folded_books.
  DevicePathSource(Engine& engine, KernelChoice kernel, const SimSpec& spec, const RunSettings& s,
                   std::uint64_t batch, PathObserver* observer = nullptr)
      : engine_(engine),
        kernel_(kernel),
        spec_(spec),
        s_(s),
        batch_(batch),
        weighted_(spec.importance_sampling()),
        observer_(observer),
        lines_(engine, kernel) {}

  std::uint64_t batch() const override { return batch_; }
  std::uint64_t first_stop() const override { return 0; }
  const TailLineSimulator& tail_lines() const override { return lines_; }

  LossAccumulator start() override {
    return start_accumulator(spec_, s_, [this](std::uint64_t count, double* out) {
      const PhaseScope phase(Phase::kSimulate);
      engine_.load(spec_.model(), spec_.book(), kernel_);
      engine_.simulate_losses(s_.seed, 0, count, out);
    });
  }

  void adopt(const LossAccumulator& acc) override {
    if (weighted_) return;
    const std::vector<TailEntry> saved = acc.tail_entries();
    losses_.resize(saved.size());
    paths_.resize(saved.size());
    for (std::size_t i = 0; i < saved.size(); ++i) {
      losses_[i] = saved[i].loss;
      paths_[i] = saved[i].path;
    }
    engine_.begin_tail(acc.tail_size());
    engine_.load_tail(losses_.data(), paths_.data(), losses_.size());
  }

  void fold(LossAccumulator& acc, std::uint64_t first, std::uint64_t count,
            const std::function<void(std::uint64_t)>& folded) override {
    std::optional<PhaseScope> simulating(std::in_place, Phase::kSimulate);
    engine_.load(spec_.model(), spec_.book(), kernel_);
    if (keep_ && weighted_)
      throw std::invalid_argument("losses drawn under importance sampling are not kept");
    // A book hierarchy: every book revalued on the device's paths in the same pass (weighted or
    // not), the run's losses its top's, each piece's books' losses folded into the observer as
    // they come.
    std::optional<FoldBooks> books;
    if (observer_ != nullptr) {
      const std::vector<const SimSpec*> specs = observer_->device_books();
      if (!specs.empty())
        books = FoldBooks{book_views("simulate_books", spec_, specs, true), spec_.n_assets(),
                          [this](const double* losses, const double* log_weights, std::uint64_t f,
                                 std::uint64_t n) {
                            // the books' statistics are the tail's work, not the device's
                            const PhaseScope folding(Phase::kTail);
                            observer_->folded_books(losses, log_weights, n, f, n);
                          }};
    }
    if (weighted_) {
      // In pieces of at most a batch of the device's, so that the host's staging memory is
      // bounded whatever the stretch.
      constexpr std::uint64_t kPiece = std::uint64_t{1} << 22;
      for (std::uint64_t done = 0; done < count;) {
        const std::uint64_t n = std::min(kPiece, count - done);
        losses_.resize(static_cast<std::size_t>(n));
        log_weights_.resize(static_cast<std::size_t>(n));
        simulating.emplace(Phase::kSimulate);
        engine_.simulate_weighted(s_.seed, first + done, n, losses_.data(), log_weights_.data(),
                                  books ? &*books : nullptr);
        simulating.reset();
        acc.add_weighted(losses_.data(), log_weights_.data(), static_cast<std::size_t>(n),
                         first + done);
        done += n;
        if (folded) folded(done);
      }
      return;
    }
    LossSummary summary = engine_.fold(
        s_.seed, first, count, loss_grid(acc), s_.gpu_batch_paths,
        [&](std::uint64_t done, std::uint64_t) {
          if (folded) folded(done);
        },
        acc.histogram().bins(), keep_ ? keep_(first, count) : nullptr, books ? &*books : nullptr);
    simulating.reset();                       // the device run and its copies are done
    merge_summary(acc, std::move(summary));   // no tail: it stays on the device
  }

  void settle(LossAccumulator& acc, std::size_t m) override {
    if (weighted_) return;
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(m, engine_.tail_count()));
    // Straight from the device into the accumulator's tail, which keeps its memory from stop
    // to stop.
    acc.replace_tail(n, [&](double* losses, std::uint64_t* paths) {
      engine_.copy_tail(n, losses, paths);
    });
  }

 private:
  Engine& engine_;
  KernelChoice kernel_;
  const SimSpec& spec_;
  const RunSettings& s_;
  std::uint64_t batch_;
  bool weighted_;
  PathObserver* observer_;
  std::vector<double> losses_, log_weights_;  // staging: a resumed tail, weighted paths
  std::vector<std::uint64_t> paths_;
  DeviceTailLines<Engine> lines_;
};

}  // namespace chipshock
