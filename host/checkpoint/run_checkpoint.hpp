// Checkpoints of `chipshock run --checkpoint FILE`: after every batch, each process writes
// (atomically) how far it got in its path range, the accumulator image of every scenario it has
// started (accumulator_state.hpp), the settings that change results and the fingerprints of the
// input files. `--resume` reads it back, refuses it when a setting or an input differs, and
// continues from the saved path; results are bit-identical to an uninterrupted run because the
// accumulator's statistics do not depend on how the paths were split.
//
// File layout, version 1: the line "chipshock checkpoint v1\n", u64 header length, the header
// (JSON: schema, settings, inputs, rank, ranks, range, scenarios[{name, next_path, seconds}]),
// then per scenario u64 length and its accumulator image, then u64 FNV-1a of all bytes before.
// Little-endian. With N MPI ranks, rank r writes FILE.rank<r>of<N>.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/risk_engine.hpp"

namespace chipshock {

struct ScenarioCheckpoint {
  std::string name;
  std::uint64_t next_path = 0;  // the first path of the range not yet folded in
  double seconds = 0;           // time spent on it so far
  std::string state;            // encode_accumulator() image
};

struct RunCheckpoint {
  nlohmann::json settings;  // what changes results (paths, seed, horizon, scenarios, ...)
  nlohmann::json inputs;    // [{file, bytes, fnv1a64}]
  int rank = 0, ranks = 1;
  PathRange range;
  std::vector<ScenarioCheckpoint> scenarios;  // in run order; the last one may be partial
};

// The file of rank `rank` of `ranks`: FILE itself for one process.
std::string checkpoint_path(const std::string& file, int rank, int ranks);

// {file, bytes, fnv1a64} of an input file; throws InputError when it cannot be read.
nlohmann::json input_fingerprint(const std::string& file);

std::string encode_checkpoint(const RunCheckpoint& c);
// Throws InputError (naming `path`) for a damaged or foreign file.
RunCheckpoint decode_checkpoint(const std::string& bytes, const std::string& path);

void write_checkpoint(const std::string& path, const RunCheckpoint& c);  // temp file + rename
RunCheckpoint read_checkpoint(const std::string& path);                  // throws InputError

// Throws InputError naming the first setting, input, or the rank layout that differs between a
// saved checkpoint and this run, with a hint (same command, or delete the file).
void check_resumable(const RunCheckpoint& saved, const RunCheckpoint& now, const std::string& path);

}  // namespace chipshock
