// The ranks of an MPI job as the team a scenario's paths are shared between (PathTeam,
// risk_engine.hpp): each rank folds its contiguous share of every stretch between stops; at a
// stop the ranks' accumulator images (accumulator_state.hpp, the tail cut to what the stop
// needs) are merged pairwise in a tree onto rank 0, and rank 0's decision to stop or go on is
// broadcast. In a world of one it is the one process alone.
#pragma once

#include <cstdint>
#include <optional>

#include "host/parallel/mpi_world.hpp"
#include "host/risk_engine.hpp"

namespace chipshock {

class MpiTeam final : public PathTeam {
 public:
  explicit MpiTeam(const MpiWorld& world) : world_(world) {}

  int rank() const override { return world_.rank(); }
  int size() const override { return world_.size(); }
  const LossAccumulator* gather(const LossAccumulator& mine, std::size_t tail_needed) override;
  bool agree(bool root_flag) override;

  // What the merges at the stops have cost this rank so far (reported on stderr by rank 0).
  double merge_seconds() const { return merge_seconds_; }
  std::uint64_t merge_bytes() const { return world_.bytes_moved(); }
  int merges() const { return merges_; }

 private:
  const MpiWorld& world_;
  std::optional<LossAccumulator> merged_;  // rank 0: the last stop's merged accumulator
  double merge_seconds_ = 0;
  int merges_ = 0;
};

}  // namespace chipshock
