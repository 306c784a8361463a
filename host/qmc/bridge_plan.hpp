// The Brownian-bridge plan of quasi-Monte Carlo paths (kernels/sobol_normals.cuh): in which
// order the bridge builds W(1), ..., W(T) from the Sobol' dimensions, and at which step each
// point is built.
//
// Construction order (Glasserman, "Monte Carlo Methods in Financial Engineering", 3.1; the
// order of QuantLib's BrownianBridge): rank 0 is W(T) = sqrt(T) z; then, sweeping left to right
// over the gaps between points already built, each gap's midpoint (rounded down) from its two
// ends, W(t) = ((b - t) W(a) + (t - a) W(b)) / (b - a) + sqrt((t - a)(b - t) / (b - a)) z; and
// again until every step is built. Any T works, not only powers of two. Times are in steps.
//
// Step order: a path builds a point when its step first needs it, farthest first. The point a
// step s builds always has W(s - 1) as its left end (the step before), and its right end is the
// nearest value the path holds ahead, so a path holds at most `depth` values (about log2 T).
#pragma once

#include <vector>

#include "kernels/sim_view.cuh"

namespace chipshock {

struct BridgePlan {
  int steps = 0;
  int depth = 0;              // most values held ahead of the current step (with its own)
  std::vector<int> first_op;  // [steps + 1]: step s runs ops[first_op[s] .. first_op[s + 1])
  std::vector<BridgeOp> ops;  // [steps]: every point once, in the order the steps build them
};

// The plan for `steps` >= 1 unit steps. Throws std::logic_error if the walk's invariants fail.
BridgePlan brownian_bridge_plan(int steps);

}  // namespace chipshock
