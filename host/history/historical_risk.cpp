#include "host/history/historical_risk.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "host/config/toml_reader.hpp"
#include "host/history/price_history.hpp"
#include "host/input_error.hpp"
#include "host/sim_spec.hpp"
#include "host/stats/risk_measures.hpp"
#include "kernels/revalue.cuh"

namespace chipshock {

namespace {

std::string percent(double r) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  s << (r >= 0 ? "+" : "") << 100.0 * r << "%";
  return s.str();
}

void require_prices_dir(const std::string& dir, const std::string& option) {
  if (dir.empty())
    throw InputError("", 0, "--prices",
                     "no price history: the shipped history was not found and --prices is not "
                     "given",
                     "give --prices DIR (a folder of <TICKER>.csv files with date,close) for " +
                         option);
}

// The spec whose book revalues options after `days` trading days.
std::unique_ptr<SimSpec> spec_for_days(const Market& market, const Portfolio& portfolio,
                                       int days) {
  SimSettings s;
  s.horizon_days = days;
  return std::make_unique<SimSpec>(market, portfolio, s);
}

}  // namespace

ReplayRequest parse_replay(const std::string& text, bool window) {
  const std::string option = window ? "--replay-window" : "--replay";
  ReplayRequest r;
  if (window) {
    const std::size_t colon = text.find(':');
    if (colon == std::string::npos)
      throw InputError("", 0, option, "'" + text + "': expected FROM:TO (2022-10-07:2022-10-11)");
    r.from = text.substr(0, colon);
    r.to = text.substr(colon + 1);
  } else {
    r.from = r.to = text;
  }
  for (const std::string& d : {r.from, r.to})
    if (!valid_iso_date(d))
      throw InputError("", 0, option, "'" + d + "': expected a date YYYY-MM-DD");
  if (r.to < r.from) throw InputError("", 0, option, "'" + text + "': TO is before FROM");
  return r;
}

ScenarioResult replay_scenario(const ReplayRequest& req, const Market& market,
                               const Portfolio& portfolio, const std::string& prices_dir,
                               const std::vector<double>& confidences) {
  const std::string option = req.from == req.to ? "--replay" : "--replay-window";
  require_prices_dir(prices_dir, option);
  const std::vector<std::string> available = available_tickers(prices_dir);
  const std::vector<std::string> held = held_tickers(market, portfolio);
  std::vector<double> log_return(market.size(), 0.0);
  std::vector<std::string> moved, skipped;
  int days = 0;
  std::string first_close_used;
  std::vector<std::string> calendar;  // the first held ticker's trading days, for error hints
  for (const std::string& t : held) {
    if (!std::binary_search(available.begin(), available.end(), t)) {
      skipped.push_back(t + " (no price file)");
      continue;
    }
    const PriceHistory h = load_price_history(prices_dir, {t});
    if (calendar.empty()) calendar = h.dates;
    const int from = h.index_of_date(req.from), to = h.index_of_date(req.to);
    if (from < 0 || to < 0) {
      const bool before = !h.dates.empty() && req.from < h.dates.front();
      skipped.push_back(t + (before ? " (history starts " + h.dates.front() + ")"
                                    : " (no close on " + (from < 0 ? req.from : req.to) + ")"));
      continue;
    }
    if (from == 0) {
      skipped.push_back(t + " (no close before " + req.from + ")");
      continue;
    }
    const double r = h.close(static_cast<std::size_t>(to), 0) /
                         h.close(static_cast<std::size_t>(from - 1), 0) -
                     1.0;
    log_return[static_cast<std::size_t>(market.index_of(t))] = std::log1p(r);
    moved.push_back(t + " " + percent(r));
    days = std::max(days, to - from + 1);
    if (first_close_used.empty()) first_close_used = h.dates[static_cast<std::size_t>(from - 1)];
  }
  if (moved.empty()) {
    for (const std::string& d : {req.from, req.to}) {
      if (calendar.empty() || std::binary_search(calendar.begin(), calendar.end(), d)) continue;
      const auto next = std::lower_bound(calendar.begin(), calendar.end(), d);
      std::string around;
      if (next != calendar.begin()) around += "previous trading day " + *(next - 1);
      if (next != calendar.end()) around += (around.empty() ? "" : ", ") + ("next " + *next);
      throw InputError("", 0, option,
                       d + " is not a trading day in " + prices_dir + " (" + around + ")",
                       "replay a trading day (weekends and holidays have no close)");
    }
    std::string why;
    for (const auto& s : skipped) why += (why.empty() ? "" : ", ") + s;
    throw InputError("", 0, option,
                     "no held ticker has closes for " + req.label() + " in " + prices_dir +
                         (why.empty() ? "" : ": " + why),
                     "pick trading days inside the history (the shipped files cover 2020-01-02 to "
                     "2026-07-31)");
  }
  const auto spec = spec_for_days(market, portfolio, days);
  // The replay knows the closes at its ends alone: an option must not settle inside it.
  const BookView book = spec->book();
  for (int k = 0; k < book.n_expiring; ++k)
    if (!fits_horizon_closes(book, k))
      throw_expiring_option(portfolio, book.expiring[k].option, option,
                            "the replay revalues the book from the closes of " + req.label() +
                                " alone, so an option cannot expire or be exercised inside it",
                            "replay a window that ends at or before the option's expiry, or "
                            "run it as a --scenario");
  std::vector<double> spot(market.size());
  const auto x = [&](int i) { return log_return[static_cast<std::size_t>(i)]; };
  std::vector<Settlement> settled(static_cast<std::size_t>(path_marks(book)));
  settle_at_horizon(book, x, settled.data());
  const double loss = path_loss(book, x, spot.data(), settled.data());

  LossAccumulator acc(spec->gross_exposure(), 1);
  acc.add(&loss, 1);
  ScenarioResult r;
  r.name = "replay " + req.label();
  r.kind = "replay";
  r.paths = 1;
  r.mean_loss = r.worst_loss = loss;
  r.stdev_loss = 0.0;
  r.prob_loss = loss > 0 ? 1.0 : 0.0;
  r.non_finite = acc.non_finite();
  for (double c : confidences) r.levels.push_back(LevelRisk{c, loss, loss, loss, loss, 0.0, loss, loss});
  r.description = "Today's book under the real close-to-close returns " +
                  (req.from == req.to ? "of " + req.from
                                      : "from " + first_close_used + " to " + req.to) +
                  " (" + std::to_string(days) + " trading day" + (days == 1 ? "" : "s") +
                  "; options age as many days). Deterministic: VaR = ES = this loss.";
  r.source = "Daily closes in " + prices_dir;
  std::string applied;
  for (const auto& m : moved) applied += (applied.empty() ? "" : ", ") + m;
  r.notes.push_back("returns applied: " + applied);
  for (const auto& s : skipped) r.notes.push_back("not moved: " + s);
  return r;
}

ScenarioResult historical_scenario(const HistoricalSettings& hs, const Market& market,
                                   const Portfolio& portfolio, const std::string& prices_dir,
                                   const std::vector<double>& confidences) {
  require_prices_dir(prices_dir, "--method historical");
  const std::vector<std::string> held = held_tickers(market, portfolio);
  const std::vector<std::string> available = available_tickers(prices_dir);
  for (const std::string& t : held)
    if (!std::binary_search(available.begin(), available.end(), t))
      throw InputError(price_file(prices_dir, t), 0, "",
                       "no price history for held ticker " + t,
                       "historical simulation needs every held ticker's closes over the window");
  const PriceHistory h = load_price_history(prices_dir, held);
  std::string as_of = hs.as_of.empty() ? market.as_of : hs.as_of;
  int end = -1;
  if (as_of.empty()) {
    end = static_cast<int>(h.dates.size()) - 1;
  } else {
    for (int d = static_cast<int>(h.dates.size()) - 1; d >= 0; --d)
      if (h.dates[static_cast<std::size_t>(d)] <= as_of) {
        end = d;
        break;
      }
    if (end < 0)
      throw InputError(market.file, 0, "as_of",
                       "the price history of the held tickers starts " + h.dates.front() +
                           ", after " + as_of);
  }
  const int n = hs.window;
  if (end < n) {
    std::string starts;
    for (std::size_t i = 0; i < h.tickers.size(); ++i)
      if (h.file_first_dates.size() == h.tickers.size() && h.file_first_dates[i] > h.dates.front())
        starts += " " + h.tickers[i] + " from " + h.file_first_dates[i];
    throw InputError("", 0, "--window",
                     std::to_string(n) + " daily returns ending " + h.dates[static_cast<std::size_t>(end)] +
                         " are not available: the held tickers' common history has " +
                         std::to_string(end) + " returns up to then",
                     "use --window " + std::to_string(end) + " or less" +
                         (starts.empty() ? "" : " (the join is limited by" + starts + ")"));
  }
  const int hd = hs.horizon_days;
  if (hd > n)
    throw InputError("", 0, "--horizon",
                     "a " + std::to_string(hd) + "-day horizon does not fit in a " +
                         std::to_string(n) + "-day window",
                     "historical simulation needs --window well above --horizon");
  const std::size_t k = h.tickers.size();
  std::vector<int> asset(k);
  for (std::size_t j = 0; j < k; ++j) asset[j] = market.index_of(h.tickers[j]);
  // daily[d][j]: log-return of ticker j on day end - n + 1 + d
  std::vector<std::vector<double>> daily(static_cast<std::size_t>(n), std::vector<double>(k));
  for (int d = 0; d < n; ++d) {
    const std::size_t row = static_cast<std::size_t>(end - n + 1 + d);
    for (std::size_t j = 0; j < k; ++j)
      daily[static_cast<std::size_t>(d)][j] = std::log(h.close(row, j) / h.close(row - 1, j));
  }
  const auto spec = spec_for_days(market, portfolio, hd);
  const std::uint64_t count = static_cast<std::uint64_t>(n - hd + 1);
  for (double c : confidences)
    if (tail_mass(count, c) < 1.0)
      throw InputError("", 0, "--window",
                       std::to_string(count) + " historical scenarios leave no loss beyond the " +
                           std::to_string(c) + " quantile",
                       "use a longer --window");
  std::vector<double> losses(count);
  std::vector<double> x(market.size(), 0.0), spot(market.size());
  // Options that expire inside the horizon settle on the window's days (kernels/expiry.cuh).
  const BookView book = spec->book();
  std::vector<Settlement> settled(static_cast<std::size_t>(path_marks(book)));
  for (std::uint64_t s = 0; s < count; ++s) {
    std::fill(x.begin(), x.end(), 0.0);
    start_path_marks(book, settled.data());
    for (int d = 0; d < hd; ++d) {
      for (std::size_t j = 0; j < k; ++j)
        x[static_cast<std::size_t>(asset[j])] += daily[s + static_cast<std::size_t>(d)][j];
      for (int e = 0; e < book.n_expiring; ++e)
        settle_on_day(book, e, d, x[static_cast<std::size_t>(book.expiring[e].asset)],
                      settled[static_cast<std::size_t>(e)]);
    }
    losses[s] = path_loss(
        book, [&](int i) { return x[static_cast<std::size_t>(i)]; }, spot.data(), settled.data());
  }
  LossAccumulator acc(spec->gross_exposure(), tail_size_needed(count, confidences));
  acc.add(losses.data(), losses.size());
  ScenarioResult r = summarize_losses("historical", acc, count, confidences);
  r.kind = "historical";
  const std::string first = h.dates[static_cast<std::size_t>(end - n + 1)];
  const std::string last = h.dates[static_cast<std::size_t>(end)];
  r.description = "Historical simulation: today's book under each of the " +
                  std::to_string(count) + (hd == 1 ? " daily" : " overlapping " +
                                                              std::to_string(hd) + "-day") +
                  " moves of real log-returns in the " + std::to_string(n) +
                  " trading days from " + first + " to " + last + ".";
  r.source = "Daily closes in " + prices_dir + " (held tickers, joined on common dates)";
  if (hd > 1)
    r.notes.push_back("overlapping windows are not independent: the VaR interval, which assumes "
                      "independent scenarios, is too narrow");
  for (const auto& note : h.notes) r.notes.push_back(note);
  return r;
}

}  // namespace chipshock
