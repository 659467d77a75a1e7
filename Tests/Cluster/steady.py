#!/usr/bin/env python3
"""make test-cluster: the cluster's steady state, at volume: N nodes on one redis-server, clients
spread round-robin over them, every client in one room and a few rooms of their own, sending
numbered messages; every receiver checks that it got every other sender's messages exactly once
and in order, and private messages across nodes likewise. Afterwards every node's /metrics must
show no gap, duplicate or drop on the bus.

Usage: steady.py --server PATH [--nodes 3] [--clients 30] [--messages 1200]
(30 clients x 29 recipients x 1200 messages = 1,044,000 room deliveries.)
"""
import argparse
import os
import selectors
import socket
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics(port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        if not line.startswith("#") and " " in line:
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


class Client:
    def __init__(self, index, port):
        self.index = index
        self.nick = "c%d" % index
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.inbox = b""
        self.outbox = b""
        self.lines = []

    def send(self, text):
        self.outbox += text.encode() + b"\n"

    def pump(self):
        if self.outbox:
            try:
                sent = self.sock.send(self.outbox)
                self.outbox = self.outbox[sent:]
            except BlockingIOError:
                pass
        try:
            while True:
                data = self.sock.recv(1 << 20)
                if not data:
                    raise ConnectionError("%s: closed" % self.nick)
                self.inbox += data
        except BlockingIOError:
            pass
        if b"\n" in self.inbox:
            *complete, self.inbox = self.inbox.split(b"\n")
            self.lines.extend(line.decode(errors="replace") for line in complete)


def pump_until(clients, condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit("steady: timed out waiting for %s" % what)
        for client in clients:
            client.pump()
        time.sleep(0.001)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--messages", type=int, default=1200)
    parser.add_argument("--redis-server", default="redis-server")
    args = parser.parse_args()

    redis_port = free_port()
    redis = subprocess.Popen([args.redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--loglevel", "warning"], stdout=subprocess.DEVNULL)
    nodes = []
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", redis_port)).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("steady: redis-server did not start")
                time.sleep(0.05)
        for n in range(args.nodes):
            port, http = free_port(), free_port()
            process = subprocess.Popen([args.server, "--port", str(port), "--irc-port", "0", "--http-port", str(http),
                                        "--redis", "127.0.0.1:%d" % redis_port, "--node-id", "steady%d" % n,
                                        "--log-level", "warn"])
            nodes.append((process, port, http))
        for process, port, http in nodes:
            deadline = time.monotonic() + 15
            while True:
                try:
                    metrics(http)
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        sys.exit("steady: a node did not start")
                    time.sleep(0.05)

        clients = [Client(i, nodes[i % len(nodes)][1]) for i in range(args.clients)]
        for client in clients:
            client.send("/nick %s" % client.nick)
            client.send("/join steady")
        everyone = {c.nick for c in clients}

        def all_present():
            for client in clients:
                client.send("/who")
            pump_until(clients, lambda: all(any(l == "END who" for l in c.lines) for c in clients), 30, "/who")
            ok = True
            for client in clients:
                end = max(i for i, l in enumerate(client.lines) if l == "END who")
                start = max((i for i, l in enumerate(client.lines[:end]) if not l.startswith("USER ")), default=-1) + 1
                seen = {l[5:] for l in client.lines[start:end]}
                ok = ok and everyone <= seen
                client.lines = []
            return ok

        deadline = time.monotonic() + 30
        while not all_present():
            if time.monotonic() > deadline:
                sys.exit("steady: membership did not converge within 30 s")
            time.sleep(0.2)
        print("steady: %d clients on %d nodes, all in room steady; sending %d messages each"
              % (len(clients), len(nodes), args.messages), flush=True)

        started = time.monotonic()
        expected_room = (len(clients) - 1) * args.messages
        next_seq = {c.nick: 0 for c in clients}
        received = {c.nick: {} for c in clients}
        problems = []
        counts = {c.nick: 0 for c in clients}
        privates = {c.nick: 0 for c in clients}
        sent = 0
        # Each client sends in bursts as the others keep up; one private message every 100 to the
        # client after it (usually on another node).
        while True:
            progressed = False
            for client in clients:
                if next_seq[client.nick] < args.messages and len(client.outbox) < 64 * 1024:
                    for _ in range(20):
                        seq = next_seq[client.nick]
                        if seq >= args.messages:
                            break
                        client.send("%s %d" % (client.nick, seq))
                        if seq % 100 == 0:
                            target = clients[(client.index + 1) % len(clients)].nick
                            client.send("/msg %s p %s %d" % (target, client.nick, seq))
                        next_seq[client.nick] = seq + 1
                        sent += 1
                    progressed = True
                client.pump()
                for line in client.lines:
                    if line.startswith("MSG steady "):
                        _, _, sender, text = line.split(" ", 3)
                        name, number = text.split(" ")
                        number = int(number)
                        last = received[client.nick].get(sender, -1)
                        if number != last + 1 and len(problems) < 20:
                            problems.append("%s got %s %d after %d" % (client.nick, sender, number, last))
                        received[client.nick][sender] = number
                        counts[client.nick] += 1
                    elif line.startswith("PRIV "):
                        privates[client.nick] += 1
                client.lines = []
            if all(counts[c] >= expected_room for c in counts) and not progressed:
                break
            if time.monotonic() - started > 600:
                problems.append("not done after 600 s: %d of %d deliveries" % (sum(counts.values()), expected_room * len(clients)))
                break
        elapsed = time.monotonic() - started
        # Let the private messages and any stragglers land.
        pump_until(clients, lambda: True, 1, "")
        expected_private = len(range(0, args.messages, 100))
        for client in clients:
            client.pump()
            for line in client.lines:
                if line.startswith("PRIV "):
                    privates[client.nick] += 1
        deliveries = sum(counts.values())
        print("steady: %d room deliveries (expected %d) in %.1f s (%.0f/s); private messages %d (expected %d)"
              % (deliveries, expected_room * len(clients), elapsed, deliveries / elapsed, sum(privates.values()),
                 expected_private * len(clients)))
        if deliveries != expected_room * len(clients):
            problems.append("room deliveries %d, expected %d" % (deliveries, expected_room * len(clients)))
        if sum(privates.values()) != expected_private * len(clients):
            problems.append("private messages %d, expected %d" % (sum(privates.values()), expected_private * len(clients)))
        for process, port, http in nodes:
            m = metrics(http)
            bad = {k: v for k, v in m.items() if (k.startswith("switchboard_bus_gaps") or k.startswith("switchboard_bus_missed")
                                                 or k.startswith("switchboard_bus_dropped")) and v != 0}
            print("steady: node on %d: published %d, received %d, gaps %d, dropped %s" % (
                port, m.get("switchboard_bus_published_total", -1), m.get("switchboard_bus_received_total", -1),
                m.get("switchboard_bus_gaps_total", -1), bad or "none"))
            if bad:
                problems.append("node on port %d: %s" % (port, bad))
        for problem in problems:
            print("steady: FAIL: %s" % problem)
        print("steady: %s" % ("passed" if not problems else "failed"))
        return 1 if problems else 0
    finally:
        for process, _, _ in nodes:
            process.terminate()
        for process, _, _ in nodes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.terminate()
        redis.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
