#include "host/app/run_plan.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <thread>

#include "host/analytics/importance_sampling.hpp"
#include "host/analytics/path_risk.hpp"
#include "host/app/arg_parsing.hpp"
#include "host/calibration/correlation_repair.hpp"
#include "host/config/iv_quotes.hpp"
#include "host/files/durable_file.hpp"
#include "host/files/free_space.hpp"
#include "host/history/historical_risk.hpp"
#include "host/input_error.hpp"
#include "host/parallel/mpi_world.hpp"
#include "host/report/format.hpp"
#include "host/report/report_files.hpp"
#include "host/scenario/scenario_library.hpp"

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
    throw InputError(
        "", 0, "--steps-per-day",
        "horizon x steps per day exceeds " + std::to_string(kMaxTotalSteps) + " steps per path");
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
}

}  // namespace

void check_option_rules(const RunOptions& o, int world_size) {
  if (o.rng == RngKind::kSobol && o.antithetic)
    throw InputError("", 0, "--antithetic", "not with --rng sobol",
                     "quasi-random points are already balanced: drop --antithetic, or use "
                     "--rng philox");
  if (o.backend == BackendChoice::kBoth && (world_size > 1 || !o.checkpoint.empty()))
    throw InputError("", 0, "--backend",
                     "both runs whole scenarios in one process: not with mpirun or --checkpoint",
                     "use --backend gpu or cpu");
  if (o.target_rel_error == 0 && !o.target_rel_error_given && o.max_paths != "0")
    throw InputError("", 0, "--max-paths", "only applies with --target-rel-error");
  if (o.resume && o.checkpoint.empty())
    throw InputError("", 0, "--resume", "needs --checkpoint FILE (the file to resume from)");
}

namespace {

// The checkpoint is deleted when the run ends and saved over after every batch: it must not be
// one of the run's inputs or report files (the same file under any name: compared by their
// canonical paths).
void check_checkpoint_clashes(const RunOptions& o, const PreparedRun& p) {
  namespace fs = std::filesystem;
  const auto same = [](const std::string& a, const std::string& b) {
    std::error_code ea, eb;
    const fs::path ca = fs::weakly_canonical(a, ea), cb = fs::weakly_canonical(b, eb);
    return !ea && !eb && ca == cb;
  };
  std::vector<std::pair<std::string, std::string>> others = {{"--market", o.market},
                                                             {"--portfolio", o.portfolio}};
  for (const Scenario& sc : p.scenarios) others.push_back({"--scenario", sc.file});
  if (!o.what_if.empty()) others.push_back({"--what-if", o.what_if});
  if (!o.out_dir.empty())
    for (const std::string& name : report_file_names())
      others.push_back({"--out", (fs::path(o.out_dir) / name).string()});
  for (const auto& [option, file] : others)
    if (!file.empty() && same(p.checkpoint_file, file))
      throw InputError(p.checkpoint_file, 0, "--checkpoint",
                       "is also the " + option + " file " + file +
                           ": the checkpoint is saved over and deleted at the end",
                       "give the checkpoint a path of its own");
}

// --checkpoint/--resume: the settings and inputs the checkpoint must match, and, when resuming,
// the saved progress, refused (InputError, exit 2) when anything differs.
void prepare_checkpoint(const RunOptions& o, const MpiWorld& world, PreparedRun& p) {
  if (o.checkpoint.empty()) return;
  if (!o.texts.empty())  // a resume checks its inputs' files against the checkpoint's
    throw InputError("", 0, "--checkpoint", "needs every input as a file, not as text");
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
                {"importance_sampling", o.importance_sampling},
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
  c.settings["stressed"] = o.stressed;
  c.settings["iv_file"] = o.iv_file;
  c.inputs = nlohmann::json::array({input_fingerprint(o.market), input_fingerprint(o.portfolio)});
  for (const Scenario& sc : p.scenarios) c.inputs.push_back(input_fingerprint(sc.file));
  if (!o.what_if.empty()) c.inputs.push_back(input_fingerprint(o.what_if));
  if (!o.stressed.empty()) c.inputs.push_back(input_fingerprint(o.stressed));
  if (!o.iv_file.empty()) c.inputs.push_back(input_fingerprint(o.iv_file));
  c.rank = world.rank();
  c.ranks = world.size();
  p.checkpoint_file = checkpoint_path(o.checkpoint, world.rank(), world.size());
  if (const std::string kind = not_a_file_target(p.checkpoint_file); !kind.empty())
    throw InputError(p.checkpoint_file, 0, "--checkpoint", "is " + kind + ", not a regular file",
                     "give the path of a file (it is created, saved over and deleted at the end)");
  check_checkpoint_clashes(o, p);
  const bool exists = std::filesystem::exists(p.checkpoint_file);
  p.resuming = o.resume;
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

}  // namespace

void prepare_run(const RunOptions& o, const MpiWorld& world, PreparedRun& p) {
  validate(o);
  check_option_rules(o, world.size());
  RunSettings& settings = p.settings;
  settings.paths = parse_paths(o.paths);
  settings.seed = parse_unsigned(o.seed, "--seed");
  settings.confidences = parse_confidences(o.confidence);
  if (const std::uint64_t batch = parse_unsigned(o.batch, "--batch"); batch > 0) {
    settings.batch_paths = std::min<std::uint64_t>(batch, std::uint64_t{1} << 26);
    settings.gpu_batch_paths = settings.batch_paths;
  }
  settings.components = !o.no_components;
  if (o.target_rel_error != 0 || o.target_rel_error_given) {
    if (!(o.target_rel_error > 0 && o.target_rel_error < 1))
      throw InputError("", 0, "--target-rel-error", "must be in (0, 1), e.g. 0.01 for 1%");
    settings.target_rel_error = o.target_rel_error;
    settings.max_paths =
        parse_paths(o.max_paths == "0" ? std::to_string(64 * settings.paths) : o.max_paths);
    if (settings.max_paths < settings.paths)
      throw InputError("", 0, "--max-paths",
                       "must be at least --paths (" + std::to_string(settings.paths) + ")");
    if (tail_mass(settings.paths, settings.target_confidence) < 10.0)
      throw InputError("", 0, "--paths",
                       "too few paths to start --target-rel-error: at least 400 are needed",
                       "start from more paths, e.g. --paths 100k");
  }
  for (double c : settings.confidences)
    if (tail_mass(settings.paths, c) < 1.0)
      throw InputError("", 0, "--paths",
                       std::to_string(settings.paths) + " paths leave no loss beyond the " +
                           confidence_key(c) + " quantile",
                       "use at least " +
                           std::to_string(static_cast<long long>(std::ceil(1.0 / (1.0 - c)))) +
                           " paths (many more for a stable estimate), or a lower --confidence");
  // Path i is Sobol' point i of cuRAND's 32-bit generator, which has 2^32 of them.
  if (o.rng == RngKind::kSobol && settings.path_bound() > (std::uint64_t{1} << 32))
    throw InputError("", 0, settings.target_rel_error > 0 ? "--max-paths" : "--paths",
                     "--rng sobol has 2^32 points (4294967296 paths)",
                     "use fewer paths, or --rng philox");
  // The tail (with path indices) of the most paths the run may reach; under importance
  // sampling every path's loss, weight and index: twice (the run and its image), plus, with a
  // checkpoint, the saved image of every Monte Carlo run of the command (kept and rewritten
  // after each batch), plus, under mpirun, rank 0's merge of the ranks' images.
  const std::uint64_t monte_carlo_runs =
      (1 + o.scenarios.size()) * (o.what_if.empty() ? 1 : 2);
  const std::uint64_t weighted_copies =
      2 + (o.checkpoint.empty() ? 0 : 2 * monte_carlo_runs) + (world.size() > 1 ? 2 : 0);
  const std::uint64_t tail_bytes =
      o.importance_sampling
          ? settings.path_bound() * kImportanceBytesPerPath * weighted_copies
          : tail_memory_bytes(settings.path_bound(), settings.tail_levels()) * 2;
  const std::uint64_t memory = physical_memory_bytes();
  if (memory > 0 && tail_bytes > memory / 2)
    throw InputError(
        "", 0, settings.target_rel_error > 0 ? "--max-paths" : "--paths",
        "keeping the loss tail of " + std::to_string(settings.path_bound()) + " paths needs " +
            std::to_string(tail_bytes >> 20) + " MiB, more than half of this machine's memory",
        o.importance_sampling
            ? std::string("importance sampling keeps 24 bytes per path") +
                  (o.checkpoint.empty() ? "" : ", and its checkpoint every run's paths") +
                  " and needs far fewer paths than a plain run for the same deep-tail accuracy: "
                  "use fewer"
            : "use fewer paths or higher confidence levels");
  if (o.scenarios.size() > kMaxScenarios)
    throw InputError("", 0, "--scenario",
                     "more than " + std::to_string(kMaxScenarios) + " scenarios in one run");

  // An input given as text (RunOptions::texts) or a file.
  const auto text_of = [&](const std::string& arg) -> const std::string* {
    const auto it = o.texts.find(arg);
    return it == o.texts.end() ? nullptr : &it->second;
  };
  const auto portfolio_of = [&](const std::string& arg, const Market& m) {
    const std::string* text = text_of(arg);
    return text != nullptr ? load_portfolio_text(*text, arg, m) : load_portfolio(arg, m);
  };
  const std::string* market_text = text_of(o.market);
  const bool as_given = o.repair_correlation.empty();  // else repaired when not PD
  p.market = market_text != nullptr ? load_market_text(*market_text, o.market, as_given)
                                    : load_market(o.market, as_given);
  if (!as_given) repair_market_correlation(p.market, o.repair_correlation);
  if (!o.iv_file.empty())
    for (const IvFit& f : apply_iv_file(o.iv_file, p.market))
      p.market_notes.push_back(iv_fit_note(f, o.iv_file));
  // The book: one --portfolio file, or several combined under one top.
  const auto book_of = [&](const Market& m) {
    if (o.more_portfolios.empty()) return portfolio_of(o.portfolio, m);
    std::vector<Portfolio> parts{portfolio_of(o.portfolio, m)};
    std::string files = o.portfolio;
    for (const std::string& f : o.more_portfolios) {
      parts.push_back(portfolio_of(f, m));
      files += ", " + f;
    }
    Portfolio all = combine_portfolios(parts, kAllBooksName);
    all.file = files;
    return all;
  };
  // With [[books]], the run's book is the top's: every position, every book's cash.
  Portfolio raw = book_of(p.market);
  p.books = book_tree(raw);
  p.portfolio = p.books.hierarchy() ? p.books.portfolio_of(raw, 0) : std::move(raw);
  if (p.books.hierarchy()) {
    // Each book's losses of a batch are held until the run folds them (the histogram pilot's
    // as one block): batches of at most 32 MiB of book losses (results do not depend on it).
    const std::uint64_t nodes = p.books.nodes.size();
    settings.batch_paths = std::max<std::uint64_t>(
        1024, std::min<std::uint64_t>(settings.batch_paths, (std::uint64_t{1} << 22) / nodes));
    // each book keeps its own loss tail, beside the run's (under importance sampling every
    // path's loss, weight and index, as the run does), and the pilot's and a batch's losses;
    // --backend both keeps the GPU's books while the CPU's comparison run keeps its own
    const std::uint64_t per_book =
        o.importance_sampling ? settings.path_bound() * kImportanceBytesPerPath * weighted_copies
                              : tail_memory_bytes(settings.path_bound(), settings.tail_levels());
    const std::uint64_t sets = o.backend == BackendChoice::kBoth ? 2 : 1;
    const std::uint64_t book_bytes =
        sets * (per_book * (nodes + 1) +
                8 * nodes * (histogram_pilot_paths(settings.paths) + settings.batch_paths));
    if (memory > 0 && book_bytes > memory / 2)
      throw InputError("", 0, settings.target_rel_error > 0 ? "--max-paths" : "--paths",
                       "keeping the loss tails of " + std::to_string(p.books.nodes.size()) +
                           " books over " + std::to_string(settings.path_bound()) + " paths needs " +
                           std::to_string(book_bytes >> 20) +
                           " MiB, more than half of this machine's memory",
                       "use fewer paths, fewer books or higher confidence levels");
  }
  const Market& market = p.market;
  const Portfolio& portfolio = p.portfolio;
  if (!o.what_if.empty()) p.what_if = portfolio_of(o.what_if, market);
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
    const std::string* text = text_of(arg);
    scenarios.push_back(text != nullptr ? load_scenario_text(*text, arg)
                                        : load_scenario(resolve_scenario(arg)));
    for (std::size_t k = 0; k + 1 < scenarios.size(); ++k)
      if (scenarios[k].name == scenarios.back().name)
        throw InputError(scenarios.back().file, 0, "name",
                         "scenario '" + scenarios.back().name + "' is given twice (also " +
                             scenarios[k].file + ")");
    applied.push_back(apply_scenario(scenarios.back(), market, o.horizon_days));
  }
  for (const AppliedScenario& a : applied)
    p.scenario_specs.push_back(std::make_unique<SimSpec>(market, portfolio, sim, a));
  if (!o.stressed.empty()) {
    const std::string* text = text_of(o.stressed);
    p.stressed_market = text != nullptr ? load_market_text(*text, o.stressed, as_given)
                                        : load_market(o.stressed, as_given);
    if (!as_given) repair_market_correlation(p.stressed_market, o.repair_correlation);
    if (p.stressed_market.stressed.first.empty())
      throw InputError(o.stressed, 0, "stressed",
                       "not a stressed market: the file has no [stressed] table naming its window",
                       "write one with chipshock calibrate --prices DIR --stressed --portfolio "
                       "BOOK --out stressed.toml");
    for (const Scenario& sc : scenarios)
      if (sc.name == kStressedName)
        throw InputError(sc.file, 0, "name",
                         "scenario name '" + sc.name + "' is the --stressed entry's",
                         "rename the scenario");
    Portfolio stressed = book_of(p.stressed_market);
    p.stressed_portfolio =
        p.books.hierarchy() ? p.books.portfolio_of(stressed, 0) : std::move(stressed);
    p.stressed_spec = std::make_unique<SimSpec>(p.stressed_market, *p.stressed_portfolio, sim);
  }
  // Replays and historical simulation are cheap and deterministic: computed before the Monte
  // Carlo run, so bad dates or missing history fail fast; by rank 0, which reports them.
  std::vector<ReplayRequest> replays;
  for (const std::string& d : o.replays) replays.push_back(parse_replay(d, false));
  for (const std::string& w : o.replay_windows) replays.push_back(parse_replay(w, true));
  // A day or window given twice is refused, as a scenario given twice is (one rule for every
  // repeatable option: each value once).
  for (std::size_t i = 0; i < replays.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (replays[i].from == replays[j].from && replays[i].to == replays[j].to)
        throw InputError("", 0, i < o.replays.size() ? "--replay" : "--replay-window",
                         "'" + replays[i].label() + "' is given twice",
                         "each --scenario, --replay and --replay-window value counts once: give "
                         "it once");
  const std::string prices = o.prices.empty() ? default_prices_dir() : o.prices;
  if (world.is_root()) {
    // A book's historical simulation (--method historical), then its replays.
    const auto history_of = [&](const Portfolio& book) {
      std::vector<ScenarioResult> out;
      if (o.method == RunMethod::kHistorical) {
        HistoricalSettings hs;
        hs.window = o.window;
        hs.horizon_days = o.horizon_days;
        out.push_back(historical_scenario(hs, market, book, prices, settings.confidences));
      }
      for (const ReplayRequest& r : replays)
        out.push_back(replay_scenario(r, market, book, prices, settings.confidences));
      return out;
    };
    p.history_results = history_of(portfolio);
    // a hierarchy: each book's own (the top's is the run's), [entry][book]
    if (p.books.hierarchy()) {
      for (const ScenarioResult& top : p.history_results) p.history_books.push_back({top});
      for (std::size_t n = 1; n < p.books.nodes.size(); ++n) {
        std::vector<ScenarioResult> own =
            history_of(p.books.portfolio_of(portfolio, static_cast<int>(n)));
        for (std::size_t h = 0; h < own.size(); ++h)
          p.history_books[h].push_back(std::move(own[h]));
      }
    }
  }

  // Backend selection (host/app/backend_plan.hpp): throws GpuUnavailable for gpu/both.
  // MPI: one GPU per rank (its rank on the node modulo the node's GPUs), or an equal share of
  // the node's cores.
  int threads = o.threads;
  if (threads == 0 && world.local_size() > 1)
    threads =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / world.local_size());
  try {
    p.backend = std::make_unique<BackendPlan>(o.backend, threads, spec.n_assets(), settings,
                                              gpu_for_local_rank(world.local_rank()), o.cpu_isa);
  } catch (const std::invalid_argument& e) {  // a --cpu-isa this CPU cannot run
    throw InputError("", 0, "--cpu-isa", e.what(), "use --cpu-isa auto (the best this CPU runs)");
  }
  if (!p.backend->notice().empty()) p.notices.push_back(p.backend->notice());
  // Create the output folder before the run, so a bad --out fails fast and loses no work.
  if (!o.out_dir.empty() && world.is_root()) prepare_set_folder(o.out_dir, report_file_names(), "--out");

  prepare_checkpoint(o, world, p);
  // Room for what the run writes, before any path runs (a full disk or a small `ulimit -f` is
  // a refusal now, not an error after the work): the reports on rank 0, each rank's checkpoint.
  const OutputSizes sizes = estimate_output_sizes(o, p, world.size());
  std::vector<SpaceNeed> needs;
  if (!o.out_dir.empty() && world.is_root())
    needs.push_back({o.out_dir, sizes.report_set, sizes.largest_report, "--out", "the reports"});
  if (o.json && world.is_root())
    needs.push_back({"", sizes.report_json, sizes.report_json, "--json", "report.json"});
  if (!p.checkpoint_file.empty()) {
    const std::filesystem::path folder = std::filesystem::path(p.checkpoint_file).parent_path();
    needs.push_back({folder.empty() ? "." : folder.string(),
                     sizes.checkpoint * (p.resuming ? 1 : 2), sizes.checkpoint, "--checkpoint",
                     "the checkpoint and its temporary copy"});
  }
  check_space(needs);
}

OutputSizes estimate_output_sizes(const RunOptions& o, const PreparedRun& p, int ranks) {
  // Bounds from the reports' shape, about twice the sizes measured on sample runs (one to seven
  // scenarios, 10 to 300 positions, 1 to 252 days; tests/hostile/test_space.cpp checks that
  // they bound real runs): a base, and per result (baseline, each scenario, each replay or
  // historical result) its table rows, per-position components and, with --stop-loss, daily
  // values.
  const std::uint64_t positions = p.portfolio.positions.size();
  const std::uint64_t results = 1 + p.scenarios.size() + p.history_results.size();
  const RunSettings& s = p.settings;
  std::uint64_t steps = 1;  // rows of a --target-rel-error convergence table
  if (s.target_rel_error > 0)
    for (std::uint64_t n = s.paths; n < s.max_paths; n *= 2) ++steps;
  const std::uint64_t per_result =
      (24 << 10) + (2 << 10) * s.confidences.size() + (3 << 10) * positions + 512 * steps +
      (p.books.hierarchy() ? (3 << 10) * s.confidences.size() * p.books.nodes.size() : 0) +
      (o.stop_loss.empty() ? 0 : 160 * static_cast<std::uint64_t>(o.horizon_days));
  const std::uint64_t base = (48 << 10) + (1 << 10) * positions +  // + greeks, parametric
                             (o.what_if.empty() ? 0 : (8 << 10) + 1024 * positions);
  OutputSizes sizes;
  const std::uint64_t rendered = 2 * (base + results * per_result);  // report.json, .md, .html
  sizes.report_json = rendered * 6 / 10;
  // The tables read from report.json: report_values.csv repeats each number with its JSON
  // pointer (1.2 to 1.3 times report.json on the sample runs), the others hold a share of its
  // numbers (well under half).
  sizes.report_set = rendered + 2 * sizes.report_json;
  sizes.largest_report = sizes.report_json * 3 / 2;
  // A checkpoint holds every Monte Carlo run's image: its tail (loss and path index), under
  // importance sampling every path's loss, weight and index, the histogram and a header; with a
  // book hierarchy the same for every book of the runs that have books (not the what-if runs).
  const std::uint64_t runs = (1 + p.scenarios.size()) * (o.what_if.empty() ? 1 : 2);
  const std::uint64_t paths = s.path_bound();
  const std::uint64_t accumulator =
      (16 << 10) + 16 * tail_size_needed(paths, s.confidences) +
      (o.importance_sampling ? kImportanceBytesPerPath * (paths / std::max(ranks, 1) + 1) : 0);
  const std::uint64_t image = accumulator + 8 * static_cast<std::uint64_t>(s.histogram_bins);
  const std::uint64_t booked_runs = (1 + p.scenarios.size() + (o.stressed.empty() ? 0 : 1)) *
                                    (p.books.hierarchy() ? p.books.nodes.size() : 0);
  sizes.checkpoint = (runs + (o.stressed.empty() ? 0 : 1)) * image + booked_runs * accumulator;
  return sizes;
}

// Under mpirun with --resume: rank 0's progress is the reference; every rank brings its own in
// line with it (run_checkpoint.hpp: reconcile_with_root). Collective.
void reconcile_checkpoints(const MpiWorld& world, PreparedRun& p) {
  std::string stages = world.is_root() ? root_stages(p.checkpoint).dump() : std::string();
  world.broadcast(stages);
  if (!world.is_root())
    reconcile_with_root(p.checkpoint, nlohmann::json::parse(stages), p.checkpoint_file);
}

namespace {

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

}  // namespace

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
      static_cast<double>(importance ? settings.paths * kImportanceBytesPerPath
                                     : tail_memory_bytes(settings.paths, settings.tail_levels())) /
          (1 << 20),
      duration_text(e.seconds).c_str(), static_cast<unsigned long long>(pilot.paths),
      per_path > 0 ? 1.0 / per_path : 0.0);
  e.text = buf;
  return e;
}

bool path_risk_in_run(const RunOptions& o, const PreparedRun& p, int ranks) {
  return !o.stop_loss.empty() && !p.backend->on_gpu() && ranks == 1 && !o.importance_sampling;
}

RunEstimate estimate_prepared_run(const RunOptions& o, PreparedRun& p, int ranks) {
  const std::size_t runs = (1 + p.scenarios.size()) * (o.what_if.empty() ? 1 : 2);
  RunEstimate e = estimate_run(*p.backend, *p.spec, p.settings, runs, o.importance_sampling);
  if (p.books.hierarchy()) {
    // A pilot of the books' pass (the paths simulated once, every book revalued and folded),
    // less the plain run's share of it that the estimate holds already.
    const std::uint64_t pilot = std::min<std::uint64_t>(p.settings.paths, 1u << 13);
    BooksTap tap(p.market, p.portfolio, p.books, p.sim, nullptr, p.backend->cpu(), p.settings,
                 nullptr);
    std::vector<double> losses(pilot);
    const auto start = std::chrono::steady_clock::now();
    tap.simulate(*p.spec, p.backend->cpu(), p.settings.seed, 0, pilot, losses.data());
    tap.folded(0, pilot);
    const double per_path =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
        static_cast<double>(pilot);
    const double plain_per_path = e.seconds / static_cast<double>(p.settings.paths * runs);
    const double seconds = std::max(0.0, per_path - plain_per_path) *
                           static_cast<double>(p.settings.paths * (1 + p.scenarios.size()));
    e.seconds += seconds;
    e.text += "; " + std::to_string(p.books.nodes.size()) +
              " books revalued on the same paths, about " + duration_text(seconds) + " more";
  }
  if (o.stop_loss.empty()) return e;
  const double stop = std::strtod(o.stop_loss.c_str(), nullptr);  // validated in the plan
  const SimSpec& spec = *p.spec;
  const std::uint64_t pilot =
      path_risk_paths(kMinPathRiskPaths, spec.horizon_days(), spec.steps_per_day(), spec.n_assets());
  const std::uint64_t paths = path_risk_paths(p.settings.paths, spec.horizon_days(),
                                              spec.steps_per_day(), spec.n_assets());
  const auto start = std::chrono::steady_clock::now();
  path_dependent_risk(p.market, p.portfolio, p.sim, p.scenarios, p.backend->day_values(),
                      p.settings.seed, kMinPathRiskPaths, stop);
  const double pilot_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double seconds = pilot_s * static_cast<double>(paths) / static_cast<double>(pilot);
  // Gathered by the scenarios' own runs (run_job's PathRiskTap), the plain simulation of those
  // paths is already in the estimate: only the rest is extra.
  if (path_risk_in_run(o, p, ranks)) {
    const double plain_per_path = e.seconds / static_cast<double>(p.settings.paths * runs);
    seconds -= plain_per_path * static_cast<double>(paths * (1 + p.scenarios.size()));
    seconds = std::max(0.0, seconds);
  }
  e.seconds += seconds;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "; --stop-loss: daily values of %llu paths x %zu scenario(s) over %d days, about "
                "%s more (a pilot of %llu paths)",
                static_cast<unsigned long long>(paths), 1 + p.scenarios.size(), spec.horizon_days(),
                duration_text(seconds).c_str(), static_cast<unsigned long long>(pilot));
  e.text += buf;
  return e;
}

double run_work(const PreparedRun& p) {
  return static_cast<double>(p.settings.paths) * p.spec->n_assets() * p.spec->total_steps() *
         static_cast<double>(1 + p.scenarios.size());
}

}  // namespace chipshock
