/// The browser chat client served at `GET /`: HTML, CSS and JavaScript in one page, speaking IRC
/// over the `/ws` WebSocket. (A minimal placeholder until the page itself lands.)
enum WebPage {
    static let html: String = #"""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Switchboard</title></head>
    <body><p>Switchboard chat: connect an IRC WebSocket client to <code>/ws</code>.</p></body></html>
    """#
}
