#include "host/app/run_job.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "host/analytics/importance_sampling.hpp"
#include "host/analytics/path_risk.hpp"
#include "host/app/monte_carlo_runs.hpp"
#include "host/app/what_if.hpp"
#include "host/component_risk.hpp"
#include "host/input_error.hpp"
#include "host/parallel/mpi_world.hpp"
#include "host/report/format.hpp"
#include "host/report/report_files.hpp"
#include "host/run_phases.hpp"
#include "host/value_fan.hpp"

#ifndef CHIPSHOCK_VERSION
#define CHIPSHOCK_VERSION "unknown"
#endif

namespace chipshock {

namespace {

// One line on how an importance-sampling run drew its paths (also in report.json's sampling).
std::string importance_note(const ScenarioResult& r) {
  const ImportanceInfo& is = r.importance;
  char text[768];
  std::snprintf(
      text, sizeof text,
      "importance sampling aimed at %s: normals shifted %.2f sd along the book's "
      "first-order loss direction (delta-linear loss sd %s)%s, a quarter of the paths "
      "unshifted (defensive mixture); %llu paths at or beyond that VaR, worth %.0f "
      "plain ones (effective sample size); shift chosen from %d pilot candidates, the best "
      "checked on plain paths (%llu paths, not part of the run; estimated variance %.2g times "
      "plain sampling's for the tail probability, %.2g for the tail loss)",
      confidence_key(is.target_confidence).c_str(), is.shift_sd, format_money(is.linear_sd).c_str(),
      is.chi2_scale < 1
          ? (", chi-square mixing scaled by " + std::to_string(is.chi2_scale).substr(0, 4)).c_str()
          : "",
      static_cast<unsigned long long>(is.tail_paths), is.ess_tail, is.candidates,
      static_cast<unsigned long long>(is.pilot_paths), is.pilot_ratio_tail, is.pilot_ratio_loss);
  return text;
}

// 0.975 -> "97.5%"
std::string percent_text(double c) {
  char text[32];
  std::snprintf(text, sizeof text, "%g%%", c * 100);
  return text;
}

// One line on an importance-sampling request that ran plain (also in report.json's sampling).
std::string fallback_note(const ImportanceInfo& is) {
  char text[512];
  std::snprintf(text, sizeof text,
                "importance sampling aimed at %s fell back to plain Monte Carlo: the best of its "
                "%d pilot shifts (%llu paths) was estimated at %.3g times plain sampling's "
                "variance for the tail probability and %.3g times for the tail loss, not below "
                "%.2g for both",
                confidence_key(is.target_confidence).c_str(), is.candidates,
                static_cast<unsigned long long>(is.pilot_paths), is.pilot_ratio_tail,
                is.pilot_ratio_loss, kImportanceWinRatio);
  return text;
}

}  // namespace

RunReport execute_run(const RunOptions& o, const MpiWorld& world, PreparedRun& p, bool fan,
                      const RunFeedback& feedback) {
  RunSettings& settings = p.settings;
  const Market& market = p.market;
  const Portfolio& portfolio = p.portfolio;
  const SimSpec& spec = *p.spec;
  const std::vector<Scenario>& scenarios = p.scenarios;
  BackendPlan& backend = *p.backend;
  if (!p.checkpoint_file.empty() && !p.resuming)
    write_checkpoint(p.checkpoint_file, p.checkpoint);  // settings and inputs, no runs yet

  RunReport report;
  report.version = CHIPSHOCK_VERSION;
  report.market_file = o.market;
  report.portfolio_file = o.more_portfolios.empty() ? o.portfolio : portfolio.file;
  report.portfolio_name = portfolio.name;
  report.currency = market.currency;
  report.portfolio_value = spec.value0();
  report.paths = settings.paths;
  report.seed = settings.seed;
  report.horizon_days = o.horizon_days;
  report.steps_per_day = o.steps_per_day;
  report.n_assets = spec.n_assets();
  report.dof = market.dof;
  report.correlation_repair = market.repair;
  report.antithetic = o.antithetic;
  report.rng = rng_name(o.rng);
  report.as_of = market.as_of;
  report.parametric = parametric_risk(market, spec, settings.confidences);
  report.backend = backend.label();
  report.gpu_name = backend.gpu_name();
  report.threads = backend.threads();
  // Every rank's GPU, gathered on rank 0 (collective), for the reports.
  report.ranks = world.size();
  std::string gpus = backend.gpu_name().empty()
                         ? std::string()
                         : (world.size() > 1 ? "rank " + std::to_string(world.rank()) + ": " : "") +
                               backend.gpu_name() + "\n";
  if (world.size() > 1)
    gpus = world.reduce_to_root(gpus, [](std::string mine, const std::string& theirs) {
      return mine + theirs;
    });
  for (std::size_t at = 0, end; (end = gpus.find('\n', at)) != std::string::npos; at = end + 1)
    report.gpus.push_back(gpus.substr(at, end - at));
  std::sort(report.gpus.begin(), report.gpus.end());
  report.cpu_isa = cpu_isa_name(backend.cpu().isa());
  report.confidences = settings.confidences;
  report.target_rel_error = settings.target_rel_error;
  report.max_paths = settings.target_rel_error > 0 ? settings.max_paths : 0;

  // The Monte Carlo runs: on every rank its share, merged on rank 0 (monte_carlo_runs.hpp).
  const auto update = [&](const std::string& what, std::uint64_t done, std::uint64_t total,
                          const char* unit) {
    if (feedback.progress && world.is_root()) feedback.progress(what, done, total, unit);
  };
  MonteCarloRuns runs(backend, world, p.checkpoint_file, p.checkpoint);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> names{"baseline"};
  for (const Scenario& sc : scenarios) names.push_back(sc.name);
  // Importance sampling (the CPU backend: prepare_run chose it): each model gets its own measure
  // (its own loss direction and pilot, the same on every rank), kept for the what-if runs.
  std::vector<ImportanceShift> shifts;
  // --stop-loss on the CPU backend in one process: each scenario's run gathers the path-risk
  // statistics of its first paths as it simulates them (path_risk.hpp), so they are not
  // simulated again afterwards (a resumed run's are, in path_dependent_risk).
  // Each tap is made just before its scenario's run and keeps the runs cut at each day only
  // while that run goes (they are O(horizon) specs each).
  std::vector<std::unique_ptr<PathRiskTap>> taps;
  // A book hierarchy: each run's observer revalues every book on its paths (books.hpp); after
  // the run its books are merged on rank 0 (collective) and reported.
  const auto books_tap_for = [&](const Market& m, const Portfolio& book,
                                 const AppliedScenario* scenario, PathObserver* inner) {
    return p.books.hierarchy() ? std::make_unique<BooksTap>(m, book, p.books, p.sim, scenario,
                                                            backend.cpu(), settings, inner)
                               : nullptr;
  };
  const auto report_books = [&](BooksTap* tap, const std::string& name, std::size_t index) {
    if (tap == nullptr) return;
    const PhaseScope phase(Phase::kComponents);
    tap->add_to(report.books, name, runs.paths_of(index), runs.team(), *backend.tail_lines());
  };
  // --backend both with a hierarchy: the run went through the GPU's source with its books (in
  // the device's pass); the same run on the CPU with its own books, then the whole book and
  // every book below the top compared (one process: both is refused under mpirun).
  const auto compare_books = [&](const std::string& name, const SimSpec& model, const Market& m,
                                 const Portfolio& book, const AppliedScenario* scenario,
                                 const ScenarioResult& gpu, const BooksTap& gpu_books) {
    BooksTap cpu_books(m, book, p.books, p.sim, scenario, backend.cpu(), settings, nullptr);
    if (model.importance_sampling()) cpu_books.weigh(model.importance_shift());
    const std::unique_ptr<PathSource> source =
        cpu_path_source(model, backend.cpu(), settings, &cpu_books);
    const ScenarioResult cpu =
        run_scenario(name, model, *source, settings, [&](std::uint64_t done, std::uint64_t total) {
          update(name + " (CPU, for the comparison)", done, total, "paths");
        });
    BooksReport unused;
    PathTeam alone;
    cpu_books.add_to(unused, name, cpu.paths, alone, source->tail_lines());
    backend.add_comparison({name, gpu, cpu, ""});
    for (std::size_t n = 1; n < p.books.nodes.size(); ++n) {
      ScenarioResult g = gpu_books.node_results().at(n), c = cpu_books.node_results().at(n);
      g.seconds = gpu.seconds;  // the books ran in their run's pass
      c.seconds = cpu.seconds;
      backend.add_comparison({name, std::move(g), std::move(c), p.books.nodes[n].name});
    }
  };
  const bool tapped = path_risk_in_run(o, p, world.size());
  // One Monte Carlo run of a model: under importance sampling its own pilot and measure (kept
  // in `shifts` for the what-if runs; a hierarchy's books weighed under it too), else plain,
  // with the tap and the baseline's loss sink.
  const auto simulate_model = [&](std::size_t index, const std::string& name, SimSpec& model,
                                  PathObserver* tap, BooksTap* books, const LossSink& sink) {
    const ProgressFn report_progress = [&](std::uint64_t done, std::uint64_t total) {
      update(name, done, total, "paths");
    };
    ScenarioResult res;
    if (o.importance_sampling) {
      update(name + " (importance-sampling pilot)", 0, 1, "paths");
      const double target =
          *std::max_element(settings.confidences.begin(), settings.confidences.end());
      const ImportanceInfo info =
          plan_importance_sampling(model, backend.cpu(), settings.seed, target);
      shifts.push_back(model.importance_shift());
      // The weighted paths through the same pipeline as any run (shared between MPI ranks,
      // checkpointed); every rank chose the same shift (the pilot is a function of the seed).
      if (feedback.baseline_losses)
        throw InputError("", 0, "keep_losses",
                         "losses drawn under importance sampling are not the model's: each "
                         "carries a likelihood ratio",
                         "run without importance sampling to keep the losses");
      if (books != nullptr && model.importance_sampling()) books->weigh(model.importance_shift());
      res = runs.run(index, name, model, settings, report_progress, books);
      if (world.is_root()) {
        attach_importance_info(res, info);
        res.notes.push_back(info.fell_back ? fallback_note(info) : importance_note(res));
      }
    } else {
      res = runs.run(index, name, model, settings, report_progress, tap, sink);
    }
    if (index == 0 && world.is_root()) {
      for (const std::string& n : p.market_notes) res.notes.push_back(n);
      if (model.book().n_expiring > 0) res.notes.push_back(expiry_note(model.book()));
      const std::string iv = implied_vol_note(model);
      if (!iv.empty()) res.notes.push_back(iv);
    }
    return res;
  };
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (tapped) {
      const double stop = std::strtod(o.stop_loss.c_str(), nullptr);  // validated above
      const std::uint64_t risk_paths =
          path_risk_paths(settings.paths, p.sim.horizon_days, p.sim.steps_per_day,
                          static_cast<int>(market.size()));
      taps.push_back(std::make_unique<PathRiskTap>(
          market, portfolio, p.sim, k == 0 ? nullptr : &scenarios[k - 1], risk_paths, stop));
    }
    const std::string& name = names[k];
    SimSpec& model = k == 0 ? *p.spec : *p.scenario_specs[k - 1];
    PathObserver* observer = k < taps.size() ? taps[k].get() : nullptr;
    const std::unique_ptr<BooksTap> books =
        books_tap_for(market, portfolio, k == 0 ? nullptr : &p.applied[k - 1], observer);
    if (books) observer = books.get();
    ScenarioResult res = simulate_model(k, name, model, observer, books.get(),
                                        k == 0 ? feedback.baseline_losses : LossSink{});
    if (k < taps.size()) taps[k]->release_days();
    report_books(books.get(), name, k);
    if (books && backend.both())
      compare_books(name, model, market, portfolio, k == 0 ? nullptr : &p.applied[k - 1], res,
                    *books);
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
    report.what_if = run_what_if(o.what_if, *p.what_if, market, portfolio, p.sim, p.applied, names,
                                 report.scenarios, runs, settings, update, shifts);
  }
  // --stressed: the book under the stressed market, after the what-if runs (which take the
  // indices names.size() .. 2 names.size() - 1), reported right after the baseline.
  if (p.stressed_spec) {
    const std::size_t index = names.size() * (p.what_if ? 2 : 1);
    // a hierarchy's books under the stressed market too (each its own stressed ES)
    const std::unique_ptr<BooksTap> books =
        books_tap_for(p.stressed_market, *p.stressed_portfolio, nullptr, nullptr);
    ScenarioResult res =
        simulate_model(index, kStressedName, *p.stressed_spec, books.get(), books.get(), {});
    report_books(books.get(), kStressedName, index);
    if (books && backend.both())
      compare_books(kStressedName, *p.stressed_spec, p.stressed_market, *p.stressed_portfolio,
                    nullptr, res, *books);
    if (world.is_root()) {
      const StressedWindow& w = p.stressed_market.stressed;
      res.stressed = w;
      res.stressed_spots_as_of = p.stressed_market.as_of;
      res.description =
          "The baseline model estimated over the stressed window " + w.first + " .. " + w.last +
          " (" + std::to_string(w.returns) + " daily returns: of the price history's windows, "
          "the one where the book '" + w.portfolio + "' had its largest 1-day historical ES at " +
          percent_text(w.confidence) + "), with the stressed market's spots" +
          (p.stressed_market.as_of.empty() ? "" : " as of " + p.stressed_market.as_of) + ".";
      res.source = "chipshock calibrate --stressed (FRTB's stressed period, BCBS MAR33.5-33.8)";
      res.file = o.stressed;
      if (p.stressed_market.as_of != market.as_of)
        res.notes.push_back("the stressed market's spots are as of " +
                            (p.stressed_market.as_of.empty() ? std::string("(not given)")
                                                             : p.stressed_market.as_of) +
                            ", the current market's as of " +
                            (market.as_of.empty() ? std::string("(not given)") : market.as_of));
      if (!w.portfolio.empty() && w.portfolio != portfolio.name)
        res.notes.push_back("the window was chosen for the book '" + w.portfolio +
                            "', not this one ('" + portfolio.name + "')");
      report.scenarios.insert(report.scenarios.begin() + 1, std::move(res));
    }
  }
  if (feedback.clear) feedback.clear();
  if (world.is_root()) {
    for (const std::vector<ScenarioResult>& per_book : p.history_books)
      add_history_to(report.books, p.books, per_book);
    for (ScenarioResult& h : p.history_results) report.scenarios.push_back(std::move(h));
    report.comparisons = backend.comparisons();
    if (!report.comparisons.empty())
      report.comparison = agreement_of(report.comparisons, report.gpu_name);
    report.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (world.size() > 1 && feedback.notice)
      feedback.notice(std::to_string(world.size()) +
                      " MPI ranks; tails and sums merged on rank 0 at " +
                      std::to_string(runs.team().merges()) +
                      " stops: " + std::to_string(runs.team().merge_bytes()) +
                      " bytes received in " + std::to_string(runs.team().merge_seconds()) + " s");

    // --- path-dependent risk (--stop-loss): daily values of the first paths, on the CPU ---
    if (!o.stop_loss.empty()) {
      const double stop = std::strtod(o.stop_loss.c_str(), nullptr);  // validated above
      std::vector<const PathRiskTap*> gathered;
      for (const auto& t : taps) gathered.push_back(t.get());
      report.path_risk = path_dependent_risk(market, portfolio, p.sim, scenarios, backend.day_values(),
                                             settings.seed, settings.paths, stop, gathered);
    }
    // --- the value fan chart (cheap, see value_fan.hpp; rank 0 only), for the reports ---
    if (fan)
      report.fan =
          compute_value_fan(market, portfolio, p.sim, scenarios, backend.day_values(), settings.seed,
                            settings.paths, [&](std::uint64_t done, std::uint64_t total) {
                              update("value fan chart", done, total, "horizons");
                            });
    if (feedback.clear) feedback.clear();
  }
  return report;
}

RunOutcome complete_reports(const RunOptions& o, RunReport report,
                            std::chrono::steady_clock::time_point command_start, bool summary) {
  RunOutcome out;
  std::vector<ReportFile> files;
  {
    const PhaseScope reporting(Phase::kReports);
    if (!o.out_dir.empty()) files = render_report_files(report);
    if (summary) out.summary = report_summary(report);
  }
  report.phases.measured = true;
  report.phases.seconds = phase_seconds();
  report.phases.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - command_start).count();
  out.json = report_json_text(report);
  if (!o.out_dir.empty()) out.written = write_report_files(o.out_dir, out.json, files);
  out.report = std::move(report);
  return out;
}

}  // namespace chipshock
