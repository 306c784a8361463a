"""chipshock.run(...).report is the CLI's report.json for the same inputs, apart from timing
fields, for every feature of `chipshock run`."""
import json
import os
import tomllib

import pytest

import chipshock
from chipshock import _toml
from conftest import (BOOK, HEDGED, MARKET, MARKET_T, WHAT_IF, cli_report, gpu_usable,
                      without_timing)

BASE = {"paths": 20000, "horizon": 5, "seed": 7, "backend": "cpu", "threads": 2}
BASE_ARGS = ["--paths", "20000", "--horizon", "5", "--seed", "7", "--backend", "cpu",
             "--threads", "2"]

# (name, run()'s keyword arguments beyond BASE, the CLI's arguments beyond BASE_ARGS)
CASES = [
    ("scenarios", {"scenarios": ["cheaper_model_disruption", "export_restrictions"]},
     ["--scenario", "cheaper_model_disruption", "--scenario", "export_restrictions"]),
    ("levels", {"confidence": (0.9, 0.99, 0.999)}, ["--confidence", "0.9,0.99,0.999"]),
    ("antithetic", {"antithetic": True}, ["--antithetic"]),
    ("sobol", {"rng": "sobol", "scenarios": ["taiwan_supply_disruption"]},
     ["--rng", "sobol", "--scenario", "taiwan_supply_disruption"]),
    ("importance_sampling", {"importance_sampling": True, "confidence": (0.99, 0.999)},
     ["--importance-sampling", "--confidence", "0.99,0.999"]),
    ("stop_loss", {"stop_loss": 400000, "scenarios": ["cheaper_model_disruption"]},
     ["--stop-loss", "400000", "--scenario", "cheaper_model_disruption"]),
    ("what_if", {"what_if": WHAT_IF, "scenarios": ["export_restrictions"]},
     ["--what-if", WHAT_IF, "--scenario", "export_restrictions"]),
    ("target_rel_error", {"target_rel_error": 0.02}, ["--target-rel-error", "0.02"]),
    ("no_components", {"components": False}, ["--no-components"]),
    ("student_t_steps", {"market": MARKET_T, "portfolio": HEDGED, "steps_per_day": 2},
     ["--steps-per-day", "2"]),
]


def test_repair_correlation_equals_cli(tmp_path):
    """A market whose matrix is not positive definite: refused, or repaired as the CLI does."""
    market = {"currency": "USD", "rate": 0.03,
              "assets": {"A": {"spot": 100.0, "vol": 0.3}, "B": {"spot": 50.0, "vol": 0.4},
                         "C": {"spot": 20.0, "vol": 0.5}},
              "correlation": {"tickers": ["A", "B", "C"],
                              "matrix": [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]}}
    book = {"name": "abc", "positions": [{"ticker": "A", "quantity": 10},
                                         {"ticker": "C", "quantity": -20}]}
    with pytest.raises(chipshock.InputError) as refused:
        chipshock.run(market, book, **BASE)
    assert "--repair-correlation higham" in str(refused.value)
    r = chipshock.run(market, book, repair_correlation="higham", **BASE)
    repair = r.report["model"]["correlation_repair"]
    assert repair["method"] == "higham" and repair["frobenius_distance"] > 0
    market_file = tmp_path / "m.toml"
    book_file = tmp_path / "b.toml"
    market_file.write_text(_toml.dumps(market, "market"))
    book_file.write_text(_toml.dumps(book, "portfolio"))
    want = cli_report(["--market", str(market_file), "--portfolio", str(book_file), *BASE_ARGS,
                       "--repair-correlation", "higham"])
    assert without_timing(r.report)["scenarios"] == without_timing(want)["scenarios"]
    assert r.report["model"]["correlation_repair"] == want["model"]["correlation_repair"]


def test_stressed_equals_cli(tmp_path):
    """run(stressed=FILE) is the CLI's --stressed: the stressed entry right after the baseline."""
    import subprocess
    from conftest import ROOT, cli
    stressed = tmp_path / "stressed.toml"
    done = subprocess.run([cli(), "calibrate", "--prices", "scenarios/data/prices", "--tickers",
                           "NVDA,AMD,TSM,AVGO,ASML,MU,INTC,QCOM,SMCI,MRVL,MSFT,GOOGL,META,AMZN,"
                           "AAPL", "--stressed", "--portfolio", BOOK, "--out", str(stressed),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    r = chipshock.run(MARKET, BOOK, stressed=str(stressed), **BASE)
    want = cli_report(["--market", MARKET, "--portfolio", BOOK, *BASE_ARGS,
                       "--stressed", str(stressed)])
    assert without_timing(r.report) == without_timing(want)
    assert r.scenario_names[:2] == ["baseline", "stressed"]
    assert r.report["scenarios"][1]["stressed_window"]["first"].startswith("2020")
    assert r.es(0.975, "stressed") > r.es(0.975)


def test_stressed_calibration_equals_cli(tmp_path):
    """calibrate(stressed=True, portfolio=...) is the CLI's calibrate --stressed, path or dict."""
    import subprocess
    from conftest import ROOT, cli
    tickers = "NVDA,AMD,TSM,AVGO,ASML,MU,INTC,QCOM,SMCI,MRVL,MSFT,GOOGL,META,AMZN,AAPL"
    out = tmp_path / "stressed.toml"
    done = subprocess.run([cli(), "calibrate", "--prices", "scenarios/data/prices", "--tickers",
                           tickers, "--stressed", "--portfolio", BOOK, "--out", str(out),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    with open(out, "rb") as f:
        want = tomllib.load(f)
    prices = os.path.join(ROOT, "scenarios/data/prices")
    got = chipshock.calibrate(prices, tickers=tickers, stressed=True, portfolio=BOOK)
    assert got == want
    with open(BOOK, "rb") as f:
        book = tomllib.load(f)
    from_dict = chipshock.calibrate(prices, tickers=tickers, stressed=True, portfolio=book)
    assert from_dict["stressed"] == want["stressed"]
    assert from_dict["assets"] == want["assets"]
    with pytest.raises(chipshock.InputError):
        chipshock.calibrate(prices, tickers=tickers, stressed=True)  # no portfolio


@pytest.mark.parametrize("name,kwargs,args", CASES, ids=[c[0] for c in CASES])
def test_report_equals_cli(name, kwargs, args):
    market = kwargs.pop("market", MARKET)
    portfolio = kwargs.pop("portfolio", BOOK)
    r = chipshock.run(market, portfolio, **BASE, **kwargs)
    want = cli_report(["--market", market, "--portfolio", portfolio, *BASE_ARGS, *args])
    assert without_timing(r.report) == without_timing(want)


def test_dict_inputs_equal_their_files():
    with open(MARKET, "rb") as f:
        market = tomllib.load(f)
    with open(BOOK, "rb") as f:
        book = tomllib.load(f)
    scenario_file = os.path.join(os.path.dirname(MARKET), "..", "builtin",
                                 "cheaper_model_disruption.toml")
    with open(scenario_file, "rb") as f:
        scenario = tomllib.load(f)
    r = chipshock.run(market, book, scenarios=[scenario], **BASE)
    want = cli_report(["--market", MARKET, "--portfolio", BOOK, *BASE_ARGS,
                       "--scenario", "cheaper_model_disruption"])
    got = without_timing(r.report)
    want = without_timing(want)
    assert got["model"].pop("market_file") == "<market dict>"
    assert got["model"].pop("portfolio_file") == "<portfolio dict>"
    want["model"].pop("market_file")
    want["model"].pop("portfolio_file")
    assert got["scenarios"][1].pop("definition")["file"] == "<scenario dict 1>"
    want["scenarios"][1].pop("definition")
    assert got == want


def test_out_folder_is_the_clis(tmp_path):
    import subprocess

    from conftest import ROOT, cli

    r = chipshock.run(MARKET, BOOK, scenarios="export_restrictions", out=tmp_path / "py",
                      **BASE)
    os.mkdir(tmp_path / "cli")
    subprocess.run([cli(), "run", "--market", MARKET, "--portfolio", BOOK, *BASE_ARGS,
                    "--scenario", "export_restrictions", "--out", str(tmp_path / "cli"),
                    "--quiet"], cwd=ROOT, check=True)
    assert sorted(os.listdir(tmp_path / "py")) == sorted(os.listdir(tmp_path / "cli"))
    with open(tmp_path / "py" / "report.json") as f:
        written = json.load(f)
    assert written == r.report
    with open(tmp_path / "cli" / "report.json") as f:
        assert without_timing(written) == without_timing(json.load(f))
    for name in ("scenarios.csv", "components.csv", "loss_histogram.csv"):
        a = (tmp_path / "py" / name).read_text()
        b = (tmp_path / "cli" / name).read_text()
        assert a == b, name
    # Result.write makes the same set again.
    r.write(tmp_path / "again")
    assert sorted(os.listdir(tmp_path / "again")) == sorted(os.listdir(tmp_path / "py"))
    for name in ("scenarios.csv", "components.csv", "loss_histogram.csv", "report.json"):
        assert (tmp_path / "again" / name).read_text() == (tmp_path / "py" / name).read_text()


def test_gpu_report_equals_cli_gpu():
    usable, why = gpu_usable()
    if not usable:
        pytest.skip(f"SKIPPED: no usable GPU ({why})")
    kwargs = dict(BASE, backend="gpu", paths=200000)
    r = chipshock.run(MARKET, BOOK, scenarios=["cheaper_model_disruption"], **kwargs)
    want = cli_report(["--market", MARKET, "--portfolio", BOOK, "--paths", "200000",
                       "--horizon", "5", "--seed", "7", "--backend", "gpu", "--threads", "2",
                       "--scenario", "cheaper_model_disruption"])
    assert without_timing(r.report) == without_timing(want)


def test_books_equal_cli():
    """A [[books]] hierarchy, and a list of portfolios (the CLI's repeated --portfolio)."""
    desks = os.path.join(os.path.dirname(BOOK), "ai_desks.toml")
    r = chipshock.run(MARKET, desks, scenarios=["export_restrictions"], **BASE)
    want = cli_report(["--market", MARKET, "--portfolio", desks, *BASE_ARGS,
                       "--scenario", "export_restrictions"])
    assert without_timing(r.report) == without_timing(want)
    assert r.report["books"]["nodes"][0]["name"] == "AI hardware long book"
    both = chipshock.run(MARKET, [BOOK, HEDGED], **BASE)
    want = cli_report(["--market", MARKET, "--portfolio", BOOK, "--portfolio", HEDGED,
                       *BASE_ARGS])
    assert without_timing(both.report) == without_timing(want)
    assert both.report["books"]["top"] == "all books"
    assert [n["name"] for n in both.report["books"]["nodes"]][1:] == [
        "AI hardware long book", "Hedged AI book"]


def test_iv_file_equals_cli(tmp_path):
    """run(iv_file=PATH) is the CLI's --iv-file: the fitted surface prices the options alike."""
    quotes = tmp_path / "iv.csv"
    quotes.write_text("ticker,expiry,strike,vol\nMSFT,21,480,0.30\nMSFT,63,480,0.28\n"
                      "MSFT,63,520,0.26\n")
    r = chipshock.run(MARKET, HEDGED, iv_file=str(quotes), **BASE)
    want = cli_report(["--market", MARKET, "--portfolio", HEDGED, *BASE_ARGS,
                       "--iv-file", str(quotes)])
    assert without_timing(r.report) == without_timing(want)
    assert any("MSFT: implied-vol surface fitted to 3 quotes" in n
               for n in r.report["scenarios"][0]["notes"])
