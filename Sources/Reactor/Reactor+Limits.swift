// Process-wide limits a server built on the reactor wants to know about.

extension Reactor {
    /// Raises the soft open-files limit to the hard limit and returns the resulting soft limit:
    /// the most descriptors (connections, listeners, the reactor's own) this process can hold.
    public static func raiseDescriptorLimit() -> Int { Posix.raiseDescriptorLimit() }

    /// The current soft open-files limit.
    public static var descriptorLimit: Int { Posix.descriptorLimit().soft }
}
