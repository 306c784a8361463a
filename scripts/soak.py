#!/usr/bin/env python3
"""Soak test: many consecutive `chipshock run` calls on random valid inputs.

Each run draws a market (1-60 assets, random spots, vols from 1e-8 to 5.0 (500%), drifts,
sectors, factor exposures, a random positive definite correlation, Gaussian or Student-t), a
book (equities, calls and puts, long and short), 0-2 built-in scenarios and 0-1 random scenario
file (jumps, random events, recoveries, regimes with correlation stress), a horizon of 1-10 days
and 1,000-10,000 paths, and checks that the run exits 0 (or 2 with a one-line refusal), that
stderr carries no sanitizer report, and that the JSON report is sane: every statistic finite,
stdev >= 0, VaR <= worst loss and ES >= VaR for every scenario and level, and no non-finite path.
Books include extreme ones: cash up to 1e15, notionals scaled by 1e-6 or 1e6, market-neutral
pairs. Half the runs print the report with --json, the others write every report file
with --out; a quarter of them save a checkpoint after every batch (--checkpoint, small
batches), which must be gone once the run completed. Each --out folder starts with an older
set and a file of the user's: the new set must replace the one whole and keep the other, and
every other such run first asks --dry-run for its bound on the reports' size, which the run
must stay within. Inputs are drawn from --seed, so a failing run can be replayed; its files are kept
and named in the message. Used by scripts/ci_sanitize.sh under ASan/UBSan/LSan.
"""
import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

TICKERS = ["NVDA", "AMD", "TSM", "AVGO", "ASML", "MU", "INTC", "QCOM", "SMCI", "ARM", "MRVL",
           "MSFT", "GOOGL", "META", "AMZN", "AAPL"]
SECTORS = ["semiconductors", "semiconductor_equipment", "hardware", "software", "internet"]
FACTORS = ["market", "ai_capex", "china_revenue"]
BUILTINS = ["ai_capex_cut", "cheaper_model_disruption", "cheaper_model_disruption_no_rebound",
            "export_restrictions", "rates_shock", "taiwan_supply_disruption"]
SANITIZER_MARKS = ["AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:"]


def random_correlation(rng, n):
    """A positive definite correlation from a random one-or-two factor model."""
    k = rng.choice([1, 2])
    b = [[rng.uniform(-0.9, 0.9) for _ in range(k)] for _ in range(n)]
    c = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            v = sum(b[i][f] * b[j][f] for f in range(k))
            if i == j:
                c[i][i] = 1.0
            else:
                # Each variance is sum b^2 + idiosyncratic (>= 0.05): scale to a correlation.
                vi = sum(x * x for x in b[i]) + 0.05 + 0.2
                vj = sum(x * x for x in b[j]) + 0.05 + 0.2
                c[i][j] = c[j][i] = round(v / math.sqrt(vi * vj), 6)
    return c


def market_text(rng, tickers):
    lines = ['currency = "USD"', "rate = %r" % round(rng.uniform(-0.02, 0.08), 4)]
    if rng.random() < 0.4:
        lines.append("dof = %r" % round(rng.uniform(2.5, 30), 3))
    for k, t in enumerate(tickers):
        r = rng.random()
        vol = 5.0 if r < 0.05 else 1e-8 if r < 0.1 else round(rng.uniform(0.05, 1.5), 4)
        lines += ["", "[assets.%s]" % t, "spot = %r" % round(rng.uniform(1, 1000), 4),
                  "vol = %r" % vol]
        if rng.random() < 0.5:
            lines.append("drift = %r" % round(rng.uniform(-0.5, 0.5), 4))
        if rng.random() < 0.7:
            lines.append('sector = "%s"' % rng.choice(SECTORS))
        if k == 0 or rng.random() < 0.7:
            # The first asset loads on every factor: scenarios (built-in ones too) refuse a
            # factor no asset has.
            names = FACTORS if k == 0 else rng.sample(FACTORS, rng.randint(1, 3))
            ex = {f: round(rng.uniform(-2, 2), 3) for f in names}
            lines.append("exposures = { %s }" % ", ".join("%s = %r" % kv for kv in ex.items()))
    if len(tickers) > 1 and rng.random() < 0.8:
        c = random_correlation(rng, len(tickers))
        lines += ["", "[correlation]", "tickers = [%s]" % ", ".join('"%s"' % t for t in tickers),
                  "matrix = [" + ",\n  ".join("[%s]" % ", ".join(repr(x) for x in row)
                                              for row in c) + "]"]
    return "\n".join(lines) + "\n"


def portfolio_text(rng, tickers, horizon):
    # Extreme books too (issue 16, class 1): cash up to 1e15, notionals from 1e-6 to 1e9 units,
    # market-neutral pairs.
    cash = rng.choice([round(rng.uniform(-1e5, 1e6), 2), 0.0, rng.choice([-1.0, 1.0]) * 1e15])
    scale = rng.choice([1.0, 1.0, 1.0, 1e-6, 1e6])
    lines = ['name = "soak book"', "cash = %r" % cash]
    if rng.random() < 0.15 and len(tickers) >= 2:
        a, b = rng.sample(tickers, 2)
        q = round(rng.uniform(1, 1000), 1) * scale
        lines += ["", "[[positions]]", 'ticker = "%s"' % a, "quantity = %r" % q,
                  "", "[[positions]]", 'ticker = "%s"' % b, "quantity = %r" % -q]
    for _ in range(rng.randint(1, min(12, 2 * len(tickers)))):
        t = rng.choice(tickers)
        kind = rng.choice(["equity", "equity", "call", "put"])
        qty = (round(rng.uniform(-1000, 5000), 1) or 1.0) * scale
        lines += ["", "[[positions]]", 'ticker = "%s"' % t, "quantity = %r" % qty]
        if kind != "equity":
            lines += ['type = "%s"' % kind, "strike = %r" % round(rng.uniform(1, 1200), 2),
                      "expiry_days = %d" % rng.randint(horizon, horizon + 250)]
            if rng.random() < 0.5:
                lines.append("implied_vol = %r" % round(rng.uniform(0.1, 1.5), 3))
    return "\n".join(lines) + "\n"


def scenario_text(rng, tickers, horizon):
    lines = ['name = "soak_%d"' % rng.randint(0, 10**6), 'description = "random soak scenario"']
    for _ in range(rng.randint(0, 3)):
        first = rng.randint(1, horizon)
        lines += ["", "[[jumps]]"]
        if rng.random() < 0.5:
            lines.append("day = %d" % first)
        else:
            lines.append("days = [%d, %d]" % (first, rng.randint(first, horizon)))
            lines.append("probability = %r" % round(rng.uniform(0.01, 1.0), 3))
        rets = {t: round(rng.uniform(-0.5, 0.5), 3) for t in rng.sample(tickers, min(3, len(tickers)))}
        lines.append("returns = { %s }" % ", ".join("%s = %r" % kv for kv in rets.items()))
        if rng.random() < 0.5:
            lines.append("factors = { %s = %r }" % (rng.choice(FACTORS), round(rng.uniform(-0.3, 0.1), 3)))
        if rng.random() < 0.3:
            lines.append("sectors = { %s = %r }" % (rng.choice(SECTORS), round(rng.uniform(-0.3, 0.1), 3)))
        if rng.random() < 0.3:
            lines.append("recovery = { fraction = %r, days = %d }" % (round(rng.uniform(0.1, 1), 2), rng.randint(1, 5)))
        r = rng.random()
        if r < 0.3:
            lines.append('size = { distribution = "normal", sd = %r }' % round(rng.uniform(0.1, 1), 2))
        elif r < 0.5:
            lines.append('size = { distribution = "student_t", sd = %r, dof = %r }'
                         % (round(rng.uniform(0.1, 1), 2), round(rng.uniform(2.5, 10), 2)))
    # Regimes on disjoint day ranges.
    day = 1
    while day <= horizon and rng.random() < 0.6:
        last = rng.randint(day, horizon)
        # A scaled vol must stay at most 1000% (vols go up to 500%).
        lines += ["", "[[regimes]]", "days = [%d, %d]" % (day, last),
                  "vol_scale = %r" % round(rng.uniform(0.5, 2), 2)]
        if rng.random() < 0.5:
            lines.append("drift = %r" % round(rng.uniform(-2, 1), 2))
        if rng.random() < 0.5:
            lines.append('correlation = { toward = "ones", weight = %r }' % round(rng.uniform(0, 0.9), 2))
        day = last + 1
    if "[[" not in "\n".join(lines):
        lines += ["", "[[regimes]]", "days = [1, %d]" % horizon, "vol_scale = 1.5"]
    return "\n".join(lines) + "\n"


def check_report(report, where):
    for s in report["scenarios"]:
        if s.get("kind", "monte_carlo") != "monte_carlo":
            continue
        if s["non_finite_paths"] != 0:
            raise AssertionError("%s: %s: %d non-finite paths" % (where, s["name"], s["non_finite_paths"]))
        for key in ["mean_loss", "stdev_loss", "prob_loss", "worst_loss"]:
            v = s[key]
            if not (isinstance(v, (int, float)) and math.isfinite(v)):
                raise AssertionError("%s: %s: %s not finite: %r" % (where, s["name"], key, v))
        if s["stdev_loss"] < 0:
            raise AssertionError("%s: %s: negative stdev %r" % (where, s["name"], s["stdev_loss"]))
        for key, var in s["var"].items():
            es = s["es"][key]
            if not (isinstance(var, (int, float)) and isinstance(es, (int, float))
                    and math.isfinite(var) and math.isfinite(es)):
                raise AssertionError("%s: %s: VaR/ES at %s not finite: %r %r" % (where, s["name"], key, var, es))
            if var > es + 1e-9 * max(1.0, abs(es)):
                raise AssertionError("%s: %s: VaR %r above ES %r at %s" % (where, s["name"], var, es, key))
            if var > s["worst_loss"]:
                raise AssertionError("%s: %s: VaR %r above the worst loss %r at %s" %
                                     (where, s["name"], var, s["worst_loss"], key))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default="build/chipshock")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20250127)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.path.abspath(args.binary)
    start = time.monotonic()
    refused = []
    for run in range(args.runs):
        rng = random.Random(args.seed * 1000003 + run)
        work = tempfile.mkdtemp(prefix="chipshock-soak-")
        n = rng.choice([1, 2, 3, 5, 8, 16, 16, 30, 60])
        pool = TICKERS + ["X%02d" % i for i in range(60)]
        tickers = rng.sample(pool[:max(n, 16)], n)
        horizon = rng.randint(1, 10)
        files = {"market.toml": market_text(rng, tickers),
                 "portfolio.toml": portfolio_text(rng, tickers, horizon)}
        cmd = [binary, "run", "--market", os.path.join(work, "market.toml"),
               "--portfolio", os.path.join(work, "portfolio.toml"),
               "--paths", str(rng.choice([1000, 2000, 5000, 10000])),
               "--horizon", str(horizon), "--steps-per-day", str(rng.choice([1, 1, 2])),
               "--seed", str(rng.randint(0, 2**64 - 1)), "--threads", str(rng.choice([1, 2])),
               "--backend", "cpu", "--confidence", rng.choice(["0.95,0.975,0.99", "0.99", "0.9,0.999"])]
        for name in rng.sample(BUILTINS, rng.randint(0, 2)):
            cmd += ["--scenario", name]
        if rng.random() < 0.5:
            files["scenario.toml"] = scenario_text(rng, tickers, horizon)
            cmd += ["--scenario", os.path.join(work, "scenario.toml")]
        use_json = run % 2 == 0
        cmd += ["--json"] if use_json else ["--out", os.path.join(work, "out"), "--quiet"]
        checkpoint = os.path.join(work, "run.ckpt") if run % 4 == 1 else None
        if checkpoint:
            cmd += ["--checkpoint", checkpoint, "--batch", str(rng.choice([500, 1000, 3000]))]
        for name, text in files.items():
            with open(os.path.join(work, name), "w") as f:
                f.write(text)
        where = "soak run %d (seed %d, files in %s)" % (run, args.seed, work)
        out = os.path.join(work, "out")
        bound = None
        if not use_json:
            # The folder holds an old set and a file of the user's: the run replaces the one
            # whole and keeps the other. Every other such run first asks --dry-run for its
            # bound on the reports' size, which the real run must stay within.
            os.makedirs(out)
            for name in ["report.json", "report.md", "scenarios.csv"]:
                with open(os.path.join(out, name), "w") as f:
                    f.write("an older run's %s\n" % name)
            with open(os.path.join(out, "notes.txt"), "w") as f:
                f.write("mine\n")
            if run % 4 == 3:
                d = subprocess.run(cmd + ["--dry-run"], cwd=root, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, timeout=300)
                m = re.search(r"at most about ([0-9.]+) (bytes|KiB|MiB|GiB)", d.stdout)
                if d.returncode == 0:
                    if not m:
                        raise AssertionError("%s: --dry-run states no bound on the reports" % where)
                    bound = float(m.group(1)) * {"bytes": 1, "KiB": 1024, "MiB": 1024**2,
                                                 "GiB": 1024**3}[m.group(2)]
        p = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=300)
        try:
            # Valid inputs run (0); a refusal (2) must be one clear line naming what is at fault.
            if p.returncode == 2:
                if not p.stderr.startswith("chipshock: ") or "Traceback" in p.stderr:
                    raise AssertionError("%s: exit code 2 without a clear message" % where)
                refused.append(p.stderr.splitlines()[0][:200])
                shutil.rmtree(work)
                continue
            if p.returncode != 0:
                raise AssertionError("%s: exit code %d" % (where, p.returncode))
            if checkpoint and os.path.exists(checkpoint):
                raise AssertionError("%s: the checkpoint of a completed run is left" % where)
            for mark in SANITIZER_MARKS:
                if mark in p.stderr:
                    raise AssertionError("%s: sanitizer report (%s)" % (where, mark))
            if use_json:
                report = json.loads(p.stdout)
            else:
                with open(os.path.join(work, "out", "report.json")) as f:
                    report = json.load(f)
                names = ["report.json", "report.html", "report.md", "scenarios.csv",
                         "loss_histogram.csv", "components.csv"]
                for name in names:
                    if not os.path.isfile(os.path.join(out, name)):
                        raise AssertionError("%s: %s not written" % (where, name))
                    with open(os.path.join(out, name), errors="replace") as f:
                        if f.read().startswith("an older run's"):
                            raise AssertionError("%s: %s is the old set's" % (where, name))
                with open(os.path.join(out, "notes.txt")) as f:
                    if f.read() != "mine\n":
                        raise AssertionError("%s: a file of the user's in --out changed" % where)
                if [e for e in os.listdir(work) if "chipshock-set" in e]:
                    raise AssertionError("%s: a set's temporary folder is left" % where)
                if [e for e in os.listdir(out) if ".tmp." in e or "chipshock-new" in e]:
                    raise AssertionError("%s: a temporary file is left in --out" % where)
                size = sum(os.path.getsize(os.path.join(out, n)) for n in names)
                if bound is not None and size > bound:
                    raise AssertionError("%s: the reports take %d bytes, more than the dry "
                                         "run's bound of %d" % (where, size, bound))
            check_report(report, where)
        except (AssertionError, ValueError, KeyError) as e:
            print("soak.py: FAILED: %s\ncommand: %s\nstderr (end):\n%s" %
                  (e, " ".join(cmd), p.stderr[-4000:]), file=sys.stderr)
            return 1
        shutil.rmtree(work)
    print("soak.py: %d runs on random valid inputs passed in %.0f s (seed %d); %d refused with "
          "exit 2%s" % (args.runs, time.monotonic() - start, args.seed, len(refused),
                        "".join("\n  " + r for r in refused[:5])))
    # Valid inputs are meant to run: most refusals would mean the generator or a limit is wrong.
    if len(refused) > args.runs // 4:
        print("soak.py: FAILED: more than a quarter of the runs were refused", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
