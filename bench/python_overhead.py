#!/usr/bin/env python3
"""What a chipshock.run() call costs over the engine: the same 1M-path run through the Python
module and through the CLI, each repeated, medians compared.

    PYTHONPATH=build/python python3 bench/python_overhead.py [--cli build/chipshock]

For each repetition it measures
  * call:   the Python call's wall time (perf_counter around chipshock.run), i.e. argument
            conversion, the worker thread and its polling, report.json's text parsed to a dict;
  * job:    the job's own wall time inside that call (report.json's run.phases.wall: from the
            start of the job to its report), i.e. the engine with everything chipshock runs;
  * cli:    the CLI's run.phases.wall for the same inputs (`chipshock run --json`).
The overhead is call / job - 1 (the module's own cost) and call / cli - 1 (against the CLI's
engine time). The issue's target: at most 2% at 1M paths.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import time

import chipshock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=os.path.join(ROOT, "build", "chipshock"))
    p.add_argument("--paths", type=int, default=1_000_000)
    p.add_argument("--horizon", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--backend", default="cpu")
    a = p.parse_args()
    market = os.path.join(ROOT, "scenarios/market/ai_chips.toml")
    book = os.path.join(ROOT, "scenarios/portfolio/ai_book.toml")
    kwargs = dict(paths=a.paths, horizon=a.horizon, seed=7, backend=a.backend,
                  scenarios=["cheaper_model_disruption"])
    args = [a.cli, "run", "--market", market, "--portfolio", book, "--paths", str(a.paths),
            "--horizon", str(a.horizon), "--seed", "7", "--backend", a.backend,
            "--scenario", "cheaper_model_disruption", "--json"]
    chipshock.run(market, book, **dict(kwargs, paths=10000))  # warm-up
    calls, jobs, clis = [], [], []
    for _ in range(a.repeats):
        start = time.perf_counter()
        r = chipshock.run(market, book, **kwargs)
        calls.append(time.perf_counter() - start)
        jobs.append(r.report["run"]["phases"]["wall"])
        done = subprocess.run(args, capture_output=True, text=True, check=True)
        clis.append(json.loads(done.stdout)["run"]["phases"]["wall"])
    call, job, cli = (statistics.median(x) for x in (calls, jobs, clis))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{a.paths} paths, {a.horizon} days, baseline + 1 scenario, backend {a.backend}, "
          f"median of {a.repeats}")
    print(f"python call {call:.3f} s   job inside it {job:.3f} s   CLI job {cli:.3f} s")
    print(f"overhead over its own job: {100 * (call / job - 1):+.2f}%   "
          f"over the CLI's job: {100 * (call / cli - 1):+.2f}%   (target <= 2%)")


if __name__ == "__main__":
    main()
