#include "host/sim_spec.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <exception>
#include <utility>

#include "host/input_error.hpp"
#include "host/qmc/bridge_plan.hpp"
#include "host/qmc/sobol_tables.hpp"
#include "host/pricing/american.hpp"
#include "kernels/black_scholes.cuh"
#include "kernels/sobol_normals.cuh"

namespace chipshock {

SimSpec::SimSpec(const Market& market, const Portfolio& portfolio, const SimSettings& settings)
    : SimSpec(market, portfolio, settings, baseline_application(market, settings.horizon_days)) {}

SimSpec::SimSpec(const Market& market, const Portfolio& portfolio, const SimSettings& settings,
                 const AppliedScenario& scenario)
    : settings_(settings), n_assets_(static_cast<int>(market.size())) {
  const int n = n_assets_;
  const std::size_t nn = static_cast<std::size_t>(n) * n;
  const double dt = 1.0 / (kTradingDaysPerYear * static_cast<double>(settings.steps_per_day));
  dof_ = static_cast<float>(market.dof);
  n_segments_ = static_cast<int>(scenario.segments.size());
  drift_dt_.assign(static_cast<std::size_t>(n_segments_) * n, 0.0f);
  vol_chol_.assign(static_cast<std::size_t>(n_segments_) * nn, 0.0f);
  for (int s = 0; s < n_segments_; ++s) {
    const AppliedSegment& seg = scenario.segments[static_cast<std::size_t>(s)];
    for (int i = 0; i < n; ++i) {
      const double vol = seg.vol[i];
      drift_dt_[s * n + i] = static_cast<float>((seg.drift[i] - 0.5 * vol * vol) * dt);
      const double scale = vol * std::sqrt(dt);
      for (int j = 0; j <= i; ++j)
        vol_chol_[s * nn + i * n + j] = static_cast<float>(scale * seg.cholesky[i * n + j]);
    }
  }
  day_segment_ = scenario.day_segment;
  day_segment_.resize(static_cast<std::size_t>(settings.horizon_days), 0);
  events_ = scenario.events;
  for (const auto& r : scenario.simple_returns)
    for (int i = 0; i < n; ++i) event_log_jump_.push_back(static_cast<float>(std::log1p(r[i])));
  spot0_.resize(n);
  equity_qty_.assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    const Asset& a = market.assets[i];
    tickers_.push_back(a.ticker);
    spot0_[i] = a.spot;
  }
  rate_ = market.rate;
  value0_ = portfolio.cash;
  // Cash is constant over the horizon: it is in the book's value, not in its loss, nor in the
  // gross exposure that scales the loss sums (it would coarsen them: issue 16).
  gross_ = 0.0;
  std::vector<bool> held(n, false);
  // per option (options_' order): its expiry in days and whether it is American (settled_by)
  std::vector<std::pair<long, bool>> option_expiry;
  // The implied-vol factors (kernels/vol_factors.cuh): whatever the horizon, so that the runs cut
  // at each day index them as the full run does.
  std::vector<int> vol_factor_of(static_cast<std::size_t>(n), -1);
  for (int i = 0; i < n; ++i) {
    const ImpliedVolSurface& v = market.assets[static_cast<std::size_t>(i)].implied_vol;
    if (!v.given || !(v.vol_of_vol > 0)) continue;
    bool priced = false;
    for (const Position& p : portfolio.positions)
      priced = priced || (p.type != PositionType::kEquity && !(p.implied_vol > 0) &&
                          p.ticker == market.assets[static_cast<std::size_t>(i)].ticker);
    if (!priced) continue;
    if (vol_factors_.size() == static_cast<std::size_t>(kMaxVolFactors))
      throw InputError(
          market.file, v.vol_of_vol_line,
          "assets." + market.assets[static_cast<std::size_t>(i)].ticker + ".implied_vol.vol_of_vol",
          "more than " + std::to_string(kMaxVolFactors) +
              " assets of the book have an implied vol-of-vol",
          "give vol_of_vol to the book's main underlyings only");
    vol_factor_of[static_cast<std::size_t>(i)] = static_cast<int>(vol_factors_.size());
    vol_factors_.push_back(
        VolFactorView{i, v.vol_of_vol * std::sqrt(1.0 / static_cast<double>(kTradingDaysPerYear))});
  }
  vol_common_ = std::sqrt(market.implied_vol_correlation);
  vol_own_ = std::sqrt(1.0 - market.implied_vol_correlation);
  const double horizon_years = settings.horizon_days / static_cast<double>(kTradingDaysPerYear);
  for (std::size_t k = 0; k < portfolio.positions.size(); ++k) {
    const Position& p = portfolio.positions[k];
    const int i = market.index_of(p.ticker);
    held[i] = true;
    const Asset& a = market.assets[i];
    double unit_value = a.spot;
    PositionLine line;
    line.ticker = a.ticker;
    line.sector = a.sector;
    line.asset = i;
    line.quantity = p.quantity;
    line.label = a.ticker;
    if (p.type == PositionType::kEquity) {
      equity_qty_[i] += p.quantity;
    } else {
      OptionView o{};
      o.asset = i;
      o.kind = p.type == PositionType::kCall ? OptionKind::kCall : OptionKind::kPut;
      o.quantity = p.quantity;
      o.strike = p.strike;
      // Today's implied vol prices the option today: its own, else the asset's surface at its
      // strike and maturity, else the asset's vol. At the horizon it revalues at its own, or the
      // surface's at its strike and remaining maturity (sticky strike: the surface does not move
      // with the spot), moved by the scenario's implied-vol moves in force there
      // (scenario_application.hpp).
      const double tau0 =
          static_cast<double>(p.expiry_days) / static_cast<double>(kTradingDaysPerYear);
      const bool surface = !(p.implied_vol > 0) && a.implied_vol.given;
      const double vol0 =
          p.implied_vol > 0 ? p.implied_vol
          : surface ? surface_vol(a.implied_vol, a.spot, p.strike, tau0, rate_, a.dividend_yield)
                    : a.vol;
      const double tau_h = tau0 - horizon_years;
      const double vol_h = surface && tau_h > 0 ? surface_vol(a.implied_vol, a.spot, p.strike,
                                                              tau_h, rate_, a.dividend_yield)
                                                : vol0;
      if (surface && !(vol0 <= 10 && vol_h <= 10)) {
        std::ostringstream what;
        what << "gives positions[" << k << "] (strike " << p.strike << ", " << p.expiry_days
             << " days) an implied vol above 1000%";
        throw InputError(a.implied_vol.file, a.implied_vol.line, a.implied_vol.field, what.str(),
                         "check the surface's skew, or give the position its own implied_vol");
      }
      line.vol0 = vol0;
      o.implied_vol = vol_h;
      if (!scenario.iv_scale.empty() && tau_h > 0) {  // a settled option has no vol there
        const std::size_t si = static_cast<std::size_t>(i);
        o.implied_vol = std::fma(vol_h, scenario.iv_scale[si], scenario.iv_add[si]);
        if (!(o.implied_vol > 0.0 && o.implied_vol <= 10.0)) {
          std::ostringstream what;
          what << "takes the implied vol of positions[" << k << "] (" << a.ticker << " "
               << position_type_name(p.type) << " " << p.strike << ", " << portfolio.file
               << " line " << p.line << ") from " << vol_h << " to " << o.implied_vol << " at the "
               << settings.horizon_days << "-day horizon: it must stay in (0, 10]";
          throw InputError(scenario.file, scenario.iv_line[si], scenario.iv_field[si], what.str(),
                           "use a smaller move, or a relative one");
        }
      }
      o.tau_at_horizon = tau_h;
      o.dividend_yield = a.dividend_yield;
      o.vol_beta = surface && tau_h > 0 ? a.implied_vol.spot_beta : 0.0;
      o.vol_factor = surface && tau_h > 0 ? vol_factor_of[static_cast<std::size_t>(i)] : -1;
      line.option = static_cast<int>(options_.size());
      if (p.american) {
        // the curve at the horizon for the kernels (at several vols when the vol moves along
        // the path), today's for the value today
        try {
          o.american = static_cast<int>(american_.size());
          if (o.vol_beta != 0.0 || o.vol_factor >= 0) {
            const double half = american_vol_range(
                scenario, i, o.vol_beta, o.vol_factor >= 0 ? a.implied_vol.vol_of_vol : 0.0,
                horizon_years);
            if (!(o.implied_vol <= 5.0))  // as american_curve refuses at a fixed vol
              throw std::invalid_argument(
                  "an implied vol above 5 (500%) is outside the exercise curve's tested domain");
            // around its vol (at least 0.02 wide: half >= 0.02), inside [0.001, 5]
            const double center =
                std::clamp(std::log(o.implied_vol), std::log(1e-3), std::log(5.0));
            const double lo = std::max(center - half, std::log(1e-3));
            const double hi = std::min(center + half, std::log(5.0));
            o.american_nodes = kAmericanVolNodes;
            o.node_log_vol0 = lo;
            o.node_log_step = (hi - lo) / (kAmericanVolNodes - 1);
            // the solves are independent (american_curve's cache is locked): on every core
            std::vector<AmericanCurve> nodes(kAmericanVolNodes);
            std::vector<std::exception_ptr> failed(kAmericanVolNodes);
#pragma omp parallel for schedule(dynamic)
            for (int j = 0; j < kAmericanVolNodes; ++j) {
              try {
                nodes[static_cast<std::size_t>(j)] =
                    american_curve(o.kind, o.strike, o.tau_at_horizon, rate_,
                                   std::exp(lo + j * o.node_log_step), o.dividend_yield);
              } catch (...) {
                failed[static_cast<std::size_t>(j)] = std::current_exception();
              }
            }
            for (const std::exception_ptr& e : failed)
              if (e) std::rethrow_exception(e);
            american_.insert(american_.end(), nodes.begin(), nodes.end());
          } else {
            american_.push_back(american_curve(o.kind, o.strike, o.tau_at_horizon, rate_,
                                               o.implied_vol, o.dividend_yield));
          }
          unit_value =
              american_price(o.kind, a.spot, o.strike, tau0, rate_, vol0, o.dividend_yield);
        } catch (const std::invalid_argument& e) {
          throw InputError(portfolio.file, p.line, "positions[" + std::to_string(k) + "].style",
                           e.what(), "value the option as european, or check its inputs");
        }
      } else {
        unit_value = black_scholes(o.kind, a.spot, o.strike, tau0, rate_, vol0, o.dividend_yield);
      }
      if (p.expiry_days <= settings.horizon_days) {  // settled on the path's days (expiry.cuh)
        ExpiryView e;
        e.option = static_cast<int>(options_.size());
        e.asset = i;
        e.day = static_cast<int>(p.expiry_days) - 1;
        e.kind = o.kind;
        e.strike = o.strike;
        if (p.american) {
          std::vector<double> edge;
          try {
            edge = american_exercise_spots(o.kind, o.strike, rate_, vol0, o.dividend_yield, e.day);
          } catch (const std::invalid_argument& err) {
            throw InputError(portfolio.file, p.line, "positions[" + std::to_string(k) + "].style",
                             err.what(), "value the option as european, or check its inputs");
          }
          if (!edge.empty()) {
            e.boundary = static_cast<int>(exercise_spot_.size());
            exercise_spot_.insert(exercise_spot_.end(), edge.begin(), edge.end());
          }
        }
        expiring_.push_back(e);
        if (expiring_.size() > static_cast<std::size_t>(kMaxExpiring))
          throw InputError(portfolio.file, p.expiry_line,
                           "positions[" + std::to_string(k) + "]." +
                               (p.expiry_date.empty() ? "expiry_days" : "expiry"),
                           "more than " + std::to_string(kMaxExpiring) +
                               " options of the book expire inside the " +
                               std::to_string(settings.horizon_days) + "-day horizon",
                           "shorten --horizon, or split the book into several portfolio files");
      }
      options_.push_back(o);
      option_expiry.emplace_back(p.expiry_days, p.american);
      std::ostringstream label;
      label << a.ticker << " " << (p.american ? "american " : "") << position_type_name(p.type)
            << " " << p.strike << " " << p.expiry_days << "d";
      line.label = label.str();
    }
    line.unit_value0 = unit_value;
    int repeats = 0;
    for (const PositionLine& other : positions_)
      if (other.label == line.label || other.label.rfind(line.label + " #", 0) == 0) ++repeats;
    if (repeats > 0) line.label += " #" + std::to_string(repeats + 1);
    positions_.push_back(line);
    value0_ += p.quantity * unit_value;
    positions_value0_ += p.quantity * unit_value;
    gross_ += std::fabs(p.quantity * unit_value);
    if (p.type != PositionType::kEquity) gross_ += std::fabs(p.quantity) * a.spot;  // notional
  }
  for (int i = 0; i < n; ++i)
    if (held[i]) held_.push_back(i);
  // In the order of their expiry (then of the file): a run cut at day d (spec_at_day) settles
  // the first of them, at the same indices, so the cut runs' books read the full run's paths'
  // settlements (kernels/expiry.cuh).
  std::stable_sort(expiring_.begin(), expiring_.end(),
                   [](const ExpiryView& a, const ExpiryView& b) { return a.day < b.day; });
  for (std::size_t k = 0; k < expiring_.size(); ++k)
    options_[static_cast<std::size_t>(expiring_[k].option)].expiring = static_cast<int>(k);
  // A cut run: the full run's expiring options in the same order (expiry, then file), and the
  // index there of each American option alive at this run's end that the full run settles.
  const long full = settings.settle_horizon_days;
  if (full > settings.horizon_days) {
    std::vector<std::size_t> order;
    for (std::size_t k = 0; k < option_expiry.size(); ++k)
      if (option_expiry[k].first <= full) order.push_back(k);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return option_expiry[a].first < option_expiry[b].first;
    });
    for (std::size_t j = 0; j < order.size(); ++j)
      if (option_expiry[order[j]].second && option_expiry[order[j]].first > settings.horizon_days)
        options_[order[j]].settled_by = static_cast<int>(j);
  }
  if (settings.rng == RngKind::kSobol) init_sobol();
}

const char* rng_name(RngKind rng) { return rng == RngKind::kSobol ? "sobol" : "philox"; }

double american_vol_range(const AppliedScenario& scenario, int asset, double spot_beta,
                          double vol_of_vol, double horizon_years) {
  const std::size_t i = static_cast<std::size_t>(asset);
  double vol = 0;  // the asset's largest realised vol over the scenario's segments
  for (const AppliedSegment& s : scenario.segments) vol = std::max(vol, s.vol[i]);
  double jumps = 0;  // its scenario jumps' log sizes, at a size four sd up
  for (std::size_t e = 0; e < scenario.events.size(); ++e)
    jumps += std::fabs(std::log1p(scenario.simple_returns[e][i])) *
             (1.0 + 4.0 * static_cast<double>(scenario.events[e].size_sd));
  const double sd =
      std::sqrt((spot_beta * spot_beta * vol * vol + vol_of_vol * vol_of_vol) * horizon_years);
  return std::min(6.0 * sd + std::fabs(spot_beta) * jumps + 0.02, 4.0);
}

void SimSpec::init_sobol() {
  if (settings_.antithetic)
    throw InputError("", 0, "--antithetic", "not with --rng sobol",
                     "quasi-random points are already balanced: drop --antithetic, or use "
                     "--rng philox");
  const int steps = total_steps();
  bridge_steps_ = settings_.bridge_steps > 0 ? settings_.bridge_steps : steps;
  if (bridge_steps_ < steps)
    throw std::logic_error("SimSpec: the Brownian bridge is shorter than the horizon");
  const long dims = static_cast<long>(n_assets_) * bridge_steps_;
  if (dims > kMaxSobolDimensions)
    throw InputError(
        "", 0, "--rng",
        "sobol needs one quasi-random dimension per asset and step: " +
            std::to_string(n_assets_) + " assets x " + std::to_string(bridge_steps_) +
            " steps (--horizon x --steps-per-day) = " + std::to_string(dims) +
            ", more than the " + std::to_string(kMaxSobolDimensions) + " of cuRAND's Sobol' tables",
        "shorten --horizon or --steps-per-day, or use --rng philox");
  const SobolTables tables = curand_sobol_tables();
  sobol_directions_ = tables.directions;
  sobol_scramble_ = tables.scramble;
  BridgePlan plan = brownian_bridge_plan(bridge_steps_);
  if (plan.depth + 1 > kMaxBridgeSlots)
    throw std::logic_error("SimSpec: the Brownian bridge needs more slots than kMaxBridgeSlots");
  bridge_depth_ = plan.depth;
  bridge_first_op_ = std::move(plan.first_op);
  bridge_ops_ = std::move(plan.ops);
}

ModelView SimSpec::model() const {
  ModelView m;
  m.n_assets = n_assets_;
  m.n_blocks = (n_assets_ + 3) / 4;
  m.horizon_days = settings_.horizon_days;
  m.steps_per_day = settings_.steps_per_day;
  m.n_segments = n_segments_;
  m.day_segment = n_segments_ > 1 ? day_segment_.data() : nullptr;
  m.drift_dt = drift_dt_.data();
  m.vol_chol = vol_chol_.data();
  m.dof = dof_;
  m.antithetic = settings_.antithetic ? 1 : 0;
  if (!is_.shift.empty()) {
    m.is_shift = is_.shift.data();
    m.is_chi2_scale = is_.chi2_scale;
    m.is_half_norm2 = is_.half_norm2;
    m.is_plain_only = is_.plain_only ? 1 : 0;
  }
  m.n_events = static_cast<int>(events_.size());
  m.events = events_.empty() ? nullptr : events_.data();
  m.event_log_jump = event_log_jump_.empty() ? nullptr : event_log_jump_.data();
  m.rng = settings_.rng;
  if (settings_.rng == RngKind::kSobol) {
    m.qmc_assets = n_assets_;
    m.bridge_steps = bridge_steps_;
    m.bridge_depth = bridge_depth_;
    m.bridge_first_op = bridge_first_op_.data();
    m.bridge_ops = bridge_ops_.data();
    m.sobol_directions = sobol_directions_;
    m.sobol_scramble = sobol_scramble_;
  }
  return m;
}

void SimSpec::set_importance_shift(ImportanceShift s) {
  if (!s.shift.empty() &&
      s.shift.size() != static_cast<std::size_t>(total_steps()) * static_cast<std::size_t>(n_assets_))
    throw std::invalid_argument("importance shift: one value per step and asset expected");
  if (!(s.chi2_scale > 0.0f && s.chi2_scale <= 1.0f))
    throw std::invalid_argument("importance shift: the chi-square scale must be in (0, 1]");
  is_ = std::move(s);
}

BookView SimSpec::book() const {
  BookView b;
  b.n_held = static_cast<int>(held_.size());
  b.held_assets = held_.data();
  b.spot0 = spot0_.data();
  b.equity_qty = equity_qty_.data();
  b.n_options = static_cast<int>(options_.size());
  b.options = options_.data();
  b.n_american = static_cast<int>(american_.size());
  b.american = american_.data();
  b.n_expiring = static_cast<int>(expiring_.size());
  b.expiring = expiring_.empty() ? nullptr : expiring_.data();
  b.n_exercise_spots = static_cast<int>(exercise_spot_.size());
  b.exercise_spot = exercise_spot_.empty() ? nullptr : exercise_spot_.data();
  b.horizon_days = settings_.horizon_days;
  b.n_vol_factors = static_cast<int>(vol_factors_.size());
  b.vol_factors = vol_factors_.empty() ? nullptr : vol_factors_.data();
  b.vol_common = vol_common_;
  b.vol_own = vol_own_;
  b.vol_blocks_a_day = (static_cast<int>(spot0_.size()) + 4) / 4;
  b.rate = rate_;
  // The loss is formed from the positions alone (cash cancels exactly): with cash in both terms
  // a large cash balance would round every loss to its own ulp.
  b.cash = 0.0;
  b.value0 = positions_value0_;
  return b;
}

std::string expiry_note(const BookView& book) {
  int american = 0;
  for (int k = 0; k < book.n_expiring; ++k) american += book.expiring[k].boundary >= 0;
  const int n = book.n_expiring;
  return std::to_string(n) + (n == 1 ? " option expires" : " options expire") +
         " inside the horizon: each path settles " + (n == 1 ? "it" : "them") +
         " at intrinsic value on the expiry day" +
         (american > 0 ? " (" + std::to_string(american) +
                             " American: at the first close at or "
                             "beyond the exercise boundary, if earlier)"
                       : "") +
         ", and the cash earns the rate to the horizon";
}

std::string implied_vol_note(const SimSpec& spec) {
  const BookView b = spec.book();
  std::vector<double> beta(spec.tickers().size(), 0.0);
  std::vector<bool> moves(spec.tickers().size(), false);
  bool american = false;
  for (int k = 0; k < b.n_options; ++k) {
    const OptionView& o = b.options[k];
    if (o.vol_beta == 0.0 && o.vol_factor < 0) continue;
    moves[static_cast<std::size_t>(o.asset)] = true;
    beta[static_cast<std::size_t>(o.asset)] = o.vol_beta;
    american = american || o.american_nodes > 1;
  }
  std::ostringstream s;
  s.precision(3);
  int listed = 0;
  for (std::size_t i = 0; i < moves.size(); ++i) {
    if (!moves[i]) continue;
    double nu = 0;
    for (int f = 0; f < b.n_vol_factors; ++f)
      if (b.vol_factors[f].asset == static_cast<int>(i))
        nu = b.vol_factors[f].day_sd * std::sqrt(static_cast<double>(kTradingDaysPerYear));
    s << (listed++ ? "; " : "") << spec.tickers()[i] << " spot_beta " << beta[i] << ", vol_of_vol "
      << nu;
  }
  if (listed == 0) return "";
  std::string note =
      "Implied vols move along each path (the market's surfaces; per trading day "
      "d ln vol = spot_beta x the log-return + vol_of_vol x sqrt(1/252) x a shock): " +
      s.str();
  if (b.n_vol_factors > 1) {
    std::ostringstream c;
    c.precision(3);
    c << b.vol_common * b.vol_common;
    note += "; the tickers' shocks correlated " + c.str();
  }
  if (american)
    note += "; American options on them revalue between their exercise curves at " +
            std::to_string(kAmericanVolNodes) + " vols";
  return note;
}

void throw_expiring_option(const Portfolio& portfolio, int option, const std::string& who,
                           const std::string& what, const std::string& fix) {
  int seen = 0;
  for (std::size_t k = 0; k < portfolio.positions.size(); ++k) {
    const Position& p = portfolio.positions[k];
    if (p.type == PositionType::kEquity || seen++ != option) continue;
    throw InputError(portfolio.file, p.expiry_line,
                     "positions[" + std::to_string(k) + "]." +
                         (p.expiry_date.empty() ? "expiry_days" : "expiry"),
                     who + ": the " + position_type_name(p.type) + " on " + p.ticker +
                         " expires after " + std::to_string(p.expiry_days) + " trading days; " +
                         what,
                     fix);
  }
  throw std::logic_error("throw_expiring_option: no such option");
}

std::unique_ptr<SimSpec> spec_at_day(const Market& market, const Portfolio& portfolio,
                                     const SimSettings& run, const Scenario* scenario, int day) {
  SimSettings at = run;
  at.horizon_days = day;
  if (at.settle_horizon_days == 0) at.settle_horizon_days = run.horizon_days;
  if (at.bridge_steps == 0) at.bridge_steps = run.horizon_days * run.steps_per_day;
  return scenario ? std::make_unique<SimSpec>(market, portfolio, at,
                                              apply_scenario(*scenario, market, day))
                  : std::make_unique<SimSpec>(market, portfolio, at);
}

CutRuns cut_runs(const Market& market, const Portfolio& portfolio, const SimSettings& run,
                 const Scenario* scenario, const std::vector<int>& days) {
  CutRuns c;
  c.at.assign(static_cast<std::size_t>(run.horizon_days), nullptr);
  for (int d : days) {
    c.specs.push_back(spec_at_day(market, portfolio, run, scenario, d));
    c.at[static_cast<std::size_t>(d - 1)] = c.specs.back().get();
  }
  return c;
}

}  // namespace chipshock
