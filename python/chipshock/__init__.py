"""chipshock: Monte Carlo stress tests, VaR and expected shortfall for equity and option books.

The module runs the same engine as the ``chipshock`` command line, through the same
application layer: ``chipshock.run(...).report`` is the CLI's report.json for the same inputs
(apart from timing fields).

    >>> import chipshock
    >>> r = chipshock.run("scenarios/market/ai_chips.toml", "scenarios/portfolio/ai_book.toml",
    ...                   scenarios=["cheaper_model_disruption"], paths=200_000, horizon=10)
    >>> r.var(0.99)                       # baseline 99% VaR, in the portfolio's currency
    >>> r.es(0.975, "cheaper_model_disruption")
    >>> r.frame()                         # pandas: scenarios x levels, VaR and ES with intervals

Functions: run, calibrate, scenarios, backtest. Errors: InputError (a ValueError naming the file,
line and field), GpuUnavailable.
"""

import json as _json
import os as _os

from . import _chipshock as _core
from . import _toml
from ._errors import GpuUnavailable, InputError

__version__ = _core.__version__
__all__ = ["run", "calibrate", "scenarios", "backtest", "Result", "InputError",
           "GpuUnavailable", "__version__"]

# An installed package carries the built-in scenarios and the sample price history beside it.
_here = _os.path.dirname(_os.path.abspath(__file__))
if _os.path.isdir(_os.path.join(_here, "scenarios")):
    _core.set_data_root_fallback(_os.path.join(_here, "scenarios"))


def _path_or_text(value, kind, texts, index=None):
    """A TOML path as a string, or a dict stored as TOML text under a name like <market dict>."""
    if isinstance(value, dict):
        name = f"<{kind} dict{'' if index is None else ' ' + str(index)}>"
        texts[name] = _toml.dumps(value, kind if index is None else f"{kind}s[{index - 1}]")
        return name
    if isinstance(value, (str, _os.PathLike)):
        return _os.fspath(value)
    raise TypeError(f"{kind}: expected a TOML file's path or a dict, not {type(value).__name__}")


def _number_text(value, name):
    if isinstance(value, bool):
        raise TypeError(f"{name}: expected a number, not bool")
    if isinstance(value, str):
        return value
    if isinstance(value, int) or hasattr(value, "__index__"):
        return str(int(value))
    if isinstance(value, float) or hasattr(value, "__float__"):
        return repr(float(value))
    raise TypeError(f"{name}: expected a number, not {type(value).__name__}")


def _confidence_text(confidence):
    levels = [confidence] if isinstance(confidence, (int, float, str)) else list(confidence)
    return ",".join(_number_text(c, "confidence") for c in levels)


def run(market, portfolio, scenarios=(), paths=1_000_000, horizon=1, steps_per_day=1,
        seed=0, confidence=(0.95, 0.975, 0.99), backend="auto", threads=0,
        rng="philox", antithetic=False, importance_sampling=False, components=True,
        stop_loss=None, what_if=None, target_rel_error=None, keep_losses=False,
        out=None, progress=None, repair_correlation=None, stressed=None, iv_file=None):
    """Simulate the book under the baseline model and each scenario; VaR, ES and the rest.

    Arguments mirror ``chipshock run``'s options:
        market, portfolio, what_if: a TOML file's path, or a dict of the file's shape; a
            portfolio may also be a list of them (the CLI's repeated --portfolio: each a book
            under one top, "all books", revalued on the same paths; report["books"]).
        scenarios: built-in names (see scenarios()), TOML paths or dicts; a str is one scenario.
        paths: an int, or text such as "2M"; horizon: trading days; steps_per_day;
        seed: paths are a pure function of (seed, path index);
        confidence: one level or several; backend: "auto", "cpu", "gpu" or "both";
        threads: CPU threads, 0 = all cores; rng: "philox" or "sobol"; antithetic;
        importance_sampling; components: component VaR/ES by position;
        stop_loss: a loss level for path-dependent risk (drawdown, breach day), or None;
        target_rel_error: run until the 95% interval of ES at 97.5% is within this fraction of
            ES (paths is the first checkpoint), or None;
        keep_losses: keep every baseline path's loss in Result.losses (not with
            importance_sampling or backend="both");
        out: a folder that gets the CLI's report files (report.json, .md, .html, CSVs);
        progress: called as progress(stage, done, total) from the calling thread;
        repair_correlation: "higham" replaces a market correlation matrix that is not positive
            definite by the nearest one (report["model"]["correlation_repair"] says how far it
            moved); None refuses such a matrix;
        stressed: a market from `chipshock calibrate --stressed` (path or dict): the book is run
            again under it, reported as the scenario "stressed" right after the baseline;
        iv_file: a CSV of implied-vol quotes (ticker, expiry, strike or delta, vol), fitted per
            ticker to the market's implied-vol surface for the run (the CLI's --iv-file).

    The GIL is released while paths run; Ctrl-C stops the run within a second and writes no
    file. Raises InputError for bad input, GpuUnavailable when backend "gpu" or "both" cannot
    run here.

    Example (from the project's folder)::

        import chipshock
        r = chipshock.run("scenarios/market/ai_chips.toml",
                          "scenarios/portfolio/ai_book.toml",
                          scenarios=["cheaper_model_disruption", "export_restrictions"],
                          paths=500_000, horizon=10, seed=7, keep_losses=True)
        print(r.frame())                 # VaR and ES per scenario and level, with intervals
        print(r.var(0.99), r.es(0.975, "export_restrictions"))
        print(r.losses.mean())           # the baseline's 500,000 losses (numpy, no copy)
        r.write("report/")               # report.json, report.html, report.md, CSVs
    """
    texts = {}
    if isinstance(scenarios, (str, _os.PathLike, dict)):
        scenarios = [scenarios]
    books = list(portfolio) if isinstance(portfolio, (list, tuple)) else [portfolio]
    if not books:
        raise TypeError("portfolio: an empty list")
    book_args = [_path_or_text(b, "portfolio", texts, None if len(books) == 1 else k + 1)
                 for k, b in enumerate(books)]
    options = {
        "market": _path_or_text(market, "market", texts),
        "portfolio": book_args[0],
        "more_portfolios": book_args[1:],
        "scenarios": [_path_or_text(s, "scenario", texts, k + 1) for k, s in enumerate(scenarios)],
        "paths": _number_text(paths, "paths"),
        "horizon": int(horizon),
        "steps_per_day": int(steps_per_day),
        "seed": _number_text(seed, "seed"),
        "confidence": _confidence_text(confidence),
        "backend": str(backend),
        "threads": int(threads),
        "rng": str(rng),
        "antithetic": bool(antithetic),
        "importance_sampling": bool(importance_sampling),
        "components": bool(components),
    }
    if stop_loss is not None:
        options["stop_loss"] = _number_text(stop_loss, "stop_loss")
    if what_if is not None:
        options["what_if"] = _path_or_text(what_if, "what_if", texts)
    if target_rel_error is not None:
        if isinstance(target_rel_error, bool) or not float(target_rel_error) > 0:
            raise InputError("must be a fraction > 0 (None: run exactly `paths`)",
                             field="target_rel_error")
        options["target_rel_error"] = float(target_rel_error)
    if out is not None:
        options["out"] = _os.fspath(out)
    if repair_correlation is not None:
        options["repair_correlation"] = str(repair_correlation)
    if stressed is not None:
        options["stressed"] = _path_or_text(stressed, "stressed", texts)
    if iv_file is not None:
        options["iv_file"] = _os.fspath(iv_file)
    options["texts"] = texts
    if progress is not None and not callable(progress):
        raise TypeError("progress: expected a callable progress(stage, done, total)")
    text, losses, handle = _core.run(options, bool(keep_losses), progress)
    result = Result(_json.loads(text), losses, handle)
    if target_rel_error is not None:  # as the CLI warns on stderr
        import warnings

        for s in result.report["scenarios"]:
            if s["kind"] == "monte_carlo" and s.get("target_met") is False:
                warnings.warn(f"{s['name']}: the target error ({100 * float(target_rel_error):g}% "
                              f"of the 97.5% ES) was not met at the cap of {s['paths']} paths",
                              RuntimeWarning, stacklevel=2)
    return result


class Result:
    """A finished run.

    Attributes:
        report: a dict with report.json's schema and numbers.
        losses: the baseline's losses in path order (numpy float64, owned by the result, not a
            copy), when run(keep_losses=True); else None.
        notices: lines chipshock would have said on stderr (e.g. why "auto" ran on the CPU).
    """

    def __init__(self, report, losses, handle):
        self.report = report
        self.losses = losses
        self._handle = handle
        self.notices = list(handle.notices)

    def __repr__(self):
        names = ", ".join(s["name"] for s in self.report["scenarios"])
        return (f"<chipshock.Result: {self.report['run']['paths']} paths, "
                f"{self.report['run']['horizon_days']}-day horizon, scenarios: {names}>")

    @property
    def scenario_names(self):
        return [s["name"] for s in self.report["scenarios"]]

    def _scenario(self, scenario):
        for s in self.report["scenarios"]:
            if s["name"] == scenario:
                return s
        raise KeyError(f"no scenario '{scenario}' in this run: {', '.join(self.scenario_names)}")

    @staticmethod
    def _level(values, confidence, scenario):
        for key, v in (values or {}).items():
            if abs(float(key) - float(confidence)) < 1e-12:
                return v
        raise KeyError(f"no level {confidence} for '{scenario}': levels "
                       f"{', '.join((values or {}).keys()) or 'none'}")

    def var(self, confidence=0.99, scenario="baseline"):
        """Value-at-Risk at `confidence` (a loss, in the portfolio's currency)."""
        return self._level(self._scenario(scenario)["var"], confidence, scenario)

    def es(self, confidence=0.975, scenario="baseline"):
        """Expected shortfall at `confidence`: the mean loss beyond VaR."""
        return self._level(self._scenario(scenario)["es"], confidence, scenario)

    def frame(self):
        """A pandas DataFrame indexed by (scenario, confidence): var, var_lo, var_hi, es, es_lo,
        es_hi (95% intervals), paths and kind."""
        import pandas as pd

        rows = []
        for s in self.report["scenarios"]:
            for key, var in (s.get("var") or {}).items():
                var_ci = (s.get("var_ci") or {}).get(key) or [None, None]
                es_ci = (s.get("es_ci") or {}).get(key) or [None, None]
                rows.append({"scenario": s["name"], "confidence": float(key), "var": var,
                             "var_lo": var_ci[0], "var_hi": var_ci[1],
                             "es": (s.get("es") or {}).get(key), "es_lo": es_ci[0],
                             "es_hi": es_ci[1], "paths": s.get("paths"), "kind": s["kind"]})
        columns = ["scenario", "confidence", "var", "var_lo", "var_hi", "es", "es_lo", "es_hi",
                   "paths", "kind"]
        return pd.DataFrame(rows, columns=columns).set_index(["scenario", "confidence"])

    def components_frame(self):
        """A pandas DataFrame of component ES and VaR by position, indexed by (scenario,
        confidence, position); empty when the run had components=False."""
        import pandas as pd

        rows = []
        for s in self.report["scenarios"]:
            levels = (s.get("components") or {}).get("levels") or {}
            for key, level in levels.items():
                for p in level.get("by_position") or []:
                    row = {"scenario": s["name"], "confidence": float(key)}
                    row.update(p)
                    rows.append(row)
        columns = ["scenario", "confidence", "position", "ticker", "sector", "quantity",
                   "es_contribution", "var_contribution", "var_contribution_se", "marginal_es",
                   "marginal_var"]
        frame = pd.DataFrame(rows, columns=columns)
        return frame.set_index(["scenario", "confidence", "position"])

    def greeks_frame(self):
        """A pandas DataFrame of each position's delta, gamma, vega and theta in the currency
        (report.json's "greeks"; the units are in its "convention"), indexed by position, with
        a last row "total"."""
        import pandas as pd

        greeks = self.report.get("greeks") or {}
        rows = list(greeks.get("positions") or [])
        if greeks.get("total"):
            rows.append(greeks["total"])
        columns = ["position", "ticker", "quantity", "value", "delta", "gamma", "vega", "theta"]
        return pd.DataFrame(rows, columns=columns).set_index("position")

    def write(self, dir):
        """Writes the CLI's report files (report.json, report.md, report.html and the CSVs) into
        the folder `dir`, created when missing, as one set."""
        dir = _os.fspath(dir)
        _os.makedirs(dir, exist_ok=True)
        self._handle.write(dir)


def calibrate(prices, as_of=None, window=500, tickers=None, vol="sample", ewma_lambda=None,
              correlation="sample", dof="auto", rate=0.04, currency="USD", factor_prices=None,
              sectors=None, stressed=False, portfolio=None, stressed_window=250,
              implied_vol="proxy"):
    """Estimates a market from daily closes, as ``chipshock calibrate`` does, and returns the
    market as a dict (ready for run(market=...)).

    prices: a folder of <TICKER>.csv files (date,close), or a mapping {ticker: pandas Series
        indexed by date, or (dates, closes)}.
    as_of: the last return's date ("YYYY-MM-DD"; None: the last common date); window: daily
    returns; tickers: a subset (None: every ticker long enough); vol: "sample" or "ewma"
    (ewma_lambda: its decay); correlation: "sample", "ledoit-wolf" or "higham"; dof: "auto",
    "none" or a number; rate and currency: written as given. Each asset gets its sector from
    the shipped ticker -> sector table (sectors: a ticker,sector CSV over it) and its `market`
    and `ai_capex` loadings from OLS on SPY and SMH - SPY (factor_prices: their folder; None:
    `prices` when it holds them, else the shipped history; "none": no loadings).
    implied_vol: "proxy" (a default implied-vol surface per ticker with spot_beta and vol_of_vol
    from a realised-vol proxy, as ``calibrate --implied-vol proxy``) or "none".
    stressed: as ``calibrate --stressed``: the window of `stressed_window` daily returns where
    the book `portfolio` (a TOML/CSV path or a dict) had its largest 1-day historical 97.5% ES;
    the market is estimated over it with today's spots and gets a "stressed" table (run it with
    run(stressed=...)).
    """
    import contextlib
    import tempfile
    import tomllib

    options = {"window": int(window), "vol": str(vol), "correlation": str(correlation),
               "dof": _number_text(dof, "dof") if not isinstance(dof, str) else dof,
               "rate": float(rate), "currency": str(currency), "implied_vol": str(implied_vol)}
    if as_of is not None:
        options["as_of"] = str(as_of)
    if tickers is not None:
        options["tickers"] = tickers if isinstance(tickers, str) else ",".join(tickers)
    if ewma_lambda is not None:
        options["lambda"] = float(ewma_lambda)
    if factor_prices is not None:
        options["factor_prices"] = _os.fspath(factor_prices)
    if sectors is not None:
        options["sectors"] = _os.fspath(sectors)
    with contextlib.ExitStack() as stack:
        if stressed:
            options["stressed"] = True
            options["stressed_window"] = int(stressed_window)
        if isinstance(portfolio, dict):  # the CLI's loader reads a file
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="chipshock-book-"))
            path = _os.path.join(folder, "portfolio.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(_toml.dumps(portfolio, "portfolio"))
            options["portfolio"] = path
        elif portfolio is not None:
            options["portfolio"] = _os.fspath(portfolio)
        return _calibrate_prices(prices, options)


def _calibrate_prices(prices, options):
    import tempfile
    import tomllib

    if isinstance(prices, (str, _os.PathLike)):
        options["prices"] = _os.fspath(prices)
        text, _ = _core.calibrate(options)
        return tomllib.loads(text)
    if not hasattr(prices, "items"):
        raise TypeError("prices: expected a folder or a mapping {ticker: series}")
    with tempfile.TemporaryDirectory(prefix="chipshock-prices-") as folder:
        for ticker, series in prices.items():
            _write_price_csv(folder, str(ticker), series)
        options["prices"] = folder
        try:
            text, _ = _core.calibrate(options)
        except InputError as e:  # name the mapping, not the temporary folder
            raise InputError(e.message.replace(folder, "prices"),
                             file=e.file.replace(folder, "prices") if e.file else "",
                             line=e.line or 0, field=e.field, hint=e.hint) from None
    return tomllib.loads(text)


def _write_price_csv(folder, ticker, series):
    if "/" in ticker or ticker.startswith("."):
        raise InputError(f"'{ticker}' is not a ticker", field="prices")
    if hasattr(series, "index") and hasattr(series, "values"):
        dates, closes = list(series.index), list(series.values)
    else:
        dates, closes = series
        dates, closes = list(dates), list(closes)
    if len(dates) != len(closes):
        raise InputError(f"{ticker}: {len(dates)} dates but {len(closes)} closes", field="prices")
    with open(_os.path.join(folder, ticker + ".csv"), "w", encoding="utf-8") as f:
        f.write("date,close\n")
        for d, c in zip(dates, closes):
            day = d.strftime("%Y-%m-%d") if hasattr(d, "strftime") else str(d)[:10]
            f.write(f"{day},{float(c)!r}\n")


def scenarios():
    """The built-in scenarios: a list of dicts with name (as run(scenarios=...) takes it),
    title, description, source (what it is calibrated on), calibration_date and file."""
    return _core.scenarios()


def backtest(portfolio, start, end, prices=None, market=None, window=250, confidence=0.99,
             paths=20_000, seed=0, vol="sample", dof="none", rate=0.04, threads=0, out=None,
             frame=True):
    """Backtests the book's 1-day VaR over real history, as ``chipshock backtest`` does.

    portfolio (and market): TOML paths; start, end: "YYYY-MM-DD" (the CLI's --from, --to);
    prices: a folder (None: the shipped history). Returns the daily table as a pandas
    DataFrame (frame=True, when pandas is importable) or the whole backtest.json as a dict
    (frame=False): one row per day with value_before, realised_loss, var_<level>,
    exceeded_<level> and dof (the fitted Student-t dof, or None). out: a folder for the CLI's
    backtest files.
    """
    options = {"portfolio": _os.fspath(portfolio), "start": str(start), "end": str(end),
               "window": int(window), "confidence": _confidence_text(confidence),
               "paths": _number_text(paths, "paths"), "seed": _number_text(seed, "seed"),
               "vol": str(vol), "dof": str(dof), "rate": float(rate), "threads": int(threads)}
    if prices is not None:
        options["prices"] = _os.fspath(prices)
    if market is not None:
        options["market"] = _os.fspath(market)
    if out is not None:
        options["out"] = _os.fspath(out)
    result = _json.loads(_core.backtest(options))
    if not frame:
        return result
    import pandas as pd

    rows = []
    for d in result["days"]:
        row = {"date": d["date"], "value_before": d["value_before"],
               "realised_loss": d["realised_loss"]}
        for key, v in d["var"].items():
            row[f"var_{key}"] = v
            row[f"exceeded_{key}"] = d["exceeded"][key]
        row["dof"] = d["dof"]
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["date"] = pd.to_datetime(frame["date"])
        frame = frame.set_index("date")
    return frame
