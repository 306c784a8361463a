// chipshock command-line entry point: argument parsing and the mapping of errors to exit codes.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <exception>
#include <iostream>
#include <new>

#include "host/cli/run_command.hpp"
#include "host/input_error.hpp"
#include "host/scenario/scenario.hpp"
#include "host/scenario/scenario_library.hpp"

#ifndef CHIPSHOCK_VERSION
#define CHIPSHOCK_VERSION "unknown"
#endif

namespace {

const char* const kExitCodes =
    "Exit codes: 0 ok, 1 internal error, 2 bad input (file:line: field: message on stderr),\n"
    "            3 GPU backend asked for (--backend gpu|both) but not usable.";

const char* const kRunExample =
    "Example:\n"
    "  chipshock run --market scenarios/market/ai_chips.toml \\\n"
    "                --portfolio scenarios/portfolio/ai_book.toml \\\n"
    "                --paths 2M --horizon 10 --seed 7 --out report/";

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

}  // namespace

int main(int argc, char** argv) {
  using namespace chipshock;
  CLI::App app{"chipshock: Monte Carlo Value-at-Risk and expected shortfall for equity and "
               "option books, under stress scenarios."};
  app.set_version_flag("--version", std::string("chipshock ") + CHIPSHOCK_VERSION);
  app.footer(std::string(kRunExample) + "\n\n" + kExitCodes);
  app.require_subcommand(1);

  RunOptions o;
  CLI::App* run = app.add_subcommand("run", "Simulate the book and report VaR and ES");
  run->add_option("--market", o.market, "Market file (TOML): spots, vols, correlation")
      ->type_name("FILE");
  run->add_option("--portfolio", o.portfolio, "Portfolio file (TOML): cash and positions")
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
  run->add_option("--backend", o.backend,
                  "auto (the GPU when usable, else the CPU), cpu, gpu, or both (GPU and CPU on "
                  "the same paths, compared in the report)")
      ->type_name("NAME")
      ->capture_default_str();
  run->add_option("--threads", o.threads, "CPU threads (0 = all cores)")
      ->type_name("N")
      ->capture_default_str();
  run->add_option("--batch", o.batch, "Paths per batch (0 = automatic; no effect on results)")
      ->type_name("N");
  run->add_option("--out", o.out_dir, "Folder for report.json and report.md")->type_name("DIR");
  run->add_flag("--quiet", o.quiet, "No summary table, progress or notes");
  run->add_flag("--json", o.json, "Print report.json to stdout instead of the table");
  run->footer(std::string(kRunExample) + "\n\n" + kExitCodes);

  bool verbose = false;
  CLI::App* scen = app.add_subcommand(
      "scenarios", "List the built-in scenarios (name, definition, calibration source)");
  scen->add_flag("--verbose", verbose, "Full sources and file paths");
  scen->footer("Example:\n  chipshock scenarios\n  chipshock run --market scenarios/market/ai_chips.toml "
               "--portfolio scenarios/portfolio/ai_book.toml \\\n      --scenario "
               "cheaper_model_disruption --scenario my_shock.toml");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "chipshock: " << e.what() << "\nRun 'chipshock --help' or 'chipshock run "
                                              "--help' for the options.\n";
    return kExitBadInput;
  }

  try {
    if (run->parsed()) return run_command(o);
    if (scen->parsed()) return list_scenarios(verbose);
    return kExitBadInput;
  } catch (const InputError& e) {
    std::cerr << "chipshock: " << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
    return kExitBadInput;
  } catch (const GpuUnavailable& e) {
    std::cerr << "chipshock: " << e.what() << "\n";
    return kExitNoGpu;
  } catch (const std::bad_alloc&) {
    std::cerr << "chipshock: out of memory\nhint: use fewer --paths or a smaller --batch\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    std::cerr << "chipshock: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
