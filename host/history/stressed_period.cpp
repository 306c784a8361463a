#include "host/history/stressed_period.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "host/input_error.hpp"
#include "host/sim_spec.hpp"
#include "host/stats/risk_measures.hpp"
#include "kernels/revalue.cuh"

namespace chipshock {

StressedPeriod find_stressed_period(const Market& market, const Portfolio& portfolio,
                                    const PriceHistory& h, const std::string& as_of,
                                    const StressedSearch& s) {
  if (!(s.confidence > 0 && s.confidence < 1))
    throw InputError("", 0, "--stressed", "the ES level must be in (0, 1)");
  const std::vector<std::string> held = held_tickers(market, portfolio);
  std::vector<int> column(market.size(), -1);  // asset -> column of h
  for (const std::string& t : held) {
    const auto it = std::find(h.tickers.begin(), h.tickers.end(), t);
    if (it == h.tickers.end())
      throw InputError(portfolio.file, 0, "ticker",
                       "held ticker " + t + " has no price history among the calibrated tickers",
                       "calibrate it too (--tickers) or leave it out of the book");
    column[static_cast<std::size_t>(market.index_of(t))] =
        static_cast<int>(it - h.tickers.begin());
  }
  int end = static_cast<int>(h.dates.size()) - 1;
  if (!as_of.empty())
    while (end >= 0 && h.dates[static_cast<std::size_t>(end)] > as_of) --end;
  const int w = s.window;
  if (w < 20)
    throw InputError("", 0, "--stressed-window", "at least 20 daily returns per window");
  if (end < w)
    throw InputError("", 0, "--stressed-window",
                     std::to_string(w) + " daily returns are not available up to " +
                         (end >= 0 ? h.dates[static_cast<std::size_t>(end)] : as_of) +
                         ": the joined history has " + std::to_string(std::max(end, 0)),
                     "use a shorter --stressed-window or more history");
  // Day d's loss (d = 1 .. end: the return from close d-1 to close d), options aged one day.
  SimSettings one_day;
  one_day.horizon_days = 1;
  const SimSpec spec(market, portfolio, one_day);
  const BookView book = spec.book();
  std::vector<double> loss(static_cast<std::size_t>(end) + 1, 0.0), x(market.size(), 0.0),
      spot(market.size());
  std::vector<Settlement> settled(static_cast<std::size_t>(path_marks(book)));
  for (int d = 1; d <= end; ++d) {
    for (std::size_t a = 0; a < market.size(); ++a)
      x[a] = column[a] < 0 ? 0.0
                           : std::log(h.close(static_cast<std::size_t>(d),
                                              static_cast<std::size_t>(column[a])) /
                                      h.close(static_cast<std::size_t>(d) - 1,
                                              static_cast<std::size_t>(column[a])));
    // a one-day horizon: an option expiring on it settles at that close
    const auto xi = [&](int i) { return x[static_cast<std::size_t>(i)]; };
    settle_at_horizon(book, xi, settled.data());
    loss[static_cast<std::size_t>(d)] = path_loss(book, xi, spot.data(), settled.data());
  }
  const std::uint64_t n = static_cast<std::uint64_t>(w);
  const std::size_t keep = static_cast<std::size_t>(tail_size_needed(n, {s.confidence}));
  const auto risk_of_window = [&](int last) {
    std::vector<double> v(loss.begin() + (last - w + 1), loss.begin() + last + 1);
    std::partial_sort(v.begin(), v.begin() + static_cast<long>(std::min(keep, v.size())), v.end(),
                      std::greater<double>());
    v.resize(std::min(keep, v.size()));
    return risk_at(n, s.confidence, v);
  };
  // Sum of squared losses over each window, for ties in ES: its few largest losses are often
  // shared by neighbouring windows, whose ES is then the same.
  std::vector<long double> sq(static_cast<std::size_t>(end) + 1, 0.0L);
  for (int d = 1; d <= end; ++d)
    sq[static_cast<std::size_t>(d)] =
        sq[static_cast<std::size_t>(d) - 1] +
        static_cast<long double>(loss[static_cast<std::size_t>(d)]) * loss[static_cast<std::size_t>(d)];
  const auto square_sum = [&](int last) {
    return sq[static_cast<std::size_t>(last)] - sq[static_cast<std::size_t>(last - w)];
  };
  StressedPeriod p;
  p.searched_first = h.dates[1];
  p.searched_last = h.dates[static_cast<std::size_t>(end)];
  int best = -1;
  long double best_sq = 0;
  for (int last = w; last <= end; ++last) {
    const LevelRisk r = risk_of_window(last);
    ++p.windows;
    const long double s2 = square_sum(last);
    if (best < 0 || r.es > p.es || (r.es == p.es && s2 >= best_sq)) {
      best = last;
      best_sq = s2;
      p.es = r.es;
      p.var = r.var;
    }
  }
  p.first = h.dates[static_cast<std::size_t>(best - w + 1)];
  p.last = h.dates[static_cast<std::size_t>(best)];
  const LevelRisk now = risk_of_window(end);
  p.current_es = now.es;
  p.current_var = now.var;
  p.current_first = h.dates[static_cast<std::size_t>(end - w + 1)];
  p.current_last = h.dates[static_cast<std::size_t>(end)];
  return p;
}

}  // namespace chipshock
