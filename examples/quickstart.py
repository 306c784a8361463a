#!/usr/bin/env python3
"""chipshock from Python in a page: calibrate a market from the shipped price history, stress
the AI book with two built-in scenarios, print the table and chart the loss distributions.

    PYTHONPATH=build/python python3 examples/quickstart.py --out quickstart/

Writes quickstart/losses.png and quickstart/report/ (the CLI's report files).
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import numpy as np

import chipshock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="quickstart", help="folder for the chart and reports")
    parser.add_argument("--paths", type=int, default=200_000)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    # 1. A market from two years of daily closes (as `chipshock calibrate` does).
    market = chipshock.calibrate(os.path.join(ROOT, "scenarios/data/prices"), window=500)
    print(f"calibrated {len(market['assets'])} tickers as of {market['as_of']}")

    # 2. The AI book under the baseline and two built-in scenarios, 10 trading days.
    book = os.path.join(ROOT, "scenarios/portfolio/ai_book.toml")
    result = chipshock.run(market, book,
                           scenarios=["cheaper_model_disruption", "export_restrictions"],
                           paths=args.paths, horizon=10, seed=7, keep_losses=True)
    print(result.frame()[["var", "es", "es_lo", "es_hi"]].round(0).to_string())
    print(f"baseline: {result.losses.size} losses kept, worst {result.losses.max():,.0f}")

    # 3. The loss distributions: the baseline's own losses, and each scenario's histogram.
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.hist(result.losses, bins=120, density=True, histtype="step", label="baseline (paths)")
    for s in result.report["scenarios"][1:]:
        h = s["histogram"]
        edges = h["bin_lo"] + h["bin_width"] * np.arange(len(h["counts"]) + 1)
        density = np.asarray(h["counts"]) / (s["paths"] * h["bin_width"])
        step = ax.stairs(density, edges, label=s["name"])
        ax.axvline(s["var"]["0.99"], ls=":", lw=1, color=step.get_edgecolor())
    ax.axvline(result.var(0.99), ls="--", lw=1, color="k", label="baseline 99% VaR")
    # The body and the tail that matters, not the few extreme gains.
    worst = max(s["var"]["0.99"] for s in result.report["scenarios"])
    ax.set_xlim(np.quantile(result.losses, 0.001), 1.4 * worst)
    ax.set_xlabel(f"10-day loss ({result.report['portfolio']['currency']})")
    ax.set_ylabel("density")
    ax.set_title(result.report["portfolio"]["name"])
    ax.legend(fontsize=8)
    chart = os.path.join(args.out, "losses.png")
    fig.savefig(chart, dpi=120, bbox_inches="tight")
    result.write(os.path.join(args.out, "report"))
    print(f"wrote {chart} and {os.path.join(args.out, 'report')}/")


if __name__ == "__main__":
    main()
