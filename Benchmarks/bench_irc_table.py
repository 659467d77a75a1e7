#!/usr/bin/env python3
"""bench_irc_table.py: the IRC section of docs/BENCHMARKS.md from bench.sh's chatload JSON lines:
Switchboard's IRC front end against ngIRCd and InspIRCd (medians per server, the ratios, and the
targets).

    bench_irc_table.py RESULTS.jsonl --command C --date D --machine M --versions V --pinning P \
        --load L --load-after L        > irc-section.md   (exit 1 if a run failed)

Reads the runs tagged "<server>:irc-fanout" and "<server>:irc-idle" (server: switchboard, ngircd,
inspircd). Targets (issue 9): deliveries per server-CPU-second at least 3x the better peer's and at
least 5 M; server RSS per idle connection at most 1/4 of the leaner peer's and at most 500 B; no
loss, no disconnects.
"""
import argparse
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to bench_table.py in the source tree
from bench_table import count, load, median, micros, rate, ratio, size  # noqa: E402

SERVERS = ("switchboard", "ngircd", "inspircd")
NAMES = {"switchboard": "Switchboard", "ngircd": "ngIRCd", "inspircd": "InspIRCd"}
MIN_FACTOR = 3.0
MIN_RATE = 5e6
MAX_SHARE = 0.25
MAX_RSS = 500


def fmt_ratio(value):
    return "–" if value is None else f"{value:.2f}×"


def table(args):
    runs = {key: records for key, records in load(args.results).items() if key[1].startswith("irc-")}
    rows = []
    failures = []
    for (server, label), records in sorted(runs.items()):
        for record in records:
            if not record.get("ok"):
                failures.append(f"{server} {label}: {record.get('error') or 'lost/duplicated/reordered messages'}"
                                f" (lost {record.get('lost')}, duplicates {record.get('duplicates')},"
                                f" reordered {record.get('reordered')}, disconnects {record.get('disconnects')})")

    def first(label, key):
        for server in SERVERS:
            for record in runs.get((server, label), []):
                if record.get(key) is not None:
                    return record[key]
        return None

    def figure(workload, name, label, key, fmt, target="", check=None, ratios=True):
        values = {s: median(runs.get((s, label), []), key) for s in SERVERS}
        ours = values["switchboard"]
        met = ""
        if check is not None and ours is not None:
            met = check(ours, values["ngircd"], values["inspircd"])
        cells = [fmt_ratio(ratio(ours, values[peer])) if ratios else "" for peer in ("ngircd", "inspircd")]
        rows.append((workload, name, *(fmt(values[s]) for s in SERVERS), *cells, target, met))

    def total(workload, name, label, keys, target="0"):
        totals = {}
        for s in SERVERS:
            records = runs.get((s, label), [])
            totals[s] = sum(sum(r.get(k) or 0 for k in keys) for r in records) if records else None
        ours = totals["switchboard"]
        met = "" if ours is None else ("yes" if ours == 0 else "**no**")
        rows.append((workload, name, *(count(totals[s]) for s in SERVERS), "", "", target, met))

    def verdict(relative, absolute):
        # Both halves of a target, each with its verdict: "3×: yes, 5 M: **no**".
        return ", ".join(f"{name}: {'yes' if ok else '**no**'}" for name, ok in (relative, absolute))

    def faster(ours, ngircd, inspircd):
        peers = [v for v in (ngircd, inspircd) if v is not None]
        return verdict(("3×", bool(peers) and ours >= MIN_FACTOR * max(peers)), ("5 M", ours >= MIN_RATE))

    def leaner(ours, ngircd, inspircd):
        peers = [v for v in (ngircd, inspircd) if v is not None and v > 0]
        return verdict(("1/4", bool(peers) and ours <= MAX_SHARE * min(peers)), ("500 B", ours <= MAX_RSS))

    n = first("irc-fanout", "receivers")
    fanout = f"IRC fan-out N={n}, 1 sender, window {first('irc-fanout', 'window')}, {first('irc-fanout', 'payload')} B"
    figure(fanout, "deliveries per server-CPU-second", "irc-fanout", "deliveries_per_cpu_s", rate,
           "≥ 3× the better peer, ≥ 5 M", faster)
    figure(fanout, "deliveries/s", "irc-fanout", "deliveries_per_s", rate)
    figure(fanout, "server CPU utilisation", "irc-fanout", "server_cpu_util",
           lambda v: "–" if v is None else f"{v * 100:.0f}%", ratios=False)
    figure(fanout, "p99 latency", "irc-fanout", "p99_us", micros)
    total(fanout, "lost + duplicated + reordered (all runs)", "irc-fanout", ("lost", "duplicates", "reordered"))
    total(fanout, "disconnects (all runs)", "irc-fanout", ("disconnects",))
    idle = f"IRC idle C={first('irc-idle', 'connections')} (registered, in no channel)"
    figure(idle, "server RSS per connection", "irc-idle", "rss_per_conn_bytes", size,
           "≤ 1/4 of the leaner peer, ≤ 500 B", leaner)
    figure(idle, "setup rate (connections/s)", "irc-idle", "setup_per_s", rate)
    figure(idle, "connections set up per server-CPU-second", "irc-idle", "setup_per_cpu_s", rate)
    total(idle, "disconnects (all runs)", "irc-idle", ("disconnects",))

    repeats = max((len(v) for v in runs.values()), default=0)
    out = [
        "## IRC results",
        "",
        f"- Command: `{args.command}`",
        f"- Date: {args.date}",
        f"- Machine: {args.machine}",
        f"- Versions: {args.versions}",
        f"- Pinning: {args.pinning}; every run against a freshly started server",
        f"- Load average before the run: {args.load or 'unknown'}; after it: {args.load_after or 'unknown'}"
        " (anything else running adds noise)",
        f"- Figures are medians of {repeats} run(s) per server; ratios are Switchboard/peer (higher is better "
        "for rates, lower for latency and memory)",
        "",
        "| Workload | Figure | Switchboard | ngIRCd | InspIRCd | Switchboard/ngIRCd | Switchboard/InspIRCd "
        "| Target | Met |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    previous = None
    for workload, name, *cells in rows:
        out.append(f"| {workload if workload != previous else ''} | {name} | " + " | ".join(cells) + " |")
        previous = workload
    # Every run's key figure, in run order, so the spread is visible next to the medians.
    out.append("")
    for label, key, fmt, what in (("irc-fanout", "deliveries_per_cpu_s", rate, "deliveries per server-CPU-second"),
                                  ("irc-idle", "rss_per_conn_bytes", size, "RSS per connection")):
        parts = []
        for server in SERVERS:
            values = [r.get(key) for r in runs.get((server, label), [])]
            if values:
                parts.append(f"{NAMES[server]} " + ", ".join(fmt(v) for v in values))
        if parts:
            out.append(f"- Every run, {what}: " + "; ".join(parts))
    if failures:
        out.append("")
        out.append(f"**{len(failures)} run(s) failed:**")
        out.append("")
        out.extend(f"- {f}" for f in failures)
    print("\n".join(out))
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description="bench.sh IRC results table")
    parser.add_argument("results")
    parser.add_argument("--command", default="Benchmarks/bench.sh")
    parser.add_argument("--date", default="")
    parser.add_argument("--machine", default="")
    parser.add_argument("--versions", default="")
    parser.add_argument("--pinning", default="")
    parser.add_argument("--load", default="")
    parser.add_argument("--load-after", default="")
    return table(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
