import NIOCore
import SpotterCore
import Synchronization

/// The ``FakeOpenAIServer``'s shared state: the behaviour queue and what it observed. Guarded by a mutex because
/// request handlers and NIO's channel-close callbacks touch it from any thread.
final class FakeOpenAIScript: Sendable {
    private struct OpenStream {
        var chunksSent = 0
        var finished = false
        var clientGone = false
    }

    private struct State {
        var queue: [FakeOpenAIBehaviour] = []
        var defaultBehaviour = FakeOpenAIBehaviour.hello
        var requests: [FakeOpenAIRequest] = []
        var streams: [Int: OpenStream] = [:]
        var disconnects: [FakeOpenAIDisconnect] = []
        var stopping = false
    }

    private let state = Mutex(State())

    func enqueue(_ behaviours: [FakeOpenAIBehaviour]) { state.withLock { $0.queue += behaviours } }
    func setDefault(_ behaviour: FakeOpenAIBehaviour) { state.withLock { $0.defaultBehaviour = behaviour } }
    var requests: [FakeOpenAIRequest] { state.withLock { $0.requests } }
    var disconnects: [FakeOpenAIDisconnect] { state.withLock { $0.disconnects } }
    func stop() { state.withLock { $0.stopping = true } }

    /// Records a request; returns its index and, for chat requests, the behaviour it gets.
    func receive(_ request: FakeOpenAIRequest, takesBehaviour: Bool) -> (Int, FakeOpenAIBehaviour) {
        state.withLock { state in
            state.requests.append(request)
            let behaviour = takesBehaviour && !state.queue.isEmpty ? state.queue.removeFirst() : state.defaultBehaviour
            return (state.requests.count - 1, behaviour)
        }
    }

    /// Starts watching the connection of streamed response `index`. The server allows half-closed connections, so
    /// a client closing its socket shows as "input closed" rather than as the channel closing; both count.
    func streamStarted(_ index: Int, on channel: any Channel) async {
        state.withLock { $0.streams[index] = OpenStream() }
        let clientGone: @Sendable () -> Void = { [self] in
            state.withLock { state in
                guard var stream = state.streams[index], !stream.finished, !stream.clientGone, !state.stopping else { return }
                stream.clientGone = true
                state.streams[index] = stream
                state.disconnects.append(FakeOpenAIDisconnect(requestIndex: index, chunksSent: stream.chunksSent, at: .now))
            }
        }
        channel.closeFuture.whenComplete { _ in clientGone() }
        try? await channel.pipeline.addHandler(ClientGoneObserver(clientGone: clientGone), position: .first).get()
    }

    func chunkSent(_ index: Int) { state.withLock { $0.streams[index]?.chunksSent += 1 } }
    func streamFinished(_ index: Int) { state.withLock { $0.streams[index]?.finished = true } }

    /// Whether a hanging stream should give up: its client left or the server is stopping.
    func shouldAbandon(_ index: Int) -> Bool {
        state.withLock { $0.stopping || $0.streams[index]?.clientGone == true }
    }
}

/// Reports the client's end of a connection closing, which a half-closure-enabled server sees only as an event.
private final class ClientGoneObserver: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let clientGone: @Sendable () -> Void

    init(clientGone: @escaping @Sendable () -> Void) {
        self.clientGone = clientGone
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent { clientGone() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientGone()
        context.fireChannelInactive()
    }
}
