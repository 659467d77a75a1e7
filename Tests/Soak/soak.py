#!/usr/bin/env python3
"""make soak: one switchboard under mixed, partly hostile load for SOAK_SECONDS, watched from outside.

At once, on one server (line protocol, IRC and IRC over WebSocket):
  - chatload rooms on the line protocol and on IRC: steady chat in many rooms, checked for loss,
    duplicates and reordering (chatload exits 1 on any);
  - churn: line, IRC and WebSocket clients that connect, register, join and part rooms, talk, and
    leave by QUIT, by closing, or by a reset;
  - misbehaving clients: lines over the limit, garbage bytes, bad HTTP heads and half-sent ones,
    WebSocket frames that break the protocol, and slow consumers that join a busy room and never
    read (the server must drop them).
Every second it samples the server's RSS and open descriptors (/proc/PID, read from this process)
and prints a progress line. It fails if, after the warm-up, the RSS floor grows by more than 5%; if the
descriptors do not return to their baseline once the load stops; if a well-behaved client lost
anything; or if the server dies. It writes the samples as CSV and an SVG plot of both.
"""
import argparse
import base64
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def metric(port, name):
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}

    def add(self, name, n=1):
        with self.lock:
            self.values[name] = self.values.get(name, 0) + n

    def snapshot(self):
        with self.lock:
            return dict(self.values)


def connect(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_until(s, needle, limit=1 << 20):
    data = b""
    while needle not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before %r" % needle)
        data += chunk
        if len(data) > limit:
            raise ConnectionError("no %r in %d bytes" % (needle, len(data)))
    return data


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def leave(s, rng, polite):
    """Ends a client's connection one of three ways."""
    how = rng.random()
    try:
        if how < 0.5:
            s.sendall(polite)
            s.settimeout(2)
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass
            s.close()
        elif how < 0.8:
            s.close()
        else:
            reset(s)
    except OSError:
        s.close()


# WebSocket client frames: masked, as RFC 6455 requires of clients.
def ws_frame(payload, opcode=0x1, fin=True, mask=True):
    header = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        header += bytes([bit | n])
    elif n < 65536:
        header += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        header += bytes([bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def ws_open(port):
    s = connect(port)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n\r\n"
               % (port, key)).encode())
    head = read_until(s, b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError("no upgrade: %r" % head[:60])
    return s


def churn_line(port, rng, counters):
    s = connect(port)
    read_until(s, b"\n")
    for _ in range(rng.randint(1, 4)):
        s.sendall(("/join soak%d\n" % rng.randint(0, 30)).encode())
        s.sendall(b"hello from a churning line client\n")
    s.sendall(b"/who\n")
    read_until(s, b"END who")
    leave(s, rng, b"/quit churned\n")
    counters.add("line churn")


def churn_irc(port, rng, counters, nick):
    s = connect(port)
    s.sendall(("CAP LS 302\r\nNICK %s\r\nUSER %s 0 * :soak\r\nCAP REQ :server-time message-tags\r\nCAP END\r\n"
               % (nick, nick)).encode())
    for _ in range(rng.randint(1, 4)):
        room = "#soak%d" % rng.randint(0, 30)
        s.sendall(("JOIN %s\r\nPRIVMSG %s :hello from irc\r\nWHO %s\r\n" % (room, room, room)).encode())
        if rng.random() < 0.5:
            s.sendall(("PART %s :bye\r\n" % room).encode())
    s.sendall(b"PING :soak\r\n")
    read_until(s, b"PONG")
    leave(s, rng, b"QUIT :churned\r\n")
    counters.add("irc churn")


def churn_ws(port, rng, counters, nick):
    s = ws_open(port)
    lines = ["NICK %s" % nick, "USER %s 0 * :soak" % nick, "JOIN #soak%d" % rng.randint(0, 30),
             "PRIVMSG #soak%d :hello from the web" % rng.randint(0, 30), "PING :ws"]
    s.sendall(b"".join(ws_frame(line.encode()) for line in lines))
    read_until(s, b"PONG")
    how = rng.random()
    if how < 0.4:
        s.sendall(ws_frame(b"QUIT :churned"))
        leave(s, rng, ws_frame(struct.pack("!H", 1000), opcode=0x8))
    elif how < 0.7:
        s.sendall(ws_frame(struct.pack("!H", 1001), opcode=0x8))
        s.close()
    else:
        reset(s)
    counters.add("ws churn")


def misbehave(ports, rng, counters):
    """One hostile or broken client; each must cost the server nothing lasting."""
    line_port, irc_port, http_port = ports
    kind = rng.randrange(8)
    if kind == 0:  # a line far over --max-line, then a good one
        s = connect(line_port)
        read_until(s, b"\n")
        s.sendall(b"x" * rng.randint(5000, 200000) + b"\nstill here\n")
        read_until(s, b"ERR line-too-long")
        leave(s, rng, b"/quit\n")
    elif kind == 1:  # garbage bytes on the line port
        s = connect(line_port)
        s.sendall(os.urandom(rng.randint(1, 20000)))
        leave(s, rng, b"\n/quit\n")
    elif kind == 2:  # garbage and an over-long line on IRC
        s = connect(irc_port)
        s.sendall(os.urandom(rng.randint(1, 5000)) + b"\r\n" + b"PRIVMSG #x :" + b"y" * 9000 + b"\r\n")
        leave(s, rng, b"QUIT\r\n")
    elif kind == 3:  # a bad HTTP head
        s = connect(http_port)
        s.sendall(rng.choice([b"GET / HTTP/9.9\r\n\r\n", b"\x00\x01garbage\r\n\r\n", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
                              b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"]))
        leave(s, rng, b"")
    elif kind == 4:  # half a head, then gone (slow loris that gives up)
        s = connect(http_port)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(rng.random() * 0.5)
        reset(s) if rng.random() < 0.5 else s.close()
    elif kind == 5:  # WebSocket frames that break the protocol
        s = ws_open(http_port)
        s.sendall(rng.choice([ws_frame(b"unmasked", mask=False), ws_frame(b"\xff\xfe", opcode=0x1),
                              ws_frame(b"x", opcode=0x3), bytes([0xC1, 0x80, 0, 0, 0, 0]),
                              ws_frame(b"y" * 100000), ws_frame(b"ping" * 40, opcode=0x9)]))
        leave(s, rng, b"")
    elif kind == 6:  # a slow consumer: joins the busiest room, never reads
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(5)
        s.connect(("127.0.0.1", line_port))
        s.sendall(b"/join soak0\n")
        counters.add("slow consumers")
        return ("slow", s)
    else:  # a reset in the middle of a line
        s = connect(line_port)
        read_until(s, b"\n")
        s.sendall(b"/join soak1\nhalf a li")
        reset(s)
    counters.add("misbehaving")
    return None


def worker(name, stop, ports, counters, errors, seed):
    rng = random.Random(seed)
    line_port, irc_port, http_port = ports
    held = []
    n = 0
    while not stop.is_set():
        n += 1
        try:
            if name == "line":
                churn_line(line_port, rng, counters)
            elif name == "irc":
                churn_irc(irc_port, rng, counters, "irc%d_%d" % (seed, n))
            elif name == "ws":
                churn_ws(http_port, rng, counters, "ws%d_%d" % (seed, n))
            else:
                result = misbehave(ports, rng, counters)
                if result:
                    held.append((time.monotonic(), result[1]))
                # Slow consumers are let go after 20 s whether or not the server dropped them yet.
                while held and time.monotonic() - held[0][0] > 20:
                    held.pop(0)[1].close()
                time.sleep(0.02)
        except (OSError, ConnectionError) as error:
            counters.add("%s errors" % name)
            if len(errors) < 20:
                errors.append("%s: %s" % (name, error))
    for _, s in held:
        s.close()


def write_svg(path, samples, warmup_end, load_end):
    width, height, pad = 900, 360, 50
    t_max = max(s[0] for s in samples) or 1
    rss_max = max(s[1] for s in samples) * 1.1 or 1
    fd_max = max(s[2] for s in samples) * 1.1 or 1

    def x(t):
        return pad + (width - 2 * pad) * t / t_max

    def line(values, top):
        return " ".join("%.1f,%.1f" % (x(t), height - pad - (height - 2 * pad) * v / top) for t, v in values)

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">'
           % (width, height), '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14">switchboard soak: RSS (blue, left, MiB) and open descriptors (red, right)</text>' % pad,
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (pad, height - pad, width - pad, height - pad),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (pad, pad, pad, height - pad),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (width - pad, pad, width - pad, height - pad)]
    for t, label, anchor in ((warmup_end, "warm-up ends", "start"), (load_end, "load stops", "end")):
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="gray" stroke-dasharray="4"/>' % (x(t), pad, x(t), height - pad))
        out.append('<text x="%.1f" y="%d" fill="gray" text-anchor="%s">%s</text>'
                   % (x(t) + (3 if anchor == "start" else -3), pad + 12, anchor, label))
    for i in range(5):
        frac = i / 4
        y = height - pad - (height - 2 * pad) * frac
        out.append('<text x="5" y="%.1f" fill="#1f5fbf">%.1f</text>' % (y + 4, rss_max * frac / (1 << 20)))
        out.append('<text x="%d" y="%.1f" fill="#c0392b">%d</text>' % (width - pad + 5, y + 4, fd_max * frac))
        out.append('<text x="%.1f" y="%d">%d s</text>' % (x(t_max * frac) - 10, height - pad + 18, t_max * frac))
    out.append('<polyline fill="none" stroke="#1f5fbf" stroke-width="1.5" points="%s"/>' % line([(s[0], s[1]) for s in samples], rss_max))
    out.append('<polyline fill="none" stroke="#c0392b" stroke-width="1.5" points="%s"/>' % line([(s[0], s[2]) for s in samples], fd_max))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--chatload", required=True)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--out", default=".build/soak")
    args = parser.parse_args()
    if args.seconds < 20:
        sys.exit("soak: --seconds must be at least 20 (a warm-up, then the measured part)")
    os.makedirs(args.out, exist_ok=True)
    warmup = max(10, args.seconds // 5)
    ports = (free_port(), free_port(), free_port())
    line_port, irc_port, http_port = ports
    server = subprocess.Popen(
        [args.server, "--port", str(line_port), "--irc-port", str(irc_port), "--http-port", str(http_port),
         "--max-line", "4096", "--max-outbuf", "32768", "--max-outbuf-hard", "262144", "--slow-consumer-grace", "2",
         "--log-level", "warn"], stderr=open(os.path.join(args.out, "server.log"), "w"))
    failures = []
    try:
        deadline = time.monotonic() + 15
        while metric(http_port, "switchboard_rooms") is None:
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("soak: the server did not start")
            time.sleep(0.05)
        baseline_fds = open_fds(server.pid)
        print("soak: server pid %d, ports line %d irc %d http %d; %d s with %d s warm-up; %d descriptors at rest"
              % (server.pid, line_port, irc_port, http_port, args.seconds, warmup, baseline_fds), flush=True)

        loads = [
            subprocess.Popen([args.chatload, "rooms", "--port", str(line_port), "-c", "1500", "--rooms-size", "10",
                              "--rate", "2", "--room", "steady", "--duration", str(args.seconds - 4), "--warmup", "2",
                              "--json-only", "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE),
            subprocess.Popen([args.chatload, "rooms", "--port", str(irc_port), "--protocol", "irc", "-c", "300",
                              "--rooms-size", "10", "--rate", "2", "--room", "ircsteady", "--duration",
                              str(args.seconds - 6), "--warmup", "2", "--json-only", "--no-progress"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE),
        ]
        stop = threading.Event()
        counters = Counters()
        errors = []
        threads = [threading.Thread(target=worker, args=(name, stop, ports, counters, errors, seed), daemon=True)
                   for seed, name in enumerate(["line", "line", "irc", "irc", "ws", "ws", "bad", "bad"])]
        # A busy room for the slow consumers to fall behind in.
        flood = connect(line_port)
        flood.sendall(b"/join soak0\n")

        def flood_room():
            payload = b"flood " + b"f" * 200 + b"\n"
            while not stop.is_set():
                try:
                    flood.sendall(payload * 50)
                    flood.setblocking(False)
                    try:
                        while flood.recv(1 << 20):
                            pass
                    except (BlockingIOError, OSError):
                        pass
                    flood.setblocking(True)
                except OSError:
                    return
                time.sleep(0.01)

        threads.append(threading.Thread(target=flood_room, daemon=True))
        for thread in threads:
            thread.start()

        samples = []
        start = time.monotonic()
        next_sample = start
        while time.monotonic() - start < args.seconds:
            if server.poll() is not None:
                failures.append("the server exited with %s" % server.returncode)
                break
            t = time.monotonic() - start
            samples.append((t, rss_bytes(server.pid), open_fds(server.pid)))
            snap = counters.snapshot()
            print("soak: %4.0f/%d s  rss %6.1f MiB  fds %5d  churn line %d irc %d ws %d  misbehaving %d  slow %d  errors %d"
                  % (t, args.seconds, samples[-1][1] / (1 << 20), samples[-1][2], snap.get("line churn", 0),
                     snap.get("irc churn", 0), snap.get("ws churn", 0), snap.get("misbehaving", 0),
                     snap.get("slow consumers", 0), sum(v for k, v in snap.items() if k.endswith("errors"))), flush=True)
            next_sample += 1
            time.sleep(max(0, next_sample - time.monotonic()))
        load_end = time.monotonic() - start
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        flood.close()
        for load in loads:
            out, err = load.communicate(timeout=60)
            if load.returncode != 0:
                failures.append("chatload exited %d (loss, duplicates or reordering): %s %s"
                                % (load.returncode, out.decode()[-300:], err.decode()[-300:]))
        # After the load: descriptors must come back to where they were at rest.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            t = time.monotonic() - start
            samples.append((t, rss_bytes(server.pid), open_fds(server.pid)))
            if samples[-1][2] <= baseline_fds:
                break
            time.sleep(0.5)
        end_fds = samples[-1][2]
        if end_fds > baseline_fds:
            failures.append("descriptors did not return to %d after the load: %d" % (baseline_fds, end_fds))

        # Growth is judged on the lower quartile of the first and of the last quarter after the
        # warm-up: slow consumers hold output up to --max-outbuf-hard each until they are dropped,
        # so single samples swing by megabytes above a floor. A leak raises the floor; a
        # transient only the peaks. (Medians of 10 samples moved by 6% between quarters of a
        # 60 s run with no trend at all.)
        # chatload stops a few seconds before the rest (its --duration is shorter, so it ends inside
        # the run): those last seconds have less load, and are left out.
        measured = [s for s in samples if warmup <= s[0] <= args.seconds - 8]
        if len(measured) >= 8:
            quarter = len(measured) // 4

            def lower_quartile(values):
                values = sorted(values)
                return values[len(values) // 4]

            rss_early = lower_quartile([s[1] for s in measured[:quarter]])
            rss_late = lower_quartile([s[1] for s in measured[-quarter:]])
            growth = (rss_late - rss_early) / rss_early
            print("soak: RSS floor (lower quartile) %.1f MiB just after the warm-up, %.1f MiB at the end (%+.1f%%; samples %.1f-%.1f MiB); "
                  "descriptors %d at rest, %d after" % (
                      rss_early / (1 << 20), rss_late / (1 << 20), growth * 100,
                      min(s[1] for s in measured) / (1 << 20), max(s[1] for s in measured) / (1 << 20),
                      baseline_fds, end_fds))
            if growth > 0.05:
                failures.append("RSS grew %.1f%% after the warm-up (limit 5%%)" % (growth * 100))
        drops = metric(http_port, 'switchboard_refusals_total{reason="slow_consumer"}')
        snap = counters.snapshot()
        print("soak: totals %s; slow consumers dropped by the server: %s" % (snap, drops))
        if snap.get("slow consumers", 0) > 3 and not drops:
            failures.append("no slow consumer was dropped")
        for name in ("line churn", "irc churn", "ws churn", "misbehaving"):
            if snap.get(name, 0) == 0:
                failures.append("no %s completed" % name)
        if errors:
            print("soak: client-side errors (first %d): %s" % (len(errors), "; ".join(errors[:5])))
        # Churning clients may meet a reset or a closed socket when the server drops them; well-behaved
        # clients (chatload) must not: they are judged above. Errors above a few per cent mean trouble.
        churned = sum(snap.get(k, 0) for k in ("line churn", "irc churn", "ws churn", "misbehaving"))
        failed = sum(v for k, v in snap.items() if k.endswith("errors"))
        if failed > max(10, churned // 20):
            failures.append("%d client errors for %d clients" % (failed, churned))

        csv = os.path.join(args.out, "samples.csv")
        with open(csv, "w") as f:
            f.write("seconds,rss_bytes,open_fds\n")
            for t, rss, fds in samples:
                f.write("%.1f,%d,%d\n" % (t, rss, fds))
        svg = os.path.join(args.out, "soak.svg")
        write_svg(svg, samples, warmup, load_end)
        print("soak: samples in %s, plot in %s" % (csv, svg))
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    for failure in failures:
        print("soak: FAIL: %s" % failure)
    print("soak: %s" % ("passed" if not failures else "failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
