// chipshock command-line entry point: argument parsing and the mapping of errors to exit codes.
#include <csignal>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "host/cli/backtest_command.hpp"
#include "host/cli/calibrate_command.hpp"
#include "host/cli/cli_failure.hpp"
#include "host/cli/reverse_command.hpp"
#include "host/cli/run_command.hpp"
#include "host/input_error.hpp"
#include "host/parallel/mpi_world.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_library.hpp"

#ifndef CHIPSHOCK_VERSION
#define CHIPSHOCK_VERSION "unknown"
#endif

namespace {

// A CLI11 transform from a name (in any case) to an enum value, whose error names the choices
// ("--backend: 'fast': expected auto, cpu, gpu or both") and which adds nothing to --help.
template <class E>
CLI::Validator named_choice(std::vector<std::pair<std::string, E>> names) {
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i)
    list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i].first;
  return CLI::Validator(
      [names, list](std::string& value) {
        std::string lower = value;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        for (const auto& [name, e] : names)
          if (name == lower) {
            value = std::to_string(static_cast<int>(e));
            return std::string();
          }
        return "'" + value + "': expected " + list;
      },
      "");
}

// Levenshtein distance (small strings: command names).
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}


const char* const kExitCodes =
    "Exit codes: 0 ok, 1 internal error or stdout not written in full (disk full, closed),\n"
    "            2 bad input (file:line: field: message on stderr),\n"
    "            3 GPU backend asked for (--backend gpu|both) but not usable,\n"
    "            4 run done and reported, but some paths' losses were NaN or infinite\n"
    "              (left out of every statistic; counted in non_finite_paths).";

const char* const kRunExample =
    "Example:\n"
    "  chipshock run --market scenarios/market/ai_chips.toml \\\n"
    "                --portfolio scenarios/portfolio/ai_book.toml \\\n"
    "                --paths 2M --horizon 10 --seed 7 --out report/\n"
    "  chipshock run --market scenarios/market/ai_chips.toml \\\n"
    "                --portfolio scenarios/portfolio/ai_book.toml \\\n"
    "                --paths 200k --target-rel-error 0.01 --max-paths 20M \\\n"
    "                --what-if scenarios/portfolio/what_if_nvda_hedge.toml --out report/";

// `chipshock scenarios`: one line per built-in scenario, with its calibration source.
int list_scenarios(bool verbose) {
  using namespace chipshock;
  const std::vector<std::string> files = builtin_scenario_files();
  if (files.empty()) {
    std::cerr << "chipshock: no built-in scenarios found\nhint: set CHIPSHOCK_DATA_DIR to the "
                 "project's scenarios/ folder\n";
    return kExitBadInput;
  }
  std::vector<Scenario> list;
  std::size_t w = 0;
  for (const std::string& f : files) {
    list.push_back(load_scenario(f));
    w = std::max(w, list.back().name.size());
  }
  for (const Scenario& s : list) {
    std::string source = s.source;
    if (!verbose) {  // the first sentence
      const std::size_t dot = source.find(". ");
      if (dot != std::string::npos) source = source.substr(0, dot + 1);
    }
    std::cout << s.name << std::string(w + 2 - s.name.size(), ' ') << s.description;
    if (!source.empty()) std::cout << " [source: " << source << "]";
    std::cout << "\n";
    if (verbose) std::cout << std::string(w + 2, ' ') << "file: " << s.file << "\n";
  }
  return kExitOk;
}

const char* const kCalibrateExample =
    "Example:\n"
    "  chipshock calibrate --prices scenarios/data/prices --window 500 --out m.toml\n"
    "  chipshock calibrate --prices scenarios/data/prices --tickers NVDA,AMD,TSM,AVGO \\\n"
    "                      --as-of 2025-01-24 --vol ewma --correlation ledoit-wolf --out - > "
    "m.toml\n"
    "  chipshock calibrate --market my_market.toml --repair-correlation higham --out fixed.toml\n"
    "  chipshock calibrate --prices scenarios/data/prices --stressed \\\n"
    "                      --portfolio scenarios/portfolio/ai_book.toml --out stressed.toml\n"
    "\n"
    "Estimators: vol = stdev of daily log-returns * sqrt(252) (sample, or EWMA with weights\n"
    "(1-lambda) lambda^k); correlation = sample Pearson, refused when not positive definite\n"
    "unless shrunk (Ledoit-Wolf 2004, constant-correlation target) or repaired (Higham 2002\n"
    "nearest correlation matrix); dof = maximum likelihood of a unit-variance Student-t on the\n"
    "pooled standardised returns; spot = close on --as-of; drift = 0. Dates are inner-joined\n"
    "across the files. The market file records the inputs in its header.";

// Everything after the MPI world is set up: parsing and the command. Returns the exit code.
int dispatch(int argc, char** argv, chipshock::MpiWorld* world) {
  using namespace chipshock;
  CLI::App app{
      "chipshock: Monte Carlo Value-at-Risk and expected shortfall for equity and "
      "option books, under stress scenarios."};
  app.set_version_flag("--version", std::string("chipshock ") + CHIPSHOCK_VERSION);
  app.footer(
      std::string(kRunExample) +
      "\n  chipshock calibrate --prices scenarios/data/prices --window 500 --out m.toml\n\n" +
      kExitCodes);
  app.require_subcommand(1);

  RunOptions o;
  CLI::App* run = app.add_subcommand("run", "Simulate the book and report VaR and ES");
  run->add_option("--market", o.market, "Market file (TOML): spots, vols, correlation")
      ->type_name("FILE");
  std::vector<std::string> portfolio_files;
  run->add_option("--portfolio", portfolio_files,
                  "Portfolio file: TOML (cash and positions, optional [[books]] hierarchy) or a "
                  ".csv positions table "
                  "(ticker,quantity,type,strike,expiry,style,implied_vol,book); "
                  "repeatable: each file a book under one top, all on the same paths")
      ->type_name("FILE");
  run->add_option("--scenario", o.scenarios, "Scenario name or file (repeatable)")
      ->type_name("NAME|FILE");
  run->add_option("--paths", o.paths, "Paths per scenario: 1000000, 1e6, 1M, 2.5M, 500k")
      ->type_name("N")
      ->capture_default_str();
  run->add_option("--horizon", o.horizon_days, "Horizon in trading days")
      ->type_name("DAYS")
      ->capture_default_str();
  run->add_option("--steps-per-day", o.steps_per_day, "Time steps per trading day")
      ->type_name("K")
      ->capture_default_str();
  run->add_option("--seed", o.seed, "Random seed, 0 to 2^64-1 (same seed, same numbers)")
      ->type_name("S")
      ->capture_default_str();
  run->add_option("--confidence", o.confidence, "Confidence levels, comma-separated")
      ->type_name("LIST")
      ->capture_default_str();
  run->add_option("--replay", o.replays,
                  "Also report today's book under the real returns of this day (repeatable)")
      ->type_name("DATE");
  run->add_option("--replay-window", o.replay_windows,
                  "Also report the book under the real returns from FROM to TO (repeatable)")
      ->type_name("FROM:TO");
  run->add_option("--prices", o.prices,
                  "Price history folder (<TICKER>.csv: date,close) for --replay and "
                  "--method historical; default: the shipped history")
      ->type_name("DIR");
  run->add_option("--method", o.method,
                  "monte-carlo, or historical: also report historical-simulation VaR/ES")
      ->transform(
          named_choice<chipshock::RunMethod>({{"monte-carlo", chipshock::RunMethod::kMonteCarlo},
                                              {"historical", chipshock::RunMethod::kHistorical}}))
      ->type_name("NAME")
      ->default_str("monte-carlo");
  run->add_option("--window", o.window, "Daily returns in the historical-simulation window")
      ->type_name("N")
      ->capture_default_str();
  run->add_flag("--antithetic", o.antithetic,
                "Antithetic variates: paths 2k and 2k+1 use opposite normals (fixed by the path "
                "index, so the same pairs on every backend, batch and thread count)");
  run->add_option("--rng", o.rng,
                  "Diffusion generator: philox (pseudo-random) or sobol (quasi-Monte Carlo: "
                  "cuRAND's scrambled Sobol' points, randomized by --seed, Brownian-bridge "
                  "order; Student-t mixing and scenario events stay pseudo-random; at most "
                  "20000 assets x steps and 2^32 paths; not with --antithetic)")
      ->transform(named_choice<chipshock::RngKind>(
          {{"philox", chipshock::RngKind::kPhilox}, {"sobol", chipshock::RngKind::kSobol}}))
      ->type_name("NAME")
      ->default_str("philox");
  run->add_flag("--importance-sampling", o.importance_sampling,
                "Importance sampling for deep tails: shift the normals along the book's "
                "first-order loss direction (and twist the Student-t mixing), sized by a pilot "
                "for the highest --confidence; VaR/ES from likelihood-ratio weights. CPU "
                "backend (with mpirun and --checkpoint too); keeps 24 bytes per path");
  run->add_option("--stop-loss", o.stop_loss,
                  "Also report path-dependent risk: max drawdown, P(loss >= X on any day), the "
                  "day of first breach")
      ->type_name("X");
  run->add_option("--backend", o.backend,
                  "auto (the GPU when usable, else the CPU), cpu, gpu, or both (GPU and CPU on "
                  "the same paths, compared in the report)")
      ->transform(
          named_choice<chipshock::BackendChoice>({{"auto", chipshock::BackendChoice::kAuto},
                                                  {"cpu", chipshock::BackendChoice::kCpu},
                                                  {"gpu", chipshock::BackendChoice::kGpu},
                                                  {"both", chipshock::BackendChoice::kBoth}}))
      ->type_name("NAME")
      ->default_str("auto");
  run->add_option("--threads", o.threads, "CPU threads (0 = all cores)")
      ->type_name("N")
      ->capture_default_str();
  run->add_option("--cpu-isa", o.cpu_isa,
                  "CPU kernel: auto (AVX-512 where the CPU has it, else AVX2), avx2 or avx512; "
                  "every choice gives the same numbers bit for bit")
      ->transform(named_choice<chipshock::CpuIsa>({{"auto", chipshock::CpuIsa::kAuto},
                                                   {"avx2", chipshock::CpuIsa::kAvx2},
                                                   {"avx512", chipshock::CpuIsa::kAvx512}}))
      ->type_name("NAME")
      ->default_str("auto");
  run->add_option("--batch", o.batch, "Paths per batch (0 = automatic; no effect on results)")
      ->type_name("N");
  run->add_option("--out", o.out_dir,
                  "Folder for the reports: report.html, report.json, report.md, scenarios.csv, "
                  "loss_histogram.csv, components.csv; written as one set (a reader never sees "
                  "files of two runs; other files there are kept), free space checked first")
      ->type_name("DIR");
  run->add_option("--repair-correlation", o.repair_correlation,
                  "Replace a market correlation matrix that is not positive definite by the "
                  "nearest one (higham); the report records the repair and its distance")
      ->check(CLI::IsMember({"higham"}))
      ->type_name("METHOD");
  run->add_option("--stressed", o.stressed,
                  "A stressed market from `calibrate --stressed`: the book is run again under "
                  "it and reported beside the current market (entry \"stressed\", with its "
                  "window's dates)")
      ->type_name("FILE");
  run->add_flag("--no-components", o.no_components,
                "Skip component VaR/ES (the tail paths simulated again per position)");
  CLI::Option* target_option = run->add_option("--target-rel-error", o.target_rel_error,
                  "Double the paths from --paths until the 95% interval of the 97.5% ES is "
                  "within this fraction of ES (e.g. 0.01)")
      ->type_name("X");
  run->add_option("--max-paths", o.max_paths,
                  "Path cap for --target-rel-error (default 64 x --paths)")
      ->type_name("N");
  run->add_option("--what-if", o.what_if,
                  "TOML file of [[positions]] to add (negative quantity reduces): reports the "
                  "change in VaR and ES with the same random numbers")
      ->type_name("FILE");
  run->add_option("--iv-file", o.iv_file,
                  "CSV of implied-vol quotes (ticker,expiry,strike or delta,vol): each ticker's "
                  "are fitted to its implied-vol surface, which options without their own "
                  "implied_vol price off")
      ->type_name("FILE");
  run->add_option("--checkpoint", o.checkpoint,
                  "Save progress to FILE after every batch and at every convergence stop "
                  "(temp file, fsync, rename, fsync of the folder); refused if FILE exists "
                  "unless --resume. Deleted when the run completes. With N MPI ranks, rank r "
                  "uses FILE.rank<r>of<N>. Covers every Monte Carlo run of the command: the "
                  "baseline, the scenarios, each step of --target-rel-error and --what-if")
      ->type_name("FILE");
  run->add_flag("--resume", o.resume,
                "Continue the run saved in --checkpoint FILE (after a crash or kill -9): the same "
                "command gives bit-identical results (components and convergence table "
                "included); exit 2, naming the file and what changed, if an input file or a "
                "setting differs");
  run->add_flag("--quiet", o.quiet, "No summary table, progress bar or notes (errors only)");
  run->add_flag("--json", o.json, "Print report.json to stdout instead of the table");
  run->add_flag("--timings", o.timings,
                "Print the seconds of each phase of the run (simulate, tail, components, value "
                "paths, importance pilot, estimate, checkpoint, reports, other) after the summary "
                "(on stderr with --quiet or --json); always in report.json run.phases");
  run->add_flag("--dry-run", o.dry_run,
                "Check the inputs, time a pilot of the first paths and print the plan with the "
                "estimated run time; simulate nothing else");
  run->footer(std::string(kRunExample) +
              "\n  chipshock run ... --paths 10B --checkpoint run.ckpt    (after a crash: the same"
              "\n                                                        command plus --resume)"
              "\n  mpirun -np 4 chipshock run ...   (each rank its share of the paths and one GPU;"
              "\n                                  the same numbers as one process)\n\n" +
              kExitCodes);

  bool verbose = false;
  CLI::App* scen = app.add_subcommand(
      "scenarios", "List the built-in scenarios (name, definition, calibration source)");
  scen->add_flag("--verbose", verbose, "Full sources and file paths");
  scen->footer(
      "Example:\n  chipshock scenarios\n  chipshock run --market scenarios/market/ai_chips.toml "
      "--portfolio scenarios/portfolio/ai_book.toml \\\n      --scenario "
      "cheaper_model_disruption --scenario my_shock.toml");
  CalibrateOptions co;
  CLI::App* cal = app.add_subcommand(
      "calibrate", "Estimate a market file (spots, vols, correlation, dof) from daily closes");
  cal->add_option("--prices", co.prices, "Folder of <TICKER>.csv files, header date,close")
      ->type_name("DIR");
  cal->add_option("--tickers", co.tickers, "Tickers, comma-separated (default: every CSV)")
      ->type_name("LIST");
  cal->add_option("--as-of", co.as_of,
                  "Date of the last return and the spots (default: the "
                  "last date common to all files)")
      ->type_name("DATE");
  cal->add_option("--window", co.window, "Daily log-returns ending on --as-of (at least 30)")
      ->type_name("N")
      ->capture_default_str();
  cal->add_option("--vol", co.vol, "Volatility estimator: sample or ewma")
      ->type_name("NAME")
      ->capture_default_str();
  CLI::Option* lambda = cal->add_option("--lambda", co.lambda, "EWMA decay (with --vol ewma)")
                            ->type_name("L")
                            ->capture_default_str();
  cal->add_option("--correlation", co.correlation,
                  "sample (refused unless positive definite), ledoit-wolf or higham")
      ->type_name("NAME")
      ->capture_default_str();
  cal->add_option("--dof", co.dof,
                  "Student-t dof: auto (maximum likelihood), none (Gaussian) "
                  "or a value > 2")
      ->type_name("auto|none|X")
      ->capture_default_str();
  cal->add_option("--implied-vol", co.implied_vol,
                  "proxy: a default implied-vol surface per ticker (atm = its vol, flat) with "
                  "spot_beta and vol_of_vol from its realised vol's changes, a proxy; none")
      ->type_name("proxy|none")
      ->check(CLI::IsMember({"proxy", "none"}))
      ->capture_default_str();
  cal->add_option("--rate", co.rate, "Risk-free rate written to the file (an assumption)")
      ->type_name("R")
      ->capture_default_str();
  cal->add_option("--currency", co.currency, "Currency code written to the file")
      ->type_name("CODE")
      ->capture_default_str();
  cal->add_option("--factor-prices", co.factor_prices,
                  "Folder with the factor proxies SPY.csv and SMH.csv for the market and "
                  "ai_capex loadings (default: --prices when it holds them, else the shipped "
                  "history; none: no loadings)")
      ->type_name("DIR");
  cal->add_option("--sectors", co.sectors,
                  "CSV ticker,sector over the shipped sector table (scenarios/data/sectors.csv)")
      ->type_name("FILE");
  cal->add_flag("--stressed", co.stressed,
                "Estimate over the stressed window of --portfolio: the --stressed-window "
                "returns where its 1-day historical 97.5% ES was largest (FRTB); today's spots");
  cal->add_option("--portfolio", co.portfolio, "With --stressed: the book (TOML or CSV)")
      ->type_name("FILE");
  cal->add_option("--stressed-window", co.stressed_window,
                  "With --stressed: daily returns per window")
      ->type_name("N")
      ->capture_default_str();
  cal->add_option("--market", co.market,
                  "Instead of --prices: an existing market file whose correlation matrix "
                  "--repair-correlation repairs (every other line kept)")
      ->type_name("FILE");
  cal->add_option("--repair-correlation", co.repair_correlation,
                  "With --market: higham replaces a matrix that is not positive definite by "
                  "the nearest correlation matrix (Higham 2002); the file records the distance")
      ->type_name("higham");
  cal->add_option("--out", co.out,
                  "Market file to write (- = stdout); not replaced without "
                  "--force")
      ->type_name("FILE");
  cal->add_flag("--force", co.force, "Replace an existing --out file");
  cal->add_flag("--quiet", co.quiet, "No summary table");
  cal->footer(std::string(kCalibrateExample) + "\n\n" + kExitCodes);

  BacktestOptions bo;
  CLI::App* bt = app.add_subcommand(
      "backtest",
      "Backtest the 1-day VaR of a book on real history (Kupiec, Christoffersen, "
      "Basel traffic light)");
  bt->add_option("--portfolio", bo.portfolio, "Portfolio file (TOML, or a .csv positions table)")->type_name("FILE");
  bt->add_option("--prices", bo.prices, "Price history folder (default: the shipped history)")
      ->type_name("DIR");
  bt->add_option("--market", bo.market,
                 "Optional market file: currency, rate (its spots and vols are not used)")
      ->type_name("FILE");
  bt->add_option("--from", bo.from, "First forecast day")->type_name("DATE");
  bt->add_option("--to", bo.to, "Last forecast day")->type_name("DATE");
  bt->add_option("--window", bo.window, "Daily returns per daily calibration")
      ->type_name("N")
      ->capture_default_str();
  bt->add_option("--confidence", bo.confidence, "VaR levels, comma-separated")
      ->type_name("LIST")
      ->capture_default_str();
  bt->add_option("--paths", bo.paths, "Monte Carlo paths per daily forecast")
      ->type_name("N")
      ->capture_default_str();
  bt->add_option("--seed", bo.seed, "Random seed (the same every day)")
      ->type_name("S")
      ->capture_default_str();
  bt->add_option("--vol", bo.vol, "sample or ewma (lambda 0.94)")
      ->type_name("NAME")
      ->capture_default_str();
  bt->add_option("--dof", bo.dof, "none (Gaussian) or auto (Student-t dof fitted each day)")
      ->type_name("NAME")
      ->capture_default_str();
  bt->add_option("--rate", bo.rate, "Risk-free rate for options when no --market is given")
      ->type_name("R")
      ->capture_default_str();
  bt->add_option("--threads", bo.threads, "CPU threads (0 = all cores)")->type_name("N");
  bt->add_option("--out", bo.out_dir,
                 "Folder for backtest.json, backtest.csv, backtest.md and backtest.html, "
                 "written as one set (as run --out), free space checked first")
      ->type_name("DIR");
  bt->add_flag("--quiet", bo.quiet, "No summary table");
  bt->add_flag("--json", bo.json, "Print backtest.json to stdout");
  bt->footer(
      std::string("Example:\n  chipshock backtest --portfolio scenarios/portfolio/ai_book.toml "
                  "\\\n      --from 2024-01-26 --to 2025-01-27 --window 250 --out bt/\n\n") +
      kExitCodes);

  ReverseOptions ro;
  CLI::App* rev = app.add_subcommand(
      "reverse", "Reverse stress test: the smallest factor shock that lifts ES to a target loss");
  rev->add_option("--market", ro.market, "Market file (TOML) with factor exposures")
      ->type_name("FILE");
  rev->add_option("--portfolio", ro.portfolio, "Portfolio file (TOML, or a .csv positions table)")->type_name("FILE");
  rev->add_option("--factor", ro.factor, "Factor to shock (a key of the assets' exposures)")
      ->type_name("NAME");
  rev->add_option("--target-loss", ro.target_loss, "ES to reach, in the book's currency")
      ->type_name("X");
  rev->add_option("--confidence", ro.confidence, "ES confidence level")
      ->type_name("C")
      ->capture_default_str();
  rev->add_option("--horizon", ro.horizon_days, "Horizon in trading days")
      ->type_name("DAYS")
      ->capture_default_str();
  rev->add_option("--paths", ro.paths, "Paths per evaluation")
      ->type_name("N")
      ->capture_default_str();
  rev->add_option("--seed", ro.seed, "Random seed")->type_name("S")->capture_default_str();
  rev->add_option("--threads", ro.threads, "CPU threads (0 = all cores)")->type_name("N");
  rev->add_flag("--json", ro.json, "Print the result as JSON");
  rev->add_flag("--quiet", ro.quiet, "Print nothing but errors");
  rev->footer(
      std::string("Example:\n  chipshock reverse --market scenarios/market/ai_chips.toml "
                  "--portfolio scenarios/portfolio/ai_book.toml \\\n      --factor ai_capex "
                  "--target-loss 2e6\n\n") +
      kExitCodes);

  // An unknown command is named, with the closest one (CLI11 would only say that a command is
  // required).
  if (argc > 1 && argv[1][0] != '-') {
    const std::string given = argv[1];
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
      names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), given) == names.end()) {
      if (world->is_root()) {
        std::string closest;
        std::size_t best = 3;  // at most two edits away
        for (const std::string& n : names)
          if (const std::size_t d = edit_distance(given, n); d < best) {
            best = d;
            closest = n;
          }
        std::string all;
        for (const std::string& n : names) all += (all.empty() ? "" : ", ") + n;
        std::cerr << "chipshock: command line: unknown command '" << echo_text(given) << "'"
                  << (closest.empty() ? "" : "; did you mean '" + closest + "'?") << "\n"
                  << "hint: the commands are " << all << " ('chipshock --help' says more)\n";
      }
      return kExitBadInput;
    }
  }

  try {
    app.parse(argc, argv);
    co.lambda_given = lambda->count() > 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line naming the option, then a hint, like every other input error. An option given
    // twice is said so (CLI11's "At Most 1 required but received 3" counts its default too).
    if (world->is_root()) {
      const std::string what = e.what();
      const std::size_t twice = what.find(": At Most 1 required but received");
      if (twice != std::string::npos)
        std::cerr << "chipshock: command line: " << what.substr(0, twice)
                  << ": given more than once\n"
                  << "hint: give each option once; only --scenario, --replay and "
                     "--replay-window repeat (each value once)\n";
      else
        std::cerr << "chipshock: command line: " << what << "\n"
                  << "hint: 'chipshock --help' lists the commands, 'chipshock run --help' the "
                     "options, each with an example\n";
    }
    return kExitBadInput;
  }

  try {
    if (run->parsed()) {
      o.target_rel_error_given = target_option->count() > 0;
      if (!portfolio_files.empty()) {
        o.portfolio = portfolio_files.front();
        o.more_portfolios.assign(portfolio_files.begin() + 1, portfolio_files.end());
      }
      return run_command(o, *world);
    }
    // The other commands are one process's work: under mpirun, rank 0 does it alone.
    if (!world->is_root()) return kExitOk;
    if (bt->parsed()) return backtest_command(bo);
    if (rev->parsed()) return reverse_command(ro);
    if (scen->parsed()) return list_scenarios(verbose);
    if (cal->parsed()) return calibrate_command(co);
    return kExitBadInput;
  } catch (...) {
    const bool agreed = [] {
      try {
        throw;
      } catch (const AgreedFailure&) {
        return true;
      } catch (...) {
        return false;
      }
    }();
    const RankFailure f = failure_from_current_exception(world->rank());
    // A failure only this rank knows of (during the run): report it and end the whole job.
    if (world->size() > 1 && !agreed) {
      print_failure(f, world->size());
      world->abort(f.code);
    }
    if (world->is_root()) print_failure(f, world->size());
    return f.code;
  }
}

// Standard output written in full, or a failure: a full disk, a closed pipe or a device that
// refuses bytes (`--json > /dev/full`) must not pass for success. Exit code 1 with a message
// when the command itself succeeded.
int checked_stdout(int code) {
  std::cout.flush();
  const bool failed = !std::cout.good() || std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
  if (!failed) return code;
  std::cerr << "chipshock: error writing to standard output"
            << (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string())
            << " (what was printed is incomplete)\n";
  return code == chipshock::kExitOk ? chipshock::kExitInternal : code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace chipshock;
  // A write past the file-size limit (ulimit -f) fails with EFBIG, said and exit 1, instead of
  // the signal killing the process half-way through a report set or checkpoint.
  std::signal(SIGXFSZ, SIG_IGN);
  // Under mpirun every process joins the job here; otherwise a world of one (mpi_world.hpp).
  std::unique_ptr<MpiWorld> world;
  try {
    world = std::make_unique<MpiWorld>(&argc, &argv);
  } catch (const std::exception& e) {
    std::cerr << "chipshock: " << e.what() << "\n";
    return kExitBadInput;
  }
  // Help, version, summaries and reports on stdout: printed once, by rank 0.
  if (!world->is_root()) {
    std::cout.setstate(std::ios::failbit);
    return dispatch(argc, argv, world.get());
  }
  return checked_stdout(dispatch(argc, argv, world.get()));
}
