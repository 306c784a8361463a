#include "host/cli/reverse_command.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "host/analytics/reverse_stress.hpp"
#include "host/app/arg_parsing.hpp"
#include "host/cli/run_command.hpp"
#include "host/files/free_space.hpp"
#include "host/input_error.hpp"
#include "host/report/format.hpp"

namespace chipshock {

int reverse_command(const ReverseOptions& o) {
  if (o.market.empty()) throw InputError("", 0, "--market", "required");
  if (o.portfolio.empty()) throw InputError("", 0, "--portfolio", "required");
  if (o.factor.empty()) throw InputError("", 0, "--factor", "required", "e.g. --factor ai_capex");
  if (o.target_loss.empty())
    throw InputError("", 0, "--target-loss", "required", "a loss in the book's currency, e.g. 2e6");
  if (o.horizon_days < 1 || o.horizon_days > 252)
    throw InputError("", 0, "--horizon", "must be between 1 and 252 trading days");
  if (o.threads < 0 || o.threads > 4096)
    throw InputError("", 0, "--threads", "must be between 1 and 4096 (0 = all cores)");
  ReverseSettings s;
  s.factor = o.factor;
  char* end = nullptr;
  s.target_loss = std::strtod(o.target_loss.c_str(), &end);
  if (end != o.target_loss.c_str() + o.target_loss.size() || !std::isfinite(s.target_loss))
    throw InputError("", 0, "--target-loss", "'" + o.target_loss + "': not a number");
  const std::vector<double> conf = parse_confidences(o.confidence);
  if (conf.size() != 1) throw InputError("", 0, "--confidence", "give one level, e.g. 0.99");
  s.confidence = conf[0];
  s.horizon_days = o.horizon_days;
  s.paths = parse_paths(o.paths);
  if (s.paths > 100000000)
    throw InputError("", 0, "--paths", "at most 100M paths per evaluation (the losses are kept)");
  s.seed = parse_unsigned(o.seed, "--seed");
  const Market market = load_market(o.market);
  const Portfolio portfolio = load_portfolio(o.portfolio, market);
  // Its only output is standard output: room for it when that is a file (a few KiB per
  // evaluation; 64 KiB bounds every search).
  check_space({{"", 64 << 10, 64 << 10, o.json ? "--json" : "standard output", "the result"}});
  const ReverseResult r = reverse_stress(s, market, portfolio, CpuBackend(o.threads));

  nlohmann::ordered_json j;
  j["schema"] = "chipshock.reverse.v1";
  j["factor"] = s.factor;
  j["target_loss"] = s.target_loss;
  j["confidence"] = s.confidence;
  j["horizon_days"] = s.horizon_days;
  j["paths"] = s.paths;
  j["seed"] = s.seed;
  j["currency"] = market.currency;
  j["exposed_tickers"] = r.exposed;
  j["direction"] = r.direction;
  j["reached_at_zero"] = r.reached_at_zero;
  j["shock"] = r.shock;
  j["shock_95ci"] = {r.shock_lo, r.shock_hi};
  j["es_baseline"] = r.baseline.es;
  j["es_at_shock"] = r.at_solution.es;
  j["es_standard_error"] = r.at_solution.es_se;
  nlohmann::ordered_json ev = nlohmann::ordered_json::array();
  for (const ReversePoint& p : r.evaluations)
    ev.push_back({{"shock", p.shock}, {"es", p.es}, {"es_se", p.es_se}});
  j["evaluations"] = ev;
  if (o.json) {
    std::cout << j.dump(2) << "\n";
  } else if (!o.quiet) {
    char line[256];
    std::cout << portfolio.name << ": reverse stress on factor '" << s.factor << "' (exposed: ";
    for (std::size_t k = 0; k < r.exposed.size(); ++k) std::cout << (k ? ", " : "") << r.exposed[k];
    std::cout << ")\n";
    std::snprintf(line, sizeof line,
                  "target: %s-day ES at %g%% >= %s %s; %llu paths, seed %llu (the same paths "
                  "for every shock)\n",
                  std::to_string(s.horizon_days).c_str(), 100 * s.confidence,
                  format_money(s.target_loss).c_str(), market.currency.c_str(),
                  static_cast<unsigned long long>(s.paths),
                  static_cast<unsigned long long>(s.seed));
    std::cout << line;
    std::snprintf(line, sizeof line, "baseline ES: %s (standard error %s)\n",
                  format_money(r.baseline.es).c_str(), format_money(r.baseline.es_se).c_str());
    std::cout << line;
    if (r.reached_at_zero) {
      std::cout << "the baseline already reaches the target: no shock is needed\n";
    } else {
      std::snprintf(line, sizeof line,
                    "smallest shock: %s = %+.4f per unit loading (95%% interval %+.4f .. %+.4f)\n"
                    "ES there: %s (standard error %s); %zu evaluations by bisection\n",
                    s.factor.c_str(), r.shock, r.shock_lo, r.shock_hi,
                    format_money(r.at_solution.es).c_str(), format_money(r.at_solution.es_se).c_str(),
                    r.evaluations.size());
      std::cout << line;
    }
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace chipshock
