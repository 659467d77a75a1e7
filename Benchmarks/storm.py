#!/usr/bin/env python3
"""The loop's longest iterations during a storm of arrivals and a mass close, measured inside the
server: switchboard's /metrics histogram of iteration times (switchboard_loop_iteration_seconds).

Opens C line-protocol connections as fast as the kernel accepts them (non-blocking connects in one
burst), waits until every one has its WELCOME, then sets SO_LINGER 0 on all and closes them at once,
so the server reaps C resets in one go. Before and after each phase it scrapes /metrics and reports,
for that phase: the iterations it took, how many took over 1 ms and over 10 ms, the longest, and
the longest counting only the time the server's thread ran (the gauges are maxima since start, so
each is reported only when it grew in that phase). The gap between the two is time the server
waited for a CPU: other processes, or on a VM its host (the steal, also printed).

Usage: storm.py --server PATH [--connections 19000] [--realtime]   (starts its own server on free
ports, on core 0, this client on core 1; --realtime: the server under SCHED_FIFO, so whatever else
runs on the machine cannot preempt it and only its own work is measured)
Exit status 1 if an iteration's time on the CPU went over --limit-ms (default 10) in either phase:
that much is the server's own work (and the kernel's in its system calls), which pacing and
budgets must bound; the time a busy host takes is not.
"""
import argparse
import os
import resource
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    samples = {}
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    return samples


def server_cpu_seconds(pid):
    """utime + stime of `pid`, from /proc (clock ticks of 1/100 s on Linux)."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def steal_ms(cpu):
    """Time the hypervisor ran something else on `cpu`'s vCPU (/proc/stat steal, in ms): an
    iteration can be long for that alone, and no setting of ours makes it shorter."""
    for line in open("/proc/stat"):
        fields = line.split()
        if fields[0] == "cpu%d" % cpu:
            return int(fields[8]) * 1000 / os.sysconf("SC_CLK_TCK")
    return 0.0


def over(samples, bound):
    """Iterations slower than `bound` seconds (a histogram bucket bound)."""
    return samples["switchboard_loop_iteration_seconds_count"] - samples[
        'switchboard_loop_iteration_seconds_bucket{le="%.6f"}' % bound]


def longest(name, before, after):
    """The phase's longest iteration by gauge `name` (a maximum since start), as text, and in
    seconds if it grew during the phase (None if the phase's stayed below the earlier maximum)."""
    value = after[name]
    if value > before[name]:
        return "%.2f ms" % (value * 1000), value
    return "below the earlier maximum (%.2f ms)" % (value * 1000), None


def report(name, before, after, limit_ms, steal):
    """Prints the phase's figures; returns whether the server's own work in one iteration (its
    time on the CPU) went over the limit."""
    iterations = after["switchboard_loop_iteration_seconds_count"] - before["switchboard_loop_iteration_seconds_count"]
    over1 = over(after, 0.001) - over(before, 0.001)
    over10 = over(after, 0.010) - over(before, 0.010)
    over25 = over(after, 0.025) - over(before, 0.025)
    wall, _ = longest("switchboard_loop_iteration_max_seconds", before, after)
    on_cpu, on_cpu_value = longest("switchboard_loop_iteration_on_cpu_max_seconds", before, after)
    print("storm: %-22s %7d iterations, %5d over 1 ms, %4d over 10 ms, %4d over 25 ms; longest %s, on the CPU %s; %s" % (
        name, iterations, over1, over10, over25, wall, on_cpu,
        "steal on the server's core %.0f ms" % steal if steal is not None else "steal not known"))
    return on_cpu_value is not None and on_cpu_value > limit_ms / 1000.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--connections", type=int, default=19000)
    parser.add_argument("--limit-ms", type=int, default=10, choices=[1, 10, 25])
    parser.add_argument("--realtime", action="store_true",
                        help="run the server under SCHED_FIFO (chrt -f 50, needs root), so other processes "
                             "cannot preempt it: what is left is the server's own work")
    args = parser.parse_args()
    # The server on core 0 and this client on core 1 (as bench.sh does), so they do not take turns.
    wrapper = []
    core = None
    if os.cpu_count() and os.cpu_count() > 1 and shutil.which("taskset"):
        wrapper = ["taskset", "-c", "0"]
        core = 0
        os.sched_setaffinity(0, {1})
    if args.realtime:
        wrapper += ["chrt", "-f", "50"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.connections + 100 > hard:
        sys.exit("storm: %d connections need more than the open-files limit %d" % (args.connections, hard))

    line_port, http_port = free_port(), free_port()
    server = subprocess.Popen(wrapper + [args.server, "--port", str(line_port), "--irc-port", "0", "--http-port",
                               str(http_port), "--log-level", "warn"])
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                scrape(http_port)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("storm: the server did not start")
                time.sleep(0.05)

        before = scrape(http_port)
        steal_before = steal_ms(core) if core is not None else None
        sockets = []
        selector = selectors.DefaultSelector()
        started = time.monotonic()
        for _ in range(args.connections):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", line_port))
            sockets.append(s)
            selector.register(s, selectors.EVENT_READ)
        greeted = 0
        deadline = time.monotonic() + 120
        while greeted < len(sockets):
            if time.monotonic() > deadline:
                sys.exit("storm: only %d of %d connections were greeted in 120 s" % (greeted, len(sockets)))
            for key, _ in selector.select(timeout=1):
                data = key.fileobj.recv(4096)
                if data.startswith(b"WELCOME"):
                    greeted += 1
                    selector.unregister(key.fileobj)
        arrived = scrape(http_port)
        steal_arrived = steal_ms(core) if core is not None else None
        print("storm: %d connections greeted in %.2f s" % (greeted, time.monotonic() - started))
        # What a scrape costs with every connection open (it counts /proc/self/fd): the round trip
        # of five scrapes seen from here, and the longest iteration they caused seen from inside.
        timings = []
        cpu_before = server_cpu_seconds(server.pid)
        for _ in range(20):
            start = time.monotonic()
            scrape(http_port)
            timings.append((time.monotonic() - start) * 1000)
        cpu = (server_cpu_seconds(server.pid) - cpu_before) / 20
        scraped = scrape(http_port)
        timings.sort()
        print("storm: /metrics at %d connections: %.2f ms of server CPU per scrape; round trip median %.2f ms, "
              "max %.2f ms; %d iterations over 1 ms meanwhile" % (
                  greeted, cpu * 1000, timings[len(timings) // 2], timings[-1],
                  over(scraped, 0.001) - over(arrived, 0.001)))
        arrived = scraped
        steal_closing = steal_ms(core) if core is not None else None

        for s in sockets:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        started = time.monotonic()
        for s in sockets:
            s.close()
        deadline = time.monotonic() + 60
        while True:
            now = scrape(http_port)
            if now['switchboard_connections{frontend="line"}'] == 0:
                break
            if time.monotonic() > deadline:
                sys.exit("storm: the server still holds %d connections" % now['switchboard_connections{frontend="line"}'])
            time.sleep(0.05)
        closed = scrape(http_port)
        steal_closed = steal_ms(core) if core is not None else None
        print("storm: %d resets reaped in %.2f s" % (len(sockets), time.monotonic() - started))
        known = core is not None
        bad = report("arrivals", before, arrived, args.limit_ms, steal_arrived - steal_before if known else None)
        bad = report("mass close (resets)", arrived, closed, args.limit_ms, steal_closed - steal_closing if known else None) or bad
        return 1 if bad else 0
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
