// A scenario applied to one market and horizon: each jump becomes a vector of log-jumps over
// the market's assets, each regime a segment of days with its own vols, drifts and Cholesky
// factor. Tickers the scenario names that the market lacks are skipped and listed.
//
// An implied-vol move ([[implied_vols]]) reaches asset i by the same rules (ticker, factor
// exposures, sector), in vol points (added) or relative (multiplied), the part still in force at
// the horizon: 1 - fraction * min(horizon - day, recovery days) / recovery days of it. Relative
// moves and regime scales multiply, then points add.
//
// How a jump moves asset i (the first rule that applies):
//   1. the ticker is named in `returns`: that simple return;
//   2. the jump shocks `factors` the asset is exposed to: sum over factors of loading * shock;
//   3. the asset's sector is named in `sectors`: that simple return;
//   4. otherwise it does not move (listed as unmoved in the notes).
// The log-jump is ln(1 + r); a random size scales the log-jump, so prices stay positive.
#pragma once

#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/scenario/scenario.hpp"
#include "kernels/sim_view.cuh"

namespace chipshock {

struct AppliedSegment {
  std::vector<double> vol;          // [n] annualised
  std::vector<double> drift;        // [n] annualised
  std::vector<double> cholesky;     // [n*n] lower factor of the segment's correlation
  std::vector<double> correlation;  // [n*n]
};

struct AppliedScenario {
  std::string name;
  std::vector<EventView> events;          // 0-based days
  std::vector<std::vector<double>> simple_returns;  // [event][asset] the jump's simple returns
  std::vector<AppliedSegment> segments;  // [0] = baseline
  std::vector<int> day_segment;          // [horizon_days]
  std::vector<std::string> skipped_tickers;  // named by the scenario, absent from the market
  std::vector<std::string> notes;            // for the report: unmoved assets, days past horizon
  // The options' implied vols at the horizon: an option on asset i revalues there at
  // vol * iv_scale[i] + iv_add[i], where vol is its implied vol today ([[implied_vols]] moves
  // in force at the horizon, and the vol scale of a regime with implied_vols = true that covers
  // the horizon's last day); empty: unmoved. iv_line and iv_field name the last entry that moved
  // asset i, for errors (in `file`).
  std::vector<double> iv_scale, iv_add;
  std::vector<long> iv_line;
  std::vector<std::string> iv_field;
  std::string file;
};

// The baseline alone (one segment, no events).
AppliedScenario baseline_application(const Market& market, int horizon_days);

// Throws InputError (naming the scenario file, line and field) for factors no asset carries,
// a jump that would take a price to zero or below, or a stressed correlation matrix that is not
// positive definite.
AppliedScenario apply_scenario(const Scenario& scenario, const Market& market, int horizon_days);

}  // namespace chipshock
