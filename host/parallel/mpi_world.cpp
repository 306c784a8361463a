#include "host/parallel/mpi_world.hpp"

#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <utility>

#ifndef CHIPSHOCK_HAVE_MPI
#define CHIPSHOCK_HAVE_MPI 0
#endif
#if CHIPSHOCK_HAVE_MPI
#include <mpi.h>
#endif

namespace chipshock {

bool MpiWorld::built_with_mpi() { return CHIPSHOCK_HAVE_MPI != 0; }

#if CHIPSHOCK_HAVE_MPI

namespace {

// Open MPI, MPICH/Hydra and Slurm (PMI/PMIx) set these in the processes they start. A plain
// `chipshock run` does not touch MPI at all (no singleton start-up cost, no launcher needed).
bool started_by_launcher() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

void check(int rc, const char* call) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string(call) + " failed");
}

constexpr int kTagSize = 11, kTagData = 12;
constexpr std::size_t kChunk = std::size_t{1} << 30;  // MPI counts are ints: send in 1 GiB pieces

void send_bytes(const std::string& bytes, int to) {
  const auto size = static_cast<unsigned long long>(bytes.size());
  check(MPI_Send(&size, 1, MPI_UNSIGNED_LONG_LONG, to, kTagSize, MPI_COMM_WORLD), "MPI_Send");
  for (std::size_t at = 0; at < bytes.size(); at += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, bytes.size() - at));
    check(MPI_Send(bytes.data() + at, n, MPI_BYTE, to, kTagData, MPI_COMM_WORLD), "MPI_Send");
  }
}

std::string recv_bytes(int from) {
  unsigned long long size = 0;
  check(
      MPI_Recv(&size, 1, MPI_UNSIGNED_LONG_LONG, from, kTagSize, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
      "MPI_Recv");
  std::string bytes(static_cast<std::size_t>(size), '\0');
  for (std::size_t at = 0; at < bytes.size(); at += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, bytes.size() - at));
    check(
        MPI_Recv(bytes.data() + at, n, MPI_BYTE, from, kTagData, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
        "MPI_Recv");
  }
  return bytes;
}

void broadcast_bytes(std::string& bytes, int root) {
  unsigned long long size = bytes.size();
  check(MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD), "MPI_Bcast");
  bytes.resize(static_cast<std::size_t>(size));
  if (size > 0)
    check(MPI_Bcast(bytes.data(), static_cast<int>(size), MPI_BYTE, root, MPI_COMM_WORLD),
          "MPI_Bcast");
}

}  // namespace

MpiWorld::MpiWorld(int* argc, char*** argv) {
  if (!started_by_launcher()) return;
  check(MPI_Init(argc, argv), "MPI_Init");
  active_ = true;
  // Errors come back as return codes (turned into exceptions), not as MPI's default abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm node;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  MPI_Comm_rank(node, &local_rank_);
  MPI_Comm_size(node, &local_size_);
  MPI_Comm_free(&node);
}

MpiWorld::~MpiWorld() {
  if (active_) MPI_Finalize();
}

std::optional<RankFailure> MpiWorld::first_failure(const std::optional<RankFailure>& mine) const {
  if (!active_) return mine;
  int first = mine ? rank_ : size_;
  check(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce");
  if (first == size_) return std::nullopt;
  RankFailure f;
  if (rank_ == first) f = *mine;
  std::string text = std::to_string(f.code) + '\n' + f.message + '\0' + f.hint;
  broadcast_bytes(text, first);
  const std::size_t nl = text.find('\n'), nul = text.find('\0');
  f.rank = first;
  f.code = std::atoi(text.substr(0, nl).c_str());
  f.message = text.substr(nl + 1, nul - nl - 1);
  f.hint = text.substr(nul + 1);
  return f;
}

std::string MpiWorld::reduce_to_root(std::string bytes, const Combine& combine) const {
  if (!active_ || size_ == 1) return bytes;
  for (int step = 1; step < size_; step *= 2) {
    if (rank_ % (2 * step) == 0) {
      if (rank_ + step < size_) {
        const std::string theirs = recv_bytes(rank_ + step);
        bytes_moved_ += theirs.size();
        bytes = combine(std::move(bytes), theirs);
      }
    } else {
      send_bytes(bytes, rank_ - step);
      bytes_moved_ += bytes.size();
      return {};
    }
  }
  return bytes;
}

void MpiWorld::broadcast(std::string& bytes) const {
  if (active_ && size_ > 1) broadcast_bytes(bytes, 0);
}

void MpiWorld::barrier() const {
  if (active_) check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void MpiWorld::abort(int code) const {
  if (active_) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

#else  // a build without MPI: always a world of one

MpiWorld::MpiWorld(int*, char***) {
  // Started by mpirun with several processes: each would run the whole job and write the same
  // report. Refuse rather than do that N times.
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* n = std::getenv(v); n != nullptr && std::atoi(n) > 1)
      throw std::runtime_error(
          "started by mpirun with " + std::string(n) +
          " processes, but this chipshock was built without MPI (CHIPSHOCK_MPI=OFF or no MPI "
          "found): install libopenmpi-dev and rebuild, or run one process");
}
MpiWorld::~MpiWorld() = default;
std::optional<RankFailure> MpiWorld::first_failure(const std::optional<RankFailure>& mine) const {
  return mine;
}
std::string MpiWorld::reduce_to_root(std::string bytes, const Combine&) const { return bytes; }
void MpiWorld::broadcast(std::string&) const {}
void MpiWorld::barrier() const {}
void MpiWorld::abort(int code) const { std::exit(code); }

#endif

}  // namespace chipshock
