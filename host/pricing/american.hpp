// American options: the exercise boundary and the price curve the kernels evaluate
// (kernels/american.cuh), solved on the host once per option and run.
//
// The method is Kim's integral equation for the exercise boundary of a put, solved as
// Andersen, Lake and Offengelt (2016) do: the boundary B(tau) as an interpolant of
// (ln(B / X))^2 in sqrt(tau) on Chebyshev-Lobatto nodes (X = K min(1, r / q), the boundary at
// expiry), iterated to a fixed point of B = K N(tau, B) / D(tau, B) (their FP-B form), with
// the integrals by tanh-sinh quadrature. The price in the continuation region is the European
// price plus the early-exercise premium's integral over that boundary. Calls go through the
// put of the McDonald-Schroder symmetry. Accuracy against a 2,000-step binomial tree is tested
// over a grid (tests/test_american.cpp); its cost is in bench/RESULTS.md.
#pragma once

#include <vector>

#include "kernels/american.cuh"
#include "kernels/sim_view.cuh"

namespace chipshock {

// The curve of an option with `tau` years left (tau <= 0: expired, its payoff), rate and
// dividend yield continuously compounded, vol > 0. Throws std::invalid_argument on a parameter
// outside the tested domain (vol in (0, 5], |rate| and yield <= 1, tau <= 30 years, strike > 0)
// and std::runtime_error if the boundary's iteration does not converge.
AmericanCurve american_curve(OptionKind kind, double strike, double tau, double rate, double vol,
                             double dividend_yield);

// The American option's price per unit at spot s (american_value of its curve).
double american_price(OptionKind kind, double s, double strike, double tau, double rate, double vol,
                      double dividend_yield);

// The exercise boundary of an option expiring at the close of trading day `days` from today, in
// spot, at the close of each day d = 0 .. days - 1 (with (days - d) / 252 years left): a put is
// exercised at or below it, a call at or above it. Empty when early exercise is never optimal (a
// put at a rate <= 0, a call at a yield <= 0) or days <= 0. Throws as american_curve does.
std::vector<double> american_exercise_spots(OptionKind kind, double strike, double rate, double vol,
                                            double dividend_yield, int days);

// The put's exercise boundary at `tau` years to expiry, from the solved curve's problem (tests).
double american_put_boundary(double strike, double tau, double rate, double vol,
                             double dividend_yield);

}  // namespace chipshock
