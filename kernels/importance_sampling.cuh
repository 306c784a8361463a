// Importance sampling for deep tails (Glasserman, Heidelberger and Shahabuddin, "Variance
// reduction techniques for estimating value-at-risk", Management Science 46(10), 2000, and
// "Portfolio value-at-risk with heavy-tailed risk factors", Mathematical Finance 12(3), 2002),
// made defensive (Hesterberg, "Weighted average importance sampling and defensive mixture
// distributions", Technometrics 37(2), 1995).
//
// The shifted measure q: each step's standard normals have mean mu_s (the mean shift, along the
// direction in which the book loses, host/analytics/importance_sampling.cpp), and for Student-t
// innovations each day's chi-square mixing variable V (one per day, path_model.cuh) is drawn as
// lambda V (lambda in (0, 1]:
// smaller V, a larger scale factor, heavier tails; pure q would need lambda > 1/2 for a finite
// variance, the defensive mixture below bounds the weights whatever lambda). At the normals x and
// mixing draws V a path uses,
//   log p/q = |mu|^2 / 2 - sum_s mu_s . x_s + sum_d [ (nu/2) ln lambda + V_d (1/lambda - 1) / 2 ]
// (s over steps, d over days).
// Defensive mixture: every kPlainEvery-th path (i % 4 == 0; a random quarter on Sobol' points,
// see shifted_path) is drawn from the original measure p, the others from q, and every path is
// weighted by the mixture's likelihood ratio
//   w = p / (beta p + (1 - beta) q) = 1 / (beta + (1 - beta) exp(-log p/q)),  beta = 1/4,
// which is at most 1/beta = 4: the body of the distribution (mean, sd, P(loss)) is estimated
// about as well as by plain sampling, the tail nearly as well as by q alone. Over any multiple of
// four paths the weighted sums are unbiased; over other counts the deviation is O(1/N) (none on
// Sobol' points, whose labels are random).
#pragma once

#include <cmath>
#include <cstdint>

#include "path_model.cuh"
#include "philox.cuh"
#include "portability.cuh"
#include "sim_view.cuh"
#include "student_t.cuh"  // PhiloxBlockStream

namespace chipshock {

constexpr int kPlainEvery = 4;  // defensive share beta = 1 / kPlainEvery of paths drawn from p

// Whether path `path` is drawn from q. With Philox every fourth path index is drawn from p. With
// Sobol' points that would pick a structured subset (the indices divisible by 4 fill a quarter
// of the first dimension's range), biasing the estimate; there each path's label is an
// independent draw with P(p) = 1/4 from its own Philox block (stream kImportanceLabel), which is
// unbiased for any path count.
CHIPSHOCK_HD inline bool shifted_path(const ModelView& m, std::uint64_t seed, std::uint64_t path) {
  if (m.is_plain_only != 0) return false;
  if (m.rng != RngKind::kSobol) return path % kPlainEvery != 0;
  PhiloxBlockStream labels(seed, path, stream_offset(RngStream::kImportanceLabel));
  return labels.next4().x >= 0x40000000u;  // P = 3/4
}

// Wraps a Normals source (see path_model.cuh): adds step s's shift to the first n normals when
// `apply` is 1 (per lane: 1 or 0) and accumulates mu_s . x_s over the normals used. F is float
// or a lane type.
template <class F, class Inner>
class ShiftedNormals {
 public:
  CHIPSHOCK_HD ShiftedNormals(Inner& inner, const float* shift, int n, F apply)
      : inner_(inner), shift_(shift), n_(n), apply_(apply), dot_(0.0f) {}
  CHIPSHOCK_HD void fill(F* z, int blocks) {
    inner_.fill(z, blocks);
    const float* mu = shift_ + static_cast<long>(step_) * n_;
    for (int i = 0; i < n_; ++i) {
      z[i] = fma_lanes(apply_, F(mu[i]), z[i]);
      dot_ = fma_lanes(F(mu[i]), z[i], dot_);
    }
    ++step_;
  }
  // sum over the steps so far of mu_s . x_s
  CHIPSHOCK_HD F shift_dot() const { return dot_; }

 private:
  Inner& inner_;
  const float* shift_;
  int n_;
  int step_ = 0;
  F apply_;
  F dot_;
};

// One step's Student-t scale factor s = sqrt((nu - 2) / V) under the chi-square twist: when
// `apply`, returns s / sqrt(lambda) (the factor of lambda V), else s; adds the step's term of
// log p/q at the V used to log_pq. In double, so that the weight does not depend on float
// rounding of the scale.
CHIPSHOCK_HD inline float twisted_scale(float s, float dof, float lambda, bool apply,
                                        double& log_pq) {
  if (lambda == 1.0f) return s;
  const double nu = dof, l = lambda, sd = s;
  const double v = (nu - 2.0) / (sd * sd) * (apply ? l : 1.0);
  log_pq += 0.5 * nu * log(l) + 0.5 * v * (1.0 / l - 1.0);
  return apply ? static_cast<float>(sd / sqrt(l)) : s;
}

// log w of the defensive mixture from log p/q: -log(beta + (1 - beta) exp(-log_pq)), computed
// without overflow.
CHIPSHOCK_HD inline double mixture_log_weight(double log_pq) {
  const double a = log(1.0 / kPlainEvery);                       // log beta
  const double b = log(1.0 - 1.0 / kPlainEvery) - log_pq;         // log (1 - beta) q/p
  const double hi = a > b ? a : b, lo = a > b ? b : a;
  return -(hi + log1p(exp(lo - hi)));
}

}  // namespace chipshock
