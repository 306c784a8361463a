#include "host/report/backend_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "host/report/format.hpp"
#include "host/report/markdown_escape.hpp"

namespace chipshock {

double relative_difference(double a, double b) {
  const double scale = std::max(std::fabs(a), std::fabs(b));
  return scale > 0 ? std::fabs(a - b) / scale : 0.0;
}

namespace {

double speedup(const BackendComparison& c) {
  return c.gpu.seconds > 0 ? c.cpu.seconds / c.gpu.seconds : 0.0;
}

double max_rel_diff(const BackendComparison& c) {
  double worst = 0;
  for (std::size_t k = 0; k < c.gpu.levels.size() && k < c.cpu.levels.size(); ++k)
    worst = std::max({worst, relative_difference(c.gpu.levels[k].var, c.cpu.levels[k].var),
                      relative_difference(c.gpu.levels[k].es, c.cpu.levels[k].es)});
  return worst;
}

std::string sci(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", x);
  return buf;
}

// A row's name: the scenario, and the book of a hierarchy's row.
std::string label(const BackendComparison& c) {
  return c.book.empty() ? c.scenario : c.scenario + " / " + c.book;
}

}  // namespace

BackendAgreement agreement_of(const std::vector<BackendComparison>& cs,
                              const std::string& gpu_name) {
  BackendAgreement a;
  a.gpu_name = gpu_name;
  for (const BackendComparison& c : cs) {
    if (c.book.empty()) {  // a book's rows share the run's pass and its seconds
      a.gpu_seconds += c.gpu.seconds;
      a.cpu_seconds += c.cpu.seconds;
    }
    a.max_relative_difference = std::max(a.max_relative_difference, max_rel_diff(c));
  }
  a.agreement = a.max_relative_difference <= 1e-4 ? "within Monte Carlo-free float rounding"
                                                  : "differences above float rounding: check";
  return a;
}

nlohmann::ordered_json comparison_json(const std::vector<BackendComparison>& cs) {
  using nlohmann::ordered_json;
  ordered_json out = ordered_json::array();
  for (const BackendComparison& c : cs) {
    ordered_json levels = ordered_json::object();
    for (std::size_t k = 0; k < c.gpu.levels.size() && k < c.cpu.levels.size(); ++k) {
      const LevelRisk& g = c.gpu.levels[k];
      const LevelRisk& p = c.cpu.levels[k];
      levels[confidence_key(g.confidence)] = {{"gpu_var", g.var},
                                              {"cpu_var", p.var},
                                              {"var_rel_diff", relative_difference(g.var, p.var)},
                                              {"gpu_es", g.es},
                                              {"cpu_es", p.es},
                                              {"es_rel_diff", relative_difference(g.es, p.es)}};
    }
    out.push_back({{"scenario", c.scenario},
                   {"book", c.book.empty() ? ordered_json(nullptr) : ordered_json(c.book)},
                   {"gpu_seconds", c.gpu.seconds},
                   {"cpu_seconds", c.cpu.seconds},
                   {"speedup", speedup(c)},
                   {"max_rel_diff", max_rel_diff(c)},
                   {"levels", levels}});
  }
  return out;
}

std::string comparison_markdown(const std::vector<BackendComparison>& cs) {
  if (cs.empty()) return "";
  std::ostringstream md;
  md << "\n## GPU and CPU on the same paths\n\n"
        "The same seed gives the same random numbers on both; the numbers differ by float "
        "rounding only (the GPU's fast sincos). Relative difference = |GPU - CPU| / max(|GPU|, "
        "|CPU|).\n\n"
        "| Scenario | Confidence | VaR GPU | VaR CPU | rel. diff | ES GPU | ES CPU | rel. diff "
        "|\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const BackendComparison& c : cs)
    for (std::size_t k = 0; k < c.gpu.levels.size() && k < c.cpu.levels.size(); ++k) {
      const LevelRisk& g = c.gpu.levels[k];
      const LevelRisk& p = c.cpu.levels[k];
      md << "| " << escape_markdown(label(c)) << " | " << g.confidence * 100 << "% | "
         << format_money(g.var) << " | " << format_money(p.var) << " | "
         << sci(relative_difference(g.var, p.var)) << " | " << format_money(g.es) << " | "
         << format_money(p.es) << " | " << sci(relative_difference(g.es, p.es)) << " |\n";
    }
  md << "\n| Scenario | GPU seconds | CPU seconds | Speedup |\n|---|---:|---:|---:|\n";
  for (const BackendComparison& c : cs) {
    if (!c.book.empty()) continue;  // the books ran in the run's pass
    char line[160];
    std::snprintf(line, sizeof line, "| %s | %.4f | %.4f | %.1fx |\n",
                  escape_markdown(c.scenario).c_str(), c.gpu.seconds, c.cpu.seconds, speedup(c));
    md << line;
  }
  return md.str();
}

std::string comparison_summary(const std::vector<BackendComparison>& cs) {
  if (cs.empty()) return "";
  std::ostringstream out;
  out << "\nGPU vs CPU (same paths):\n";
  double worst_book = -1;  // a hierarchy's books: one line for all of them
  for (const BackendComparison& c : cs) {
    if (!c.book.empty()) {
      worst_book = std::max(worst_book, max_rel_diff(c));
      continue;
    }
    char line[256];
    std::snprintf(line, sizeof line,
                  "  %-24s max rel. diff of VaR/ES %s, GPU %.3f s, CPU %.3f s, speedup %.1fx\n",
                  c.scenario.substr(0, 24).c_str(), sci(max_rel_diff(c)).c_str(), c.gpu.seconds,
                  c.cpu.seconds, speedup(c));
    out << line;
  }
  if (worst_book >= 0)
    out << "  every book of the hierarchy: max rel. diff of VaR/ES " << sci(worst_book) << "\n";
  return out.str();
}

}  // namespace chipshock
