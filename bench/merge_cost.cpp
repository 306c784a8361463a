// The cost of merging ranks' results (MPI): at a stop of a scenario each rank sends one
// accumulator image (accumulator_state.hpp: sums, counts, histogram and the top-k tail with path
// indices, 16 bytes per loss, k ~ 5% of the paths at the default levels at the last stop) and
// rank 0 combines pairs in a tree. This measures, for runs of N paths,
// the image's size and the seconds to encode it, to combine two as accumulators (decode both,
// merge, encode) and as images (merge_accumulator_images: what the MPI merge tree does); run
// under `mpirun -np 2` it also times rank 1 -> rank 0 through MpiWorld.
//
// Usage: bench_merge_cost [paths ...]      (default 1M 10M)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "host/parallel/mpi_world.hpp"
#include "host/stats/accumulator_state.hpp"
#include "host/stats/risk_measures.hpp"

using namespace chipshock;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// An accumulator as one rank would hold it after `paths / ranks` paths of a run of `paths`:
// normal losses (scale 1e6), the run's tail size, an 80-bin histogram.
LossAccumulator rank_accumulator(std::uint64_t paths, int ranks, unsigned seed) {
  const std::uint64_t first_path = paths / static_cast<std::uint64_t>(ranks) * (seed % 2);
  const std::vector<double> levels{0.95, 0.975, 0.99};
  LossAccumulator acc(1e7, tail_size_needed(paths, levels));
  acc.set_histogram(HistogramBins{-5e6, 1.25e5, 80});
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> loss(0.0, 1e6);
  std::vector<double> batch(1 << 16);
  for (std::uint64_t done = 0; done < paths / static_cast<std::uint64_t>(ranks);) {
    const std::uint64_t n = std::min<std::uint64_t>(batch.size(), paths / ranks - done);
    for (std::uint64_t k = 0; k < n; ++k) batch[k] = loss(rng);
    acc.add(batch.data(), n, first_path + done);
    done += n;
  }
  return acc;
}

}  // namespace

int main(int argc, char** argv) {
  const MpiWorld world(&argc, &argv);
  std::vector<std::uint64_t> runs;
  for (int k = 1; k < argc; ++k) runs.push_back(std::strtoull(argv[k], nullptr, 10));
  if (runs.empty()) runs = {1000000, 10000000};
  if (world.is_root())
    std::printf("%12s %10s %12s %10s %12s %12s %12s\n", "paths", "tail k", "image bytes",
                "encode s", "combine s", "image mrg s", "rank1->0 s");
  for (const std::uint64_t paths : runs) {
    const LossAccumulator acc =
        rank_accumulator(paths, 2, 1u + static_cast<unsigned>(world.rank()));
    auto t = std::chrono::steady_clock::now();
    const std::string image = encode_accumulator(acc);
    const double encode_s = seconds_since(t);
    double combine_s = 0, image_merge_s = 0;
    if (world.is_root()) {
      const std::string other = encode_accumulator(rank_accumulator(paths, 2, 99));
      t = std::chrono::steady_clock::now();
      LossAccumulator a = decode_accumulator(image);
      a.merge(decode_accumulator(other));
      const std::string merged = encode_accumulator(a);
      combine_s = seconds_since(t);
      t = std::chrono::steady_clock::now();
      const std::string merged_images = merge_accumulator_images(image, other);
      image_merge_s = seconds_since(t);
      if (merged_images != merged) {
        std::fprintf(stderr, "merge_accumulator_images differs from the accumulator merge\n");
        return 1;
      }
    }
    double transfer_s = 0;
    if (world.size() == 2) {  // the transfer alone: combine = keep mine
      world.barrier();
      t = std::chrono::steady_clock::now();
      world.reduce_to_root(image, [](std::string mine, const std::string&) { return mine; });
      transfer_s = seconds_since(t);
    }
    if (world.is_root())
      std::printf("%12llu %10zu %12zu %10.4f %12.4f %12.4f %12.4f\n",
                  static_cast<unsigned long long>(paths), acc.tail_size(), image.size(), encode_s,
                  combine_s, image_merge_s, transfer_s);
  }
  return 0;
}
