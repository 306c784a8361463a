// Risk from real price history: replay (today's book under the real returns of a past day or
// window, deterministically) and historical-simulation VaR/ES (the book under every overlapping
// horizon-length window of real returns in a trailing window).
#pragma once

#include <string>
#include <vector>

#include "host/config/market.hpp"
#include "host/config/portfolio.hpp"
#include "host/risk_engine.hpp"

namespace chipshock {

struct ReplayRequest {
  std::string from, to;  // "YYYY-MM-DD"; a single day has from == to
  std::string label() const { return from == to ? from : from + ":" + to; }
};

// Parses `--replay DATE` (window false) or `--replay-window FROM:TO` (window true); throws
// InputError naming the option.
ReplayRequest parse_replay(const std::string& text, bool window);

// Today's book under the close-to-close returns from the close before `from` to the close of
// `to`, for every held ticker with history on those days (others are skipped and listed).
// Options age by the window's trading days. Reported as scenario "replay LABEL", kind "replay":
// one deterministic loss, so VaR = ES = that loss at every level.
ScenarioResult replay_scenario(const ReplayRequest& request, const Market& market,
                               const Portfolio& portfolio, const std::string& prices_dir,
                               const std::vector<double>& confidences);

struct HistoricalSettings {
  int window = 500;        // daily returns in the trailing window
  int horizon_days = 1;    // overlapping windows of this many days
  std::string as_of;       // last return date; "" = the market's as_of, else the last common date
};

// Historical simulation: the book revalued under each overlapping horizon-day sum of the real
// daily log-returns in the trailing window, with the same estimators as Monte Carlo. Every held
// ticker needs history over the whole window (an InputError says which one lacks it).
ScenarioResult historical_scenario(const HistoricalSettings& settings, const Market& market,
                                   const Portfolio& portfolio, const std::string& prices_dir,
                                   const std::vector<double>& confidences);

}  // namespace chipshock
