// What a `chipshock run` is asked to do, as the command line (host/cli/main.cpp) or any other
// front end fills it in; the application layer (host/app/) plans and runs it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/app/run_choices.hpp"
#include "host/cpu/cpu_isa.hpp"
#include "kernels/sim_view.cuh"

namespace chipshock {

struct RunOptions {
  std::string market, portfolio, out_dir;
  // --portfolio given more than once: the files after the first (`portfolio`), each a book
  // under one top ("all books"), revalued on the same paths.
  std::vector<std::string> more_portfolios;
  std::vector<std::string> scenarios;
  std::vector<std::string> replays;           // --replay DATE
  std::vector<std::string> replay_windows;    // --replay-window FROM:TO
  std::string prices;                         // price history folder; "" = the shipped one
  RunMethod method = RunMethod::kMonteCarlo;  // kHistorical adds a historical-simulation entry
  int window = 500;                           // trailing daily returns for --method historical
  std::string stop_loss;                      // --stop-loss X: path-dependent risk; "" = off
  std::string paths = "1M";
  int horizon_days = 1;
  int steps_per_day = 1;
  std::string seed = "0";
  std::string confidence = "0.95,0.975,0.99";
  BackendChoice backend = BackendChoice::kAuto;
  int threads = 0;                 // 0 = all cores
  CpuIsa cpu_isa = CpuIsa::kAuto;  // --cpu-isa: the CPU kernel
  std::string batch = "0";         // paths per batch; 0 = automatic (results do not depend on it)
  bool antithetic = false;         // --antithetic: antithetic variates
  RngKind rng = RngKind::kPhilox;  // --rng philox|sobol: the diffusion's generator
  // --importance-sampling: mean shift (and t-mixing twist) aimed at the highest confidence
  bool importance_sampling = false;
  bool quiet = false;
  bool json = false;
  bool timings = false;         // --timings: the seconds of each phase after the summary
  bool no_components = false;   // skip component VaR/ES
  double target_rel_error = 0;  // --target-rel-error: 0 = run exactly --paths
  bool target_rel_error_given = false;  // the option was given (then 0 is refused, not "off")
  std::string max_paths = "0";  // --max-paths: cap of a run to a target error (0 = 64 x --paths)
  std::string what_if;          // --what-if FILE: positions to add (negative: reduce)
  std::string iv_file;          // --iv-file FILE: implied-vol quotes, fitted to surfaces
  std::string repair_correlation;  // --repair-correlation higham: repair a matrix not PD
  // --stressed FILE: a market from `calibrate --stressed`; the baseline is run again under it
  // and reported beside the current one (scenario "stressed").
  std::string stressed;
  bool dry_run = false;         // check everything, time a pilot, print the plan; simulate nothing
  std::string checkpoint;       // --checkpoint FILE: progress saved after every batch
  bool resume = false;          // --resume: continue the run saved in --checkpoint
  // Inputs given as TOML text rather than files (the Python module's dicts): a market,
  // portfolio, what-if or scenario argument equal to a key here is read from its text, and the
  // key stands for the file in messages and reports (e.g. "<market dict>").
  std::map<std::string, std::string> texts;
};

// Progress of a run for its front end: (what, done, total, unit), e.g. ("baseline", 250000,
// 1000000, "paths"); called on rank 0 only.
using RunProgressFn =
    std::function<void(const std::string&, std::uint64_t, std::uint64_t, const char*)>;

// Thrown when the GPU backend is asked for but cannot be used (the CLI's exit code 3).
struct GpuUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace chipshock
