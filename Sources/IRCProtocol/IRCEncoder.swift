// IRCEncoder: whole IRC lines in one call: numerics, messages from parts, and re-rendered parsed messages.

import Codec

/// Appends whole IRC lines to an ``EncodeBuffer``; each ends in CR LF and keeps to ``IRCLimits``.
///
/// These are conveniences over ``IRCLineWriter``, which documents the truncation policy. The
/// `numeric(_:server:target:into:)` form and ``encode(_:alwaysTrailing:limits:into:)`` allocate
/// nothing; the forms taking `String`s are for replies sent once per command, and for tests.
public enum IRCEncoder {
    /// Starts a numeric reply, `:server NNN target`, and returns the writer for its parameters.
    ///
    /// The caller adds the parameters and finishes the line:
    ///
    /// ```swift
    /// var line = IRCEncoder.numeric(1, server: serverName, target: nick, into: &buffer)
    /// line.lastParam("Welcome to the Switchboard network", into: &buffer)
    /// line.finish(into: &buffer)         // ":irc.example 001 alice :Welcome to the Switchboard network\r\n"
    /// ```
    ///
    /// - Parameters:
    ///   - code: The numeric, 0...999, written with three digits.
    ///   - server: The server's name, the source of every numeric.
    ///   - target: The client's nick; empty (a client that has none yet) writes `*`.
    public static func numeric(
        _ code: Int, server: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer,
        limits: IRCLimits = .standard, into buffer: inout EncodeBuffer
    ) -> IRCLineWriter {
        var line = IRCLineWriter(buffer, limits: limits)
        line.source(server, into: &buffer)
        line.command(IRCCommand(numeric: code), into: &buffer)
        if target.isEmpty { line.param("*", into: &buffer) } else { line.param(target, into: &buffer) }
        return line
    }

    /// Appends a whole numeric reply: `:server NNN target params…`, the last parameter trailing when
    /// it needs to be or `alwaysTrailing` asks.
    ///
    /// ```swift
    /// IRCEncoder.numeric(421, server: "irc.example", target: "alice", ["FOO", "Unknown command"], into: &buffer)
    /// // ":irc.example 421 alice FOO :Unknown command\r\n"
    /// ```
    public static func numeric(
        _ code: Int, server: String, target: String, _ params: [String], alwaysTrailing: Bool = false,
        limits: IRCLimits = .standard, into buffer: inout EncodeBuffer
    ) {
        var server = server
        var target = target
        var line = server.withUTF8 { server in
            target.withUTF8 { target in
                self.numeric(
                    code, server: UnsafeRawBufferPointer(server), target: UnsafeRawBufferPointer(target),
                    limits: limits, into: &buffer)
            }
        }
        self.appendParams(params, alwaysTrailing: alwaysTrailing, to: &line, into: &buffer)
        line.finish(into: &buffer)
    }

    /// Appends a whole line from strings: tags (values escaped), source, command and parameters.
    ///
    /// Every parameter but the last must be a middle parameter (see ``IRCLineWriter/param(_:into:)``).
    public static func encode(
        tags: [(key: String, value: String)] = [], source: String? = nil, command: IRCCommand,
        params: [String] = [], alwaysTrailing: Bool = false, limits: IRCLimits = .standard,
        into buffer: inout EncodeBuffer
    ) {
        var line = IRCLineWriter(buffer, limits: limits)
        for (key, value) in tags {
            var key = key
            var value = value
            key.withUTF8 { key in
                value.withUTF8 { value in
                    _ = line.tag(key: UnsafeRawBufferPointer(key), value: UnsafeRawBufferPointer(value), into: &buffer)
                }
            }
        }
        if let source { line.source(string: source, into: &buffer) }
        line.command(command, into: &buffer)
        self.appendParams(params, alwaysTrailing: alwaysTrailing, to: &line, into: &buffer)
        line.finish(into: &buffer)
    }

    /// Appends a parsed message again, in canonical form: well-formed tags re-escaped, single spaces,
    /// the command upper-cased, the last parameter trailing when it needs to be.
    ///
    /// - Parameter alwaysTrailing: Write the last parameter after `:` even when it needs none;
    ///   `nil` keeps the message's own spelling (``IRCMessage/hasTrailing``).
    public static func encode(
        _ message: IRCMessage, alwaysTrailing: Bool? = nil, limits: IRCLimits = .standard,
        into buffer: inout EncodeBuffer
    ) {
        var line = IRCLineWriter(buffer, limits: limits)
        for tag in message.tags {
            line.tag(tag, into: &buffer)
        }
        if let source = message.source { line.source(source, into: &buffer) }
        line.command(message.command, into: &buffer)
        let params = message.params
        for (index, param) in params.enumerated() {
            if index == params.count - 1 {
                line.lastParam(param, alwaysTrailing: alwaysTrailing ?? message.hasTrailing, into: &buffer)
            } else {
                line.param(param, into: &buffer)
            }
        }
        line.finish(into: &buffer)
    }

    private static func appendParams(
        _ params: [String], alwaysTrailing: Bool, to line: inout IRCLineWriter, into buffer: inout EncodeBuffer
    ) {
        for (index, param) in params.enumerated() {
            if index == params.count - 1 {
                line.lastParam(string: param, alwaysTrailing: alwaysTrailing, into: &buffer)
            } else {
                line.param(string: param, into: &buffer)
            }
        }
    }
}
