#!/usr/bin/python3
"""Vectorised numpy peer of the chipshock Monte Carlo equity risk model.

This script is a performance and correctness baseline for the C++ engine.
It simulates the same model, in distribution, the way a competent numpy
user would write it: blocks of paths, one batched normal draw and one small
matrix product per time step, and float32 arithmetic for the simulation.

Interpreter
-----------
Run it with the system interpreter, ``/usr/bin/python3`` (Python 3.11, which
has ``tomllib``, with numpy 1.24).  The ``python3`` that pyenv puts first on
PATH has no numpy, so ``python3 numpy_mc.py`` fails there; use
``/usr/bin/python3 bench/peers/numpy_mc.py ...`` or run the file directly
(its shebang names /usr/bin/python3).  Only the standard library and numpy
are used.

Model
-----
Asset i has spot S_i, annual volatility sigma_i and annual drift mu_i
(default 0).  With dt = 1 / (252 * steps_per_day), each path takes
horizon_days * steps_per_day steps of

    x_i += (mu_i - sigma_i**2 / 2) * dt + sigma_i * sqrt(dt) * eps_i,

where eps = L z, L is the lower Cholesky factor of the correlation matrix
and z is a vector of independent standard normals.  At the horizon
S_i(T) = S_i * exp(x_i), and the portfolio loss (positive = loss) is

    loss = sum_i q_i * (S_i - S_i(T)).

Only equity positions are supported, and only Gaussian shocks: a market
file with a ``dof`` key (Student-t shocks) or a portfolio with non-equity
positions is refused with an error.  Cash does not change the loss and the
market ``rate`` is not used (drift comes from each asset's ``drift``).

Statistics
----------
For each confidence level c in 0.95, 0.975 and 0.99:

* VaR_c = np.quantile(losses, c, method="inverted_cdf"), i.e. the
  ceil(N*c)-th smallest loss;
* ES_c  = mean of the largest ceil(N*(1-c)) losses, found with
  np.partition (no full sort).  The count is computed with exact decimal
  arithmetic so that, e.g., N = 200000 and c = 0.95 gives exactly 10000.

``mean_loss`` is the sample mean and ``stdev_loss`` the sample standard
deviation (ddof=1) of the losses.

Inputs
------
Market TOML::

    currency = "USD"
    rate = 0.05
    [assets.AAA]
    spot = 100.0
    vol = 0.3
    drift = 0.0          # optional
    [correlation]        # optional; unlisted assets are uncorrelated
    tickers = ["AAA", "BBB"]
    matrix = [[1.0, 0.5], [0.5, 1.0]]

Portfolio TOML::

    name = "book"
    cash = 0.0           # optional, ignored
    [[positions]]
    ticker = "AAA"
    quantity = 10
    type = "equity"      # optional; only "equity" accepted

Usage
-----
::

    /usr/bin/python3 bench/peers/numpy_mc.py --market m.toml \\
        --portfolio p.toml --paths 1M [--horizon 1] [--steps-per-day 1] \\
        [--seed 7] [--block 65536] [--all-assets]

By default only the tickers the portfolio holds are simulated.  With
``--all-assets`` every asset in the market is simulated (unheld ones with
quantity 0), so that throughput is measured at the full market width.

Output
------
One JSON object on stdout with the keys engine, numpy_version, paths,
assets, steps, seconds, asset_steps_per_second, var, es, mean_loss and
stdev_loss.  ``seconds`` covers the simulation and the statistics only,
not TOML parsing.  Human-readable notes go to stderr.
"""

import argparse
import json
import math
import sys
import time
import tomllib
from decimal import Decimal

import numpy as np

TRADING_DAYS_PER_YEAR = 252
CONFIDENCE_LEVELS = ("0.95", "0.975", "0.99")


class InputError(Exception):
    """A problem with the command line or the input files."""


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def parse_count(text):
    """Parse a positive path count such as 200000, 1e6, 1M, 2.5k or 1_000_000.

    Suffixes k, M and G (case-insensitive) multiply by 1e3, 1e6 and 1e9.
    The result must be a positive whole number.
    """
    multipliers = {"k": 10**3, "m": 10**6, "g": 10**9}
    cleaned = text.strip().replace("_", "")
    multiplier = 1
    if cleaned and cleaned[-1].lower() in multipliers:
        multiplier = multipliers[cleaned[-1].lower()]
        cleaned = cleaned[:-1]
    try:
        value = Decimal(cleaned) * multiplier
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not value.is_finite() or value != value.to_integral_value() or value <= 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive whole number, got {text!r}")
    return int(value)


def positive_int(text):
    """Parse a positive integer argument."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Vectorised numpy Monte Carlo VaR/ES peer for chipshock "
                    "(Gaussian shocks, equity positions only).")
    parser.add_argument("--market", required=True, help="market TOML file")
    parser.add_argument("--portfolio", required=True,
                        help="portfolio TOML file")
    parser.add_argument("--paths", required=True, type=parse_count,
                        help="number of paths (e.g. 200000, 1e6, 1M)")
    parser.add_argument("--horizon", type=positive_int, default=1,
                        help="horizon in trading days (default 1)")
    parser.add_argument("--steps-per-day", type=positive_int, default=1,
                        help="time steps per trading day (default 1)")
    parser.add_argument("--seed", type=int, default=7,
                        help="seed for numpy's default_rng (default 7)")
    parser.add_argument("--block", type=parse_count, default=65536,
                        help="paths simulated per block (default 65536)")
    parser.add_argument("--all-assets", action="store_true",
                        help="simulate every market asset, not only held ones")
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------
# Input files
# ---------------------------------------------------------------------------

def load_toml(path):
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror}")
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: invalid TOML: {err}")


def as_float(value, what):
    """Return value as a finite float, or raise InputError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{what} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{what} must be finite, got {value!r}")
    return value


def read_market(path):
    """Read the market file.

    Returns (tickers, spots, vols, drifts, correlation) where the arrays are
    float64 and follow the order of `tickers` (the order of the file), and
    `correlation` is the full correlation matrix over all market assets.
    """
    market = load_toml(path)
    if "dof" in market:
        raise InputError(
            f"{path}: 'dof' is set (Student-t shocks); the numpy peer "
            "supports Gaussian shocks only")

    assets = market.get("assets")
    if not isinstance(assets, dict) or not assets:
        raise InputError(f"{path}: no [assets.TICKER] tables")

    tickers = list(assets)
    spots, vols, drifts = [], [], []
    for ticker in tickers:
        table = assets[ticker]
        if not isinstance(table, dict):
            raise InputError(f"{path}: assets.{ticker} is not a table")
        for key in ("spot", "vol"):
            if key not in table:
                raise InputError(f"{path}: assets.{ticker} has no '{key}'")
        spot = as_float(table["spot"], f"assets.{ticker}.spot")
        vol = as_float(table["vol"], f"assets.{ticker}.vol")
        drift = as_float(table.get("drift", 0.0), f"assets.{ticker}.drift")
        if spot <= 0:
            raise InputError(f"{path}: assets.{ticker}.spot must be > 0")
        if vol < 0:
            raise InputError(f"{path}: assets.{ticker}.vol must be >= 0")
        spots.append(spot)
        vols.append(vol)
        drifts.append(drift)

    correlation = read_correlation(path, market.get("correlation"), tickers)
    return (tickers, np.array(spots), np.array(vols), np.array(drifts),
            correlation)


def read_correlation(path, table, tickers):
    """Build the full correlation matrix over `tickers`.

    Assets missing from the [correlation] table keep identity rows and
    columns, i.e. they are uncorrelated with everything.
    """
    n = len(tickers)
    full = np.eye(n)
    if table is None:
        return full

    listed = table.get("tickers")
    matrix = table.get("matrix")
    if not isinstance(listed, list) or not isinstance(matrix, list):
        raise InputError(
            f"{path}: [correlation] needs 'tickers' and 'matrix' arrays")
    if len(set(listed)) != len(listed):
        raise InputError(f"{path}: correlation.tickers has duplicates")
    unknown = [t for t in listed if t not in tickers]
    if unknown:
        raise InputError(
            f"{path}: correlation.tickers not in [assets]: {unknown}")
    m = len(listed)
    if len(matrix) != m or any(
            not isinstance(row, list) or len(row) != m for row in matrix):
        raise InputError(
            f"{path}: correlation.matrix must be {m}x{m} to match tickers")

    values = np.array([[as_float(v, "correlation.matrix entry") for v in row]
                       for row in matrix])
    if not np.allclose(values, values.T, rtol=0.0, atol=1e-12):
        raise InputError(f"{path}: correlation.matrix is not symmetric")
    if not np.allclose(np.diag(values), 1.0, rtol=0.0, atol=1e-12):
        raise InputError(f"{path}: correlation.matrix diagonal must be 1")
    if np.any(np.abs(values) > 1.0 + 1e-12):
        raise InputError(f"{path}: correlation entries must lie in [-1, 1]")

    index = [tickers.index(t) for t in listed]
    full[np.ix_(index, index)] = values
    return full


def read_portfolio(path, market_tickers):
    """Read the portfolio file; return {ticker: total quantity}."""
    portfolio = load_toml(path)
    positions = portfolio.get("positions", [])
    if not isinstance(positions, list):
        raise InputError(f"{path}: 'positions' must be an array of tables")

    holdings = {}
    for number, position in enumerate(positions, start=1):
        if not isinstance(position, dict):
            raise InputError(f"{path}: position {number} is not a table")
        kind = position.get("type", "equity")
        if kind != "equity":
            raise InputError(
                f"{path}: position {number} has type {kind!r}; the numpy "
                "peer supports equity positions only")
        ticker = position.get("ticker")
        if ticker not in market_tickers:
            raise InputError(
                f"{path}: position {number} ticker {ticker!r} is not in the "
                "market")
        if "quantity" not in position:
            raise InputError(f"{path}: position {number} has no 'quantity'")
        quantity = as_float(position["quantity"],
                            f"position {number} quantity")
        holdings[ticker] = holdings.get(ticker, 0.0) + quantity
    return holdings


# ---------------------------------------------------------------------------
# Simulation and statistics
# ---------------------------------------------------------------------------

def simulate_losses(spots, vols, drifts, correlation, quantities,
                    paths, steps, steps_per_day, seed, block):
    """Simulate `paths` portfolio losses; return a float64 array.

    Paths are processed in blocks of at most `block` so memory stays
    bounded.  The log-returns x are accumulated in float32.
    """
    rng = np.random.default_rng(seed)  # PCG64
    n = len(spots)
    dt = 1.0 / (TRADING_DAYS_PER_YEAR * steps_per_day)

    # Per-step deterministic part of the log-return, one value per asset.
    step_drift = ((drifts - 0.5 * vols**2) * dt).astype(np.float32)

    # Correlated, scaled shock: sigma_i*sqrt(dt)*eps_i with eps = L z.
    # For a row vector z this is z @ L.T @ diag(sigma*sqrt(dt)), so the
    # per-asset scaling is folded into the matrix once, outside the loop.
    cholesky = np.linalg.cholesky(correlation)
    shock_matrix = (cholesky.T * (vols * math.sqrt(dt))).astype(np.float32)

    # Loss = sum_i q_i*S_i*(1 - exp(x_i)); computed in float64.
    exposure = quantities * spots
    exposure_total = exposure.sum()

    losses = np.empty(paths, dtype=np.float64)
    for start in range(0, paths, block):
        size = min(block, paths - start)
        x = np.zeros((size, n), dtype=np.float32)
        for _ in range(steps):
            z = rng.standard_normal((size, n), dtype=np.float32)
            x += z @ shock_matrix
            x += step_drift
        growth = np.exp(x.astype(np.float64))
        losses[start:start + size] = exposure_total - growth @ exposure
    return losses


def tail_count(paths, level):
    """Exact ceil(paths * (1 - level)) for a decimal string `level`."""
    return max(1, math.ceil(paths * (1 - Decimal(level))))


def risk_statistics(losses):
    """VaR and ES per confidence level, plus mean and stdev of the losses."""
    paths = len(losses)
    var, es = {}, {}
    for level in CONFIDENCE_LEVELS:
        var[level] = float(np.quantile(losses, float(level),
                                       method="inverted_cdf"))
        k = tail_count(paths, level)
        largest = np.partition(losses, paths - k)[paths - k:]
        es[level] = float(largest.mean())
    mean = float(losses.mean())
    stdev = float(losses.std(ddof=1)) if paths > 1 else 0.0
    return var, es, mean, stdev


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv)
    try:
        tickers, spots, vols, drifts, correlation = read_market(args.market)
        holdings = read_portfolio(args.portfolio, tickers)
    except InputError as err:
        print(f"numpy_mc: error: {err}", file=sys.stderr)
        return 2

    # Choose the simulated assets, keeping the market file's order.
    if args.all_assets:
        chosen = list(range(len(tickers)))
    else:
        chosen = [i for i, t in enumerate(tickers) if t in holdings]
    if not chosen:
        print("numpy_mc: error: the portfolio holds no positions "
              "(use --all-assets to simulate the market anyway)",
              file=sys.stderr)
        return 2

    sim_tickers = [tickers[i] for i in chosen]
    quantities = np.array([holdings.get(t, 0.0) for t in sim_tickers])
    sim_correlation = correlation[np.ix_(chosen, chosen)]
    try:
        np.linalg.cholesky(sim_correlation)
    except np.linalg.LinAlgError:
        print("numpy_mc: error: the correlation matrix of the simulated "
              "assets is not positive definite", file=sys.stderr)
        return 2

    steps = args.horizon * args.steps_per_day
    n = len(chosen)
    print(f"numpy_mc: numpy {np.__version__}, {args.paths} paths x {n} "
          f"assets x {steps} steps, block {args.block}, seed {args.seed}",
          file=sys.stderr)

    started = time.perf_counter()
    losses = simulate_losses(spots[chosen], vols[chosen], drifts[chosen],
                             sim_correlation, quantities, args.paths, steps,
                             args.steps_per_day, args.seed, args.block)
    var, es, mean, stdev = risk_statistics(losses)
    seconds = time.perf_counter() - started

    rate = args.paths * n * steps / seconds
    print(f"numpy_mc: {seconds:.3f} s, {rate:.3e} asset-steps/s, "
          f"VaR99 {var['0.99']:.6g}, ES99 {es['0.99']:.6g}", file=sys.stderr)

    result = {
        "engine": "numpy",
        "numpy_version": np.__version__,
        "paths": args.paths,
        "assets": n,
        "steps": steps,
        "seconds": seconds,
        "asset_steps_per_second": rate,
        "var": var,
        "es": es,
        "mean_loss": mean,
        "stdev_loss": stdev,
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
