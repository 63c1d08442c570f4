#!/usr/bin/env python3
"""Plots the per-100 ms timeline of `cargo run --example outage -- --csv run.csv` as a PNG.

    python3 examples/outage/plot.py run.csv -o outage.png
    python3 examples/outage/plot.py run.csv --compare no-budget.csv "no budget" -o outage.png

Panels, sharing the time axis: requests per second (offered, and received by the upstream, for
the run and every --compare run); client answers per second (ok, errors); client latency p50 and
p99 (log scale); the breaker's state at the end of each row, with its probes
(turns half-open) marked. The outage is shaded in every panel.

Needs matplotlib: when it is not importable, the script makes its own venv
(~/.cache/connfx-plot-venv, matplotlib from PyPI, pinned) and runs itself again from there.
"""

import argparse
import csv
import os
import subprocess
import sys
import venv

MATPLOTLIB = "matplotlib==3.11.2"
VENV = os.path.join(os.path.expanduser("~"), ".cache", "connfx-plot-venv")
BUCKETS_PER_SECOND = 10
BREAKER_LEVELS = {"closed": 0, "half-open": 1, "open": 2}


def ensure_matplotlib():
    """Imports matplotlib, or re-runs this script in a venv that has it."""
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.executable) == os.path.realpath(python):
        sys.exit(f"matplotlib is missing from {VENV}; delete it and run again")
    if not os.path.exists(python):
        print(f"creating {VENV} with {MATPLOTLIB}", file=sys.stderr)
        venv.create(VENV, with_pip=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", MATPLOTLIB], check=True)
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])


def read(path):
    """The CSV as columns: lists of numbers (None where empty), the breaker as text."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path} has no rows")

    def number(value):
        return float(value) if value != "" else None

    columns = {key: [number(r[key]) for r in rows] for key in rows[0] if key != "breaker"}
    columns["breaker"] = [r["breaker"] for r in rows]
    columns["t"] = [t / 1000 for t in columns["t_ms"]]
    return columns


def outage_span(run):
    """The outage's start and end in seconds, from the upstream_down column."""
    down = [t for t, d in zip(run["t"], run["upstream_down"]) if d]
    return (down[0], down[-1] + 1 / BUCKETS_PER_SECOND) if down else None


def default_title(run):
    rate = round(sum(run["offered"]) / (len(run["t"]) / BUCKETS_PER_SECOND))
    span = outage_span(run)
    down = f", upstream answering 503 from {span[0]:g} s to {span[1]:g} s" if span else ""
    return f"connfx: {rate} req/s for {len(run['t']) / BUCKETS_PER_SECOND:g} s{down}"


def per_second(values):
    return [v * BUCKETS_PER_SECOND for v in values]


def plot(main, compares, title, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(
        4, 1, sharex=True, figsize=(11, 10), gridspec_kw={"height_ratios": [3, 2, 3, 1]}
    )
    load, answers, latency, breaker = axes
    span = outage_span(main)
    for ax in axes:
        if span:
            ax.axvspan(*span, color="tab:red", alpha=0.08, lw=0)
        ax.grid(True, alpha=0.3)

    t = main["t"]
    load.step(t, per_second(main["offered"]), where="post", color="black", lw=1.2, label="offered")
    load.step(t, per_second(main["upstream_received"]), where="post", color="tab:blue",
              lw=1.2, label="upstream received")
    for (run, label), color in zip(compares, ["tab:orange", "tab:purple", "tab:green"]):
        load.step(run["t"], per_second(run["upstream_received"]), where="post", color=color,
                  lw=1.0, ls="--", label=f"upstream received ({label})")
    load.set_ylabel("requests/s")
    load.set_ylim(bottom=0)
    load.legend(loc="upper left", fontsize=8)
    if span:
        load.text((span[0] + span[1]) / 2, load.get_ylim()[1] * 0.98, "upstream answers 503",
                  va="top", ha="center", fontsize=8, color="tab:red")

    answers.step(t, per_second(main["client_ok"]), where="post", color="tab:green", label="ok")
    answers.step(t, per_second(main["client_errors"]), where="post", color="tab:red",
                 label="errors")
    answers.set_ylabel("answers/s\n(by due time)")
    answers.set_ylim(bottom=0)
    answers.legend(loc="upper left", fontsize=8)

    for key, color, label in [("p50_ms", "tab:blue", "p50"), ("p99_ms", "tab:purple", "p99")]:
        points = [(x, y) for x, y in zip(t, main[key]) if y is not None]
        latency.step([p[0] for p in points], [p[1] for p in points], where="post", color=color,
                     label=label)
    latency.set_yscale("log")
    latency.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1, 2, 5)))
    latency.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    latency.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    latency.set_ylabel("client latency, ms")
    latency.legend(loc="upper left", fontsize=8)

    if any(main["breaker"]):
        levels = [BREAKER_LEVELS.get(s, 0) for s in main["breaker"]]
        breaker.step(t, levels, where="post", color="black")
        breaker.fill_between(t, levels, step="post", color="tab:red", alpha=0.3)
        probes = [x for x, n in zip(t, main["probes"]) if n]
        breaker.plot(probes, [1] * len(probes), "v", color="tab:orange", ms=6, label="probe")
        if probes:
            breaker.legend(loc="upper left", fontsize=8)
    else:
        breaker.text(0.5, 0.5, "no breaker", transform=breaker.transAxes, ha="center",
                     va="center", color="grey")
    breaker.set_yticks(list(BREAKER_LEVELS.values()), list(BREAKER_LEVELS))
    breaker.set_ylim(-0.3, 2.3)
    breaker.set_ylabel("breaker")
    breaker.set_xlabel("time since the start of the run, s (100 ms rows)")

    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", help="the run's timeline (--csv of the outage example)")
    parser.add_argument("--compare", nargs=2, action="append", default=[],
                        metavar=("CSV", "LABEL"), help="another run's upstream load to overlay")
    parser.add_argument("--title", help="defaults to the run's rate and outage")
    parser.add_argument("-o", "--output", required=True, help="PNG to write")
    args = parser.parse_args()
    ensure_matplotlib()
    compares = [(read(path), label) for path, label in args.compare]
    run = read(args.csv)
    plot(run, compares, args.title or default_title(run), args.output)


if __name__ == "__main__":
    main()
