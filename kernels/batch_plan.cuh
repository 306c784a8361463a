// How a GPU run splits into batches: the largest batch that fits the device memory budget next
// to the loss tail. Plain C++ (no Thrust), so that host code can check a job before it starts;
// loss_pipeline.cuh runs the plan.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "loss_moments.cuh"

namespace chipshock {

// Device bytes per path of a batch: its loss, its room in the tail buffer (loss and path
// index), and the sort's scratch for that room. Per kept tail loss: two places in the tail
// buffer (it is trimmed at 2k) and their sort scratch.
constexpr std::uint64_t kDeviceBytesPerBatchPath = 5 * sizeof(double);
constexpr std::uint64_t kDeviceBytesPerTailLoss = 8 * sizeof(double);
constexpr std::uint64_t kDeviceSlackBytes = 64ull << 20;  // Thrust's reduction scratch and more
constexpr std::uint64_t kMaxBatchPaths = 1ull << 26;      // 0.5 GiB of losses per batch

struct BatchPlan {
  std::uint64_t batch_paths = 0;
  std::uint64_t tail_capacity = 0;  // 2k + batch_paths losses
  std::uint64_t device_bytes = 0;   // what the plan expects to use
};

// The tail size a run keeps: at least 1, at most the path count.
inline std::uint64_t kept_tail_size(std::uint64_t paths, std::uint64_t tail_k) {
  return std::max<std::uint64_t>(1, std::min(tail_k, paths));
}

// Device memory a run needs beyond its batches: the tail buffer and the slack.
inline std::uint64_t tail_device_bytes(std::uint64_t paths, std::uint64_t tail_k) {
  return kDeviceBytesPerTailLoss * kept_tail_size(paths, tail_k) + kDeviceSlackBytes;
}

// The least device memory a run of `paths` needs: the tail and one batch of up to 2^16 paths.
inline std::uint64_t device_bytes_needed(std::uint64_t paths, std::uint64_t tail_k) {
  return tail_device_bytes(paths, tail_k) +
         kDeviceBytesPerBatchPath * std::min<std::uint64_t>(paths, 1u << 16);
}

// The largest batch that fits `budget_bytes` of device memory next to a tail that keeps `k`
// losses, at most `requested` paths when requested > 0, at most max_batch and at most `paths`.
inline BatchPlan plan_batches_for_tail(std::uint64_t paths, std::uint64_t k,
                                       std::uint64_t budget_bytes, std::uint64_t requested = 0,
                                       std::uint64_t max_batch = kMaxBatchPaths) {
  k = std::max<std::uint64_t>(k, 1);
  const std::uint64_t fixed = kDeviceBytesPerTailLoss * k + kDeviceSlackBytes;
  const std::uint64_t least =
      fixed + kDeviceBytesPerBatchPath * std::min<std::uint64_t>(paths, 1u << 16);
  if (budget_bytes < least)
    throw DeviceMemoryShortage("the loss tail of " + std::to_string(paths) + " paths (" +
                               std::to_string(k) + " losses) needs " +
                               std::to_string(least >> 20) + " MiB of GPU memory; " +
                               std::to_string(budget_bytes >> 20) + " MiB are available");
  std::uint64_t b = (budget_bytes - fixed) / kDeviceBytesPerBatchPath;
  b = std::min({b, max_batch, paths});
  if (requested > 0) b = std::min(b, requested);
  b = std::max<std::uint64_t>(b, 1);
  return {b, 2 * k + b, kDeviceBytesPerBatchPath * b + fixed};
}

// The same for a run of `paths` with a tail of its own (tail_k losses at most).
inline BatchPlan plan_batches(std::uint64_t paths, std::uint64_t tail_k, std::uint64_t budget_bytes,
                              std::uint64_t requested = 0,
                              std::uint64_t max_batch = kMaxBatchPaths) {
  return plan_batches_for_tail(paths, kept_tail_size(paths, tail_k), budget_bytes, requested,
                               max_batch);
}

}  // namespace chipshock
