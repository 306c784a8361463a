// Writers for a VaR backtest: backtest.json, backtest.csv (one row per day), backtest.md, and
// backtest.html with an inline SVG exceedance chart (no scripts, no external resources).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "host/backtest/var_backtest.hpp"

namespace chipshock {

nlohmann::ordered_json backtest_json(const BacktestResult& r, const std::string& version);
std::string backtest_csv(const BacktestResult& r);
std::string backtest_markdown(const BacktestResult& r);
std::string backtest_svg(const BacktestResult& r);  // the exceedance chart
std::string backtest_html(const BacktestResult& r, const std::string& version);
std::string backtest_summary(const BacktestResult& r);  // the terminal table

}  // namespace chipshock
