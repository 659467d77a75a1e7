#!/usr/bin/env python3
"""make test-browser: the chat page (GET /, Sources/ChatServer/WebPage.swift) in real headless Chromium.

One release switchboard on free ports serves the line protocol (--port), IRC (--irc-port) and the
page with its WebSocket (--http-port). Two Chromium windows open the page as alice and bob, a raw
line-protocol client (linus) and a raw IRC client (ircy) join #lobby, and every check asserts what
a page shows (its tabs, lines, members, banner) or what a raw client received: messages each way
between page and page, line and IRC, /me, private messages, a nick change made with the page's
own control, a second room with its own tab, unread markers, topic, server errors (433, 404),
and, after the server is stopped and started again on the same ports, the page's reconnect notice
and its rejoining both rooms. Every wait is a bounded wait on a condition; nothing sleeps for a
fixed time. Screenshots (desktop and phone width) go to --screenshots.

Usage: browser_test.py --server .build/release/switchboard --screenshots .build/screenshots
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 15  # seconds for any one condition; a healthy run meets each in well under one
RECONNECT_WAIT = 45  # the page's backoff is 1, 2, 4, 8 s (±25%) while the server is down


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The release switchboard on fixed ports, so that a restart comes back where the pages look."""

    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.line_port, self.irc_port, self.http_port = free_port(), free_port(), free_port()
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(os.path.join(self.workdir, f"switchboard-{self.starts}.log"), "w")
        self.process = subprocess.Popen(
            [self.binary, "--host", "127.0.0.1", "--port", str(self.line_port), "--irc-port", str(self.irc_port),
             "--http-port", str(self.http_port), "--log-level", "debug"],
            stdout=log, stderr=subprocess.STDOUT)
        # Ready when /healthz answers: it opens no chat session, where a probe of the line port would
        # (a guest who creates #lobby as its operator and leaves, so nobody is its operator after).
        # The listeners are all bound before the loop serves any of them.
        deadline = time.monotonic() + WAIT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"switchboard exited with {self.process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"switchboard's /healthz did not answer 200 within {WAIT} s; see {log.name}")
            time.sleep(0.05)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}/"


class RawPeer:
    """A TCP client that keeps every line it receives, for the line protocol or IRC."""

    def __init__(self, port, name, irc=False):
        self.name = name
        self.irc = irc
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock.settimeout(None)
        self.lines = []
        self.closed = False
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.rstrip(b"\r").decode("utf-8", "replace")
                if self.irc and line.startswith("PING"):
                    self.send("PONG" + line[4:])
                with self.cv:
                    self.lines.append(line)
                    self.cv.notify_all()
        with self.cv:
            self.closed = True
            self.cv.notify_all()

    def send(self, line):
        self.sock.sendall(line.encode() + (b"\r\n" if self.irc else b"\n"))

    def wait_for(self, *parts, timeout=WAIT):
        """The first line received that contains every part, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for line in self.lines:
                    if all(p in line for p in parts):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n    ".join(self.lines[-15:])
                    raise AssertionError(f"{self.name} never received a line with {parts!r}; its last lines:\n    {tail}")
                self.cv.wait(left)

    def wait_closed(self, timeout=WAIT):
        with self.cv:
            if not self.cv.wait_for(lambda: self.closed, timeout):
                raise AssertionError(f"{self.name}'s connection was not closed")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def line_client(server, nick):
    peer = RawPeer(server.line_port, nick)
    peer.wait_for("WELCOME")
    peer.send(f"/nick {nick}")
    peer.wait_for("NICK ", f" {nick}")
    return peer


def irc_client(server, nick):
    peer = RawPeer(server.irc_port, nick, irc=True)
    peer.send(f"NICK {nick}")
    peer.send(f"USER {nick} 0 * :raw IRC client of the browser test")
    peer.wait_for(" 001 ")
    peer.send("JOIN #lobby")
    peer.wait_for(" 366 ", "#lobby")
    return peer


# What a page shows, read from its DOM: the tab's log lines, the member list, the tabs, the banner.
SHOWS_JS = """
const [tab, parts, kind] = arguments;
const log = [...document.querySelectorAll('.log')].find(l => l.dataset.name.toLowerCase() === tab.toLowerCase());
if (!log) return false;
return [...log.querySelectorAll('.line')].some(l =>
    (!kind || l.classList.contains(kind)) && parts.every(p => l.textContent.includes(p)));
"""
AFTER_JS = """
const [tab, first, later] = arguments;
const log = [...document.querySelectorAll('.log')].find(l => l.dataset.name.toLowerCase() === tab.toLowerCase());
if (!log) return false;
const lines = [...log.querySelectorAll('.line')].map(l => l.textContent);
const i = lines.findIndex(t => first.every(p => t.includes(p)));
return i >= 0 && lines.slice(i + 1).some(t => later.every(p => t.includes(p)));
"""
STATE_JS = """
const sel = document.querySelector('.tab[aria-selected="true"]');
return {
  active: sel ? sel.dataset.name : null,
  tabs: [...document.querySelectorAll('.tab')].map(t => t.dataset.name),
  parted: [...document.querySelectorAll('.tab.parted')].map(t => t.dataset.name),
  members: [...document.querySelectorAll('#memberlist .member')].map(m => m.querySelector('.prefix').textContent + m.dataset.nick),
  banner: document.getElementById('banner').classList.contains('show') ? document.getElementById('banner-text').textContent : '',
  title: document.getElementById('title').textContent,
  topic: document.getElementById('topic').textContent,
  nick: document.getElementById('nick-btn').textContent,
  badges: Object.fromEntries([...document.querySelectorAll('.tab')].map(t => [t.dataset.name, t.querySelector('.badge').hidden ? '' : t.querySelector('.badge').textContent])),
};
"""


class Page:
    def __init__(self, name, url, workdir):
        self.name = name
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,800", "--no-first-run", "--disable-extensions", "--lang=en-US",
                    f"--user-data-dir={tempfile.mkdtemp(prefix=f'chromium-{name}-', dir=workdir)}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
        self.driver = webdriver.Chrome(service=Service(driver_path), options=options)
        self.driver.get(url)

    def state(self):
        return self.driver.execute_script(STATE_JS)

    def until(self, what, condition, timeout=WAIT):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(lambda _: condition())
        except TimeoutException:
            raise AssertionError(f"{self.name}'s page: {what} (after {timeout} s); it shows {self.state()}") from None

    def shows(self, tab, *parts, kind=None, timeout=WAIT):
        self.until(f"tab {tab} never showed a line with {parts!r}" + (f" of kind {kind}" if kind else ""),
                   lambda: self.driver.execute_script(SHOWS_JS, tab, list(parts), kind), timeout)

    def shows_after(self, tab, first, later, timeout=WAIT):
        self.until(f"tab {tab} never showed a line with {later!r} after one with {first!r}",
                   lambda: self.driver.execute_script(AFTER_JS, tab, list(first), list(later)), timeout)

    def has_members(self, *nicks, timeout=WAIT):
        self.until(f"the member list never held {nicks!r}",
                   lambda: all(any(m.lstrip("@+") == n for m in self.state()["members"]) for n in nicks), timeout)

    def type(self, text):
        box = self.driver.find_element(By.ID, "input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def click_tab(self, name):
        self.driver.find_element(By.CSS_SELECTOR, f'.tab[data-name="{name}"]').click()
        self.until(f"tab {name} is not selected after a click", lambda: self.state()["active"] == name)

    def use_dialog(self, opener, value):
        """The + Join and nick controls open a small dialog: type into it and press Enter."""
        self.driver.find_element(By.ID, opener).click()
        box = self.driver.find_element(By.ID, "dialog-input")
        self.until("the dialog did not open", box.is_displayed)
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(value)
        box.send_keys(Keys.ENTER)

    def phone(self):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 390, "height": 780, "deviceScaleFactor": 2, "mobile": True})

    def desktop(self):
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def screenshot(self, path):
        self.driver.save_screenshot(path)
        print(f"    screenshot {path}")

    def console_errors(self):
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def quit(self):
        try:
            self.driver.quit()
        except Exception:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--screenshots", required=True)
    args = ap.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    for old in os.listdir(args.screenshots):
        if old.startswith("failure-"):
            os.remove(os.path.join(args.screenshots, old))
    workdir = tempfile.mkdtemp(prefix="switchboard-browser-")
    server = Server(os.path.abspath(args.server), workdir)
    pages, peers = {}, []
    results = {"passed": 0, "failed": 0}
    started = time.monotonic()

    def check(description, body):
        t0 = time.monotonic()
        body()
        results["passed"] += 1
        print(f"ok {results['passed']} - {description} ({time.monotonic() - t0:.1f} s)", flush=True)

    def shot(name):
        return os.path.join(args.screenshots, name)

    try:
        print(f"test-browser: switchboard on 127.0.0.1 line {server.line_port}, IRC {server.irc_port}, "
              f"HTTP {server.http_port}; logs in {workdir}", flush=True)
        server.start()
        linus = line_client(server, "linus")
        ircy = irc_client(server, "ircy")
        peers += [linus, ircy]
        a = pages["alice"] = Page("alice", server.url + "?nick=alice", workdir)
        b = pages["bob"] = Page("bob", server.url + "?nick=bob&room=lobby", workdir)

        def joined():
            for p in (a, b):
                p.until("#lobby is not the open tab", lambda: p.state()["active"] == "#lobby")
                p.has_members("alice", "bob", "linus", "ircy")
                p.until("linus, who made #lobby, is not shown as its operator", lambda: "@linus" in p.state()["members"])
            linus.wait_for("JOIN lobby bob")
            ircy.wait_for("JOIN", "#lobby", ":bob!")
        check("both pages register, join #lobby at once and list its four members", joined)

        def page_to_all():
            a.type("hello from alice")
            b.shows("#lobby", "alice", "hello from alice", kind="msg")
            a.shows("#lobby", "alice", "hello from alice", kind="self")  # echo-message
            linus.wait_for("MSG lobby alice hello from alice")
            ircy.wait_for(":alice!", "PRIVMSG #lobby :hello from alice")
        check("a page's message reaches the other page, the line client and the IRC client", page_to_all)

        def others_to_pages():
            b.type("hi from bob")
            a.shows("#lobby", "bob", "hi from bob")
            linus.send("hello from linus <b>not bold</b>")
            ircy.send("PRIVMSG #lobby :hello from ircy")
            for p in (a, b):
                p.shows("#lobby", "linus", "hello from linus <b>not bold</b>")
                p.shows("#lobby", "ircy", "hello from ircy")
            a.until("markup from the network became markup", lambda: not a.driver.find_elements(By.CSS_SELECTOR, ".log b"))
        check("messages from the other page, the line client and the IRC client show on the pages, as text", others_to_pages)

        def actions():
            a.type("/me waves")
            b.shows("#lobby", "* alice", "waves", kind="action")
            linus.wait_for("ACTION lobby alice waves")
            ircy.wait_for("PRIVMSG #lobby :\x01ACTION waves\x01")
            linus.send("/me nods")
            ircy.send("PRIVMSG #lobby :\x01ACTION bows\x01")
            a.shows("#lobby", "* linus", "nods", kind="action")
            a.shows("#lobby", "* ircy", "bows", kind="action")
        check("/me from a page, the line client and the IRC client shows as an action everywhere", actions)

        def private():
            a.type("/msg bob psst, bob")
            a.until("/msg did not open a tab for bob", lambda: a.state()["active"] == "bob")
            b.until("bob got no tab for alice", lambda: "alice" in b.state()["tabs"])
            b.shows("alice", "alice", "psst, bob")
            b.until("alice's tab on bob's page has no unread badge", lambda: b.state()["badges"].get("alice") == "1")
            b.click_tab("alice")
            b.type("psst back")
            a.shows("bob", "bob", "psst back")
            linus.send("/msg alice a secret from linus")
            a.shows("linus", "linus", "a secret from linus")
            a.type("/msg linus a secret for linus")
            linus.wait_for("PRIV alice a secret for linus")
            ircy.send("PRIVMSG alice :a secret from ircy")
            a.shows("ircy", "ircy", "a secret from ircy")
            a.click_tab("#lobby")
            a.driver.find_element(By.CSS_SELECTOR, '#memberlist .member[data-nick="ircy"]').click()
            a.until("clicking ircy in the members did not open ircy's tab", lambda: a.state()["active"] == "ircy")
            a.type("a secret for ircy")
            ircy.wait_for(":alice!", "PRIVMSG ircy :a secret for ircy")
            b.click_tab("#lobby")
            a.click_tab("#lobby")
            a.screenshot(shot("desktop-chat.png"))  # the one in docs/web-page.png
        check("private messages: a tab per person, both ways, with the line and IRC clients too", private)

        def nick_change():
            b.use_dialog("nick-btn", "robert")
            b.until("the nick control does not say robert", lambda: b.state()["nick"] == "robert")
            a.shows("#lobby", "bob is now known as robert", kind="presence")
            a.has_members("robert")
            a.until("bob is still in alice's member list", lambda: "bob" not in [m.lstrip("@+") for m in a.state()["members"]])
            a.until("alice's tab for bob was not renamed", lambda: "robert" in a.state()["tabs"] and "bob" not in a.state()["tabs"])
            linus.wait_for("NICK bob robert")
            ircy.wait_for(":bob!", "NICK", "robert")
            linus.send("/nick linus-two")
            a.shows("#lobby", "linus is now known as linus-two")
            linus.send("/nick linus")
            a.shows("#lobby", "linus-two is now known as linus")
        check("a nick change made with the page's nick control shows on the other page and the raw clients", nick_change)

        def nick_taken():
            a.type("/nick ircy")
            a.shows("#lobby", "cannot be ircy", "already in use", kind="error")
            a.until("alice lost her nick", lambda: a.state()["nick"] == "alice")
        check("433: a nick in use is refused visibly and the page keeps its nick", nick_taken)

        def nick_taken_at_registration():
            c = pages["carol"] = Page("carol", server.url + "?nick=ircy&room=lobby", workdir)
            c.until("a page asking for a nick in use did not register under another",
                    lambda: c.state()["nick"].startswith("ircy") and c.state()["nick"] != "ircy"
                    and c.state()["active"] == "#lobby")
            c.shows("Server", "ircy is already in use; trying " + c.state()["nick"])
            a.has_members(c.state()["nick"])
            c.type("/quit see you")
            c.shows("Server", "Server closed the connection")
            a.shows("#lobby", c.state()["nick"] + " quit", "see you", kind="presence")
            c.quit()
            del pages["carol"]
        check("433 while registering: the page picks another nick by itself and says so; /quit", nick_taken_at_registration)

        def second_room():
            a.use_dialog("join-btn", "#second")
            a.until("#second did not open as the active tab", lambda: a.state()["active"] == "#second")
            b.type("/join #second")
            b.until("#second did not open on bob's page", lambda: b.state()["active"] == "#second")
            a.has_members("alice", "robert")
            b.type("only in second")
            a.shows("#second", "robert", "only in second")
            a.type("/topic the second room")
            b.until("the topic did not reach robert's title bar", lambda: b.state()["topic"] == "the second room")
            linus.send("meanwhile in the lobby")
            a.until("#lobby has no unread badge while #second is open",
                    lambda: a.state()["badges"].get("#lobby") not in ("", None))
            a.click_tab("#lobby")
            a.shows("#lobby", "linus", "meanwhile in the lobby")
            a.until("the badge stayed after opening #lobby", lambda: a.state()["badges"].get("#lobby") == "")
            a.click_tab("#second")
        check("a second room: its own tab from + and /join, its own messages, topic and unread marker", second_room)

        def modes_and_404():
            a.type("/mode #second +m")
            b.shows("#second", "alice sets mode +m")
            b.type("am I muted?")
            b.shows("#second", "Cannot send", kind="error")
            a.type("/mode #second +v robert")
            a.until("robert has no + in alice's member list", lambda: "+robert" in a.state()["members"])
            b.type("now I may speak")
            a.shows("#second", "robert", "now I may speak")
            a.type("/mode #second -m")
        check("modes: +m refuses bob with a visible 404, +v shows as + and lets him speak", modes_and_404)

        def away():
            a.click_tab("#lobby")
            away_js = 'const m = document.querySelector(\'#memberlist .member[data-nick="ircy"]\'); return !!m && m.classList.contains("away")'
            ircy.send("AWAY :out for lunch")
            a.until("ircy is not shown away after AWAY (away-notify)", lambda: a.driver.execute_script(away_js))
            ircy.send("AWAY")
            a.until("ircy is still shown away after coming back", lambda: not a.driver.execute_script(away_js))
        check("away-notify: an away member is dimmed in the list, and back again", away)

        def screenshots():
            for who in (a, b):
                who.click_tab("#lobby")
            a.screenshot(shot("desktop.png"))
            a.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            a.until("no dark colours under prefers-color-scheme: dark", lambda: a.driver.execute_script(
                "return matchMedia('(prefers-color-scheme: dark)').matches && getComputedStyle(document.body).backgroundColor"
                " !== 'rgb(245, 246, 248)'"))
            a.screenshot(shot("desktop-dark.png"))
            a.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
            b.phone()
            b.until("no phone layout at 390 px", lambda: b.driver.execute_script("return innerWidth") == 390)
            b.screenshot(shot("phone.png"))
            b.driver.find_element(By.ID, "members-toggle").click()
            b.screenshot(shot("phone-members.png"))
            b.driver.find_element(By.ID, "members-close").click()
            b.desktop()
        check("screenshots at desktop and phone width", screenshots)

        def second_not_leaked():
            linus.send("/ping sync")  # one thread serves everyone in order: #second's line came before
            linus.wait_for("PONG sync")
            assert not any("only in second" in l for l in linus.lines), "the line client got #second's message"
        check("the line client, in the lobby only, got nothing of #second", second_not_leaked)

        def scrolling_and_history():
            a.click_tab("#lobby")
            for i in range(40):
                linus.send(f"filler line {i}")
            a.shows("#lobby", "filler line 39")
            log = 'document.querySelector(".log.active")'
            a.until("the log did not follow new lines while at the bottom", lambda: a.driver.execute_script(
                f"const l = {log}; return l.scrollHeight - l.scrollTop - l.clientHeight < 2"))
            a.driver.execute_script(f"{log}.scrollTop = 0; {log}.dispatchEvent(new Event('scroll'))")
            linus.send("while you read old lines")
            a.shows("#lobby", "while you read old lines")
            assert a.driver.execute_script(f"return {log}.scrollTop") == 0, "the log jumped while scrolled up"
            a.until("no 'new messages' button while scrolled up", lambda: a.driver.find_element(By.ID, "jump").is_displayed())
            a.driver.find_element(By.ID, "jump").click()
            a.until("'new messages' did not go to the bottom", lambda: a.driver.execute_script(
                f"const l = {log}; return l.scrollHeight - l.scrollTop - l.clientHeight < 2"))
            box = a.driver.find_element(By.ID, "input")
            box.send_keys(Keys.ARROW_UP)
            a.until("Up did not bring back the last line typed", lambda: box.get_attribute("value") == "/mode #second -m")
            box.send_keys(Keys.ARROW_UP)
            a.until("a second Up did not go further back", lambda: box.get_attribute("value") == "/mode #second +v robert")
            box.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
            a.until("Down did not come back to an empty line", lambda: box.get_attribute("value") == "")
            a.until("the message box lost the keyboard focus",
                    lambda: a.driver.switch_to.active_element.get_attribute("id") == "input")
        check("scrolled up, the log stays put and offers 'new messages'; Up/Down walk the input history", scrolling_and_history)

        def reconnect():
            server.stop()
            for p in (a, b):
                p.until("no reconnect notice after the server stopped", lambda: "Reconnecting" in p.state()["banner"])
                p.shows("#lobby", "Connection lost", kind="error")
            a.screenshot(shot("reconnecting.png"))
            server.start()
            for p in (a, b):
                p.until("still disconnected after the server came back", lambda: p.state()["banner"] == "", RECONNECT_WAIT)
                p.until("the connection notice left unread badges", lambda: not any(p.state()["badges"].values()))
            b.until("robert lost his nick over the reconnect", lambda: b.state()["nick"] == "robert")
            for p in (a, b):
                for room in ("#second", "#lobby"):
                    p.click_tab(room)
                    p.shows_after(room, ["Connection lost"], ["You joined " + room])
                    p.has_members("alice", "robert")
                    # The list is the new server's NAMES, not the one kept while offline.
                    p.until(f"ircy, who did not come back, is still listed in {room}",
                            lambda: "ircy" not in [m.lstrip("@+") for m in p.state()["members"]])
            back = line_client(server, "linus")
            peers.append(back)
            a.click_tab("#lobby")
            a.has_members("alice", "robert", "linus")
            back.send("welcome back")
            a.shows("#lobby", "linus", "welcome back")
            b.shows("#lobby", "linus", "welcome back")
            a.type("glad to be back")
            back.wait_for("MSG lobby alice glad to be back")
            b.click_tab("#second")
            b.type("in second again")
            a.shows("#second", "robert", "in second again")
        check("server stopped and started again: the pages say so, reconnect, rejoin both rooms and chat", reconnect)

        def no_console_errors():
            for p in (a, b):
                errors = [e for e in p.console_errors() if "/ws" not in e and "WebSocket" not in e]
                assert not errors, f"{p.name}'s console: {errors}"
        check("no script errors in either page's console (failed WebSocket connects aside)", no_console_errors)
    except Exception as e:  # noqa: BLE001 - any failure is reported the same way
        results["failed"] += 1
        print(f"not ok - {e}", flush=True)
        for name, p in pages.items():
            try:
                p.screenshot(shot(f"failure-{name}.png"))
                for entry in p.driver.get_log("browser"):
                    print(f"    {name} console: {entry['message']}")
            except Exception:
                pass
    finally:
        for p in pages.values():
            p.quit()
        for peer in peers:
            peer.close()
        server.stop()
    elapsed = time.monotonic() - started
    print(f"test-browser: took {elapsed:.0f} s")
    print(f"test-browser: {results['passed']} passed, {results['failed']} failed")
    if results["failed"]:
        print(f"test-browser: switchboard's logs are in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
