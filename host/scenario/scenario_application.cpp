#include "host/scenario/scenario_application.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "host/input_error.hpp"

namespace chipshock {

namespace {

AppliedSegment baseline_segment(const Market& market) {
  AppliedSegment s;
  for (const Asset& a : market.assets) {
    s.vol.push_back(a.vol);
    s.drift.push_back(a.drift);
  }
  s.correlation = market.correlation;
  s.cholesky = market.cholesky.empty() ? correlation_cholesky(market) : market.cholesky;
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string percent(double r) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  s << 100.0 * r << "%";
  return s.str();
}

void note_skipped(const std::map<std::string, double>& named, const Market& market,
                  std::set<std::string>& skipped) {
  for (const auto& [ticker, r] : named)
    if (market.index_of(ticker) < 0) skipped.insert(ticker);
}

}  // namespace

AppliedScenario baseline_application(const Market& market, int horizon_days) {
  AppliedScenario a;
  a.name = "baseline";
  a.segments.push_back(baseline_segment(market));
  a.day_segment.assign(static_cast<std::size_t>(horizon_days), 0);
  return a;
}

AppliedScenario apply_scenario(const Scenario& sc, const Market& market, int horizon_days) {
  AppliedScenario out = baseline_application(market, horizon_days);
  out.name = sc.name;
  const std::size_t n = market.size();
  std::set<std::string> factors_known, skipped;
  for (const Asset& a : market.assets)
    for (const auto& [f, loading] : a.exposures) factors_known.insert(f);

  for (std::size_t k = 0; k < sc.jumps.size(); ++k) {
    const ScenarioJump& j = sc.jumps[k];
    const std::string field = "jumps[" + std::to_string(k) + "]";
    for (const auto& [f, shock] : j.factors)
      if (factors_known.count(f) == 0)
        throw InputError(sc.file, j.line, field + ".factors." + f,
                         "unknown factor: no asset in " + market.file + " has exposures." + f,
                         factors_known.empty()
                             ? "the market declares no factor exposures; add exposures = { " + f +
                                   " = LOADING } to its assets, or name tickers in returns"
                             : "known factors: " + join({factors_known.begin(),
                                                         factors_known.end()}));
    note_skipped(j.returns, market, skipped);
    std::vector<double> r(n, 0.0);
    std::vector<std::string> unmoved;
    for (std::size_t i = 0; i < n; ++i) {
      const Asset& a = market.assets[i];
      double ri = 0.0;
      std::string how;
      if (const auto it = j.returns.find(a.ticker); it != j.returns.end()) {
        ri = it->second;
        how = "returns." + a.ticker;
      } else {
        bool exposed = false;
        for (const auto& [f, shock] : j.factors)
          if (const auto e = a.exposures.find(f); e != a.exposures.end()) {
            ri += e->second * shock;
            exposed = true;
          }
        if (exposed) {
          how = "factors (via " + a.ticker + "'s exposures)";
        } else if (const auto s = j.sectors.find(a.sector);
                   !a.sector.empty() && s != j.sectors.end()) {
          ri = s->second;
          how = "sectors." + a.sector;
        } else {
          unmoved.push_back(a.ticker);
        }
      }
      if (!(ri > -1.0))
        throw InputError(sc.file, j.line, field,
                         "moves " + a.ticker + " by " + percent(ri) + " (through " + how +
                             "): a price cannot fall by 100% or more",
                         "reduce the shock or the loadings in " + market.file);
      if (ri > 10.0)
        throw InputError(sc.file, j.line, field,
                         "moves " + a.ticker + " by " + percent(ri) + " (through " + how +
                             "): a rise above 1000% is not plausible");
      r[i] = ri;
    }
    if (!unmoved.empty() && unmoved.size() < n)
      out.notes.push_back(field + ": not moved (not named, no exposure to its factors, no sector "
                                  "default): " + join(unmoved));
    if (unmoved.size() == n)
      out.notes.push_back(field + ": moves none of the market's assets");
    if (j.day_first > horizon_days)
      out.notes.push_back(field + ": day " + std::to_string(j.day_first) + " is after the " +
                          std::to_string(horizon_days) +
                          "-day horizon; it does not affect this run");
    else if (j.day_last > horizon_days)
      out.notes.push_back(field + ": its day is drawn from days " + std::to_string(j.day_first) +
                          "-" + std::to_string(j.day_last) + "; draws after the " +
                          std::to_string(horizon_days) + "-day horizon do not affect this run");
    if (j.recovery_days > 0 && j.day_last + j.recovery_days > horizon_days &&
        j.day_first <= horizon_days)
      out.notes.push_back(field + ": part of its recovery falls after the horizon");
    EventView ev;
    ev.probability = static_cast<float>(j.probability);
    ev.day_first = j.day_first - 1;
    ev.day_last = j.day_last - 1;
    ev.size_kind = j.size;
    ev.size_sd = static_cast<float>(j.size_sd);
    ev.size_dof = static_cast<float>(j.size_dof);
    ev.recovery_fraction = static_cast<float>(j.recovery_fraction);
    ev.recovery_days = j.recovery_days;
    out.events.push_back(ev);
    out.simple_returns.push_back(std::move(r));
  }

  for (std::size_t k = 0; k < sc.regimes.size(); ++k) {
    const ScenarioRegime& g = sc.regimes[k];
    const std::string field = "regimes[" + std::to_string(k) + "]";
    note_skipped(g.vol_scale_by, market, skipped);
    note_skipped(g.drift_by, market, skipped);
    for (const auto& t : g.crisis_tickers)
      if (market.index_of(t) < 0) skipped.insert(t);
    if (g.day_first > horizon_days) {
      out.notes.push_back(field + ": days " + std::to_string(g.day_first) + "-" +
                          std::to_string(g.day_last) + " are after the " +
                          std::to_string(horizon_days) + "-day horizon; it does not affect this run");
      continue;
    }
    AppliedSegment seg = out.segments[0];
    for (std::size_t i = 0; i < n; ++i) {
      const Asset& a = market.assets[i];
      const auto vs = g.vol_scale_by.find(a.ticker);
      seg.vol[i] = a.vol * (vs != g.vol_scale_by.end() ? vs->second : g.vol_scale);
      if (seg.vol[i] > 10.0)
        throw InputError(sc.file, g.line, field + ".vol_scale",
                         "scales " + a.ticker + "'s vol to " + percent(seg.vol[i]) +
                             " a year: above 1000% is not plausible");
      const auto dr = g.drift_by.find(a.ticker);
      if (dr != g.drift_by.end())
        seg.drift[i] = dr->second;
      else if (g.has_drift)
        seg.drift[i] = g.drift;
    }
    if (g.target != CorrelationTarget::kNone && g.correlation_weight > 0) {
      std::vector<double> target = seg.correlation;
      if (g.target == CorrelationTarget::kOnes) {
        std::fill(target.begin(), target.end(), 1.0);
      } else {
        const std::size_t m = g.crisis_tickers.size();
        for (std::size_t a = 0; a < m; ++a)
          for (std::size_t b = 0; b < m; ++b) {
            const int ia = market.index_of(g.crisis_tickers[a]);
            const int ib = market.index_of(g.crisis_tickers[b]);
            if (ia >= 0 && ib >= 0) target[ia * n + ib] = g.crisis_matrix[a * m + b];
          }
      }
      const double w = g.correlation_weight;
      for (std::size_t e = 0; e < n * n; ++e)
        seg.correlation[e] = (1.0 - w) * seg.correlation[e] + w * target[e];
      for (std::size_t i = 0; i < n; ++i) seg.correlation[i * n + i] = 1.0;
      seg.cholesky = positive_definite_cholesky(
          seg.correlation, static_cast<int>(n), sc.file, g.correlation_line,
          field + ".correlation",
          "the stressed matrix (baseline blended toward the target) must stay positive "
          "definite: lower the weight or repair the crisis matrix");
    }
    const int seg_index = static_cast<int>(out.segments.size());
    out.segments.push_back(std::move(seg));
    for (int d = g.day_first - 1; d < std::min(g.day_last, horizon_days); ++d)
      out.day_segment[static_cast<std::size_t>(d)] = seg_index;
  }
  // The options' implied vols at the horizon.
  out.file = sc.file;
  out.iv_scale.assign(n, 1.0);
  out.iv_add.assign(n, 0.0);
  out.iv_line.assign(n, 0);
  out.iv_field.assign(n, "");
  for (std::size_t k = 0; k < sc.implied_vols.size(); ++k) {
    const ScenarioImpliedVol& v = sc.implied_vols[k];
    const std::string field = "implied_vols[" + std::to_string(k) + "]";
    for (const auto& [f, shock] : v.factors)
      if (factors_known.count(f) == 0)
        throw InputError(sc.file, v.line, field + ".factors." + f,
                         "unknown factor: no asset in " + market.file + " has exposures." + f,
                         factors_known.empty() ? "name tickers or sectors instead"
                                               : "known factors: " + join({factors_known.begin(),
                                                                           factors_known.end()}));
    note_skipped(v.tickers, market, skipped);
    if (v.day > horizon_days) {
      out.notes.push_back(field + ": day " + std::to_string(v.day) + " is after the " +
                          std::to_string(horizon_days) +
                          "-day horizon; it does not affect this run");
      continue;
    }
    const int elapsed = horizon_days - v.day;
    const double left =
        v.recovery_days > 0
            ? 1.0 - v.recovery_fraction * std::min(elapsed, v.recovery_days) / v.recovery_days
            : 1.0;
    std::vector<std::string> unmoved;
    for (std::size_t i = 0; i < n; ++i) {
      const Asset& a = market.assets[i];
      double move = 0.0;
      bool reached = true;
      if (const auto it = v.tickers.find(a.ticker); it != v.tickers.end()) {
        move = it->second;
      } else {
        bool exposed = false;
        for (const auto& [f, shock] : v.factors)
          if (const auto e = a.exposures.find(f); e != a.exposures.end()) {
            move += e->second * shock;
            exposed = true;
          }
        if (!exposed) {
          const auto s = v.sectors.find(a.sector);
          reached = !a.sector.empty() && s != v.sectors.end();
          if (reached) move = s->second;
        }
      }
      if (!reached) {
        unmoved.push_back(a.ticker);
        continue;
      }
      if (v.unit == ImpliedVolUnit::kPoints) {
        out.iv_add[i] += move / 100.0 * left;
      } else {
        if (!(move * left > -1.0))
          throw InputError(sc.file, v.line, field,
                           "moves " + a.ticker + "'s implied vol by " + percent(move * left) +
                               ": an implied vol cannot fall by 100% or more",
                           "reduce the move or the loadings in " + market.file);
        out.iv_scale[i] *= 1.0 + move * left;
      }
      out.iv_line[i] = v.line;
      out.iv_field[i] = field;
    }
    if (!unmoved.empty() && unmoved.size() < n)
      out.notes.push_back(field +
                          ": implied vols not moved (not named, no exposure to its "
                          "factors, no sector default): " +
                          join(unmoved));
    if (unmoved.size() == n) out.notes.push_back(field + ": moves none of the market's assets");
    if (v.recovery_days > 0 && elapsed < v.recovery_days)
      out.notes.push_back(field + ": part of its recovery falls after the horizon");
  }
  for (std::size_t k = 0; k < sc.regimes.size(); ++k) {
    const ScenarioRegime& g = sc.regimes[k];
    if (!g.scales_implied_vols || g.day_first > horizon_days || g.day_last < horizon_days) continue;
    for (std::size_t i = 0; i < n; ++i) {
      const auto vs = g.vol_scale_by.find(market.assets[i].ticker);
      out.iv_scale[i] *= vs != g.vol_scale_by.end() ? vs->second : g.vol_scale;
      out.iv_line[i] = g.line;
      out.iv_field[i] = "regimes[" + std::to_string(k) + "].implied_vols";
    }
  }
  out.skipped_tickers.assign(skipped.begin(), skipped.end());
  return out;
}

}  // namespace chipshock
