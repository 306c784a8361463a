// SimSpec: the one immutable object the backends see. Built from the parsed market and
// portfolio, it owns plain arrays (structure of arrays) and hands out trivially copyable views.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/scenario/scenario_application.hpp"
#include "kernels/american.cuh"
#include "kernels/expiry.cuh"
#include "kernels/sim_view.cuh"
#include "kernels/vol_factors.cuh"

namespace chipshock {

constexpr int kTradingDaysPerYear = 252;

// One line of the portfolio file as the risk allocation sees it: what it holds and its value
// today. Component VaR/ES are reported per line, per ticker and per sector.
struct PositionLine {
  std::string label;   // "NVDA", "NVDA put 181 63d" (made unique with " #k" when repeated)
  std::string ticker;
  std::string sector;  // the asset's sector in the market file ("" = none)
  int asset = 0;       // index into the model's assets
  int option = -1;     // index into BookView::options, or -1 for an equity line
  double quantity = 0;
  double unit_value0 = 0;  // value of one unit today (spot, or the option's price)
  double vol0 = 0;         // an option's implied vol today (its own, the surface's or the asset's)
};

// Importance sampling's change of measure (kernels/importance_sampling.cuh): the mean of each
// step's normals, [total_steps * n_assets] (step-major), and the chi-square mixing scale.
struct ImportanceShift {
  std::vector<float> shift;
  float chi2_scale = 1.0f;  // lambda in (0, 1]; 1 = the mixing draws are not twisted
  double half_norm2 = 0;    // |shift|^2 / 2
  // Draw every path from the original measure p, weighted as under the mixture (ModelView's
  // is_plain_only): the importance-sampling pilot's plain check, never a run.
  bool plain_only = false;
};

struct SimSettings {
  int horizon_days = 1;
  int steps_per_day = 1;
  bool antithetic = false;  // antithetic variates: pairs (2k, 2k+1) with negated normals
  // The diffusion's generator. kSobol: quasi-Monte Carlo with a Brownian bridge over
  // bridge_steps steps (0 = horizon_days * steps_per_day; more for a run cut short of its
  // full horizon, see spec_at_day), at most kMaxSobolDimensions / assets.
  RngKind rng = RngKind::kPhilox;
  int bridge_steps = 0;
  // A run cut at a day (spec_at_day): the horizon of the full run whose paths settle its
  // options; 0 = its own. An American option alive at the cut day that the full run may exercise
  // earlier reads the full run's settlement (OptionView::settled_by).
  int settle_horizon_days = 0;
};

// An American option whose implied vol moves along the path (a surface's spot_beta or
// vol_of_vol) revalues between its curves at kAmericanVolNodes vols (kernels/american.cuh's
// american_across_vols) spread over ln(its horizon vol) +- american_vol_range: six standard
// deviations of the vol's log move over the horizon (spot_beta x the asset's largest vol over
// the scenario's segments, and the vol-of-vol), plus |spot_beta| x the scenario's jumps on the
// asset at four sd of their size, plus 0.02, at most 4; the nodes stay in [0.001, 5]. 17 nodes
// keep the interpolation within 1e-4 of the price (tests/test_vol_of_vol.cpp).
constexpr int kAmericanVolNodes = 17;
double american_vol_range(const AppliedScenario& scenario, int asset, double spot_beta,
                          double vol_of_vol, double horizon_years);

// "philox" or "sobol", as --rng and the reports name them.
const char* rng_name(RngKind rng);

class SimSpec {
 public:
  // The baseline model.
  SimSpec(const Market& market, const Portfolio& portfolio, const SimSettings& settings);
  // The model under a scenario applied to this market (apply_scenario with the same horizon).
  SimSpec(const Market& market, const Portfolio& portfolio, const SimSettings& settings,
          const AppliedScenario& scenario);
  SimSpec(const SimSpec&) = delete;  // views point into this object's arrays
  SimSpec& operator=(const SimSpec&) = delete;

  ModelView model() const;
  BookView book() const;

  int n_assets() const { return n_assets_; }
  int horizon_days() const { return settings_.horizon_days; }
  int steps_per_day() const { return settings_.steps_per_day; }
  int total_steps() const { return settings_.horizon_days * settings_.steps_per_day; }
  RngKind rng() const { return settings_.rng; }
  double value0() const { return value0_; }
  // Sum of |position value| today (an option also adds its notional), cash left out: the scale
  // of plausible losses, used to size the exact sums. 0 for a book of cash alone.
  double gross_exposure() const { return gross_; }
  const std::vector<std::string>& tickers() const { return tickers_; }
  // The portfolio's lines, in file order.
  const std::vector<PositionLine>& positions() const { return positions_; }

  // Importance sampling: the one change a spec allows after construction, made before a run
  // (host/analytics/importance_sampling.hpp); model() then carries the shift. Empty shift = off.
  void set_importance_shift(ImportanceShift s);
  bool importance_sampling() const { return !is_.shift.empty(); }
  const ImportanceShift& importance_shift() const { return is_; }

 private:
  void init_sobol();  // the bridge plan and cuRAND's tables; throws InputError

  SimSettings settings_;
  int n_assets_ = 0;
  float dof_ = 0.0f;
  std::vector<std::string> tickers_;
  std::vector<float> drift_dt_;   // [segments * n]
  std::vector<float> vol_chol_;   // [segments * n * n]
  int n_segments_ = 1;
  std::vector<int> day_segment_;  // [horizon]
  std::vector<EventView> events_;
  std::vector<float> event_log_jump_;  // [events * n]
  std::vector<double> spot0_;
  std::vector<double> equity_qty_;
  std::vector<int> held_;
  std::vector<OptionView> options_;
  std::vector<AmericanCurve> american_;  // the American options' curves at the horizon
  std::vector<ExpiryView> expiring_;     // options expiring inside the horizon, by expiry day
  std::vector<double> exercise_spot_;    // their early-exercise boundaries (ExpiryView::boundary)
  // the implied-vol factors: the assets whose surface has a vol_of_vol and prices an option of
  // the book, in market order (the same for every horizon, so cut runs share the indices)
  std::vector<VolFactorView> vol_factors_;
  double vol_common_ = 0.0, vol_own_ = 1.0;
  std::vector<PositionLine> positions_;
  double rate_ = 0.0;
  double value0_ = 0.0;
  double positions_value0_ = 0.0;  // value0_ without the cash
  double gross_ = 0.0;
  // Quasi-Monte Carlo (settings_.rng == kSobol): the bridge plan, and cuRAND's tables from
  // dimension 0 (owned by libcurand).
  int bridge_steps_ = 0;
  int bridge_depth_ = 0;
  std::vector<int> bridge_first_op_;
  std::vector<BridgeOp> bridge_ops_;
  const std::uint32_t* sobol_directions_ = nullptr;
  const std::uint32_t* sobol_scramble_ = nullptr;
  ImportanceShift is_;
};

// The report's note on a book with options expiring inside the horizon: how many, and how each
// path settles them (kernels/expiry.cuh).
std::string expiry_note(const BookView& book);

// The report's note on the implied vols that move along each path (market.toml's surfaces with a
// spot_beta or vol_of_vol, for the options priced off them): per ticker its beta and vol-of-vol,
// the shocks' correlation, how American options revalue. "" when no option's vol moves.
std::string implied_vol_note(const SimSpec& spec);

// Throws InputError naming the expiry of `portfolio`'s option number `option` (in file order, as
// BookView::options holds them): its file, line and field, with `what` of `who` (an option) and
// the fix.
[[noreturn]] void throw_expiring_option(const Portfolio& portfolio, int option,
                                        const std::string& who, const std::string& what,
                                        const std::string& fix);

// The model of a run cut at `day` (1 <= day <= the run's horizon): the baseline when scenario is
// null, else the scenario applied at that horizon. Path i's value at the end of it is path i's
// value on that day of the full run (the first days draw the same random numbers; with --rng
// sobol the cut run keeps the full run's Brownian bridge).
std::unique_ptr<SimSpec> spec_at_day(const Market& market, const Portfolio& portfolio,
                                     const SimSettings& run, const Scenario* scenario, int day);

// The run cut at each of `days` (1-based, ascending), as CpuBackend::simulate_days and
// simulate_path_risk take them: at[d - 1] is the cut at day d, null for a day not in `days`
// (at has one entry per day of the run's horizon); specs owns them.
struct CutRuns {
  std::vector<std::unique_ptr<SimSpec>> specs;
  std::vector<const SimSpec*> at;
};
CutRuns cut_runs(const Market& market, const Portfolio& portfolio, const SimSettings& run,
                 const Scenario* scenario, const std::vector<int>& days);

}  // namespace chipshock
