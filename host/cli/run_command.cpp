#include "host/cli/run_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "host/cli/arg_parsing.hpp"
#include "host/cli/backend_plan.hpp"
#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/input_error.hpp"
#include "host/report/run_report.hpp"
#include "host/risk_engine.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_application.hpp"
#include "host/scenario/scenario_library.hpp"
#include "host/sim_spec.hpp"

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
}

// Progress on stderr while a run takes more than a second, only when stderr is a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}
  ~Progress() { clear(); }
  void update(const std::string& scenario, std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    const double t = std::chrono::duration<double>(Clock::now() - start_).count();
    if (t < 1.0) return;
    const double d = static_cast<double>(done), n = static_cast<double>(total);
    const double rate = d / t;
    const double eta = rate > 0 ? (n - d) / rate : 0;
    std::fprintf(stderr, "\r%s: %3.0f%%  %llu/%llu paths  %.3g paths/s  ETA %.0f s   ",
                 scenario.c_str(), 100.0 * d / n, static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total), rate, eta);
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
};

}  // namespace

int run_command(const RunOptions& o) {
  validate(o);
  RunSettings settings;
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

  const Market market = load_market(o.market);
  const Portfolio portfolio = load_portfolio(o.portfolio, market);
  SimSettings sim;
  sim.horizon_days = o.horizon_days;
  sim.steps_per_day = o.steps_per_day;
  const SimSpec spec(market, portfolio, sim);
  // Every scenario is read and applied to the market before any path runs: a bad file fails
  // fast and loses no work.
  std::vector<Scenario> scenarios;
  std::vector<AppliedScenario> applied;
  for (const std::string& arg : o.scenarios) {
    scenarios.push_back(load_scenario(resolve_scenario(arg)));
    for (std::size_t k = 0; k + 1 < scenarios.size(); ++k)
      if (scenarios[k].name == scenarios.back().name)
        throw InputError(scenarios.back().file, 0, "name",
                         "scenario '" + scenarios.back().name + "' is given twice (also " +
                             scenarios[k].file + ")");
    applied.push_back(apply_scenario(scenarios.back(), market, o.horizon_days));
  }
  std::vector<std::unique_ptr<SimSpec>> scenario_specs;
  for (const AppliedScenario& a : applied)
    scenario_specs.push_back(std::make_unique<SimSpec>(market, portfolio, sim, a));

  // Backend selection (host/cli/backend_plan.hpp): throws GpuUnavailable for gpu/both.
  BackendPlan backend(o.backend, o.threads, spec.n_assets(), settings);
  if (!backend.notice().empty() && !o.quiet) std::cerr << backend.notice() << "\n";

  // Create the output folder before the run, so a bad --out fails fast and loses no work.
  if (!o.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
    if (ec || !std::filesystem::is_directory(o.out_dir))
      throw InputError("", 0, "--out", "cannot create folder '" + o.out_dir + "'");
    const std::filesystem::path dir(o.out_dir);
    for (const char* name : {"report.json", "report.md"})
      if (std::filesystem::is_directory(dir / name))
        throw InputError("", 0, "--out", (dir / name).string() + " is a folder");
    try {  // a folder we cannot write into fails now, not after the run
      write_file_atomically((dir / ".chipshock-write-probe").string(), "");
      std::filesystem::remove(dir / ".chipshock-write-probe", ec);
    } catch (const std::exception&) {
      throw InputError("", 0, "--out", "cannot write into folder '" + o.out_dir + "'");
    }
  }

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
  report.backend = backend.label();
  report.gpu_name = backend.gpu_name();
  report.threads = backend.threads();
  report.confidences = settings.confidences;

  Progress progress(!o.quiet);
  const auto start = std::chrono::steady_clock::now();
  report.scenarios.push_back(backend.simulate(
      "baseline", spec, settings,
      [&](std::uint64_t done, std::uint64_t total) { progress.update("baseline", done, total); }));
  for (std::size_t k = 0; k < scenarios.size(); ++k) {
    const Scenario& sc = scenarios[k];
    ScenarioResult res = backend.simulate(
        sc.name, *scenario_specs[k], settings,
        [&](std::uint64_t done, std::uint64_t total) { progress.update(sc.name, done, total); });
    res.description = sc.description;
    res.source = sc.source;
    res.file = sc.file;
    res.calibration_date = sc.calibration_date;
    res.skipped_tickers = applied[k].skipped_tickers;
    res.notes = applied[k].notes;
    report.scenarios.push_back(std::move(res));
  }
  progress.clear();
  report.comparisons = backend.comparisons();
  report.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const std::string json = report_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (!o.out_dir.empty()) {
    const std::filesystem::path dir(o.out_dir);
    write_file_atomically((dir / "report.json").string(), json);
    write_file_atomically((dir / "report.md").string(), report_markdown(report));
  }
  if (o.json) {
    std::cout << json;
  } else if (!o.quiet) {
    std::cout << report_summary(report);
    if (!o.out_dir.empty())
      std::cout << "wrote " << (std::filesystem::path(o.out_dir) / "report.json").string()
                << " and report.md\n";
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace chipshock
