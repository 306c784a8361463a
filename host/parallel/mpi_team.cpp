#include "host/parallel/mpi_team.hpp"

#include <chrono>
#include <string>
#include <utility>

#include "host/stats/accumulator_state.hpp"

namespace chipshock {

const LossAccumulator* MpiTeam::gather(const LossAccumulator& mine, std::size_t tail_needed) {
  if (world_.size() == 1) return &mine;
  // Waiting for a slower rank is not the merge's cost: measured from when all are here.
  world_.barrier();
  const auto start = std::chrono::steady_clock::now();
  const std::string merged = world_.reduce_to_root(
      encode_accumulator(mine, tail_needed),
      [tail_needed](std::string a, const std::string& b) {
        return merge_accumulator_images(a, b, tail_needed);
      });
  if (world_.is_root()) merged_ = decode_accumulator(merged);
  merge_seconds_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++merges_;
  return world_.is_root() ? &*merged_ : nullptr;
}

bool MpiTeam::agree(bool root_flag) {
  std::string flag(1, root_flag ? '1' : '0');
  world_.broadcast(flag);
  return flag == "1";
}

}  // namespace chipshock
