#include "host/cli/run_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "host/checkpoint/run_checkpoint.hpp"
#include "host/cli/arg_parsing.hpp"
#include "host/cli/cli_failure.hpp"
#include "host/cli/backend_plan.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/history/historical_risk.hpp"
#include "host/input_error.hpp"
#include "host/parallel/mpi_world.hpp"
#include "host/report/report_files.hpp"
#include "host/report/run_report.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/scenario/scenario_library.hpp"
#include "host/sim_spec.hpp"
#include "host/stats/accumulator_state.hpp"
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
  if (o.backend != "auto" && o.backend != "cpu" && o.backend != "gpu" && o.backend != "both")
    throw InputError("", 0, "--backend", "'" + o.backend + "': expected auto, cpu, gpu or both");
  if (o.method != "monte-carlo" && o.method != "historical")
    throw InputError("", 0, "--method", "'" + o.method + "': expected monte-carlo or historical");
  if (o.window < 20 || o.window > 100000)
    throw InputError("", 0, "--window", "must be between 20 and 100000 daily returns");
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

// Everything a run needs, read and checked on every rank before any path runs.
struct PreparedRun {
  RunSettings settings;
  Market market;
  Portfolio portfolio;
  SimSettings sim;
  std::unique_ptr<SimSpec> spec;
  std::vector<Scenario> scenarios;
  std::vector<AppliedScenario> applied;
  std::vector<std::unique_ptr<SimSpec>> scenario_specs;
  std::vector<ScenarioResult> history_results;  // rank 0 only
  std::unique_ptr<BackendPlan> backend;
  PathRange range;                     // this rank's paths
  std::string checkpoint_file;         // this rank's checkpoint; "" = none
  RunCheckpoint checkpoint;            // what it holds (resumed or new)
};

// --checkpoint/--resume: the settings and inputs the checkpoint must match, and, when resuming,
// the saved progress, refused (InputError, exit 2) when anything differs.
void prepare_checkpoint(const RunOptions& o, const MpiWorld& world, PreparedRun& p) {
  if (o.checkpoint.empty()) {
    if (o.resume)
      throw InputError("", 0, "--resume", "needs --checkpoint FILE (the file to resume from)");
    return;
  }
  RunCheckpoint& c = p.checkpoint;
  c.settings = {{"paths", p.settings.paths},
                {"seed", p.settings.seed},
                {"horizon_days", p.sim.horizon_days},
                {"steps_per_day", p.sim.steps_per_day},
                {"confidences", p.settings.confidences},
                {"histogram_bins", p.settings.histogram_bins},
                {"backend", p.backend->label()}};
  nlohmann::json names = nlohmann::json::array({"baseline"});
  for (const Scenario& sc : p.scenarios) names.push_back(sc.name);
  c.settings["scenarios"] = names;
  c.inputs = nlohmann::json::array({input_fingerprint(o.market), input_fingerprint(o.portfolio)});
  for (const Scenario& sc : p.scenarios) c.inputs.push_back(input_fingerprint(sc.file));
  c.rank = world.rank();
  c.ranks = world.size();
  c.range = p.range;
  p.checkpoint_file = checkpoint_path(o.checkpoint, world.rank(), world.size());
  const bool exists = std::filesystem::exists(p.checkpoint_file);
  if (!o.resume) {
    if (exists)
      throw InputError(p.checkpoint_file, 0, "--checkpoint", "the file exists already",
                       "add --resume to continue the run it holds, or delete it to start over");
    try {  // a place we cannot write to fails now, on every rank, not after the first batch
      write_file_atomically(p.checkpoint_file + ".probe", "");
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
  for (std::size_t k = 0; k < saved.scenarios.size(); ++k) {
    const ScenarioCheckpoint& sc = saved.scenarios[k];
    if (k >= names.size() || sc.name != names[k] || sc.next_path < p.range.first ||
        sc.next_path > p.range.last)
      throw InputError(p.checkpoint_file, 0, "--resume", "inconsistent scenario progress");
    try {
      decode_accumulator(sc.state);
    } catch (const AccumulatorStateError& e) {
      throw InputError(p.checkpoint_file, 0, "--resume", e.what(),
                       "delete the checkpoint to start over");
    }
  }
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
  for (double c : settings.confidences)
    if (tail_mass(settings.paths, c) < 1.0)
      throw InputError("", 0, "--paths",
                       std::to_string(settings.paths) + " paths leave no loss beyond the " +
                           confidence_key(c) + " quantile",
                       "use at least " +
                           std::to_string(static_cast<long long>(std::ceil(1.0 / (1.0 - c)))) +
                           " paths, and many more for a stable estimate");
  const std::uint64_t tail_bytes = tail_memory_bytes(settings.paths, settings.confidences);
  const std::uint64_t memory = physical_memory_bytes();
  if (memory > 0 && tail_bytes > memory / 2)
    throw InputError("", 0, "--paths",
                     "keeping the loss tail of " + std::to_string(settings.paths) +
                         " paths needs " + std::to_string(tail_bytes >> 20) +
                         " MiB, more than half of this machine's memory",
                     "use fewer paths or higher confidence levels");
  if (o.scenarios.size() > kMaxScenarios)
    throw InputError("", 0, "--scenario",
                     "more than " + std::to_string(kMaxScenarios) + " scenarios in one run");

  p.market = load_market(o.market);
  p.portfolio = load_portfolio(o.portfolio, p.market);
  const Market& market = p.market;
  const Portfolio& portfolio = p.portfolio;
  SimSettings& sim = p.sim;
  sim.horizon_days = o.horizon_days;
  sim.steps_per_day = o.steps_per_day;
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
  std::vector<std::unique_ptr<SimSpec>>& scenario_specs = p.scenario_specs;
  for (const AppliedScenario& a : applied)
    scenario_specs.push_back(std::make_unique<SimSpec>(market, portfolio, sim, a));
  // Replays and historical simulation are cheap and deterministic: computed before the Monte
  // Carlo run, so bad dates or missing history fail fast.
  std::vector<ReplayRequest> replays;
  for (const std::string& d : o.replays) replays.push_back(parse_replay(d, false));
  for (const std::string& w : o.replay_windows) replays.push_back(parse_replay(w, true));
  const std::string prices = o.prices.empty() ? default_prices_dir() : o.prices;
  std::vector<ScenarioResult>& history_results = p.history_results;
  if (o.method == "historical" && world.is_root()) {
    HistoricalSettings hs;
    hs.window = o.window;
    hs.horizon_days = o.horizon_days;
    history_results.push_back(
        historical_scenario(hs, market, portfolio, prices, settings.confidences));
  }
  for (const ReplayRequest& r : replays)
    if (world.is_root())
      history_results.push_back(
        replay_scenario(r, market, portfolio, prices, settings.confidences));

  // Backend selection (host/cli/backend_plan.hpp): throws GpuUnavailable for gpu/both.
  // MPI: one GPU per rank (its rank on the node modulo the node's GPUs), or an equal share of
  // the node's cores.
  int threads = o.threads;
  if (threads == 0 && world.local_size() > 1)
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / world.local_size());
  if (o.backend == "both" && (world.size() > 1 || !o.checkpoint.empty()))
    throw InputError("", 0, "--backend",
                     "both runs whole scenarios in one process: not with mpirun or --checkpoint",
                     "use --backend gpu or cpu");
  p.backend = std::make_unique<BackendPlan>(o.backend, threads, spec.n_assets(), settings,
                                            gpu_for_local_rank(world.local_rank()));
  const BackendPlan& backend = *p.backend;
  if (!backend.notice().empty() && !o.quiet && world.is_root())
    std::cerr << backend.notice() << "\n";

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

  p.range = rank_range(settings.paths, world.rank(), world.size());
  prepare_checkpoint(o, world, p);
}

// What merging the ranks' accumulators cost rank 0 (reported on stderr under mpirun).
struct MergeCost {
  double seconds = 0;
  std::uint64_t bytes = 0;  // received
};

// One scenario on this rank's paths, resumed from the checkpoint where it has the scenario,
// saving the checkpoint after every batch; then the ranks' accumulators are merged on rank 0
// (a tree of pairwise merges of exact sums, counts and top-k tails: bit-identical to one
// process). Returns the result on rank 0, an empty one elsewhere.

ScenarioResult run_scenario_share(const std::string& name, std::size_t index, const SimSpec& spec,
                                  PreparedRun& p, const MpiWorld& world, Progress& progress,
                                  MergeCost& merge) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const RunSettings& s = p.settings;
  RunCheckpoint& ckpt = p.checkpoint;
  const bool saving = !p.checkpoint_file.empty();
  double prior_seconds = 0;
  std::uint64_t from = p.range.first;
  LossAccumulator acc = scenario_accumulator(spec, s);
  if (saving && index < ckpt.scenarios.size()) {  // resumed
    acc = decode_accumulator(ckpt.scenarios[index].state);
    from = ckpt.scenarios[index].next_path;
    prior_seconds = ckpt.scenarios[index].seconds;
  }
  const auto save = [&](const LossAccumulator& a, std::uint64_t next) {
    if (ckpt.scenarios.size() <= index) ckpt.scenarios.resize(index + 1);
    ScenarioCheckpoint& sc = ckpt.scenarios[index];
    sc.name = name;
    sc.next_path = next;
    sc.seconds = prior_seconds + std::chrono::duration<double>(Clock::now() - start).count();
    sc.state = encode_accumulator(a);
    write_checkpoint(p.checkpoint_file, ckpt);
  };
  const std::uint64_t share = std::max<std::uint64_t>(p.range.size(), 1);
  p.backend->accumulate(
      spec, s, p.range, from, acc,
      [&](std::uint64_t done, std::uint64_t) {
        if (world.is_root())  // rank 0's progress stands for the job's: the ranks run together
          progress.update(name, static_cast<std::uint64_t>(static_cast<double>(done) /
                                                           static_cast<double>(share) *
                                                           static_cast<double>(s.paths)),
                          s.paths);
      },
      saving ? BatchDoneFn(save) : BatchDoneFn());
  if (saving && (ckpt.scenarios.size() <= index || ckpt.scenarios[index].next_path != p.range.last))
    save(acc, p.range.last);  // nothing left to run here (an empty share, or resumed complete)

  if (world.size() > 1) {
    world.barrier();  // so that the merge's time is the merge's, not waiting for a slower rank
    const auto merge_start = Clock::now();
    const std::uint64_t moved = world.bytes_moved();
    const std::string merged = world.reduce_to_root(
        encode_accumulator(acc), [](std::string mine, const std::string& theirs) {
          return merge_accumulator_images(mine, theirs);
        });
    if (world.is_root()) acc = decode_accumulator(merged);
    merge.seconds += std::chrono::duration<double>(Clock::now() - merge_start).count();
    merge.bytes += world.bytes_moved() - moved;
  }
  if (!world.is_root()) return {};
  ScenarioResult r = scenario_result(name, acc, s);
  r.seconds = prior_seconds + std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

}  // namespace

int run_command(const RunOptions& o) {
  const MpiWorld one_process;
  return run_command(o, one_process);
}

int run_command(const RunOptions& o, const MpiWorld& world) {
  // Set-up on every rank; a failure on any rank stops all of them here, before any path runs,
  // with one message (rank 0 prints it).
  PreparedRun p;
  std::optional<RankFailure> failure;
  std::exception_ptr error;
  try {
    prepare_run(o, world, p);
  } catch (...) {
    error = std::current_exception();
    failure = failure_from_current_exception(world.rank());
  }
  if (const std::optional<RankFailure> first = world.first_failure(failure)) {
    if (error && world.size() == 1) std::rethrow_exception(error);
    throw AgreedFailure(*first);
  }
  RunSettings& settings = p.settings;
  const Market& market = p.market;
  const Portfolio& portfolio = p.portfolio;
  const SimSpec& spec = *p.spec;
  const std::vector<Scenario>& scenarios = p.scenarios;
  BackendPlan& backend = *p.backend;
  if (!p.checkpoint_file.empty() && p.checkpoint.scenarios.empty())
    write_checkpoint(p.checkpoint_file, p.checkpoint);  // a bad path fails now

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
  report.as_of = market.as_of;
  report.backend = backend.label();
  report.gpu_name = backend.gpu_name();
  report.threads = backend.threads();
  report.confidences = settings.confidences;

  Progress progress(!o.quiet && world.is_root());
  MergeCost merge;
  const auto start = std::chrono::steady_clock::now();
  const auto simulate = [&](const std::string& name, std::size_t index, const SimSpec& sc_spec) {
    if (backend.label() == "both")  // one process, no checkpoint (checked in the set-up)
      return backend.simulate(name, sc_spec, settings, [&](std::uint64_t done, std::uint64_t total) {
        progress.update(name, done, total);
      });
    return run_scenario_share(name, index, sc_spec, p, world, progress, merge);
  };
  report.scenarios.push_back(simulate("baseline", 0, spec));
  for (std::size_t k = 0; k < scenarios.size(); ++k) {
    const Scenario& sc = scenarios[k];
    ScenarioResult res = simulate(sc.name, k + 1, *p.scenario_specs[k]);
    res.description = sc.description;
    res.source = sc.source;
    res.file = sc.file;
    res.calibration_date = sc.calibration_date;
    res.skipped_tickers = p.applied[k].skipped_tickers;
    res.notes = p.applied[k].notes;
    report.scenarios.push_back(std::move(res));
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
      std::cerr << "chipshock: " << world.size() << " MPI ranks; tails and sums merged on rank 0: "
                << merge.bytes << " bytes received in " << merge.seconds << " s\n";

    // --- reports: the value fan chart (about a tenth of the run's cost, see value_fan.hpp; on
    // rank 0 only), then every report file (report_files.hpp) ---
    if (!o.out_dir.empty() || o.json)
      report.fan = compute_value_fan(
          market, portfolio, p.sim, p.scenarios, backend.cpu(), settings.seed, settings.paths,
          [&](std::uint64_t done, std::uint64_t total) {
            progress.update("value fan chart", done, total, "horizons");
          });
    progress.clear();
    const std::string json = report_json_text(report);
    if (!o.out_dir.empty()) write_reports(report, o.out_dir);
    // --- end of reports ---
    if (o.json) {
      std::cout << json;
    } else if (!o.quiet) {
      std::cout << report_summary(report);
      if (!o.out_dir.empty())
        std::cout << "wrote " << (std::filesystem::path(o.out_dir) / "report.html").string()
                  << ", report.json, report.md and CSV files\n";
    }
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
