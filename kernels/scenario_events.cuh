// Scenario jump events, drawn per path. An event is a vector of log-jumps (one per asset) that
// happens on a path with some probability, on a fixed day or on a day drawn uniformly from a
// window, scaled by a random size multiplier, and optionally followed by a recovery: a fraction of
// the jump reverts linearly over the next days. A deterministic jump is an event with
// probability 1, a fixed day and a fixed size.
//
// Each event of path i draws from its own fixed range of the path's event stream (counter words
// z,w = i; blocks from stream_offset(kEvents) + e * kEventStreamStride), so the draws are a pure
// function of (seed, i, e) and identical on the CPU and the GPU.
#pragma once

#include <cstdint>

#include "box_muller.cuh"
#include "philox.cuh"
#include "portability.cuh"
#include "sim_view.cuh"
#include "student_t.cuh"

namespace chipshock {

constexpr std::uint64_t kEventStreamStride = 4ull << 20;  // elements (2^20 blocks) per event

// The draw of one event on one path: day -1 when the event does not happen on this path.
struct EventDraw {
  int day;
  float multiplier;
};

// Draws event e of a path. The first block gives the occurrence uniform (word x), the day
// uniform (word y) and, for a random size, a normal from words z,w (cuRAND's Box–Muller); a
// Student-t size takes its chi-square from the blocks that follow.
CHIPSHOCK_HD inline EventDraw draw_event(const EventView& ev, std::uint64_t seed,
                                         std::uint64_t path, int e) {
  PhiloxBlockStream stream(seed, path,
                           stream_offset(RngStream::kEvents) +
                               static_cast<std::uint64_t>(e) * kEventStreamStride);
  const Word4<std::uint32_t> r = stream.next4();
  EventDraw d{-1, 0.0f};
  // unit_uniform is in (0, 1]: the event happens when u <= p, so p = 1 always happens.
  if (ev.probability < 1.0f && unit_uniform<float>(r.x) > ev.probability) return d;
  const int span = ev.day_last - ev.day_first + 1;
  int offset = 0;
  if (span > 1) {
    // u in (0, 1] maps to floor(span * u), clamped to span - 1 (u = 1 exactly)
    offset = static_cast<int>(static_cast<float>(span) * unit_uniform<float>(r.y));
    if (offset >= span) offset = span - 1;
  }
  d.day = ev.day_first + offset;
  d.multiplier = 1.0f;
  if (ev.size_kind != JumpSize::kFixed) {
    float z, unused;
    box_muller(r.z, r.w, z, unused);
    if (ev.size_kind == JumpSize::kStudentT) z *= student_t_scale(stream, ev.size_dof);
    d.multiplier = fmaf(ev.size_sd, z, 1.0f);
  }
  return d;
}

// The coefficient of event e's log-jump vector added to the log-price on day `day`: the
// multiplier on the jump day, minus an equal share of the recovered fraction on each of the
// recovery days that follow, 0 otherwise.
CHIPSHOCK_HD CHIPSHOCK_INLINE float event_coefficient(const EventView& ev, const EventDraw& d,
                                                      int day) {
  if (d.day < 0) return 0.0f;
  if (day == d.day) return d.multiplier;
  if (ev.recovery_days > 0 && day > d.day && day <= d.day + ev.recovery_days)
    return -ev.recovery_fraction * d.multiplier / static_cast<float>(ev.recovery_days);
  return 0.0f;
}

// The events of one path for a scalar lane (the GPU thread, and the CPU reference backend).
class PathEvents {
 public:
  CHIPSHOCK_HD PathEvents(const ModelView& m, std::uint64_t seed, std::uint64_t path)
      : m_(m) {
    for (int e = 0; e < m.n_events; ++e) draws_[e] = draw_event(m.events[e], seed, path, e);
  }
  CHIPSHOCK_HD bool active(int e, int day) const {
    return event_coefficient(m_.events[e], draws_[e], day) != 0.0f;
  }
  CHIPSHOCK_HD float coefficient(int e, int day) const {
    return event_coefficient(m_.events[e], draws_[e], day);
  }

 private:
  const ModelView& m_;
  EventDraw draws_[kMaxEvents];
};

}  // namespace chipshock
