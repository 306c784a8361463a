#!/usr/bin/env python3
"""Estimate the sample market files scenarios/market/ai_chips.toml and ai_chips_t.toml.

Reads the adjusted daily closes in scenarios/data/prices/<TICKER>.csv for 16 AI-hardware and
megacap tickers, inner-joins them on date, takes the last N (default 500) daily log-returns
ending at --as-of, and writes:

  scenarios/market/ai_chips.toml    spot, annualised sample vol, drift = 0, correlation
  scenarios/market/ai_chips_t.toml  the same plus `dof`, a Student-t degrees-of-freedom
                                    maximum-likelihood estimate from the pooled
                                    standardised returns

Estimators:
  vol   = stdev(daily log-returns, ddof=1) * sqrt(252), rounded to 4 decimals
  corr  = sample Pearson correlation of the daily log-returns, rounded to 3 decimals,
          symmetric with an exact 1.0 diagonal; must stay positive definite after rounding
  spot  = adjusted close on the as-of date, rounded to 2 decimals
  dof   = argmax over nu in 2.1, 2.2, ..., 30.0 of the log-likelihood of the unit-variance
          Student-t (the law of sqrt((nu-2)/nu) * T_nu) for the pooled returns, each series
          divided by its own sample stdev (ddof=1); reported to 1 decimal

Run from anywhere (paths are resolved from the repository root):

  /usr/bin/python3 scripts/estimate_sample_market.py [--as-of YYYY-MM-DD] [--returns N]

Standard library + numpy only.
"""

import argparse
import datetime as dt
import math
import os
import shlex
import sys
import tomllib

import numpy as np

TICKERS = [
    "NVDA", "AMD", "TSM", "AVGO", "ASML", "MU", "INTC", "QCOM",
    "SMCI", "ARM", "MRVL", "MSFT", "GOOGL", "META", "AMZN", "AAPL",
]
# Sector of each ticker (a classification, used by scenarios' per-sector defaults).
SECTORS = {
    "NVDA": "semiconductors", "AMD": "semiconductors", "TSM": "semiconductors",
    "AVGO": "semiconductors", "ASML": "semiconductor_equipment", "MU": "semiconductors",
    "INTC": "semiconductors", "QCOM": "semiconductors", "SMCI": "hardware",
    "ARM": "semiconductors", "MRVL": "semiconductors", "MSFT": "software",
    "GOOGL": "internet", "META": "internet", "AMZN": "internet", "AAPL": "hardware",
}
# Factor-mimicking return series: `market` = SPY; `ai_capex` = SMH minus SPY (semiconductor
# stocks in excess of the market: the market's daily read on AI-hardware spending).
FACTOR_ETFS = ["SPY", "SMH"]
TRADING_DAYS = 252
RATE = 0.04
PD_TOL = 1e-6
NU_GRID = np.arange(21, 301) / 10.0  # 2.1, 2.2, ..., 30.0

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRICES_DIR = os.path.join("scenarios", "data", "prices")
OUT_NORMAL = os.path.join("scenarios", "market", "ai_chips.toml")
OUT_T = os.path.join("scenarios", "market", "ai_chips_t.toml")


def fail(msg):
    sys.exit(f"estimate_sample_market.py: error: {msg}")


def read_prices(ticker):
    """Return {date: close} from scenarios/data/prices/<ticker>.csv, with checks."""
    path = os.path.join(REPO_ROOT, PRICES_DIR, f"{ticker}.csv")
    if not os.path.isfile(path):
        fail(f"missing price file {os.path.join(PRICES_DIR, ticker + '.csv')}")
    out = {}
    prev = None
    with open(path, encoding="utf-8") as f:
        header = f.readline().strip()
        if header != "date,close":
            fail(f"{ticker}.csv: unexpected header {header!r}")
        for lineno, line in enumerate(f, start=2):
            line = line.strip()
            if not line:
                continue
            parts = line.split(",")
            if len(parts) != 2:
                fail(f"{ticker}.csv:{lineno}: expected 2 fields, got {line!r}")
            date = dt.date.fromisoformat(parts[0])
            close = float(parts[1])
            if not math.isfinite(close) or close <= 0.0:
                fail(f"{ticker}.csv:{lineno}: bad close {parts[1]!r}")
            if prev is not None and date <= prev:
                fail(f"{ticker}.csv:{lineno}: dates not strictly ascending")
            out[date] = close
            prev = date
    return out


def t_unit_var_loglik(x, nu):
    """Log-likelihood of x under the unit-variance Student-t with nu > 2 degrees of freedom.

    Density of X = sqrt((nu-2)/nu) * T_nu:
      f(x) = Gamma((nu+1)/2) / (Gamma(nu/2) * sqrt(pi*(nu-2))) * (1 + x^2/(nu-2))^(-(nu+1)/2)
    """
    n = x.size
    const = math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(math.pi * (nu - 2))
    return n * const - (nu + 1) / 2 * float(np.sum(np.log1p(x * x / (nu - 2))))


def fit_dof(z):
    ll = np.array([t_unit_var_loglik(z, nu) for nu in NU_GRID])
    i = int(np.argmax(ll))
    nu = round(float(NU_GRID[i]), 1)
    if i == 0 or i == len(NU_GRID) - 1:
        print(f"warning: dof estimate {nu} is at the edge of the grid 2.1..30", file=sys.stderr)
    return nu, float(ll[i])


def round_corr(c):
    """Round to 3 decimals, symmetric by construction, exact 1.0 diagonal."""
    n = c.shape[0]
    r = np.empty_like(c)
    for i in range(n):
        r[i, i] = 1.0
        for j in range(i + 1, n):
            v = round(0.5 * (c[i, j] + c[j, i]), 3)
            if v == 0.0:
                v = 0.0  # no "-0.000"
            r[i, j] = r[j, i] = v
    return r


def command_line():
    exe = sys.executable if sys.executable.startswith("/usr/") else "python3"
    script = os.path.relpath(os.path.abspath(sys.argv[0]), REPO_ROOT)
    return " ".join([exe, shlex.quote(script)] + [shlex.quote(a) for a in sys.argv[1:]])


def factor_loadings(rets, closes_etf):
    """OLS of each ticker's daily log-return on [1, market, ai_capex] over the window."""
    f = np.diff(np.log(closes_etf), axis=0)  # (n_ret, 2): SPY, SMH
    X = np.column_stack([np.ones(f.shape[0]), f[:, 0], f[:, 1] - f[:, 0]])
    beta, *_ = np.linalg.lstsq(X, rets, rcond=None)
    return {t: (round(float(beta[1, i]), 3), round(float(beta[2, i]), 3)) for i, t in enumerate(TICKERS)}


def render(spots, vols, corr, window, loadings, dof=None):
    first_ret, first_prev, last_ret, n_ret = window
    L = []
    L.append("# chipshock sample market: 16 AI-hardware and megacap US-listed stocks.")
    if dof is None:
        L.append("# Multivariate lognormal (GBM) model parameters estimated from daily history.")
    else:
        L.append("# Same parameters as scenarios/market/ai_chips.toml, plus Student-t `dof` for a")
        L.append("# fat-tailed (multivariate Student-t) variant of the model.")
    L.append("#")
    L.append("# Generated file; do not edit by hand. Produced (from the repository root) by:")
    L.append(f"#   {command_line()}")
    L.append("#")
    L.append(f"# Window: the last {n_ret} trading-day log-returns ending at the as-of date, on the")
    L.append("#   dates common to all 16 price files (inner join on date).")
    L.append(f"#   first return: {first_ret.isoformat()} (close-to-close from {first_prev.isoformat()})")
    L.append(f"#   last return:  {last_ret.isoformat()} (= as-of date)")
    L.append(f"#   number of returns: {n_ret}")
    L.append("# Estimators:")
    L.append("#   spot = adjusted close on the as-of date, rounded to 2 decimals")
    L.append(f"#   vol  = annualised sample vol = stdev of daily log-returns (ddof=1) * sqrt({TRADING_DAYS}),")
    L.append("#          rounded to 4 decimals")
    L.append("#   correlation = sample Pearson correlation of the daily log-returns, rounded to")
    L.append("#          3 decimals, exactly symmetric, 1.0 on the diagonal; checked positive definite")
    L.append(f"#          after rounding (min eigenvalue {np.linalg.eigvalsh(corr).min():.6f})")
    L.append("#   drift = 0.0 for every asset: set to zero, not estimated (a two-year sample mean")
    L.append("#          return is too noisy to serve as an expected return).")
    L.append("#   exposures = factor loadings, OLS of each ticker's daily log-return on an intercept,")
    L.append("#          `market` (SPY's log-return) and `ai_capex` (SMH's minus SPY's log-return:")
    L.append("#          semiconductors in excess of the market) over the same window, 3 decimals.")
    L.append("#          Scenarios that shock these factors move each ticker by its loadings.")
    L.append("#   sector = a classification (semiconductors, semiconductor_equipment, hardware,")
    L.append("#          software, internet), used by scenarios' per-sector defaults.")
    if dof is not None:
        nu, n_pooled = dof
        L.append("#   dof  = Student-t degrees of freedom: maximum-likelihood fit of a univariate,")
        L.append("#          unit-variance Student-t (the law of sqrt((nu-2)/nu) * T_nu) to the pooled")
        L.append("#          standardised returns (each series divided by its own sample stdev, ddof=1;")
        L.append(f"#          {n_pooled} values), grid search over nu = 2.1..30 in steps of 0.1,")
        L.append("#          reported to 1 decimal")
    L.append("# Data: adjusted daily closes in scenarios/data/prices/<TICKER>.csv")
    L.append("#   (see scenarios/data/prices/SOURCES.md for provenance).")
    L.append("")
    L.append('currency = "USD"')
    L.append("")
    L.append("# Continuously compounded risk-free rate, used only to price options. This is an")
    L.append("# assumption, not an estimate: it approximates the US 3-month T-bill level in mid-2026.")
    L.append(f"rate = {RATE}")
    L.append("")
    L.append("# Date of the spots (the last return of the window).")
    L.append(f"as_of = {last_ret.isoformat()}")
    if dof is not None:
        L.append("")
        L.append("# Student-t degrees of freedom (maximum-likelihood estimate, see header).")
        L.append(f"dof = {dof[0]:.1f}")
    for t in TICKERS:
        L.append("")
        L.append(f"[assets.{t}]")
        L.append(f"spot = {spots[t]:.2f}")
        L.append(f"vol = {vols[t]:.4f}")
        L.append("drift = 0.0")
        L.append(f'sector = "{SECTORS[t]}"')
        bm, ba = loadings[t]
        L.append(f"exposures = {{ market = {bm:.3f}, ai_capex = {ba:.3f} }}")
    L.append("")
    L.append("[correlation]")
    L.append("tickers = [" + ", ".join(f'"{t}"' for t in TICKERS) + "]")
    L.append("# columns, in the order of `tickers`:")
    L.append("#  " + "  ".join(f"{t:>6}" for t in TICKERS))
    L.append("matrix = [")
    for i, t in enumerate(TICKERS):
        row = ", ".join(f"{v:6.3f}" for v in corr[i])
        L.append(f"  [{row}],  # {t}")
    L.append("]")
    return "\n".join(L) + "\n"


def check_written(path, spots, vols, corr, dof):
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    assert isinstance(doc["as_of"], dt.date)
    assert doc["currency"] == "USD" and doc["rate"] == RATE
    assert doc["correlation"]["tickers"] == TICKERS
    m = np.array(doc["correlation"]["matrix"], dtype=float)
    assert m.shape == (len(TICKERS), len(TICKERS))
    assert np.array_equal(m, m.T) and np.all(np.diag(m) == 1.0)
    assert np.array_equal(m, corr)
    for t in TICKERS:
        a = doc["assets"][t]
        assert a["spot"] == round(spots[t], 2) and a["vol"] == round(vols[t], 4)
        assert a["drift"] == 0.0 and a["sector"] == SECTORS[t]
    if dof is None:
        assert "dof" not in doc
    else:
        assert doc["dof"] == dof


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--as-of", default="2026-07-31", help="last return date (YYYY-MM-DD), default %(default)s")
    ap.add_argument("--returns", type=int, default=500, help="number of daily returns, default %(default)s")
    args = ap.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    n_ret = args.returns
    if n_ret < 30:
        fail("--returns must be at least 30")

    prices = {t: read_prices(t) for t in TICKERS + FACTOR_ETFS}
    common = set.intersection(*(set(p) for p in prices.values()))
    dates = sorted(d for d in common if d <= as_of)
    if not dates or dates[-1] != as_of:
        fail(f"as-of date {as_of} is not a trading day present in all {len(TICKERS)} price files")
    if len(dates) < n_ret + 1:
        fail(f"only {len(dates)} common dates up to {as_of}; need {n_ret + 1} for {n_ret} returns")
    dates = dates[-(n_ret + 1):]

    closes = np.array([[prices[t][d] for t in TICKERS] for d in dates])  # (n_ret+1, 16)
    closes_etf = np.array([[prices[t][d] for t in FACTOR_ETFS] for d in dates])
    rets = np.diff(np.log(closes), axis=0)  # (n_ret, 16)
    assert rets.shape == (n_ret, len(TICKERS)) and np.all(np.isfinite(rets))

    sd = rets.std(axis=0, ddof=1)
    vols_raw = sd * math.sqrt(TRADING_DAYS)
    spots = {t: round(prices[t][as_of], 2) for t in TICKERS}
    vols = {t: round(float(v), 4) for t, v in zip(TICKERS, vols_raw)}

    corr = round_corr(np.corrcoef(rets, rowvar=False))
    assert np.array_equal(corr, corr.T) and np.all(np.diag(corr) == 1.0)
    min_eig = float(np.linalg.eigvalsh(corr).min())
    print(f"correlation (rounded to 3 decimals): min eigenvalue = {min_eig:.6f}")
    if not min_eig > PD_TOL:
        fail(f"rounded correlation matrix is not positive definite (min eigenvalue {min_eig:.3e} <= {PD_TOL})")

    z = (rets / sd).ravel()
    nu, ll = fit_dof(z)
    print(f"Student-t dof (unit-variance MLE, pooled {z.size} standardised returns): {nu:.1f}  (loglik {ll:.2f})")

    window = (dates[1], dates[0], dates[-1], n_ret)
    loadings = factor_loadings(rets, closes_etf)
    os.makedirs(os.path.join(REPO_ROOT, "scenarios", "market"), exist_ok=True)
    for rel, d in ((OUT_NORMAL, None), (OUT_T, (nu, z.size))):
        path = os.path.join(REPO_ROOT, rel)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(render(spots, vols, corr, window, loadings, d))
        check_written(path, spots, vols, corr, None if d is None else nu)
        print(f"wrote {rel}")

    print(f"window: {dates[1]} .. {dates[-1]} ({n_ret} returns)")
    for t in TICKERS:
        print(f"  {t:<5} spot {spots[t]:>10.2f}  vol {vols[t]:.4f}")


if __name__ == "__main__":
    main()
