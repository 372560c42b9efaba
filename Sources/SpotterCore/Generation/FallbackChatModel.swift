/// Tries models in order until one answers: the primary, a secondary, and last the offline answerer, so a chat
/// keeps answering through an outage.
///
/// Before the first event of the model that answers it sends ``ChatModelEvent/producer(_:)`` with that model's
/// name. A model that fails before its first ``ChatModelEvent/delta(_:)`` hands over to the next; one that fails
/// after words reached the user ends the answer with its error (restarting would repeat them). When every model
/// fails: ``ChatModelError/allFailed(_:)`` with each error in order.
public struct FallbackChatModel: ChatModel {
    public let models: [any ChatModel]

    public var name: String { "fallback(" + models.map(\.name).joined(separator: ",") + ")" }

    public init(_ models: [any ChatModel]) {
        self.models = models
    }

    public func stream(_ request: ChatModelRequest) -> AsyncThrowingStream<ChatModelEvent, any Error> {
        .producing { continuation in try await run(request, continuation) }
    }

    private func run(_ request: ChatModelRequest, _ continuation: AsyncThrowingStream<ChatModelEvent, any Error>.Continuation) async throws {
        var errors: [ChatModelError] = []
        for model in models {
            var forwardedAny = false
            var forwardedDelta = false
            do {
                for try await event in model.stream(request) {
                    if !forwardedAny {
                        forwardedAny = true
                        if case .producer = event {} else { continuation.yield(.producer(model.name)) }
                    }
                    if case .delta = event { forwardedDelta = true }
                    continuation.yield(event)
                    if case .finished = event {
                        continuation.finish()
                        return
                    }
                }
                throw ChatModelError.incompleteStream(upstream: model.name)
            } catch {
                let failure = ChatModelError(classifying: error, upstream: model.name)
                if failure == .cancelled || Task.isCancelled { throw ChatModelError.cancelled }
                if forwardedDelta { throw failure }
                errors.append(failure)
            }
        }
        throw ChatModelError.allFailed(errors)
    }
}
