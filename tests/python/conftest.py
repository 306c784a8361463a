"""Shared helpers of the Python module's tests: the project's folder, the CLI built beside the
module (CHIPSHOCK_CLI, set by CTest), and report.json without its timing fields."""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARKET = os.path.join(ROOT, "scenarios/market/ai_chips.toml")
MARKET_T = os.path.join(ROOT, "scenarios/market/ai_chips_t.toml")
BOOK = os.path.join(ROOT, "scenarios/portfolio/ai_book.toml")
HEDGED = os.path.join(ROOT, "scenarios/portfolio/hedged_book.toml")
WHAT_IF = os.path.join(ROOT, "scenarios/portfolio/what_if_nvda_hedge.toml")
PRICES = os.path.join(ROOT, "scenarios/data/prices")

# Keys whose values are measured times or rates: they differ from run to run.
TIMING_KEYS = {"elapsed_seconds", "paths_per_second", "phases", "seconds", "wall_seconds"}


def without_timing(value):
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items()
                if k not in TIMING_KEYS and not k.endswith("_seconds")}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def cli():
    path = os.environ.get("CHIPSHOCK_CLI", os.path.join(ROOT, "build", "chipshock"))
    if not os.path.exists(path):
        pytest.skip(f"SKIPPED: no chipshock CLI at {path} (set CHIPSHOCK_CLI)")
    return path


def cli_report(args):
    """report.json of `chipshock run ARGS --json`."""
    done = subprocess.run([cli(), "run", *args, "--json"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def gpu_usable():
    import chipshock

    usable, why = chipshock._chipshock.gpu_check(16)
    return usable, why
