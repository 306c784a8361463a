"""The module's contract: names, results, losses without a copy, errors with file, line and
field, progress on the calling thread, the GIL released, calibrate, scenarios and backtest."""
import os
import subprocess
import threading
import time

import numpy as np
import pandas as pd
import pytest

import chipshock
from conftest import BOOK, MARKET, PRICES, ROOT, cli, gpu_usable

SMALL = {"paths": 20000, "horizon": 5, "seed": 3, "backend": "cpu", "threads": 2}


@pytest.fixture(scope="module")
def result():
    return chipshock.run(MARKET, BOOK, scenarios=["cheaper_model_disruption", "export_restrictions"],
                         keep_losses=True, **SMALL)


def test_version_is_the_clis():
    done = subprocess.run([cli(), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"chipshock {chipshock.__version__}"


def test_help_shows_a_worked_example():
    assert "Example" in chipshock.run.__doc__
    assert "chipshock.run(" in chipshock.run.__doc__
    assert "keep_losses" in chipshock.run.__doc__


def test_levels_and_frames(result):
    s = result.report["scenarios"][0]
    assert result.var(0.99) == s["var"]["0.99"]
    assert result.es(0.975) == s["es"]["0.975"]
    assert result.var(0.95, "export_restrictions") == result.report["scenarios"][2]["var"]["0.95"]
    with pytest.raises(KeyError):
        result.var(0.999)
    with pytest.raises(KeyError):
        result.es(0.99, "no_such_scenario")
    frame = result.frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index.names) == ["scenario", "confidence"]
    assert len(frame) == 3 * 3
    row = frame.loc[("cheaper_model_disruption", 0.99)]
    assert row["var"] == result.var(0.99, "cheaper_model_disruption")
    assert row["var_lo"] <= row["var"] <= row["var_hi"]
    assert row["es_lo"] <= row["es"] <= row["es_hi"]
    components = result.components_frame()
    assert list(components.index.names) == ["scenario", "confidence", "position"]
    by_level = components.groupby(level=["scenario", "confidence"])["es_contribution"].sum()
    for s in result.report["scenarios"]:
        for key, level in s["components"]["levels"].items():
            assert by_level[(s["name"], float(key))] == pytest.approx(
                level["es_sum_of_components"], rel=1e-12)
    greeks = result.greeks_frame()
    positions = result.report["greeks"]["positions"]
    assert list(greeks.index) == [p["position"] for p in positions] + ["total"]
    assert greeks.loc["total", "delta"] == result.report["greeks"]["total"]["delta"]
    assert greeks["value"].iloc[:-1].sum() == pytest.approx(greeks.loc["total", "value"], rel=1e-12)
    assert result.report["parametric"]["method"] == "delta_gamma_normal"


def test_losses_are_the_baselines_without_a_copy(result):
    losses = result.losses
    assert isinstance(losses, np.ndarray) and losses.dtype == np.float64
    assert losses.shape == (SMALL["paths"],)
    assert not losses.flags.owndata and losses.base is not None  # the engine's buffer
    base = result.report["scenarios"][0]
    assert losses.max() == base["worst_loss"]
    assert losses.mean() == pytest.approx(base["mean_loss"], rel=1e-9, abs=1e-6)
    assert np.mean(losses > 0) == base["prob_loss"]
    # VaR is an order statistic of these losses.
    assert np.any(losses == result.var(0.99))
    # Path i is a pure function of (seed, i): a longer run starts with the same losses.
    longer = chipshock.run(MARKET, BOOK, keep_losses=True, **dict(SMALL, paths=30000))
    assert np.array_equal(longer.losses[:SMALL["paths"]], losses)
    assert chipshock.run(MARKET, BOOK, **SMALL).losses is None


def test_input_error_names_file_line_and_field(tmp_path):
    bad = tmp_path / "book.toml"
    bad.write_text('name = "x"\n\n[[positions]]\nticker = "NVDA"\nquantity = "many"\n')
    with pytest.raises(chipshock.InputError) as e:
        chipshock.run(MARKET, bad, **SMALL)
    assert isinstance(e.value, ValueError)
    assert e.value.file == str(bad)
    assert e.value.line == 5
    assert "quantity" in e.value.field
    with pytest.raises(chipshock.InputError) as e:
        chipshock.run(MARKET, {"name": "x", "positions": [{"ticker": "NOPE", "quantity": 1}]},
                      **SMALL)
    assert e.value.file == "<portfolio dict>"
    assert e.value.line is None
    assert "ticker" in e.value.field and "NOPE" in str(e.value)
    with pytest.raises(chipshock.InputError) as e:
        chipshock.run(MARKET, BOOK, **dict(SMALL, paths="lots"))
    assert e.value.field == "paths" and e.value.file == ""
    with pytest.raises(chipshock.InputError) as e:
        chipshock.run(MARKET, BOOK, **dict(SMALL, steps_per_day=0))
    assert e.value.field == "steps_per_day"
    with pytest.raises(chipshock.InputError) as e:
        chipshock.run(MARKET, BOOK, scenarios=["no_such_scenario"], **SMALL)
    assert e.value.field == "scenario" and "no_such_scenario" in str(e.value)
    with pytest.raises(chipshock.InputError) as e:
        chipshock.run(MARKET, BOOK, importance_sampling=True, keep_losses=True, **SMALL)
    assert e.value.field == "keep_losses"
    with pytest.raises(chipshock.InputError) as e:
        chipshock.run(MARKET, BOOK, target_rel_error=0, **SMALL)
    assert e.value.field == "target_rel_error"
    with pytest.raises(TypeError):
        chipshock.run(MARKET, {"name": "x", "positions": [{"ticker": "NVDA", "quantity": object()}]})


def test_gpu_unavailable():
    usable, why = gpu_usable()
    if usable:
        pytest.skip("SKIPPED: a GPU is usable here; GpuUnavailable cannot be provoked")
    with pytest.raises(chipshock.GpuUnavailable) as e:
        chipshock.run(MARKET, BOOK, **dict(SMALL, backend="gpu"))
    assert str(e.value)
    r = chipshock.run(MARKET, BOOK, **dict(SMALL, backend="auto"))
    assert r.report["run"]["backend"] == "cpu"
    assert any("GPU" in line or "gpu" in line for line in r.notices)


def test_progress_is_called_on_the_calling_thread():
    calls = []
    me = threading.get_ident()

    def progress(stage, done, total):
        calls.append((stage, done, total, threading.get_ident()))

    chipshock.run(MARKET, BOOK, scenarios="export_restrictions", progress=progress,
                  **dict(SMALL, paths=400000))
    assert calls
    assert all(c[3] == me for c in calls)
    assert all(0 <= c[1] <= c[2] for c in calls)
    stages = {c[0] for c in calls}
    assert "baseline" in stages and "export_restrictions" in stages


def test_the_gil_is_released_while_paths_run():
    ticks = 0
    stop = False

    def count():
        nonlocal ticks
        while not stop:
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    start = time.monotonic()
    chipshock.run(MARKET, BOOK, **dict(SMALL, paths=1_000_000, horizon=10))
    seconds = time.monotonic() - start
    stop = True
    t.join()
    # The other thread ran throughout (about a tick a millisecond), not only between batches.
    assert ticks > 0.3 * seconds * 1000, (ticks, seconds)


def test_scenarios_lists_the_builtins():
    rows = chipshock.scenarios()
    names = [r["name"] for r in rows]
    assert "cheaper_model_disruption" in names and "export_restrictions" in names
    for r in rows:
        assert r["description"] and r["file"].endswith(r["name"] + ".toml")
    for name in names:  # each runs by its name
        assert chipshock.run(MARKET, BOOK, scenarios=[name], **dict(SMALL, paths=2000)).var(0.95,
                                                                                          name)


def test_calibrate_from_folder_and_from_series():
    folder = chipshock.calibrate(PRICES, window=250, tickers=["NVDA", "AMD", "TSM"])
    assert list(folder["assets"]) == ["NVDA", "AMD", "TSM"]
    series = {}
    for t in ("NVDA", "AMD", "TSM"):
        frame = pd.read_csv(os.path.join(PRICES, t + ".csv"), comment="#", parse_dates=["date"])
        series[t] = frame.set_index("date")["close"]
    mapped = chipshock.calibrate(series, window=250, tickers=["NVDA", "AMD", "TSM"])
    assert mapped["assets"] == folder["assets"]
    assert mapped["correlation"] == folder["correlation"]
    # Arrays work too, and a calibrated market runs.
    arrays = {t: (list(s.index), s.to_numpy()) for t, s in series.items()}
    assert chipshock.calibrate(arrays, window=250, tickers="NVDA,AMD,TSM") == mapped
    book = {"name": "three", "positions": [{"ticker": "NVDA", "quantity": 100},
                                           {"ticker": "AMD", "quantity": -50}]}
    assert chipshock.run(mapped, book, **dict(SMALL, paths=5000)).var(0.99) > 0
    # The default implied-vol surfaces (a realised-vol proxy) price an option book that runs.
    surface = mapped["assets"]["NVDA"]["implied_vol"]
    assert surface["atm"] == mapped["assets"]["NVDA"]["vol"] and "vol_of_vol" in surface
    assert 0 <= mapped["implied_vol_correlation"] <= 1
    options = {"name": "puts", "positions": [{"ticker": "NVDA", "type": "put", "quantity": 10,
                                              "strike": 150, "expiry_days": 60,
                                              "style": "american"}]}
    assert chipshock.run(mapped, options, **dict(SMALL, paths=5000)).var(0.99) > 0
    plain = chipshock.calibrate(PRICES, window=250, tickers=["NVDA"], implied_vol="none")
    assert "implied_vol" not in plain["assets"]["NVDA"]
    with pytest.raises(chipshock.InputError) as e:
        chipshock.calibrate(PRICES, window=250, tickers=["NVDA"], implied_vol="implied")
    assert e.value.field == "implied_vol"
    with pytest.raises(chipshock.InputError) as e:
        chipshock.calibrate(PRICES, window=-5)
    assert e.value.field == "window"


def test_backtest_table():
    table = chipshock.backtest(BOOK, "2024-10-01", "2025-01-31", paths=2000, window=120)
    assert isinstance(table, pd.DataFrame) and len(table) > 50
    assert {"realised_loss", "var_0.99", "exceeded_0.99"} <= set(table.columns)
    whole = chipshock.backtest(BOOK, "2024-10-01", "2025-01-31", paths=2000, window=120,
                               frame=False)
    assert len(whole["days"]) == len(table)
    assert table["var_0.99"].iloc[0] == whole["days"][0]["var"]["0.99"]
