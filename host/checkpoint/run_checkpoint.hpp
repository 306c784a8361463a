// Checkpoints of `chipshock run --checkpoint FILE`. After every batch and at every convergence
// stop, each process writes (durable_file.hpp: temp file, fsync, rename, fsync of the folder)
// the settings that change results, the fingerprints of the input files, and per Monte Carlo
// run started so far (baseline, scenarios, then the --what-if runs) its ScenarioProgress
// (risk_engine.hpp): the last stop passed, this process's next path, the convergence table's
// rows (rank 0) and the accumulator image (accumulator_state.hpp: sums, counts, histogram, the
// tail with path indices). `--resume` reads it back, refuses it when a setting or an input
// differs, and continues from there; the results are bit-identical to an uninterrupted run
// because the accumulators' statistics do not depend on how the paths were split.
//
// File layout, version 2: the line "chipshock checkpoint v2\n", u64 header length, the header
// (JSON: schema, settings, inputs, rank, ranks, scenarios[{name, done, reached, next_path,
// complete, target_met, seconds, convergence}]), then per scenario u64 length and its
// accumulator image (length 0: none) followed by its observer's images (the header's optional
// "observer": n, absent = 0; each u64 length and the image), then u64 FNV-1a of all bytes
// before. Little-endian. The
// convergence rows keep every double as its IEEE-754 bits, so that they are restored exactly.
// Version 1 (before component ES and the convergence table) is refused.
// With N MPI ranks, rank r writes FILE.rank<r>of<N>.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/risk_engine.hpp"

namespace chipshock {

struct ScenarioCheckpoint {
  std::string name;
  std::uint64_t done = 0, reached = 0, next_path = 0;
  bool complete = false, target_met = false;
  double seconds = 0;
  std::vector<ConvergencePoint> table;
  std::string state;  // encode_accumulator() image; "" = none
  // The run's observer's own state (PathObserver::checkpoint_images: a book hierarchy's
  // accumulator of each book, in the tree's order); empty: none.
  std::vector<std::string> observer;
};

// A scenario's progress as saved (the accumulator encoded) and back (decoded; throws
// AccumulatorStateError for a damaged image).
ScenarioCheckpoint to_checkpoint(const std::string& name, const ScenarioProgress& progress);
ScenarioProgress from_checkpoint(const ScenarioCheckpoint& saved);

struct RunCheckpoint {
  nlohmann::json settings;  // what changes results (paths, seed, horizon, scenarios, ...)
  nlohmann::json inputs;    // [{file, bytes, fnv1a64}]
  int rank = 0, ranks = 1;
  std::vector<ScenarioCheckpoint> scenarios;  // in run order; the last ones may be partial
};

// The file of rank `rank` of `ranks`: FILE itself for one process.
std::string checkpoint_path(const std::string& file, int rank, int ranks);

// {file, bytes, fnv1a64} of an input file; throws InputError when it cannot be read.
nlohmann::json input_fingerprint(const std::string& file);

std::string encode_checkpoint(const RunCheckpoint& c);
// Throws InputError (naming `path`) for a damaged or foreign file.
RunCheckpoint decode_checkpoint(const std::string& bytes, const std::string& path);

void write_checkpoint(const std::string& path, const RunCheckpoint& c);  // durably
RunCheckpoint read_checkpoint(const std::string& path);                  // throws InputError

// Throws InputError (exit 2) naming the checkpoint file and the first setting, input file or
// rank layout that differs between a saved checkpoint and this run, with a hint (the same
// command, or delete the file).
void check_resumable(const RunCheckpoint& saved, const RunCheckpoint& now, const std::string& path);

// Under MPI each rank saves on its own, so after a kill the ranks' files can stand at different
// points. Rank 0 saves a stop before any other rank passes it, so another rank is at most one
// stop behind: it had folded its share of the stretch up to a stop that rank 0 has passed (and
// saved), but was killed before it saved the stop itself. `root` is rank 0's [{done, complete}]
// per scenario (root_stages); this rank takes each such stop from rank 0. Throws InputError for
// files that cannot belong to one run.
nlohmann::json root_stages(const RunCheckpoint& root);
void reconcile_with_root(RunCheckpoint& mine, const nlohmann::json& root, const std::string& path);

}  // namespace chipshock
