// scenario.toml: a stress scenario as data, independent of any market. Jumps (deterministic or
// random, per ticker, per unit of a factor exposure, or per sector), regimes (vol scale, drift
// override, correlation stress over a day range) and implied-vol moves are composed on top of
// the baseline model when the scenario is applied to a market (see scenario_application.hpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kernels/sim_view.cuh"

namespace chipshock {

constexpr int kMaxScenarioDay = 2520;  // ten years of trading days

struct ScenarioJump {
  long line = 0;
  int day_first = 1;  // 1-based trading day; the jump day is uniform on [day_first, day_last]
  int day_last = 1;
  double probability = 1.0;
  std::map<std::string, double> returns;  // ticker -> simple return on the jump day
  std::map<std::string, double> factors;  // factor -> return per unit of exposure
  std::map<std::string, double> sectors;  // sector -> simple return for tickers not reached above
  JumpSize size = JumpSize::kFixed;
  double size_sd = 0.0;
  double size_dof = 0.0;
  double recovery_fraction = 0.0;
  int recovery_days = 0;
};

// A move of the options' implied vols on one day (scenario_application.hpp): in vol points
// (10 = +0.10) or relative (0.25 = +25%), per ticker, per unit of a factor loading, or per
// sector (the first that reaches a ticker, as for jumps), with an optional linear recovery.
enum class ImpliedVolUnit { kPoints, kRelative };

struct ScenarioImpliedVol {
  long line = 0;
  int day = 1;  // 1-based trading day of the move
  ImpliedVolUnit unit = ImpliedVolUnit::kPoints;
  std::map<std::string, double> tickers;
  std::map<std::string, double> factors;  // per unit of exposure
  std::map<std::string, double> sectors;  // for tickers not reached above
  double recovery_fraction = 0.0;
  int recovery_days = 0;
};

enum class CorrelationTarget { kNone, kOnes, kMatrix };

struct ScenarioRegime {
  long line = 0;
  int day_first = 1;  // 1-based, inclusive
  int day_last = 1;
  double vol_scale = 1.0;                        // every asset not listed below
  std::map<std::string, double> vol_scale_by;    // ticker -> factor
  bool has_drift = false;
  double drift = 0.0;                            // annualised, every asset not listed below
  std::map<std::string, double> drift_by;        // ticker -> annualised drift
  CorrelationTarget target = CorrelationTarget::kNone;
  double correlation_weight = 0.0;               // blend weight toward the target, in [0, 1)
  std::vector<std::string> crisis_tickers;       // kMatrix: the matrix's tickers
  std::vector<double> crisis_matrix;             // kMatrix: k*k row-major
  long correlation_line = 0;
  // implied_vols = true: the vol scale also scales the options' implied vols while the regime
  // covers the horizon's last day (default false: it moves realised vols only)
  bool scales_implied_vols = false;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  std::string source;            // calibration source, in words; may be empty for user files
  std::string calibration_date;  // "YYYY-MM-DD" or ""
  std::vector<ScenarioJump> jumps;
  std::vector<ScenarioRegime> regimes;
  std::vector<ScenarioImpliedVol> implied_vols;
};

// Parses and validates; throws InputError naming the file, line and field.
Scenario load_scenario(const std::string& path);
// The same for the text of a scenario file; `name` stands for the file in errors.
Scenario load_scenario_text(const std::string& text, const std::string& name);

}  // namespace chipshock
