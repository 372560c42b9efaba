extension AsyncThrowingStream where Failure == any Error {
    /// A stream fed by `produce` in a task of its own: it finishes when `produce` returns (or with the error it
    /// throws), and the task is cancelled as soon as the consumer stops listening, which cancels whatever network
    /// call `produce` is waiting on.
    public static func producing(_ produce: @escaping @Sendable (Continuation) async throws -> Void) -> Self {
        let (stream, continuation) = makeStream(of: Element.self)
        // Unstructured because the stream outlives this call.
        let task = Task {
            do {
                try await produce(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        // Only a consumer that stops listening cancels: after a normal finish the task may still be draining (a
        // connection left reusable).
        continuation.onTermination = { termination in
            if case .cancelled = termination { task.cancel() }
        }
        return stream
    }
}
