#include "host/cli/run_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "host/analytics/importance_sampling.hpp"
#include "host/analytics/path_risk.hpp"
#include "host/checkpoint/run_checkpoint.hpp"
#include "host/cli/arg_parsing.hpp"
#include "host/cli/backend_plan.hpp"
#include "host/cli/cli_failure.hpp"
#include "host/cli/monte_carlo_runs.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/history/historical_risk.hpp"
#include "host/input_error.hpp"
#include "host/parallel/mpi_world.hpp"
#include "host/report/report_files.hpp"
#include "host/report/run_report.hpp"
#include "host/run_phases.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/scenario/scenario_library.hpp"
#include "host/sim_spec.hpp"
#include "host/value_fan.hpp"

#ifndef CHIPSHOCK_VERSION
#define CHIPSHOCK_VERSION "unknown"
#endif

namespace chipshock {

namespace {


constexpr int kMaxHorizonDays = 2520;  // ten years of trading days
constexpr int kMaxStepsPerDay = 390;   // one a minute
constexpr int kMaxTotalSteps = 100000;
constexpr std::size_t kMaxScenarios = 64;

std::uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * page : 0;
}

void validate(const RunOptions& o) {
  if (o.market.empty()) throw InputError("", 0, "--market", "required");
  if (o.portfolio.empty()) throw InputError("", 0, "--portfolio", "required");
  if (o.horizon_days < 1 || o.horizon_days > kMaxHorizonDays)
    throw InputError("", 0, "--horizon",
                     "must be between 1 and " + std::to_string(kMaxHorizonDays) + " trading days");
  if (o.steps_per_day < 1 || o.steps_per_day > kMaxStepsPerDay)
    throw InputError("", 0, "--steps-per-day",
                     "must be between 1 and " + std::to_string(kMaxStepsPerDay));
  if (static_cast<long>(o.horizon_days) * o.steps_per_day > kMaxTotalSteps)
    throw InputError("", 0, "--steps-per-day",
                     "horizon x steps per day exceeds " + std::to_string(kMaxTotalSteps) +
                         " steps per path");
  if (o.threads < 0 || o.threads > 4096)
    throw InputError("", 0, "--threads", "must be between 1 and 4096 (0 = all cores)");
  if (!o.stop_loss.empty()) {  // checked before the run, so a typo loses no work
    char* end = nullptr;
    const double stop = std::strtod(o.stop_loss.c_str(), &end);
    if (o.stop_loss.empty() || end != o.stop_loss.c_str() + o.stop_loss.size() ||
        !std::isfinite(stop) || !(stop > 0))
      throw InputError("", 0, "--stop-loss",
                       "'" + o.stop_loss + "': expected a positive loss in the book's currency",
                       "e.g. --stop-loss 1e6");
  }
  if (o.window < 20 || o.window > 100000)
    throw InputError("", 0, "--window", "must be between 20 and 100000 daily returns");
  if (o.rng == RngKind::kSobol && o.antithetic)
    throw InputError("", 0, "--antithetic", "not with --rng sobol",
                     "quasi-random points are already balanced: drop --antithetic, or use "
                     "--rng philox");
  if (o.importance_sampling && (o.backend == BackendChoice::kGpu || o.backend == BackendChoice::kBoth))
    throw InputError("", 0, "--importance-sampling",
                     std::string("runs on the CPU backend only, not with --backend ") +
                         backend_choice_name(o.backend),
                     "use --backend cpu (or auto)");
  if (o.importance_sampling && !o.checkpoint.empty())
    throw InputError("", 0, "--importance-sampling",
                     "keeps every path's loss and weight in memory: not with --checkpoint",
                     "drop --checkpoint (an importance-sampling run needs far fewer paths)");
}

// Progress on stderr while a run takes more than a second, only when stderr is a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}
  ~Progress() { clear(); }
  void update(const std::string& scenario, std::uint64_t done, std::uint64_t total,
              const char* unit = "paths") {
    if (!enabled_) return;
    const Clock::time_point now = Clock::now();
    if (scenario != current_) {  // rate and ETA per scenario: each restarts at 0 paths
      current_ = scenario;
      scenario_start_ = now;
      first_done_ = done;
    }
    if (std::chrono::duration<double>(now - start_).count() < 1.0) return;
    const double t = std::chrono::duration<double>(now - scenario_start_).count();
    const double d = static_cast<double>(done), n = static_cast<double>(total);
    const double rate = t > 0 ? static_cast<double>(done - first_done_) / t : 0;
    if (!(rate > 0)) return;  // nothing measured yet for this scenario
    const double eta = (n - d) / rate;
    // \033[K clears what a longer previous line left behind.
    std::fprintf(stderr, "\r%s: %3.0f%%  %llu/%llu %s  %.3g %s/s  ETA %.0f s\033[K",
                 scenario.c_str(), 100.0 * d / n, static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total), unit, rate, unit, eta);
    drawn_ = true;
  }
  void clear() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now();
  std::string current_;
  Clock::time_point scenario_start_ = start_;
  std::uint64_t first_done_ = 0;
};

// A position as the what-if table names it: "NVDA x -1000", "NVDA put 181 63d x 500".
std::string what_if_label(const Position& p) {
  std::ostringstream s;
  s << p.ticker;
  if (p.type != PositionType::kEquity)
    s << " " << position_type_name(p.type) << " " << p.strike << " " << p.expiry_days << "d";
  s << " x " << p.quantity;
  return s.str();
}

// The label without a " #k" repeat suffix: lines with the same base label hold the same
// instrument, so they share one marginal ES per unit.
std::string instrument_of(const std::string& label) {
  const std::size_t hash = label.rfind(" #");
  return hash == std::string::npos ? label : label.substr(0, hash);
}

// --what-if: the book plus the file's positions, every scenario run again with the same seed
// and path count (common random numbers), so the change is the positions' effect, not noise.
// The runs are Monte Carlo runs n_runs .. 2 n_runs - 1 of `runs` (checkpointed and shared
// between MPI ranks like the others); rank 0 computes the changes. `base` is rank 0's results
// of runs 0 .. n_runs - 1 (empty elsewhere).
WhatIf run_what_if(const std::string& file, const Portfolio& extra, const Market& market,
                   const Portfolio& portfolio, const SimSettings& sim,
                   const std::vector<AppliedScenario>& applied,
                   const std::vector<std::string>& names, const std::vector<ScenarioResult>& base,
                   MonteCarloRuns& runs, const RunSettings& settings, Progress& progress,
                   const std::vector<ImportanceShift>& shifts) {
  WhatIf w;
  w.file = file;
  w.name = extra.name;
  Portfolio changed = portfolio;
  changed.cash += extra.cash;
  for (const Position& p : extra.positions) {
    changed.positions.push_back(p);
    w.positions.push_back(what_if_label(p));
  }
  const SimSpec extra_spec(market, extra, sim);  // labels of the added lines
  const std::size_t n_runs = names.size();
  for (std::size_t k = 0; k < n_runs; ++k) {
    RunSettings s = settings;
    // a run to a target error: the same paths as its result (under importance sampling, which
    // runs in one process outside `runs`, that result's own count)
    s.paths = k < shifts.size() ? base[k].paths : runs.paths_of(k);
    s.target_rel_error = 0;
    s.components = false;
    const std::unique_ptr<SimSpec> spec =
        k == 0 ? std::make_unique<SimSpec>(market, changed, sim)
               : std::make_unique<SimSpec>(market, changed, sim, applied[k - 1]);
    const std::string label = "what-if: " + names[k];
    const ProgressFn report_progress = [&](std::uint64_t done, std::uint64_t total) {
      progress.update(label, done, total);
    };
    // Under importance sampling (one process) the changed book is sampled under the base run's
    // measure, so the two runs share paths and weights (common random numbers).
    if (k < shifts.size()) spec->set_importance_shift(shifts[k]);
    const ScenarioResult r =
        k < shifts.size() ? simulate_scenario_weighted(label, *spec, runs.backend().cpu(), s,
                                                       base[k].importance, report_progress)
                          : runs.run(n_runs + k, label, *spec, s, report_progress);
    if (base.empty()) continue;  // not rank 0
    WhatIfScenario ws;
    ws.scenario = base[k].name;
    ws.paths = r.paths;
    for (std::size_t l = 0; l < r.levels.size() && l < base[k].levels.size(); ++l) {
      WhatIfLevel x;
      x.confidence = r.levels[l].confidence;
      x.var = r.levels[l].var;
      x.es = r.levels[l].es;
      x.var_change = x.var - base[k].levels[l].var;
      x.es_change = x.es - base[k].levels[l].es;
      double first_order =
          base[k].components.empty() ? std::numeric_limits<double>::quiet_NaN() : 0;
      for (const PositionLine& line : extra_spec.positions()) {
        double marginal = std::numeric_limits<double>::quiet_NaN();
        for (const PositionContribution& c : base[k].components)
          if (c.confidence == x.confidence &&
              instrument_of(c.position) == instrument_of(line.label) && c.quantity != 0)
            marginal = c.marginal_es();
        first_order += line.quantity * marginal;
      }
      x.es_change_first_order = first_order;
      ws.levels.push_back(x);
    }
    w.scenarios.push_back(std::move(ws));
  }
  return w;
}

// The run's size and an estimate of its duration from a pilot of the first paths of the
// baseline (discarded), so that a run of hours or days says so before it starts.
struct RunEstimate {
  double seconds = 0;
  std::string text;
};

std::string duration_text(double s) {
  char buf[64];
  if (s < 120)
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 7200)
    std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  else if (s < 172800)
    std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  else
    std::snprintf(buf, sizeof buf, "%.1f days", s / 86400);
  return buf;
}

RunEstimate estimate_run(BackendPlan& backend, const SimSpec& spec, const RunSettings& settings,
                         std::size_t n_scenarios, bool importance) {
  constexpr std::uint64_t kPilotPaths = 1u << 14;
  RunSettings pilot = settings;
  pilot.paths = std::min<std::uint64_t>(settings.paths, kPilotPaths);
  // The run's levels, so that the pilot keeps the run's share of paths in its tail (a low level
  // such as 0.5 would keep half of them, which costs far more per path), each capped so that
  // the pilot leaves at least 10 losses beyond it.
  // (A pilot under 20 paths is the whole run, whose levels were checked.)
  if (pilot.paths >= 20)
    for (double& c : pilot.confidences)
      c = std::min(c, 1.0 - 10.0 / static_cast<double>(pilot.paths));
  pilot.histogram_bins = 0;
  pilot.components = false;
  pilot.target_rel_error = 0;
  // With --backend both the CPU half dominates; timing it keeps the pilot out of the comparison.
  const auto run_pilot = [&] {
    if (backend.both())
      simulate_scenario("pilot", spec, backend.cpu(), pilot);
    else
      backend.simulate("pilot", spec, pilot);
  };
  // A first, untimed run starts the threads (and the GPU context); the second is timed.
  run_pilot();
  const auto start = std::chrono::steady_clock::now();
  run_pilot();
  const double pilot_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RunEstimate e;
  const double per_path = pilot_s / static_cast<double>(pilot.paths);
  e.seconds = per_path * static_cast<double>(settings.paths) * static_cast<double>(n_scenarios);
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "%llu paths x %zu scenario(s), %d assets, %d steps per path, backend %s; loss "
      "tail %.0f MiB; about %s (a pilot of %llu paths ran at %.3g paths/s)",
      static_cast<unsigned long long>(settings.paths), n_scenarios, spec.n_assets(),
      spec.total_steps(), backend.label().c_str(),
      static_cast<double>(importance
                              ? settings.paths * kImportanceBytesPerPath
                              : tail_memory_bytes(settings.paths, settings.confidences)) /
          (1 << 20),
      duration_text(e.seconds).c_str(), static_cast<unsigned long long>(pilot.paths),
      per_path > 0 ? 1.0 / per_path : 0.0);
  e.text = buf;
  return e;
}

// Runs longer than this print their estimate on stderr before they start.
constexpr double kAnnounceSeconds = 600;
// Below this many path-steps x assets a run is short on any machine: no pilot.
constexpr double kPilotWork = 1e11;

// One line on how an importance-sampling run drew its paths (also in report.json's sampling).
std::string importance_note(const ScenarioResult& r) {
  const ImportanceInfo& is = r.importance;
  char text[512];
  std::snprintf(text, sizeof text,
                "importance sampling aimed at %s: normals shifted %.2f sd along the book's "
                "first-order loss direction (delta-linear loss sd %s)%s, a quarter of the paths "
                "unshifted (defensive mixture); %llu paths at or beyond that VaR, worth %.0f "
                "plain ones (effective sample size); shift chosen from %d pilot candidates "
                "(%llu paths, not part of the run)",
                confidence_key(is.target_confidence).c_str(), is.shift_sd,
                format_money(is.linear_sd).c_str(),
                is.chi2_scale < 1 ? (", chi-square mixing scaled by " +
                                     std::to_string(is.chi2_scale).substr(0, 4))
                                        .c_str()
                                  : "",
                static_cast<unsigned long long>(is.tail_paths), is.ess_tail, is.candidates,
                static_cast<unsigned long long>(is.pilot_paths));
  return text;
}

// Everything a run needs, read and checked on every rank before any path runs.
struct PreparedRun {
  RunSettings settings;
  Market market;
  Portfolio portfolio;
  std::optional<Portfolio> what_if;
  SimSettings sim;
  std::unique_ptr<SimSpec> spec;
  std::vector<Scenario> scenarios;
  std::vector<AppliedScenario> applied;
  std::vector<std::unique_ptr<SimSpec>> scenario_specs;
  std::vector<ScenarioResult> history_results;  // rank 0 only
  std::unique_ptr<BackendPlan> backend;
  std::string checkpoint_file;  // this rank's checkpoint; "" = none
  RunCheckpoint checkpoint;     // what it holds (resumed) or will hold (settings and inputs)
};

// --checkpoint/--resume: the settings and inputs the checkpoint must match, and, when resuming,
// the saved progress, refused (InputError, exit 2) when anything differs.
void prepare_checkpoint(const RunOptions& o, const MpiWorld& world, PreparedRun& p) {
  if (o.checkpoint.empty()) {
    if (o.resume)
      throw InputError("", 0, "--resume", "needs --checkpoint FILE (the file to resume from)");
    return;
  }
  const RunSettings& s = p.settings;
  RunCheckpoint& c = p.checkpoint;
  // What the saved accumulators depend on. Not the batch size or thread count (results do not
  // depend on them), nor what is computed after the Monte Carlo runs from the inputs alone
  // (replays, historical simulation, --stop-loss, the fan chart, components).
  c.settings = {{"paths", s.paths},
                {"seed", s.seed},
                {"horizon_days", p.sim.horizon_days},
                {"steps_per_day", p.sim.steps_per_day},
                {"antithetic", p.sim.antithetic},
                {"rng", rng_name(o.rng)},
                {"confidences", s.confidences},
                {"histogram_bins", s.histogram_bins},
                {"target_rel_error", s.target_rel_error},
                {"target_confidence", s.target_confidence},
                {"max_paths", s.max_paths},
                {"what_if", o.what_if},
                {"backend", p.backend->label()}};
  nlohmann::json names = nlohmann::json::array({"baseline"});
  for (const Scenario& sc : p.scenarios) names.push_back(sc.name);
  c.settings["scenarios"] = names;
  c.inputs = nlohmann::json::array({input_fingerprint(o.market), input_fingerprint(o.portfolio)});
  for (const Scenario& sc : p.scenarios) c.inputs.push_back(input_fingerprint(sc.file));
  if (!o.what_if.empty()) c.inputs.push_back(input_fingerprint(o.what_if));
  c.rank = world.rank();
  c.ranks = world.size();
  p.checkpoint_file = checkpoint_path(o.checkpoint, world.rank(), world.size());
  const bool exists = std::filesystem::exists(p.checkpoint_file);
  if (!o.resume) {
    if (exists)
      throw InputError(p.checkpoint_file, 0, "--checkpoint", "the file exists already",
                       "add --resume to continue the run it holds, or delete it to start over");
    try {  // a place we cannot write to fails now, on every rank, not after the first batch
      write_checkpoint(p.checkpoint_file + ".probe", c);
      std::filesystem::remove(p.checkpoint_file + ".probe");
    } catch (const std::exception&) {
      throw InputError(p.checkpoint_file, 0, "--checkpoint", "cannot write the checkpoint there");
    }
    return;
  }
  if (!exists)
    throw InputError(p.checkpoint_file, 0, "--resume", "no checkpoint to resume: file not found",
                     "run without --resume to start (and checkpoint) a new run");
  RunCheckpoint saved = read_checkpoint(p.checkpoint_file);
  check_resumable(saved, c, p.checkpoint_file);
  c.scenarios = std::move(saved.scenarios);
}

void prepare_run(const RunOptions& o, const MpiWorld& world, PreparedRun& p) {
  validate(o);
  RunSettings& settings = p.settings;
  settings.paths = parse_paths(o.paths);
  settings.seed = parse_unsigned(o.seed, "--seed");
  settings.confidences = parse_confidences(o.confidence);
  if (const std::uint64_t batch = parse_unsigned(o.batch, "--batch"); batch > 0) {
    settings.batch_paths = std::min<std::uint64_t>(batch, std::uint64_t{1} << 26);
    settings.gpu_batch_paths = settings.batch_paths;
  }
  settings.components = !o.no_components;
  if (o.target_rel_error != 0) {
    if (!(o.target_rel_error > 0 && o.target_rel_error < 1))
      throw InputError("", 0, "--target-rel-error", "must be in (0, 1), e.g. 0.01 for 1%");
    settings.target_rel_error = o.target_rel_error;
    settings.max_paths = parse_paths(o.max_paths == "0" ? std::to_string(64 * settings.paths)
                                                        : o.max_paths);
    if (settings.max_paths < settings.paths)
      throw InputError("", 0, "--max-paths", "must be at least --paths (" +
                                                 std::to_string(settings.paths) + ")");
    if (tail_mass(settings.paths, settings.target_confidence) < 10.0)
      throw InputError("", 0, "--paths",
                       "too few paths to start --target-rel-error: at least 400 are needed",
                       "start from more paths, e.g. --paths 100k");
  } else if (o.max_paths != "0") {
    throw InputError("", 0, "--max-paths", "only applies with --target-rel-error");
  }
  for (double c : settings.confidences)
    if (tail_mass(settings.paths, c) < 1.0)
      throw InputError("", 0, "--paths",
                       std::to_string(settings.paths) + " paths leave no loss beyond the " +
                           confidence_key(c) + " quantile",
                       "use at least " +
                           std::to_string(static_cast<long long>(std::ceil(1.0 / (1.0 - c)))) +
                           " paths, and many more for a stable estimate");
  // Path i is Sobol' point i of cuRAND's 32-bit generator, which has 2^32 of them.
  if (o.rng == RngKind::kSobol && settings.path_bound() > (std::uint64_t{1} << 32))
    throw InputError("", 0, settings.target_rel_error > 0 ? "--max-paths" : "--paths",
                     "--rng sobol has 2^32 points (4294967296 paths)",
                     "use fewer paths, or --rng philox");
  // The tail (with path indices) of the most paths the run may reach; under importance
  // sampling every path's loss, weight and index.
  const std::uint64_t tail_bytes =
      o.importance_sampling ? settings.path_bound() * kImportanceBytesPerPath * 2
                            : tail_memory_bytes(settings.path_bound(), settings.confidences) * 2;
  const std::uint64_t memory = physical_memory_bytes();
  if (memory > 0 && tail_bytes > memory / 2)
    throw InputError("", 0, "--paths",
                     "keeping the loss tail of " + std::to_string(settings.paths) +
                         " paths needs " + std::to_string(tail_bytes >> 20) +
                         " MiB, more than half of this machine's memory",
                     o.importance_sampling
                         ? "importance sampling keeps 24 bytes per path and needs far fewer "
                           "paths than a plain run for the same deep-tail accuracy: use fewer"
                         : "use fewer paths or higher confidence levels");
  if (o.scenarios.size() > kMaxScenarios)
    throw InputError("", 0, "--scenario",
                     "more than " + std::to_string(kMaxScenarios) + " scenarios in one run");

  p.market = load_market(o.market);
  p.portfolio = load_portfolio(o.portfolio, p.market);
  const Market& market = p.market;
  const Portfolio& portfolio = p.portfolio;
  if (!o.what_if.empty()) p.what_if = load_portfolio(o.what_if, market);
  SimSettings& sim = p.sim;
  sim.horizon_days = o.horizon_days;
  sim.steps_per_day = o.steps_per_day;
  sim.antithetic = o.antithetic;
  sim.rng = o.rng;
  p.spec = std::make_unique<SimSpec>(market, portfolio, sim);
  const SimSpec& spec = *p.spec;
  // Every scenario is read and applied to the market before any path runs: a bad file fails
  // fast and loses no work.
  std::vector<Scenario>& scenarios = p.scenarios;
  std::vector<AppliedScenario>& applied = p.applied;
  for (const std::string& arg : o.scenarios) {
    scenarios.push_back(load_scenario(resolve_scenario(arg)));
    for (std::size_t k = 0; k + 1 < scenarios.size(); ++k)
      if (scenarios[k].name == scenarios.back().name)
        throw InputError(scenarios.back().file, 0, "name",
                         "scenario '" + scenarios.back().name + "' is given twice (also " +
                             scenarios[k].file + ")");
    applied.push_back(apply_scenario(scenarios.back(), market, o.horizon_days));
  }
  for (const AppliedScenario& a : applied)
    p.scenario_specs.push_back(std::make_unique<SimSpec>(market, portfolio, sim, a));
  // Replays and historical simulation are cheap and deterministic: computed before the Monte
  // Carlo run, so bad dates or missing history fail fast; by rank 0, which reports them.
  std::vector<ReplayRequest> replays;
  for (const std::string& d : o.replays) replays.push_back(parse_replay(d, false));
  for (const std::string& w : o.replay_windows) replays.push_back(parse_replay(w, true));
  const std::string prices = o.prices.empty() ? default_prices_dir() : o.prices;
  if (world.is_root()) {
    if (o.method == RunMethod::kHistorical) {
      HistoricalSettings hs;
      hs.window = o.window;
      hs.horizon_days = o.horizon_days;
      p.history_results.push_back(
          historical_scenario(hs, market, portfolio, prices, settings.confidences));
    }
    for (const ReplayRequest& r : replays)
      p.history_results.push_back(
          replay_scenario(r, market, portfolio, prices, settings.confidences));
  }

  // Backend selection (host/cli/backend_plan.hpp): throws GpuUnavailable for gpu/both.
  // MPI: one GPU per rank (its rank on the node modulo the node's GPUs), or an equal share of
  // the node's cores.
  int threads = o.threads;
  if (threads == 0 && world.local_size() > 1)
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) /
                              world.local_size());
  if (o.backend == BackendChoice::kBoth && (world.size() > 1 || !o.checkpoint.empty()))
    throw InputError("", 0, "--backend",
                     "both runs whole scenarios in one process: not with mpirun or --checkpoint",
                     "use --backend gpu or cpu");
  if (o.importance_sampling && world.size() > 1)
    throw InputError("", 0, "--importance-sampling",
                     "keeps every path's loss and weight in one process: not with mpirun",
                     "run it in one process (it needs far fewer paths than a plain run)");
  // Importance sampling runs on the CPU backend (validate refused gpu and both).
  try {
    p.backend = std::make_unique<BackendPlan>(o.importance_sampling ? BackendChoice::kCpu : o.backend, threads,
                                              spec.n_assets(), settings,
                                              gpu_for_local_rank(world.local_rank()), o.cpu_isa);
  } catch (const std::invalid_argument& e) {  // a --cpu-isa this CPU cannot run
    throw InputError("", 0, "--cpu-isa", e.what(), "use --cpu-isa auto (the best this CPU runs)");
  }
  if (o.importance_sampling && o.backend == BackendChoice::kAuto && !o.quiet && world.is_root())
    std::cerr << "chipshock: importance sampling runs on the CPU backend\n";
  if (!p.backend->notice().empty() && !o.quiet && world.is_root())
    std::cerr << p.backend->notice() << "\n";

  // Create the output folder before the run, so a bad --out fails fast and loses no work.
  if (!o.out_dir.empty() && world.is_root()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
    if (ec || !std::filesystem::is_directory(o.out_dir))
      throw InputError("", 0, "--out", "cannot create folder '" + o.out_dir + "'");
    const std::filesystem::path dir(o.out_dir);
    for (const std::string& name : report_file_names())
      if (std::filesystem::is_directory(dir / name))
        throw InputError("", 0, "--out", (dir / name).string() + " is a folder");
    try {  // a folder we cannot write into fails now, not after the run
      write_file_atomically((dir / ".chipshock-write-probe").string(), "");
      std::filesystem::remove(dir / ".chipshock-write-probe", ec);
    } catch (const std::exception&) {
      throw InputError("", 0, "--out", "cannot write into folder '" + o.out_dir + "'");
    }
  }

  prepare_checkpoint(o, world, p);
}

// Under mpirun with --resume: rank 0's progress is the reference; every rank brings its own in
// line with it (run_checkpoint.hpp: reconcile_with_root). Collective.
void reconcile_checkpoints(const MpiWorld& world, PreparedRun& p) {
  std::string stages = world.is_root() ? root_stages(p.checkpoint).dump() : std::string();
  world.broadcast(stages);
  if (!world.is_root())
    reconcile_with_root(p.checkpoint, nlohmann::json::parse(stages), p.checkpoint_file);
}

// Runs `step` on every rank; a failure on any rank stops all of them with one message (rank 0
// prints it) before any path runs. Collective.
template <typename Step>
void on_every_rank(const MpiWorld& world, const Step& step) {
  std::optional<RankFailure> failure;
  std::exception_ptr error;
  try {
    step();
  } catch (...) {
    error = std::current_exception();
    failure = failure_from_current_exception(world.rank());
  }
  if (const std::optional<RankFailure> first = world.first_failure(failure)) {
    if (error && world.size() == 1) std::rethrow_exception(error);
    throw AgreedFailure(*first);
  }
}

}  // namespace

int run_command(const RunOptions& o) {
  const MpiWorld one_process;
  return run_command(o, one_process);
}

int run_command(const RunOptions& o, const MpiWorld& world) {
  const auto command_start = std::chrono::steady_clock::now();
  reset_phase_seconds();
  PreparedRun p;
  on_every_rank(world, [&] { prepare_run(o, world, p); });
  const bool resuming = !p.checkpoint_file.empty() && o.resume;
  if (resuming && world.size() > 1) on_every_rank(world, [&] { reconcile_checkpoints(world, p); });
  RunSettings& settings = p.settings;
  const Market& market = p.market;
  const Portfolio& portfolio = p.portfolio;
  const SimSpec& spec = *p.spec;
  const std::vector<Scenario>& scenarios = p.scenarios;
  BackendPlan& backend = *p.backend;

  // --dry-run: everything above is checked; time a pilot and stop. A real run big enough to take
  // long on a slow machine says how long before it starts. Rank 0 alone.
  const double work = static_cast<double>(settings.paths) * spec.n_assets() * spec.total_steps() *
                      static_cast<double>(1 + scenarios.size());
  if (o.dry_run && !world.is_root()) return kExitOk;
  if (world.is_root() && (o.dry_run || (work > kPilotWork && !o.quiet))) {
    const PhaseScope estimating(Phase::kEstimate, PhaseScope::kAbsorb);
    const RunEstimate e =
        estimate_run(backend, spec, settings, 1 + scenarios.size(), o.importance_sampling);
    if (o.dry_run) {
      std::cout << "dry run: inputs, scenarios, backend and output folder are valid; nothing "
                   "simulated\nplan: "
                << e.text << "\n";
      if (world.size() > 1)
        std::cout << "MPI: " << world.size() << " ranks, each a share of the paths\n";
      return kExitOk;
    }
    if (e.seconds > kAnnounceSeconds) std::cerr << "chipshock: note: this run: " << e.text << "\n";
  }
  if (!p.checkpoint_file.empty() && !resuming)
    write_checkpoint(p.checkpoint_file, p.checkpoint);  // settings and inputs, no runs yet

  RunReport report;
  report.version = CHIPSHOCK_VERSION;
  report.market_file = o.market;
  report.portfolio_file = o.portfolio;
  report.portfolio_name = portfolio.name;
  report.currency = market.currency;
  report.portfolio_value = spec.value0();
  report.paths = settings.paths;
  report.seed = settings.seed;
  report.horizon_days = o.horizon_days;
  report.steps_per_day = o.steps_per_day;
  report.n_assets = spec.n_assets();
  report.dof = market.dof;
  report.antithetic = o.antithetic;
  report.rng = rng_name(o.rng);
  report.as_of = market.as_of;
  report.backend = backend.label();
  report.gpu_name = backend.gpu_name();
  report.threads = backend.threads();
  report.cpu_isa = cpu_isa_name(backend.cpu().isa());
  report.confidences = settings.confidences;
  report.target_rel_error = settings.target_rel_error;
  report.max_paths = settings.target_rel_error > 0 ? settings.max_paths : 0;

  // The Monte Carlo runs: on every rank its share, merged on rank 0 (monte_carlo_runs.hpp).
  Progress progress(!o.quiet && world.is_root());
  MonteCarloRuns runs(backend, world, p.checkpoint_file, p.checkpoint);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> names{"baseline"};
  for (const Scenario& sc : scenarios) names.push_back(sc.name);
  // Importance sampling (one process, no checkpoint: prepare_run refused the others): each model
  // gets its own measure (its own loss direction and pilot), kept for the what-if runs.
  std::vector<ImportanceShift> shifts;
  // --stop-loss on the CPU backend in one process: each scenario's run gathers the path-risk
  // statistics of its first paths as it simulates them (path_risk.hpp), so they are not
  // simulated again afterwards (a resumed run's are, in path_dependent_risk).
  std::vector<std::unique_ptr<PathRiskTap>> taps;
  if (!o.stop_loss.empty() && !backend.on_gpu() && world.size() == 1 &&
      !o.importance_sampling) {
    const double stop = std::strtod(o.stop_loss.c_str(), nullptr);  // validated above
    const std::uint64_t risk_paths = path_risk_paths(
        settings.paths, p.sim.horizon_days, p.sim.steps_per_day, static_cast<int>(market.size()));
    for (std::size_t k = 0; k < names.size(); ++k)
      taps.push_back(std::make_unique<PathRiskTap>(market, portfolio, p.sim,
                                                   k == 0 ? nullptr : &scenarios[k - 1],
                                                   risk_paths, stop));
  }
  for (std::size_t k = 0; k < names.size(); ++k) {
    const std::string& name = names[k];
    SimSpec& model = k == 0 ? *p.spec : *p.scenario_specs[k - 1];
    const ProgressFn report_progress = [&](std::uint64_t done, std::uint64_t total) {
      progress.update(name, done, total);
    };
    ScenarioResult res;
    if (o.importance_sampling) {
      progress.update(name + " (importance-sampling pilot)", 0, 1);
      const double target =
          *std::max_element(settings.confidences.begin(), settings.confidences.end());
      const ImportanceInfo info =
          plan_importance_sampling(model, backend.cpu(), settings.seed, target);
      shifts.push_back(model.importance_shift());
      res = simulate_scenario_weighted(name, model, backend.cpu(), settings, info,
                                       report_progress);
      res.notes.push_back(importance_note(res));
    } else {
      res = runs.run(k, name, model, settings, report_progress,
                     k < taps.size() ? taps[k].get() : nullptr);
    }
    if (!world.is_root()) continue;
    if (k > 0) {
      const Scenario& sc = scenarios[k - 1];
      res.description = sc.description;
      res.source = sc.source;
      res.file = sc.file;
      res.calibration_date = sc.calibration_date;
      res.skipped_tickers = p.applied[k - 1].skipped_tickers;
      res.notes.insert(res.notes.begin(), p.applied[k - 1].notes.begin(),
                       p.applied[k - 1].notes.end());
    }
    report.scenarios.push_back(std::move(res));
  }
  if (p.what_if) {
    report.what_if = run_what_if(o.what_if, *p.what_if, market, portfolio, p.sim, p.applied,
                                 names, report.scenarios, runs, settings, progress, shifts);
  }
  progress.clear();
  if (world.is_root()) {
    for (ScenarioResult& h : p.history_results) report.scenarios.push_back(std::move(h));
    report.comparisons = backend.comparisons();
    if (!report.comparisons.empty())
      report.comparison = agreement_of(report.comparisons, report.gpu_name);
    report.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (world.size() > 1 && !o.quiet)
      std::cerr << "chipshock: " << world.size() << " MPI ranks; tails and sums merged on rank 0 "
                << "at " << runs.team().merges() << " stops: " << runs.team().merge_bytes()
                << " bytes received in " << runs.team().merge_seconds() << " s\n";

    // --- path-dependent risk (--stop-loss): daily values of the first paths, on the CPU ---
    if (!o.stop_loss.empty()) {
      const double stop = std::strtod(o.stop_loss.c_str(), nullptr);  // validated above
      std::vector<const PathRiskTap*> gathered;
      for (const auto& t : taps) gathered.push_back(t.get());
      report.path_risk = path_dependent_risk(market, portfolio, p.sim, scenarios, backend.cpu(),
                                             settings.seed, settings.paths, stop, gathered);
    }
    // --- reports: the value fan chart (about a tenth of the run's cost, see value_fan.hpp; on
    // rank 0 only), then every report file (report_files.hpp) ---
    if (!o.out_dir.empty() || o.json)
      report.fan = compute_value_fan(
          market, portfolio, p.sim, scenarios, backend.cpu(), settings.seed, settings.paths,
          [&](std::uint64_t done, std::uint64_t total) {
            progress.update("value fan chart", done, total, "horizons");
          });
    progress.clear();
    // Every file but report.json first, so that report.json's run.phases includes them; then
    // report.json and the summary (their own few milliseconds come after the phases' end).
    std::vector<ReportFile> files;
    std::string summary;
    {
      const PhaseScope reporting(Phase::kReports);
      if (!o.out_dir.empty()) files = render_report_files(report);
      if (!o.json && !o.quiet) summary = report_summary(report);
    }
    report.phases.measured = true;
    report.phases.seconds = phase_seconds();
    report.phases.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - command_start).count();
    const std::string json = report_json_text(report);
    if (!o.out_dir.empty()) write_report_files(o.out_dir, json, files);
    // --- end of reports ---
    if (o.json) {
      std::cout << json;
    } else if (!o.quiet) {
      std::cout << summary;
      if (o.timings) std::cout << phases_summary(report);
      if (!o.out_dir.empty())
        std::cout << "wrote " << (std::filesystem::path(o.out_dir) / "report.html").string()
                  << ", report.json, report.md and CSV files\n";
    }
    if (o.timings && (o.json || o.quiet)) std::cerr << phases_summary(report);
    std::cout.flush();
  }
  // The run is complete and reported: its checkpoints are spent. Removed only once rank 0 has
  // written the reports (a failure there aborts the job and leaves them to resume from).
  world.barrier();
  if (!p.checkpoint_file.empty()) {
    std::error_code ec;
    std::filesystem::remove(p.checkpoint_file, ec);
  }
  return kExitOk;
}

}  // namespace chipshock
