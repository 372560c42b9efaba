/// Computes an expensive fixture once, asynchronously, for every test that awaits it.
///
/// A static `let` would block a cooperative thread while the fixture awaits work of its own, which deadlocks on a
/// two-core machine; this awaits instead.
public actor AsyncOnce<Value: Sendable> {
    private var task: Task<Value, any Error>?
    private let make: @Sendable () async throws -> Value

    public init(_ make: @escaping @Sendable () async throws -> Value) {
        self.make = make
    }

    public func get() async throws -> Value {
        if let task { return try await task.value }
        let task = Task { try await make() }
        self.task = task
        return try await task.value
    }
}
