// The processes of an MPI job (`mpirun -np N chipshock run ...`), or a world of one process when
// chipshock was not started by an MPI launcher or was built without MPI (CHIPSHOCK_MPI=OFF, or
// no MPI found). The rest of chipshock sees only this class: no MPI header leaks out of
// mpi_world.cpp, and every call here works, trivially, in a world of one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace chipshock {

// An error on one rank, to be reported once by rank 0 with its exit code.
struct RankFailure {
  int rank = 0;
  int code = 1;
  std::string message, hint;
};

class MpiWorld {
 public:
  MpiWorld() = default;  // one process, no MPI
  // Joins the MPI job (MPI_Init) when an MPI launcher started this process; otherwise, or in a
  // build without MPI, a world of one. Throws std::runtime_error when MPI_Init fails.
  MpiWorld(int* argc, char*** argv);
  ~MpiWorld();  // MPI_Finalize
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  static bool built_with_mpi();
  bool active() const { return active_; }  // MPI initialized
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  // Rank among the processes of this node, and their number: for the GPU and thread shares.
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }

  // Collective. Every rank passes its own failure (or none); every rank gets the failure of the
  // lowest failing rank, or none when all succeeded.
  std::optional<RankFailure> first_failure(const std::optional<RankFailure>& mine) const;

  // Collective. A reduction tree over the ranks: each rank passes its bytes; pairs are combined
  // with `combine(mine, theirs)` (which must be associative and commutative, like merging
  // accumulators) until rank 0 holds the combination of all. Rank 0 receives log2(size)
  // messages, each as large as one rank's bytes. Returns the result on rank 0, "" elsewhere.
  using Combine = std::function<std::string(std::string mine, const std::string& theirs)>;
  std::string reduce_to_root(std::string bytes, const Combine& combine) const;
  // Bytes sent and received by this rank in reduce_to_root calls so far.
  std::uint64_t bytes_moved() const { return bytes_moved_; }

  // Collective: rank 0's bytes, on every rank.
  void broadcast(std::string& bytes) const;

  void barrier() const;
  // Ends every process of the job with this exit code (MPI_Abort); in a world of one, exits.
  [[noreturn]] void abort(int code) const;

 private:
  bool active_ = false;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  mutable std::uint64_t bytes_moved_ = 0;
};

}  // namespace chipshock
