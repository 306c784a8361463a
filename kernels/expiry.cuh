// Options that expire inside the horizon, settled on the days of each path.
//
// An option whose expiry day falls on or before the horizon is not revalued at the horizon: each
// path settles it on a day of its own path and the book holds the cash from then on, at the
// rate to the horizon.
// - European: it settles at its intrinsic value on its expiry day (the spot at that day's close).
// - American: it is exercised at the close of the first day on which the spot is at or beyond
//   its exercise boundary for the time then left to expiry (a put at or below it, a call at or
//   above it), for its intrinsic value; not exercised before, it settles like a European on its
//   expiry day. The boundary is the continuous-exercise one (host/pricing/american.hpp), checked
//   once a day: the holder exercises at the close.
// A settlement of payoff P on day d (0-based; the close of day d is (d + 1) / 252 years from
// today) is worth P e^(r (H - d - 1) / 252) at the horizon of H days: exactly P when d + 1 = H,
// so a European option expiring on the horizon's day is valued as before (an American one may
// be exercised on an earlier day).
//
// The per-path state is one Settlement per expiring option (at most kMaxExpiring a book, so that
// a GPU thread holds them), followed by the path's implied-vol factors (vol_factors.cuh):
// PathMarkDays, an observer of the path function's days (path_model.cuh), fills it, and the
// revaluation (revalue.cuh) reads it. The observer runs
// before any other observer of the same day, so the day's book sees the day's settlements.
#pragma once

#include "portability.cuh"
#include "sim_view.cuh"

namespace chipshock {

constexpr int kMaxExpiring = 64;  // options expiring inside the horizon, per book

struct ExpiryView {
  int option = 0;  // index into BookView::options
  int asset = 0;
  int day = 0;     // 0-based: it expires at the close of this day of the horizon
  OptionKind kind = OptionKind::kCall;
  double strike = 0;
  // American with early exercise: the spot at which it is exercised at the close of each day
  // 0 .. day - 1, at BookView::exercise_spot[boundary + d]; -1: settled on its expiry day only
  int boundary = -1;
};

// One option's settlement on a path: `payoff` per unit paid at the close of `day`; day < 0: not
// settled yet.
struct Settlement {
  double payoff;
  int day;
};

// Every option of the book not settled yet: the state of a path before its first day.
CHIPSHOCK_HD inline void start_settlements(const BookView& b, Settlement* settled) {
  for (int k = 0; k < b.n_expiring; ++k) settled[k] = Settlement{0.0, -1};
}

// The payoff at expiry, as black_scholes gives it at tau <= 0.
CHIPSHOCK_HD inline double intrinsic_value(OptionKind kind, double s, double strike) {
  return kind == OptionKind::kCall ? fmax(s - strike, 0.0) : fmax(strike - s, 0.0);
}

// Option k of the book at the close of day `day`, with its asset's log-return since today.
CHIPSHOCK_HD inline void settle_on_day(const BookView& b, int k, int day, double log_return,
                                       Settlement& settled) {
  const ExpiryView& e = b.expiring[k];
  if (settled.day >= 0 || day > e.day) return;
  const double s = b.spot0[e.asset] * exp(log_return);
  bool stop = day == e.day;
  if (!stop && e.boundary >= 0) {
    const double edge = b.exercise_spot[e.boundary + day];
    stop = e.kind == OptionKind::kPut ? s <= edge : s >= edge;
  }
  if (stop) settled = Settlement{intrinsic_value(e.kind, s, e.strike), day};
}

// The settlement's value per unit at the horizon of book b (its horizon_days): the payoff and
// the interest it earned since. b may be a run cut short of the run whose paths settled it: a
// cut run holds an option as expiring only if it expires on or before its own horizon.
CHIPSHOCK_HD inline double settled_value(const BookView& b, const Settlement& s) {
  const int days_after = b.horizon_days - 1 - s.day;
  return days_after == 0 ? s.payoff : s.payoff * exp(b.rate * (days_after / 252.0));
}

// The settlements from the horizon's closes alone (log_return(i): asset i's log-return over the
// horizon): exact when every option expires on the horizon's last day and has no early exercise
// (fits_horizon_closes), as in a one-day run.
template <class LogReturn>
CHIPSHOCK_HD inline void settle_at_horizon(const BookView& b, LogReturn log_return,
                                           Settlement* settled) {
  start_settlements(b, settled);
  for (int k = 0; k < b.n_expiring; ++k)
    settle_on_day(b, k, b.horizon_days - 1, static_cast<double>(log_return(b.expiring[k].asset)),
                  settled[k]);
}

// Whether settle_at_horizon is exact for expiring option k of the book.
CHIPSHOCK_HD inline bool fits_horizon_closes(const BookView& b, int k) {
  return b.expiring[k].day == b.horizon_days - 1 && b.expiring[k].boundary < 0;
}

// Two day observers, the first one first.
template <class First, class Then>
struct BothDayEnds {
  First first;
  Then then;
  template <class F>
  CHIPSHOCK_HD void operator()(int day, const F* x) const {
    first(day, x);
    then(day, x);
  }
};

}  // namespace chipshock
