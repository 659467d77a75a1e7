#!/usr/bin/env python3
"""bench_baseline_table.py: the Switchboard/baseline table of a bench.sh run with BASELINE=<ref>.

    bench_baseline_table.py RESULTS.jsonl --ref REF --commit "HASH SUBJECT" [--standalone
        --command C --date D --machine M --versions V --pinning P --load L]   > table.md

Compares the runs tagged "switchboard:<label>" (the current tree) with those tagged
"baseline:<label>" (the switchboard built from REF), for every label the baseline ran, from the
same interleaved run. Targets: deliveries per server-CPU-second at least 0.95x the baseline's, idle
RSS per connection no higher than the baseline's, and no loss. Exit status 1 if a run failed.
--standalone adds the run's details (used when there is no Switchboard/Redis table above it).
"""
import argparse
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to bench_table.py in the source tree
from bench_table import load, median, micros, rate, ratio, size  # noqa: E402

MIN_RATE = 0.95


def describe(label, record):
    if label.startswith("fanout-"):
        return f"fan-out N={record.get('receivers')}, {record.get('senders')} sender, " \
               f"window {record.get('window')}, {record.get('payload')} B"
    if label == "rooms":
        return f"rooms C={record.get('connections')}, K={record.get('rooms_size')}, {record.get('rate'):g} msg/s"
    if label == "idle":
        return f"idle C={record.get('connections')}"
    if label == "echo":
        return f"echo C={record.get('connections')}, pipeline {record.get('pipeline')}"
    return label


def table(args):
    runs = load(args.results)
    labels = []
    for server, label in runs:
        if server == "baseline" and label not in labels:
            labels.append(label)
    rows = []
    failures = []
    for server in ("switchboard", "baseline"):
        for label in labels:
            for record in runs.get((server, label), []):
                if not record.get("ok"):
                    failures.append(f"{server} {label}: {record.get('error') or 'lost/duplicated/reordered messages'}"
                                    f" (lost {record.get('lost')}, duplicates {record.get('duplicates')},"
                                    f" reordered {record.get('reordered')})")

    def figure(workload, name, label, key, fmt, target="", check=None):
        ours, theirs = runs.get(("switchboard", label), []), runs.get(("baseline", label), [])
        a, b = median(ours, key), median(theirs, key)
        r = ratio(a, b)
        met = ""
        if check is not None and a is not None and b is not None:
            met = "yes" if check(a, b) else "**no**"
        # Each repeat's switchboard and baseline runs were back to back: their ratios show the spread.
        pairs = [ratio(x.get(key), y.get(key)) for x, y in zip(ours, theirs)]
        spread = ", ".join("–" if p is None else f"{p:.2f}" for p in pairs) if len(pairs) > 1 else ""
        rows.append((workload, name, fmt(a), fmt(b), "–" if r is None else f"{r:.2f}×", spread, target, met))

    def loss(workload, label):
        totals = {}
        for s in ("switchboard", "baseline"):
            records = runs.get((s, label), [])
            totals[s] = sum((r.get("lost") or 0) + (r.get("duplicates") or 0) + (r.get("reordered") or 0)
                            for r in records) if records else None
        met = "" if totals["switchboard"] is None else ("yes" if totals["switchboard"] == 0 else "**no**")
        fmt = lambda v: "–" if v is None else f"{v:,}"
        rows.append((workload, "lost + duplicated + reordered (all runs)", fmt(totals["switchboard"]),
                     fmt(totals["baseline"]), "", "", "0", met))

    at_least = (f"≥ {MIN_RATE:.2f}×", lambda a, b: a >= MIN_RATE * b)
    for label in labels:
        records = runs.get(("baseline", label)) or runs.get(("switchboard", label))
        workload = describe(label, records[0])
        if label.startswith("fanout-") or label == "rooms":
            figure(workload, "deliveries per server-CPU-second", label, "deliveries_per_cpu_s", rate, *at_least)
            figure(workload, "deliveries/s", label, "deliveries_per_s", rate)
            figure(workload, "p99 latency", label, "p99_us", micros)
            loss(workload, label)
        elif label == "idle":
            figure(workload, "server RSS per connection", label, "rss_per_conn_bytes", size,
                   "≤ 1.00× (no higher)", lambda a, b: a <= b)
            figure(workload, "connections set up per server-CPU-second", label, "setup_per_cpu_s", rate)
            figure(workload, "setup rate (connections/s)", label, "setup_per_s", rate)
        elif label == "echo":
            figure(workload, "requests per server-CPU-second", label, "requests_per_cpu_s", rate, *at_least)
            figure(workload, "requests/s", label, "requests_per_s", rate)
            figure(workload, "p99 latency", label, "p99_us", micros)

    repeats = max((len(v) for (s, _), v in runs.items() if s == "baseline"), default=0)
    out = [f"### Switchboard against baseline `{args.ref}` ({args.commit})", ""]
    if args.standalone:
        out += [
            f"- Command: `{args.command}`",
            f"- Date: {args.date}",
            f"- Machine: {args.machine}",
            f"- Versions: {args.versions}",
            f"- Pinning: {args.pinning}; every run against a freshly started server",
            f"- Load average before the run: {args.load or 'unknown'} (anything else running adds noise)",
        ]
    out += [
        f"- Baseline: the switchboard built from `{args.ref}`; Switchboard: this tree's "
        "`.build/release/switchboard`; the same chatload for both",
        f"- Figures are medians of {repeats} run(s) per server, interleaved in one run; ratios are "
        "Switchboard/baseline (higher is better for rates, lower for latency and memory); "
        "*pairs* are the ratios of each repeat's back-to-back runs",
        "",
        "| Workload | Figure | Switchboard | Baseline | Switchboard/baseline | pairs | Target | Met |",
        "|---|---|---:|---:|---:|---|---|---|",
    ]
    previous = None
    for workload, name, a, b, r, spread, target, met in rows:
        out.append(f"| {workload if workload != previous else ''} | {name} | {a} | {b} | {r} | {spread} | {target} | {met} |")
        previous = workload
    if not labels:
        out.append("| – | no baseline runs in this result file | | | | | | |")
    if failures:
        out.append("")
        out.append(f"**{len(failures)} run(s) failed:**")
        out.append("")
        out.extend(f"- {f}" for f in failures)
    print("\n".join(out))
    return 1 if failures or not labels else 0


def main():
    parser = argparse.ArgumentParser(description="bench.sh Switchboard/baseline table")
    parser.add_argument("results")
    parser.add_argument("--ref", required=True)
    parser.add_argument("--commit", default="")
    parser.add_argument("--standalone", action="store_true")
    parser.add_argument("--command", default="Benchmarks/bench.sh")
    parser.add_argument("--date", default="")
    parser.add_argument("--machine", default="")
    parser.add_argument("--versions", default="")
    parser.add_argument("--pinning", default="")
    parser.add_argument("--load", default="")
    return table(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
