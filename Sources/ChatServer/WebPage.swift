/// The browser chat client served at `GET /`: one self-contained page (HTML, CSS and JavaScript
/// inline, no CDN, no framework, no build step) that speaks IRC over `GET /ws` with the
/// `text.ircv3.net` subprotocol, so a browser is just another IRC client on the same rooms.
///
/// It registers at once (a guest nick and `#lobby` unless `?nick=NAME&room=ROOM` says otherwise),
/// asks for `server-time`, `echo-message`, `multi-prefix` and `away-notify` when offered, shows
/// rooms and private conversations as tabs with their members and topics, and reconnects with
/// exponential backoff (1 s doubling to 30 s, with jitter), rejoining its rooms. Text from the
/// network only ever reaches the page through `textContent`, never as markup.
/// `make test-browser` (Tests/Browser/) drives it in headless Chromium against the real server.
enum WebPage {
    static let html: String = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'">
    <meta name="color-scheme" content="light dark">
    <title>Switchboard</title>
    <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' fill='%233b6fe0'/%3E%3Cpath d='M8 10h16v9H15l-5 4v-4H8z' fill='white'/%3E%3C/svg%3E">
    <style>
    :root {
      --bg: #f5f6f8; --panel: #ffffff; --side: #eceff3; --text: #1d2430; --muted: #6a7383;
      --border: #dce0e6; --accent: #3b6fe0; --accent-soft: #e4ecfc; --on-accent: #ffffff;
      --error: #b3261e; --error-bg: #fdeceb; --warn: #7a4d00; --warn-bg: #fff3dc;
      --hl: #fff5cf; --hover: #e2e6ec;
    }
    @media (prefers-color-scheme: dark) {
      :root {
        --bg: #15181d; --panel: #1c2027; --side: #111419; --text: #e2e5ea; --muted: #8c95a4;
        --border: #2b313b; --accent: #7098ff; --accent-soft: #24304a; --on-accent: #0c1018;
        --error: #ff8a80; --error-bg: #3b1f1f; --warn: #f3c56b; --warn-bg: #372b12;
        --hl: #3a3421; --hover: #232833;
      }
    }
    * { box-sizing: border-box; }
    html, body { height: 100%; margin: 0; }
    body {
      font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
      background: var(--bg); color: var(--text);
    }
    button, input { font: inherit; color: inherit; }
    button { cursor: pointer; }
    #app {
      display: grid; height: 100vh; height: 100dvh;
      grid-template-columns: 220px minmax(0, 1fr) 210px;
      grid-template-rows: auto minmax(0, 1fr);
      grid-template-areas: "head head head" "tabs main members";
    }
    header {
      grid-area: head; display: flex; align-items: center; gap: 12px; padding: 8px 14px;
      background: var(--panel); border-bottom: 1px solid var(--border); min-width: 0;
    }
    .brand { display: flex; align-items: center; gap: 8px; font-weight: 650; letter-spacing: .01em; }
    .brand svg { width: 22px; height: 22px; flex: none; }
    #conn { display: flex; align-items: center; gap: 6px; color: var(--muted); font-size: 13px; margin-left: auto; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    #conn::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--muted); flex: none; }
    #conn.up::before { background: #2e9d5b; }
    #conn.down::before { background: var(--error); }
    .ghost { background: none; border: 1px solid var(--border); border-radius: 8px; padding: 4px 10px; }
    .ghost:hover { background: var(--hover); }
    #members-toggle { display: none; }
    #tabs { grid-area: tabs; background: var(--side); border-right: 1px solid var(--border); display: flex; flex-direction: column; min-height: 0; }
    #tablist { overflow-y: auto; padding: 10px 8px; display: flex; flex-direction: column; gap: 2px; flex: 1; }
    .tab {
      display: flex; align-items: center; gap: 6px; padding: 6px 10px; border-radius: 8px; cursor: pointer;
      color: var(--muted); user-select: none; white-space: nowrap; min-width: 0;
    }
    .tab:hover { background: var(--hover); }
    .tab[aria-selected="true"] { background: var(--accent-soft); color: var(--text); font-weight: 600; }
    .tab.unread { color: var(--text); font-weight: 600; }
    .tab.parted .tab-name { text-decoration: line-through; opacity: .7; }
    .tab-name { overflow: hidden; text-overflow: ellipsis; flex: 1; }
    .tab .badge { background: var(--muted); color: var(--panel); border-radius: 9px; font-size: 11px; padding: 0 6px; font-weight: 700; }
    .tab.mention .badge { background: var(--accent); color: var(--on-accent); }
    .tab .close { visibility: hidden; border: 0; background: none; padding: 0 4px; border-radius: 4px; color: var(--muted); line-height: 1; font-size: 16px; }
    .tab:hover .close, .tab[aria-selected="true"] .close { visibility: visible; }
    .tab .close:hover { background: var(--border); color: var(--text); }
    .section { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); padding: 10px 10px 2px; }
    #join-btn { margin: 8px; padding: 7px 10px; border-radius: 8px; border: 1px dashed var(--border); background: none; color: var(--muted); text-align: left; }
    #join-btn:hover { background: var(--hover); color: var(--text); }
    main { grid-area: main; display: flex; flex-direction: column; min-height: 0; min-width: 0; background: var(--panel); position: relative; }
    #titlebar { display: flex; align-items: baseline; gap: 10px; padding: 10px 16px; border-bottom: 1px solid var(--border); min-height: 44px; }
    #title { font-weight: 650; white-space: nowrap; }
    #topic { color: var(--muted); font-size: 14px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1; }
    #banner { display: none; align-items: center; gap: 10px; padding: 8px 16px; background: var(--warn-bg); color: var(--warn); border-bottom: 1px solid var(--border); font-size: 14px; }
    #banner.show { display: flex; }
    #banner button { margin-left: auto; border-color: currentColor; }
    #logs { flex: 1; position: relative; min-height: 0; }
    .log { position: absolute; inset: 0; overflow-y: auto; padding: 8px 0 12px; display: none; overflow-wrap: anywhere; flex-direction: column; }
    .log.active { display: flex; }
    .log > :first-child { margin-top: auto; } /* a short conversation sits by the input, as in a chat */
    .line { display: grid; grid-template-columns: 46px minmax(0, 1fr); gap: 8px; padding: 2px 16px; }
    .line:hover { background: var(--bg); }
    .line time { color: var(--muted); font-size: 12px; padding-top: 2px; font-variant-numeric: tabular-nums; }
    .nick, .mnick { color: hsl(var(--hue, 220) 55% 38%); }
    @media (prefers-color-scheme: dark) { .nick, .mnick { color: hsl(var(--hue, 220) 65% 72%); } }
    .nick { font-weight: 650; margin-right: 6px; cursor: pointer; }
    .nick:hover { text-decoration: underline; }
    .action .text { font-style: italic; }
    .notice .text { color: var(--muted); }
    .presence, .info { color: var(--muted); font-size: 13px; }
    .presence { padding-top: 0; padding-bottom: 0; }
    .error .text { color: var(--error); background: var(--error-bg); padding: 2px 8px; border-radius: 6px; justify-self: start; }
    .line.hl, .line.hl:hover { background: var(--hl); }
    .day { text-align: center; color: var(--muted); font-size: 12px; margin: 10px 0 4px; }
    .text a { color: var(--accent); }
    #jump { position: absolute; bottom: 76px; left: 50%; transform: translateX(-50%); display: none; background: var(--accent); color: var(--on-accent); border: 0; border-radius: 16px; padding: 5px 14px; box-shadow: 0 2px 8px rgba(0,0,0,.2); font-size: 13px; }
    #jump.show { display: block; }
    #composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid var(--border); align-items: center; }
    #nick-btn { max-width: 11em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 600; }
    #input { flex: 1; min-width: 0; padding: 9px 12px; border: 1px solid var(--border); border-radius: 10px; background: var(--bg); outline: none; }
    #input:focus { border-color: var(--accent); }
    #send { background: var(--accent); color: var(--on-accent); border: 0; border-radius: 10px; padding: 9px 16px; font-weight: 600; }
    #members { grid-area: members; background: var(--side); border-left: 1px solid var(--border); overflow-y: auto; padding: 10px 8px; }
    #members-close { display: none; float: right; font-size: 12px; text-transform: none; letter-spacing: 0; padding: 2px 8px; margin-top: -3px; }
    #members h2 { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0; padding: 0 8px 6px; font-weight: 600; }
    #memberlist { list-style: none; margin: 0; padding: 0; }
    .member { padding: 3px 8px; border-radius: 6px; cursor: pointer; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .member:hover { background: var(--hover); }
    .member.away { opacity: .5; }
    body.offline #memberlist, body.offline .tab-name { opacity: .55; }
    .member.me { font-weight: 600; cursor: default; }
    .member .prefix { display: inline-block; width: 1.1em; color: var(--accent); font-weight: 700; }
    dialog { border: 1px solid var(--border); border-radius: 12px; background: var(--panel); color: var(--text); padding: 18px; width: min(360px, 92vw); }
    dialog::backdrop { background: rgba(0,0,0,.35); }
    dialog label { display: block; font-weight: 600; margin-bottom: 8px; }
    dialog input { width: 100%; padding: 8px 10px; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); }
    dialog .hint { color: var(--muted); font-size: 13px; margin: 6px 0 0; }
    dialog .buttons { display: flex; justify-content: flex-end; gap: 8px; margin-top: 14px; }
    dialog .ok { background: var(--accent); color: var(--on-accent); border: 0; border-radius: 8px; padding: 6px 14px; font-weight: 600; }
    @media (max-width: 700px) {
      body { font-size: 15px; }
      #app { grid-template-columns: minmax(0, 1fr); grid-template-rows: auto auto minmax(0, 1fr); grid-template-areas: "head" "tabs" "main"; }
      header { padding: 6px 10px; gap: 8px; }
      #members-toggle { display: block; white-space: nowrap; }
      #conn.up #conn-text { display: none; } /* the nick is on the button by the input */
      #members-close { display: inline; }
      #tabs { flex-direction: row; border-right: 0; border-bottom: 1px solid var(--border); align-items: center; }
      #tablist { flex-direction: row; overflow-x: auto; overflow-y: hidden; padding: 6px; gap: 4px; scrollbar-width: none; }
      .section { display: none; }
      .tab { padding: 5px 10px; flex: none; max-width: 12em; }
      .tab .close { display: none; }
      #join-btn { margin: 0 6px; padding: 4px 10px; flex: none; }
      #join-btn .long { display: none; }
      #titlebar { padding: 8px 12px; min-height: 0; flex-wrap: wrap; row-gap: 0; }
      #topic { flex-basis: 100%; font-size: 13px; }
      #title { display: none; } /* the selected tab says it */
      #titlebar:has(#topic:empty) { display: none; }
      .line { padding: 2px 10px; gap: 6px; grid-template-columns: 40px minmax(0, 1fr); }
      #composer { padding: 8px; }
      #nick-btn { max-width: 6.5em; padding: 4px 8px; }
      #send { padding: 9px 12px; }
      #members { display: none; position: fixed; right: 0; top: 0; bottom: 0; width: min(260px, 80vw); z-index: 5; box-shadow: -4px 0 16px rgba(0,0,0,.25); }
      body.members-open #members { display: block; }
    }
    </style>
    </head>
    <body>
    <div id="app">
      <header>
        <div class="brand"><svg viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="7" fill="#3b6fe0"/><path d="M8 10h16v9H15l-5 4v-4H8z" fill="#fff"/></svg>Switchboard</div>
        <div id="conn" role="status"><span id="conn-text">Connecting…</span></div>
        <button id="members-toggle" class="ghost" type="button" aria-controls="members">Members</button>
      </header>
      <nav id="tabs" aria-label="Rooms and conversations">
        <div id="tablist" role="tablist"></div>
        <button id="join-btn" type="button" title="Join a room">+<span class="long"> Join a room</span></button>
      </nav>
      <main>
        <div id="titlebar"><span id="title"></span><span id="topic"></span></div>
        <div id="banner" role="alert"><span id="banner-text"></span><button id="retry" class="ghost" type="button">Reconnect now</button></div>
        <div id="logs"></div>
        <button id="jump" type="button">New messages ↓</button>
        <form id="composer" autocomplete="off">
          <button id="nick-btn" class="ghost" type="button" title="Change your nick"></button>
          <input id="input" aria-label="Message" placeholder="Message" maxlength="2000" autofocus>
          <button id="send" type="submit">Send</button>
        </form>
      </main>
      <aside id="members" aria-label="Members"><h2><span id="members-title">Members</span><button id="members-close" class="ghost" type="button">Close</button></h2><ul id="memberlist"></ul></aside>
    </div>
    <dialog id="dialog">
      <form id="dialog-form">
        <label id="dialog-label" for="dialog-input"></label>
        <input id="dialog-input" autocomplete="off" spellcheck="false">
        <p id="dialog-hint" class="hint"></p>
        <div class="buttons"><button type="button" class="ghost" id="dialog-cancel">Cancel</button><button type="submit" class="ok">OK</button></div>
      </form>
    </dialog>
    <script>
    "use strict";
    (() => {
    const $ = (id) => document.getElementById(id);
    function el(tag, cls, text) {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text != null) e.textContent = text;
      return e;
    }

    // The server's rules (docs/IRC.md): nicks are 1-32 of letters, digits and -_[]\`^{|}, not
    // starting with a digit or '-'; channels are '#' and 1-32 of A-Za-z0-9_-. Case folds ASCII only.
    const NICK_RE = /^[A-Za-z_\[\]\\`^{|}][A-Za-z0-9_\[\]\\`^{|}-]{0,31}$/;
    const fold = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
    const WANTED_CAPS = ["server-time", "echo-message", "multi-prefix", "away-notify"];
    const MAX_LINES = 1500;

    const query = new URLSearchParams(location.search);
    const guest = () => "guest" + String(Math.floor(1000 + Math.random() * 9000));
    const askedNick = (query.get("nick") || "").trim();
    const initialRooms = (query.get("room") || "lobby").split(",").map((r) => r.trim()).filter(Boolean)
      .map((r) => (r.startsWith("#") ? r : "#" + r));

    const S = {
      ws: null, nick: NICK_RE.test(askedNick) ? askedNick : guest(), registered: false,
      caps: new Set(), capLs: [], negotiating: false, chantypes: "#", network: "Switchboard",
      prefixModes: "ov", prefixSymbols: "@+", buffers: new Map(), active: null, status: null,
      attempt: 0, retryAt: 0, retryTimer: 0, countdown: 0, everConnected: false, lostShown: false,
      quitting: false, switchTo: new Set(), nickTries: 0,
    };

    // ---- IRC lines --------------------------------------------------------------------------
    function unescapeTag(v) {
      return v.replace(/\\(.)?/g, (_, c) => ({ ":": ";", s: " ", r: "\r", n: "\n", "\\": "\\" })[c] ?? (c || ""));
    }
    function parse(line) {
      const m = { tags: {}, source: "", nick: "", command: "", params: [] };
      let i = 0;
      const word = () => {
        while (line[i] === " ") i++;
        const end = line.indexOf(" ", i);
        const w = end < 0 ? line.slice(i) : line.slice(i, end);
        i = end < 0 ? line.length : end;
        return w;
      };
      if (line[0] === "@") {
        for (const kv of word().slice(1).split(";")) {
          const eq = kv.indexOf("=");
          if (eq < 0) m.tags[kv] = ""; else m.tags[kv.slice(0, eq)] = unescapeTag(kv.slice(eq + 1));
        }
      }
      while (line[i] === " ") i++;
      if (line[i] === ":") { m.source = word().slice(1); m.nick = m.source.split("!")[0]; }
      m.command = word().toUpperCase();
      while (i < line.length) {
        while (line[i] === " ") i++;
        if (i >= line.length) break;
        if (line[i] === ":") { m.params.push(line.slice(i + 1)); break; }
        m.params.push(word());
      }
      return m.command ? m : null;
    }
    function send(line) {
      // One IRC line per message (IRCv3 WebSocket): a pasted CR or LF must not become a second command.
      if (S.ws && S.ws.readyState === WebSocket.OPEN) { S.ws.send(line.replace(/[\r\n]+/g, " ")); return true; }
      return false;
    }
    const isMe = (nick) => fold(nick) === fold(S.nick);
    const isChannel = (name) => S.chantypes.includes(name[0]);

    // ---- buffers (a tab each) ------------------------------------------------------------------
    function buffer(name, kind, make = true) {
      let b = S.buffers.get(fold(name));
      if (b || !make) return b || null;
      b = {
        name, kind, members: new Map(), topic: "", unread: 0, mention: false, joined: false,
        namesOpen: false, stuck: true, lastDay: "", log: el("div", "log"), tab: el("div", "tab"),
      };
      b.log.setAttribute("role", "log");
      b.log.dataset.name = name;
      b.log.addEventListener("scroll", () => {
        b.stuck = b.log.scrollHeight - b.log.scrollTop - b.log.clientHeight < 40;
        if (b.stuck && b === S.active) $("jump").classList.remove("show");
      });
      b.tab.setAttribute("role", "tab");
      b.tab.tabIndex = 0;
      b.tab.append(el("span", "tab-name", name), el("span", "badge"));
      b.tab.lastChild.hidden = true;
      if (kind !== "status") {
        const close = el("button", "close", "×");
        close.type = "button";
        close.title = kind === "channel" ? "Leave " + name : "Close";
        close.addEventListener("click", (ev) => { ev.stopPropagation(); closeBuffer(b); });
        b.tab.append(close);
      }
      b.tab.addEventListener("click", () => activate(b));
      b.tab.addEventListener("keydown", (ev) => { if (ev.key === "Enter") activate(b); });
      S.buffers.set(fold(name), b);
      $("logs").append(b.log);
      renderTabs();
      if (!S.active) activate(b);
      return b;
    }
    function renameBuffer(b, name) {
      S.buffers.delete(fold(b.name));
      b.name = name;
      b.log.dataset.name = name;
      b.tab.querySelector(".tab-name").textContent = name;
      S.buffers.set(fold(name), b);
      renderTabs();
      if (b === S.active) renderHeader();
    }
    function renderTabs() {
      const list = $("tablist");
      const groups = { status: [], channel: [], query: [] };
      for (const b of S.buffers.values()) groups[b.kind].push(b);
      list.replaceChildren(...groups.status.map((b) => b.tab));
      if (groups.channel.length) list.append(el("div", "section", "Rooms"), ...groups.channel.map((b) => b.tab));
      if (groups.query.length) list.append(el("div", "section", "People"), ...groups.query.map((b) => b.tab));
      for (const b of S.buffers.values()) {
        b.tab.dataset.name = b.name;
        b.tab.classList.toggle("parted", b.kind === "channel" && !!b.parted);
      }
    }
    function activate(b) {
      const old = S.active;
      if (old) { old.tab.setAttribute("aria-selected", "false"); old.log.classList.remove("active"); }
      S.active = b;
      b.tab.setAttribute("aria-selected", "true");
      b.log.classList.add("active");
      b.unread = 0; b.mention = false;
      updateBadge(b);
      if (b.stuck) b.log.scrollTop = b.log.scrollHeight;
      $("jump").classList.toggle("show", !b.stuck);
      b.tab.scrollIntoView({ block: "nearest", inline: "nearest" });
      renderHeader();
      renderMembers();
      document.body.classList.remove("members-open");
      if (!matchMedia("(max-width: 700px)").matches || document.activeElement === $("input")) $("input").focus();
    }
    function closeBuffer(b) {
      if (b.kind === "channel" && b.joined && send("PART " + b.name)) { b.closing = true; return; }
      removeBuffer(b);
    }
    function removeBuffer(b) {
      S.buffers.delete(fold(b.name));
      b.log.remove();
      if (S.active === b) {
        S.active = null;
        const rest = [...S.buffers.values()];
        activate(rest.find((x) => x.kind === "channel") || rest[0]);
      }
      renderTabs();
    }
    function updateBadge(b) {
      const badge = b.tab.querySelector(".badge");
      badge.hidden = b.unread === 0;
      badge.textContent = b.unread > 99 ? "99+" : String(b.unread);
      b.tab.classList.toggle("unread", b.unread > 0);
      b.tab.classList.toggle("mention", b.mention);
      const total = [...S.buffers.values()].reduce((n, x) => n + x.unread, 0);
      document.title = (total ? "(" + total + ") " : "") + (S.active ? S.active.name + " · " : "") + "Switchboard";
    }
    function renderHeader() {
      const b = S.active;
      if (!b) return;
      $("title").textContent = b.kind === "query" ? "@" + b.name : b.name;
      $("topic").textContent = b.kind === "channel" ? (b.joined ? b.topic : b.parted ? "You are not in this room"
        : S.registered ? "Joining…" : "Offline: you will rejoin when the connection is back")
        : b.kind === "query" ? "Private conversation" : "Messages from the " + S.network + " server";
      $("topic").title = b.topic || "";
      $("input").placeholder = b.kind === "status" ? "Type /join #room, or /help" : "Message " + b.name;
      updateBadge(b);
    }

    // ---- members -------------------------------------------------------------------------------
    function rank(m) {
      const i = m.prefix ? S.prefixSymbols.indexOf(m.prefix[0]) : -1;
      return i < 0 ? S.prefixSymbols.length : i;
    }
    function sortedPrefix(p) {
      return [...new Set(p)].sort((a, c) => S.prefixSymbols.indexOf(a) - S.prefixSymbols.indexOf(c)).join("");
    }
    function addMember(b, nick, prefix = "") {
      const old = b.members.get(fold(nick));
      b.members.set(fold(nick), { nick, prefix: sortedPrefix(prefix), away: old ? old.away : false });
    }
    function renderMembers() {
      const b = S.active;
      const list = $("memberlist");
      if (!b || b.kind === "status") { list.replaceChildren(); $("members-title").textContent = "Members"; return; }
      let ms = [...b.members.values()];
      if (b.kind === "query") ms = [{ nick: S.nick, prefix: "" }, { nick: b.name, prefix: "" }];
      ms.sort((x, y) => rank(x) - rank(y) || fold(x.nick).localeCompare(fold(y.nick)));
      $("members-title").textContent = b.kind === "query" ? "In this conversation" : "Members · " + ms.length;
      list.replaceChildren(...ms.map((m) => {
        const li = el("li", "member");
        li.dataset.nick = m.nick;
        li.append(el("span", "prefix", m.prefix ? m.prefix[0] : ""), el("span", "mnick", m.nick));
        li.querySelector(".mnick").style.setProperty("--hue", nickHue(m.nick));
        if (m.prefix) li.title = m.prefix.includes("@") ? "room operator" : "voiced";
        if (m.away) { li.classList.add("away"); li.title = "away: " + m.away; }
        if (isMe(m.nick)) { li.classList.add("me"); li.title = "you"; }
        else li.addEventListener("click", () => activate(buffer(m.nick, "query")));
        return li;
      }));
      $("members-toggle").textContent = "Members" + (b.kind === "channel" ? " " + ms.length : "");
    }
    function nickHue(nick) {
      let h = 0;
      for (const c of fold(nick)) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      return String(h % 360); // the lightness is CSS's, so a change of colour scheme recolours every line
    }

    // ---- lines in a tab ------------------------------------------------------------------------
    const two = (n) => String(n).padStart(2, "0");
    function appendText(parent, text) {
      // Colours and bold are dropped; links become links. Still only text nodes and <a href=http(s)>.
      text = text.replace(/\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g, "");
      const re = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
      let last = 0, m;
      while ((m = re.exec(text))) {
        parent.append(text.slice(last, m.index));
        const a = el("a", null, m[0]);
        a.href = m[0]; a.target = "_blank"; a.rel = "noopener noreferrer";
        parent.append(a);
        last = m.index + m[0].length;
      }
      parent.append(text.slice(last));
    }
    function addLine(b, kind, text, opts = {}) {
      const when = opts.time || new Date();
      const day = when.toDateString();
      const stick = b.stuck;
      if (b.lastDay && b.lastDay !== day) {
        b.log.append(el("div", "day", when.toLocaleDateString([], { weekday: "long", month: "long", day: "numeric" })));
      }
      b.lastDay = day;
      const line = el("div", "line " + kind);
      const t = el("time", null, two(when.getHours()) + ":" + two(when.getMinutes()));
      t.dateTime = when.toISOString();
      t.title = when.toLocaleString();
      const body = el("div", "text");
      if (opts.from) {
        const n = el("span", "nick", kind.includes("action") ? "* " + opts.from : opts.from);
        n.style.setProperty("--hue", nickHue(opts.from));
        n.dataset.nick = opts.from;
        if (!isMe(opts.from)) n.addEventListener("click", () => activate(buffer(opts.from, "query")));
        body.append(n);
      }
      appendText(body, text);
      line.append(t, body);
      if (opts.mention) line.classList.add("hl");
      b.log.append(line);
      while (b.log.childElementCount > MAX_LINES) b.log.firstElementChild.remove();
      const quiet = opts.quiet || kind.startsWith("presence") || kind.startsWith("info");
      if (b === S.active) {
        if (stick) b.log.scrollTop = b.log.scrollHeight;
        else if (!quiet) $("jump").classList.add("show");
      } else if (!quiet && b.kind !== "status") {
        b.unread++;
        if (opts.mention || b.kind === "query") b.mention = true;
        updateBadge(b);
      }
      return line;
    }
    const info = (b, text) => addLine(b, "info", text);
    const presence = (b, text, time) => addLine(b, "presence", text, { time });
    const error = (text, b) => addLine(b || S.active || S.status, "error", text);
    function everywhere(fn) { for (const b of S.buffers.values()) if (b.kind !== "status") fn(b); }
    function mentions(text) {
      const n = S.nick.replace(/[\[\]\\^{|}`]/g, (c) => "\\" + c);
      return new RegExp("(^|[^A-Za-z0-9_\\[\\]\\\\`^{|}-])" + n + "($|[^A-Za-z0-9_\\[\\]\\\\`^{|}-])", "i").test(text);
    }

    // ---- the server's lines ----------------------------------------------------------------------
    const handlers = {
      PING: (m) => send(m.params.length ? "PONG :" + m.params[m.params.length - 1] : "PONG"),
      CAP: (m) => {
        const sub = (m.params[1] || "").toUpperCase();
        const list = (m.params[m.params.length - 1] || "").split(" ").filter(Boolean);
        if (sub === "LS") {
          S.capLs.push(...list.map((c) => c.split("=")[0]));
          if (m.params[2] === "*") return;
          const want = WANTED_CAPS.filter((c) => S.capLs.includes(c));
          if (want.length) send("CAP REQ :" + want.join(" ")); else endCaps();
        } else if (sub === "ACK") {
          for (const c of list) { if (c.startsWith("-")) S.caps.delete(c.slice(1)); else S.caps.add(c); }
          endCaps();
        } else if (sub === "NAK") {
          endCaps();
        } else if (sub === "NEW") {
          const want = WANTED_CAPS.filter((c) => list.includes(c) && !S.caps.has(c));
          if (want.length) send("CAP REQ :" + want.join(" "));
        } else if (sub === "DEL") {
          for (const c of list) S.caps.delete(c);
        }
      },
      "001": (m) => {
        S.nick = m.params[0];
        S.registered = true;
        S.attempt = 0;
        S.nickTries = 0;
        setConn("up", "Connected as " + S.nick);
        $("nick-btn").textContent = S.nick;
        document.body.classList.remove("offline");
        hideBanner();
        info(S.status, m.params[1] || "Welcome");
        const rooms = [...S.buffers.values()].filter((b) => b.kind === "channel").map((b) => b.name);
        if (!S.everConnected) { for (const r of initialRooms) if (!rooms.includes(r)) rooms.push(r); S.switchTo.add(fold(initialRooms[0] || "")); }
        else everywhere((b) => info(b, "Reconnected."));
        S.everConnected = true;
        S.lostShown = false;
        if (rooms.length) send("JOIN " + rooms.join(","));
        renderHeader();
      },
      "005": (m) => {
        for (const tok of m.params.slice(1, -1)) {
          const [k, v = ""] = tok.split("=");
          if (k === "PREFIX") { const p = /^\(([^)]*)\)(.*)$/.exec(v); if (p) { S.prefixModes = p[1]; S.prefixSymbols = p[2]; } }
          else if (k === "CHANTYPES" && v) S.chantypes = v;
          else if (k === "NETWORK" && v) S.network = v;
        }
      },
      "433": (m) => nickRefused(m, "is already in use"),
      "432": (m) => nickRefused(m, "is not a valid nick"),
      JOIN: (m) => {
        const chan = m.params[0];
        const b = buffer(chan, "channel");
        if (isMe(m.nick)) {
          if (b.name !== chan) renameBuffer(b, chan);
          b.joined = true; b.parted = false; b.members.clear(); b.topic = ""; b.closing = false;
          renderTabs();
          presence(b, "You joined " + chan, msgTime(m));
          if (S.switchTo.delete(fold(chan))) activate(b);
          if (!S.greeted) {
            S.greeted = true;
            info(b, "Welcome, " + S.nick + "! Say hello, or pick a nick with the button by the message box. " +
              "+ joins another room; click a name to talk in private. /help lists the commands.");
          }
        } else {
          addMember(b, m.nick);
          presence(b, "→ " + m.nick + " joined", msgTime(m));
        }
        if (b === S.active) { renderMembers(); renderHeader(); }
      },
      PART: (m) => left(m, m.nick, m.params[0], "left", m.params[1]),
      KICK: (m) => left(m, m.params[1], m.params[0], "kicked", m.params[2]),
      QUIT: (m) => {
        const why = m.params[0] ? " (" + m.params[0] + ")" : "";
        everywhere((b) => {
          if (b.kind === "channel" && b.members.delete(fold(m.nick))) presence(b, "← " + m.nick + " quit" + why, msgTime(m));
          else if (b.kind === "query" && fold(b.name) === fold(m.nick)) presence(b, m.nick + " quit" + why, msgTime(m));
        });
        renderMembers();
      },
      NICK: (m) => {
        const to = m.params[0];
        const me = isMe(m.nick);
        if (me) { S.nick = to; $("nick-btn").textContent = to; setConn("up", "Connected as " + to); }
        const text = me ? "You are now known as " + to : m.nick + " is now known as " + to;
        everywhere((b) => {
          const mem = b.kind === "channel" && b.members.get(fold(m.nick));
          if (mem) { b.members.delete(fold(m.nick)); mem.nick = to; b.members.set(fold(to), mem); addLine(b, "presence", text, { time: msgTime(m) }); }
          else if (b.kind === "query" && fold(b.name) === fold(m.nick)) { renameBuffer(b, to); presence(b, text, msgTime(m)); }
          else if (me && b.kind === "query") presence(b, text, msgTime(m));
        });
        if (me) info(S.status, text);
        renderMembers();
      },
      MODE: (m) => {
        const b = buffer(m.params[0], "channel", false);
        if (!b) return;
        const types = { A: "b", B: "k", C: "l" };
        let add = true, arg = 2;
        for (const c of m.params[1] || "") {
          if (c === "+" || c === "-") { add = c === "+"; continue; }
          const pi = S.prefixModes.indexOf(c);
          if (pi >= 0) {
            const mem = b.members.get(fold(m.params[arg++] || ""));
            if (mem) {
              const sym = S.prefixSymbols[pi];
              mem.prefix = sortedPrefix(add ? mem.prefix + sym : mem.prefix.replace(sym, ""));
            }
          } else if (types.A.includes(c) || types.B.includes(c) || (add && types.C.includes(c))) arg++;
        }
        presence(b, m.nick + " sets mode " + m.params.slice(1).join(" "), msgTime(m));
        if (b === S.active) renderMembers();
      },
      TOPIC: (m) => {
        const b = buffer(m.params[0], "channel");
        b.topic = m.params[1] || "";
        addLine(b, "info", b.topic ? m.nick + " set the topic: " + b.topic : m.nick + " cleared the topic", { time: msgTime(m) });
        if (b === S.active) renderHeader();
      },
      "331": (m) => { const b = buffer(m.params[1], "channel", false); if (b) { b.topic = ""; if (b === S.active) renderHeader(); } },
      "332": (m) => {
        const b = buffer(m.params[1], "channel");
        b.topic = m.params[2] || "";
        info(b, "Topic: " + b.topic);
        if (b === S.active) renderHeader();
      },
      "333": () => {},
      "353": (m) => {
        const b = buffer(m.params[2], "channel", false);
        if (!b) { info(S.status, m.params.slice(2).join(" ")); return; }
        if (!b.namesOpen) { b.members.clear(); b.namesOpen = true; }
        for (const entry of (m.params[3] || "").split(" ").filter(Boolean)) {
          let i = 0;
          while (i < entry.length && S.prefixSymbols.includes(entry[i])) i++;
          addMember(b, entry.slice(i).split("!")[0], entry.slice(0, i));
        }
      },
      "366": (m) => {
        const b = buffer(m.params[1], "channel", false);
        if (!b) return;
        b.namesOpen = false;
        if (b === S.active) renderMembers();
      },
      AWAY: (m) => {
        everywhere((b) => { const mem = b.members.get(fold(m.nick)); if (mem) mem.away = m.params[0] || false; });
        renderMembers();
      },
      "301": (m) => { const b = buffer(m.params[1], "query", false); info(b || S.active, m.params[1] + " is away: " + (m.params[2] || "")); },
      "305": (m) => info(S.active, m.params[1] || "You are back"),
      "306": (m) => info(S.active, m.params[1] || "You are away"),
      INVITE: (m) => info(S.active, m.nick + " invites you to " + m.params[1] + ": /join " + m.params[1] + " to go in."),
      PRIVMSG: (m) => message(m, false),
      NOTICE: (m) => message(m, true),
      ERROR: (m) => { error("Server closed the connection: " + (m.params[0] || ""), S.status); },
    };
    function msgTime(m) {
      const t = m.tags.time ? new Date(m.tags.time) : null;
      return t && !isNaN(t) ? t : new Date();
    }
    function nickRefused(m, why) {
      const wanted = m.params[1] || "";
      if (!S.registered) {
        // Registration cannot finish without a nick: try another by ourselves, and say so.
        const next = ++S.nickTries > 4 || !NICK_RE.test(wanted) ? guest() : wanted.slice(0, 28) + String(Math.floor(Math.random() * 100));
        info(S.status, "The nick " + wanted + " " + why + "; trying " + next);
        S.nick = next;
        send("NICK " + next);
      } else {
        error("You cannot be " + wanted + ": " + (m.params[2] || "it " + why));
      }
    }
    function left(m, nick, chan, how, reason) {
      const b = buffer(chan, "channel", false);
      if (!b) return;
      const why = reason && reason !== nick ? " (" + reason + ")" : "";
      if (isMe(nick)) {
        b.joined = false; b.parted = true; b.members.clear();
        if (b.closing) { removeBuffer(b); return; }
        if (how === "left") presence(b, "You left " + chan + why, msgTime(m));
        else addLine(b, "error", m.nick + " removed you from " + chan + why, { time: msgTime(m) });
        renderTabs();
      } else {
        b.members.delete(fold(nick));
        presence(b, "← " + nick + (how === "left" ? " left" : " was removed by " + m.nick) + why, msgTime(m));
      }
      if (b === S.active) { renderMembers(); renderHeader(); }
    }
    function message(m, notice) {
      const target = (m.params[0] || "").replace(/^[@+]+(?=#)/, ""); // @#room: to its operators
      let text = m.params[1] || "";
      let action = false;
      if (text.startsWith("\x01")) {
        const inner = text.slice(1).replace(/\x01$/, "");
        const sp = inner.indexOf(" ");
        const cmd = (sp < 0 ? inner : inner.slice(0, sp)).toUpperCase();
        if (cmd !== "ACTION") {
          if (!notice && cmd === "VERSION" && !isMe(m.nick)) send("NOTICE " + m.nick + " :\x01VERSION Switchboard web page\x01");
          return;
        }
        action = true;
        text = sp < 0 ? "" : inner.slice(sp + 1);
      }
      const fromServer = !m.source || !m.source.includes("!");
      let b;
      if (isChannel(target)) b = buffer(target, "channel");
      else if (fromServer) b = S.registered && notice ? S.active : S.status;
      else if (isMe(m.nick)) b = buffer(target, "query");
      else if (notice) b = buffer(m.nick, "query", false) || S.active;
      else b = buffer(m.nick, "query");
      const kind = "msg" + (action ? " action" : "") + (notice ? " notice" : "") + (isMe(m.nick) ? " self" : "");
      addLine(b, kind, text, { from: m.nick || m.source, time: msgTime(m), mention: !isMe(m.nick) && !fromServer && mentions(text) });
    }
    function numeric(m) {
      const code = Number(m.command);
      const rest = m.params.slice(1);
      if (code === 4 || code === 5) return; // server version and ISUPPORT: for us, not for people
      if (code >= 400 && code < 600 && code !== 422) { // 422 is only "no message of the day"
        // e.g. 404 "#room :Cannot send to channel": the text, and what it is about.
        const about = rest.slice(0, -1).join(" ");
        const target = buffer(rest[0] || "", "channel", false);
        error((rest[rest.length - 1] || "Error " + code) + (about ? " (" + about + ")" : ""), target || S.active);
        return;
      }
      // The welcome burst belongs to the Server tab; replies to what the user typed (WHOIS, LIST,
      // TIME, ...) go where the user is looking.
      const welcome = !S.registered || /^(00[1-5]|25[0-9]|26[56]|37[256]|422)$/.test(m.command);
      info(welcome ? S.status : S.active || S.status, rest.join(" "));
    }
    function receive(line) {
      const m = parse(line);
      if (!m) return;
      const h = handlers[m.command];
      if (h) h(m);
      else if (/^\d{3}$/.test(m.command)) numeric(m);
    }
    function endCaps() {
      if (S.negotiating) { S.negotiating = false; send("CAP END"); }
    }

    // ---- the connection, and reconnecting -----------------------------------------------------
    function setConn(state, text) {
      $("conn").className = state;
      $("conn").title = text;
      $("conn-text").textContent = text;
    }
    function connect() {
      clearTimeout(S.retryTimer); clearInterval(S.countdown);
      S.quitting = false;
      if (S.ws) {
        // "Reconnect now" while an attempt is under way: drop that one, or it would register too.
        const old = S.ws;
        S.ws = null;
        old.onclose = old.onmessage = old.onopen = null;
        old.close();
      }
      const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
      let ws;
      try { ws = new WebSocket(url, ["text.ircv3.net"]); } catch (e) { lost(); return; }
      ws.binaryType = "arraybuffer";
      S.ws = ws; S.registered = false; S.caps.clear(); S.capLs = []; S.negotiating = true;
      setConn("", S.everConnected ? "Reconnecting…" : "Connecting…");
      ws.onopen = () => {
        send("CAP LS 302");
        send("NICK " + S.nick);
        send("USER web 0 * :Switchboard web page");
      };
      ws.onmessage = (ev) => {
        const data = typeof ev.data === "string" ? ev.data : new TextDecoder().decode(ev.data);
        for (const line of data.split(/\r?\n/)) if (line) receive(line);
      };
      ws.onclose = () => { if (S.ws === ws) { S.ws = null; lost(); } };
    }
    function lost() {
      S.registered = false;
      // The rooms and their last known members stay, dimmed: the rejoin's NAMES replaces them.
      for (const b of S.buffers.values()) b.joined = false;
      document.body.classList.add("offline");
      renderTabs(); renderMembers(); renderHeader();
      if (S.quitting) {
        setConn("down", "Disconnected");
        showBanner("You left the chat.", "Connect again");
        return;
      }
      if (!S.lostShown && S.everConnected) {
        // In every tab, so that nobody wonders why a room went silent; not counted as unread.
        everywhere((b) => addLine(b, "error", "Connection lost. Reconnecting…", { quiet: true }));
        S.lostShown = true;
      }
      // 1 s doubling to 30 s, each wait between 75% and 125% of that so that a restarted server is
      // not met by every page in the same millisecond.
      const base = Math.min(30000, 1000 * 2 ** S.attempt++);
      const wait = Math.round(base * (0.75 + Math.random() * 0.5));
      S.retryAt = Date.now() + wait;
      S.retryTimer = setTimeout(connect, wait);
      const tick = () => {
        const s = Math.max(1, Math.ceil((S.retryAt - Date.now()) / 1000));
        setConn("down", "Offline · retrying in " + s + " s");
        showBanner((S.everConnected ? "Connection lost." : "Cannot reach the server.") + " Reconnecting in " + s + " s…", "Reconnect now");
      };
      tick();
      clearInterval(S.countdown);
      S.countdown = setInterval(tick, 1000);
    }
    function showBanner(text, button) {
      $("banner-text").textContent = text;
      $("retry").textContent = button;
      $("banner").classList.add("show");
    }
    function hideBanner() { clearInterval(S.countdown); $("banner").classList.remove("show"); }

    // ---- what the user types -----------------------------------------------------------------
    function utf8Chunks(text, max = 400) {
      // The server takes 512 bytes a line: long text goes out as several messages, cut at spaces.
      const enc = new TextEncoder();
      const out = [];
      while (enc.encode(text).length > max) {
        let cut = 0, bytes = 0;
        for (const ch of text) { bytes += enc.encode(ch).length; if (bytes > max) break; cut += ch.length; }
        const sp = text.lastIndexOf(" ", cut);
        if (sp > cut / 2) cut = sp;
        out.push(text.slice(0, cut));
        text = text.slice(cut).replace(/^ /, "");
      }
      if (text) out.push(text);
      return out;
    }
    function say(b, text, action = false) {
      if (!b || b.kind === "status") { error("This tab is for server messages: join a room with /join #room first."); return; }
      if (b.kind === "channel" && b.parted) { error("You are not in " + b.name + ": /join " + b.name + " to go back in.", b); return; }
      for (const chunk of utf8Chunks(text)) {
        if (!send("PRIVMSG " + b.name + " :" + (action ? "\x01ACTION " + chunk + "\x01" : chunk))) {
          error("Not connected: the message was not sent.", b);
          return;
        }
        if (!S.caps.has("echo-message")) addLine(b, "msg self" + (action ? " action" : ""), chunk, { from: S.nick });
      }
    }
    function raw(line) { if (!send(line)) error("Not connected."); }
    const HELP = [
      "/join #room — join a room (or press + Join a room)", "/part [#room] [reason] — leave a room",
      "/msg nick text — private message (or click a name)", "/me text — an action", "/nick NEW — change your nick",
      "/topic [text] — show or set the room's topic", "/away [text], /back — away status", "/names, /whois nick, /clear, /close",
      "/quit [reason] — leave the chat; other /commands go to the server as they are", "Up/Down: earlier lines · Tab: complete a nick",
    ];
    function command(input) {
      const b = S.active;
      if (!input.startsWith("/") || input.startsWith("//")) { say(b, input.startsWith("//") ? input.slice(1) : input); return; }
      const sp = input.indexOf(" ");
      const cmd = (sp < 0 ? input.slice(1) : input.slice(1, sp)).toLowerCase();
      const arg = sp < 0 ? "" : input.slice(sp + 1).trim();
      const [first = "", ...more] = arg.split(/ +/);
      const tail = more.join(" ");
      const here = b && b.kind === "channel" ? b.name : "";
      switch (cmd) {
        case "join": case "j": {
          if (!first) { ask("join"); return; }
          const rooms = first.split(",").map((r) => (isChannel(r) ? r : "#" + r));
          for (const r of rooms) S.switchTo.add(fold(r));
          const existing = buffer(rooms[rooms.length - 1], "channel", false);
          if (existing && existing.joined) { activate(existing); return; }
          raw("JOIN " + rooms.join(",") + (tail ? " " + tail : ""));
          return;
        }
        case "part": case "leave": {
          const chan = first && isChannel(first) ? first : here;
          const reason = first && isChannel(first) ? tail : arg;
          if (!chan) { error("Which room? /part #room"); return; }
          const pb = buffer(chan, "channel", false);
          if (pb) pb.closing = true; // /part closes the tab, as its × does
          raw("PART " + chan + (reason ? " :" + reason : ""));
          return;
        }
        case "close": if (b && b.kind !== "status") closeBuffer(b); return;
        case "msg": case "query": case "q": {
          if (!first) { error("Usage: /msg nick text"); return; }
          const to = isChannel(first) ? buffer(first, "channel") : buffer(first, "query");
          activate(to);
          if (tail) say(to, tail);
          return;
        }
        case "me": if (arg) say(b, arg, true); return;
        case "nick": if (first) raw("NICK " + first); else ask("nick"); return;
        case "topic": {
          if (!here) { error("/topic works in a room tab."); return; }
          if (arg) raw("TOPIC " + here + " :" + arg);
          else info(b, b.topic ? "Topic: " + b.topic : "No topic is set.");
          return;
        }
        case "away": raw(arg ? "AWAY :" + arg : "AWAY"); return;
        case "back": raw("AWAY"); return;
        case "names": if (here) raw("NAMES " + here); return;
        case "notice": if (first && tail) raw("NOTICE " + first + " :" + tail); return;
        case "clear": if (b) { b.log.replaceChildren(); b.lastDay = ""; } return;
        case "help": for (const h of HELP) info(b || S.status, h); return;
        case "quit": S.quitting = true; raw("QUIT :" + (arg || "Leaving")); return;
        case "quote": case "raw": if (arg) raw(arg); return;
        case "reconnect": if (S.ws) S.ws.close(); else connect(); return;
        default: raw(cmd.toUpperCase() + (arg ? " " + arg : ""));
      }
    }

    const history = [];
    let historyAt = 0, draft = "";
    $("composer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const input = $("input");
      const text = input.value;
      if (!text.trim()) return;
      if (history[history.length - 1] !== text) history.push(text);
      if (history.length > 100) history.shift();
      historyAt = history.length;
      input.value = "";
      command(text);
    });
    $("input").addEventListener("keydown", (ev) => {
      const input = ev.target;
      if (ev.key === "ArrowUp" && historyAt > 0 && !input.value.slice(0, input.selectionStart).includes("\n")) {
        if (historyAt === history.length) draft = input.value;
        input.value = history[--historyAt];
        ev.preventDefault();
      } else if (ev.key === "ArrowDown" && historyAt < history.length) {
        input.value = ++historyAt === history.length ? draft : history[historyAt];
        ev.preventDefault();
      } else if (ev.key === "Tab" && !ev.shiftKey && S.active) {
        const upto = input.value.slice(0, input.selectionStart);
        const word = /[^\s]*$/.exec(upto)[0];
        if (!word) return;
        const hit = [...S.active.members.values()].map((m) => m.nick).find((n) => fold(n).startsWith(fold(word)) && !isMe(n));
        if (!hit) return;
        ev.preventDefault();
        const done = upto.slice(0, upto.length - word.length) + hit + (upto.length === word.length ? ": " : " ");
        input.value = done + input.value.slice(input.selectionStart);
        input.setSelectionRange(done.length, done.length);
      }
    });

    // A small dialog instead of prompt(): for the nick control and the + Join control.
    function ask(what) {
      const d = $("dialog");
      const nick = what === "nick";
      $("dialog-label").textContent = nick ? "Change your nick" : "Join a room";
      $("dialog-hint").textContent = nick ? "Letters, digits and - _ [ ] \\ ` ^ { | }, up to 32, not starting with a digit."
        : "A room name such as #lobby; it is created if nobody is in it yet.";
      const input = $("dialog-input");
      input.value = nick ? S.nick : "#";
      d.dataset.what = what;
      d.showModal();
      input.focus();
      input.select();
    }
    $("dialog-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const d = $("dialog");
      const v = $("dialog-input").value.trim();
      d.close();
      if (v && v !== "#") command((d.dataset.what === "nick" ? "/nick " : "/join ") + v);
    });
    $("dialog-cancel").addEventListener("click", () => $("dialog").close());
    $("dialog").addEventListener("close", () => $("input").focus());
    $("nick-btn").addEventListener("click", () => ask("nick"));
    $("join-btn").addEventListener("click", () => ask("join"));
    $("retry").addEventListener("click", () => { S.attempt = 0; connect(); });
    $("jump").addEventListener("click", () => { const b = S.active; b.log.scrollTop = b.log.scrollHeight; b.stuck = true; $("jump").classList.remove("show"); });
    $("members-toggle").addEventListener("click", () => document.body.classList.toggle("members-open"));
    $("members-close").addEventListener("click", () => document.body.classList.remove("members-open"));
    $("logs").addEventListener("click", () => document.body.classList.remove("members-open"));
    // Closing the page says goodbye, so the others see a quit rather than a dropped connection.
    addEventListener("pagehide", () => { S.quitting = true; send("QUIT :Closed the page"); });
    addEventListener("pageshow", (ev) => { if (ev.persisted && !S.ws) { S.attempt = 0; connect(); } });
    addEventListener("online", () => { if (!S.ws && !S.quitting) { S.attempt = 0; connect(); } });
    addEventListener("keydown", (ev) => {
      // Typing anywhere types into the message box.
      if (ev.key.length === 1 && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !$("dialog").open && document.activeElement.tagName !== "INPUT") $("input").focus();
    });

    S.status = buffer("Server", "status");
    $("nick-btn").textContent = S.nick;
    info(S.status, "Connecting to " + location.host + " as " + S.nick + "…");
    if (askedNick && !NICK_RE.test(askedNick)) error("“" + askedNick + "” is not a valid nick; using " + S.nick + " instead.", S.status);
    connect();
    window.switchboard = S; // for the browser test and for curious people in the console
    })();
    </script>
    </body>
    </html>
    """#
}
