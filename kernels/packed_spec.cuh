// The per-launch data of a GPU run (model and book arrays) packed into one block of bytes, so
// that the device gets it with one copy: into constant memory when it fits, global memory
// otherwise. The model is padded to a multiple of 4 assets, which makes the asset count a
// compile-time constant for the fixed-size kernels and changes no real asset's arithmetic:
// the padded assets have zero drift, zero vol rows and columns, zero jumps, and are not held.
// Path i still draws ceil(n / 4) Philox blocks per step, as on the CPU (with --rng sobol, the
// same n Sobol' dimensions per bridge point).
#pragma once

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "american.cuh"
#include "expiry.cuh"
#include "portability.cuh"
#include "sim_view.cuh"
#include "vol_factors.cuh"

namespace chipshock {

CHIPSHOCK_HD CHIPSHOCK_INLINE int padded_asset_count(int n) { return (n + 3) / 4 * 4; }

// Where each array lives in the packed bytes; the views' pointers are rebuilt from a base
// address on whichever side reads them. Trivially copyable: a kernel argument.
struct PackedLayout {
  ModelView model;  // scalars only: its pointers are null here
  BookView book;
  std::uint32_t day_segment = 0, drift_dt = 0, vol_chol = 0, events = 0, event_log_jump = 0;
  std::uint32_t held_assets = 0, spot0 = 0, equity_qty = 0, options = 0, american = 0;
  std::uint32_t expiring = 0, exercise_spot = 0, vol_factors = 0;
  // --rng sobol: the bridge plan and the Sobol' tables of the dimensions the model uses
  std::uint32_t bridge_first_op = 0, bridge_ops = 0, sobol_directions = 0, sobol_scramble = 0;
  // importance sampling: each step's mean shift of the normals, padded like the assets
  std::uint32_t is_shift = 0;
  std::uint32_t bytes = 0;
  bool has_day_segment = false;
  bool has_is_shift = false;

  CHIPSHOCK_HD ModelView model_at(const unsigned char* base) const {
    ModelView m = model;
    m.day_segment = has_day_segment ? reinterpret_cast<const int*>(base + day_segment) : nullptr;
    m.drift_dt = reinterpret_cast<const float*>(base + drift_dt);
    m.vol_chol = reinterpret_cast<const float*>(base + vol_chol);
    m.events = m.n_events > 0 ? reinterpret_cast<const EventView*>(base + events) : nullptr;
    m.event_log_jump =
        m.n_events > 0 ? reinterpret_cast<const float*>(base + event_log_jump) : nullptr;
    if (m.rng == RngKind::kSobol) {
      m.bridge_first_op = reinterpret_cast<const int*>(base + bridge_first_op);
      m.bridge_ops = reinterpret_cast<const BridgeOp*>(base + bridge_ops);
      m.sobol_directions = reinterpret_cast<const std::uint32_t*>(base + sobol_directions);
      m.sobol_scramble = reinterpret_cast<const std::uint32_t*>(base + sobol_scramble);
    }
    m.is_shift = has_is_shift ? reinterpret_cast<const float*>(base + is_shift) : nullptr;
    return m;
  }
  CHIPSHOCK_HD BookView book_at(const unsigned char* base) const {
    BookView b = book;
    b.held_assets = reinterpret_cast<const int*>(base + held_assets);
    b.spot0 = reinterpret_cast<const double*>(base + spot0);
    b.equity_qty = reinterpret_cast<const double*>(base + equity_qty);
    b.options = b.n_options > 0 ? reinterpret_cast<const OptionView*>(base + options) : nullptr;
    b.american =
        b.n_american > 0 ? reinterpret_cast<const AmericanCurve*>(base + american) : nullptr;
    b.expiring = b.n_expiring > 0 ? reinterpret_cast<const ExpiryView*>(base + expiring) : nullptr;
    b.exercise_spot =
        b.n_exercise_spots > 0 ? reinterpret_cast<const double*>(base + exercise_spot) : nullptr;
    b.vol_factors =
        b.n_vol_factors > 0 ? reinterpret_cast<const VolFactorView*>(base + vol_factors) : nullptr;
    return b;
  }
};

// The packed bytes and their layout, built on the host.
struct PackedSpec {
  PackedLayout layout;
  std::vector<unsigned char> bytes;
};

namespace packing {

class Writer {
 public:
  template <class T>
  std::uint32_t put(const T* data, std::size_t count) {
    const std::size_t at = (bytes_.size() + 15) / 16 * 16;  // every array 16-byte aligned
    bytes_.resize(at + count * sizeof(T), 0);
    if (count > 0) std::memcpy(bytes_.data() + at, data, count * sizeof(T));
    return static_cast<std::uint32_t>(at);
  }
  std::vector<unsigned char> take() {
    bytes_.resize((bytes_.size() + 15) / 16 * 16, 0);
    return std::move(bytes_);
  }

 private:
  std::vector<unsigned char> bytes_;
};

}  // namespace packing

// Packs a model and book (host pointers) with the model padded to padded_asset_count(n).
inline PackedSpec pack_spec(const ModelView& m, const BookView& b) {
  const int n = m.n_assets, p = padded_asset_count(n);
  const std::size_t pn = static_cast<std::size_t>(p), nn = static_cast<std::size_t>(n);
  const std::size_t segments = static_cast<std::size_t>(m.n_segments);
  const std::size_t events = static_cast<std::size_t>(m.n_events);

  std::vector<float> drift(segments * pn, 0.0f), chol(segments * pn * pn, 0.0f);
  for (std::size_t s = 0; s < segments; ++s)
    for (std::size_t i = 0; i < nn; ++i) {
      drift[s * pn + i] = m.drift_dt[s * nn + i];
      for (std::size_t j = 0; j < nn; ++j)
        chol[(s * pn + i) * pn + j] = m.vol_chol[(s * nn + i) * nn + j];
    }
  std::vector<float> jumps(events * pn, 0.0f);
  for (std::size_t e = 0; e < events; ++e)
    for (std::size_t i = 0; i < nn; ++i) jumps[e * pn + i] = m.event_log_jump[e * nn + i];
  std::vector<double> spot0(pn, 0.0), qty(pn, 0.0);
  for (std::size_t i = 0; i < nn; ++i) {
    spot0[i] = b.spot0[i];
    qty[i] = b.equity_qty[i];
  }

  packing::Writer w;
  PackedSpec out;
  PackedLayout& l = out.layout;
  l.model = m;
  l.model.n_assets = p;
  l.model.n_blocks = p / 4;
  l.model.day_segment = nullptr;
  l.model.drift_dt = nullptr;
  l.model.vol_chol = nullptr;
  l.model.events = nullptr;
  l.model.event_log_jump = nullptr;
  l.model.bridge_first_op = nullptr;
  l.model.bridge_ops = nullptr;
  l.model.sobol_directions = nullptr;
  l.model.sobol_scramble = nullptr;
  l.model.is_shift = nullptr;
  l.book = b;
  l.book.held_assets = nullptr;
  l.book.spot0 = nullptr;
  l.book.equity_qty = nullptr;
  l.book.options = nullptr;
  l.book.american = nullptr;
  l.book.expiring = nullptr;
  l.book.exercise_spot = nullptr;
  l.book.vol_factors = nullptr;
  l.has_day_segment = m.day_segment != nullptr;
  l.day_segment = l.has_day_segment
                      ? w.put(m.day_segment, static_cast<std::size_t>(m.horizon_days))
                      : 0;
  l.drift_dt = w.put(drift.data(), drift.size());
  l.vol_chol = w.put(chol.data(), chol.size());
  l.events = w.put(m.events, events);
  l.event_log_jump = w.put(jumps.data(), jumps.size());
  l.held_assets = w.put(b.held_assets, static_cast<std::size_t>(b.n_held));
  l.spot0 = w.put(spot0.data(), spot0.size());
  l.equity_qty = w.put(qty.data(), qty.size());
  l.options = w.put(b.options, static_cast<std::size_t>(b.n_options));
  l.american = w.put(b.american, static_cast<std::size_t>(b.n_american));
  l.expiring = w.put(b.expiring, static_cast<std::size_t>(b.n_expiring));
  l.exercise_spot = w.put(b.exercise_spot, static_cast<std::size_t>(b.n_exercise_spots));
  l.vol_factors = w.put(b.vol_factors, static_cast<std::size_t>(b.n_vol_factors));
  if (m.rng == RngKind::kSobol) {  // qmc_assets stays the real count: the padding draws nothing
    const std::size_t steps = static_cast<std::size_t>(m.bridge_steps);
    const std::size_t dims = static_cast<std::size_t>(m.qmc_assets) * steps;
    l.bridge_first_op = w.put(m.bridge_first_op, steps + 1);
    l.bridge_ops = w.put(m.bridge_ops, steps);
    l.sobol_directions = w.put(m.sobol_directions, dims * 32);
    l.sobol_scramble = w.put(m.sobol_scramble, dims);
  }
  if (m.is_shift != nullptr) {  // the padded assets' shift is 0: their normals stay as drawn
    const std::size_t steps =
        static_cast<std::size_t>(m.horizon_days) * static_cast<std::size_t>(m.steps_per_day);
    std::vector<float> shift(steps * pn, 0.0f);
    for (std::size_t t = 0; t < steps; ++t)
      for (std::size_t i = 0; i < nn; ++i) shift[t * pn + i] = m.is_shift[t * nn + i];
    l.has_is_shift = true;
    l.is_shift = w.put(shift.data(), shift.size());
  }
  out.bytes = w.take();
  l.bytes = static_cast<std::uint32_t>(out.bytes.size());
  return out;
}

}  // namespace chipshock
