#include "host/qmc/bridge_plan.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace chipshock {

BridgePlan brownian_bridge_plan(int steps) {
  if (steps < 1) throw std::logic_error("brownian_bridge_plan: no steps");
  const int t_end = steps;
  // point[t] for t = 1..T: how the bridge builds W(t); rank -1 = not yet placed.
  std::vector<BridgeOp> point(static_cast<std::size_t>(t_end) + 1);
  // The ends of each point's construction: left 0 is W(0) = 0; right 0 (W(T) only) is none.
  std::vector<int> left(static_cast<std::size_t>(t_end) + 1, 0);
  std::vector<int> right(static_cast<std::size_t>(t_end) + 1, 0);
  for (BridgeOp& p : point) p.rank = -1;
  point[t_end] = BridgeOp{t_end, 0, 0, 0.0, 0.0, std::sqrt(static_cast<double>(t_end))};
  // QuantLib's sweep, on 0-based indices j <-> time j + 1.
  for (int rank = 1, j = 0; rank < t_end; ++rank) {
    while (point[static_cast<std::size_t>(j) + 1].rank >= 0) ++j;  // first unbuilt
    int k = j;
    while (point[static_cast<std::size_t>(k) + 1].rank < 0) ++k;  // next built
    const int l = j + ((k - 1 - j) >> 1);
    const double a = j, t = l + 1, b = k + 1;  // left end (time j: index j - 1), target, right
    BridgeOp& p = point[static_cast<std::size_t>(l) + 1];
    p.time = l + 1;
    p.rank = rank;
    p.has_right = 1;
    p.w_left = (b - t) / (b - a);
    p.w_right = (t - a) / (b - a);
    p.sd = std::sqrt((t - a) * (b - t) / (b - a));
    left[static_cast<std::size_t>(l) + 1] = j;
    right[static_cast<std::size_t>(l) + 1] = k + 1;
    j = k + 1;
    if (j >= t_end) j = 0;
  }

  BridgePlan plan;
  plan.steps = t_end;
  std::vector<bool> built(static_cast<std::size_t>(t_end) + 1, false);
  std::vector<int> held;  // times of the values held ahead, nearest last
  std::vector<int> chain;
  const auto fail = [](const std::string& what) {
    throw std::logic_error("brownian_bridge_plan: " + what);
  };
  for (int s = 1; s <= t_end; ++s) {
    plan.first_op.push_back(static_cast<int>(plan.ops.size()));
    if (!built[static_cast<std::size_t>(s)]) {
      chain.assign(1, s);
      for (int a = s; right[static_cast<std::size_t>(a)] != 0 &&
                      !built[static_cast<std::size_t>(right[static_cast<std::size_t>(a)])];)
        chain.push_back(a = right[static_cast<std::size_t>(a)]);
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const int t = *it;
        const BridgeOp& p = point[static_cast<std::size_t>(t)];
        if (left[static_cast<std::size_t>(t)] != s - 1) fail("a left end is not the step before");
        if (p.has_right && (held.empty() || held.back() != right[static_cast<std::size_t>(t)]))
          fail("a right end is not the nearest value held ahead");
        plan.ops.push_back(p);
        held.push_back(t);
        built[static_cast<std::size_t>(t)] = true;
      }
    }
    plan.depth = std::max(plan.depth, static_cast<int>(held.size()));
    if (held.empty() || held.back() != s) fail("a step's point is not on top");
    held.pop_back();
  }
  plan.first_op.push_back(static_cast<int>(plan.ops.size()));
  if (static_cast<int>(plan.ops.size()) != t_end) fail("a point was not built once");
  return plan;
}

}  // namespace chipshock
