import ArgumentParser
import Foundation
import SpotterCore

struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Talk to the assistant: an interactive session (or one question) with streamed, cited answers.",
        discussion: """
            Without --url the answers come from the local store (the same pipeline `serve` runs); with --url they come \
            from a running server's /v1/chat. In the session, /new starts a new conversation, /quit (or Ctrl-D) ends it.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var tenant: TenantOption

    @Argument(help: "Ask this one question and exit (default: an interactive session).")
    var message: String?

    @Option(help: "A running Spotter server, such as http://127.0.0.1:8080 (default: the local store).")
    var url: String?

    @OptionGroup var apiKey: APIKeyOption

    @Option(help: "Knowledge base to answer from (default: the assistant's, or $SPOTTER_KB).")
    var kb: String?

    @Option(help: "Continue this session id.")
    var session: String?

    @Option(help: "The end user the answers are for and recorded under, as the API's `user` (for `spotter users`).")
    var user: String?

    @Option(help: "Metadata filter key=value (repeatable).")
    var filter: [String] = []

    @Flag(help: "Print each finished answer as JSON instead of streaming it.")
    var json = false

    func run() async throws {
        let filters = try filter.map { text throws(SearchError) in try MetadataFilter(parsing: text) }
        let backend: any ChatBackend
        if let url {
            backend = try RemoteChatBackend(baseURL: url, apiKey: apiKey.resolved)
        } else {
            let configuration = try common.configuration()
            var logger = common.logger(configuration)
            // Answer logs would interleave with the conversation; keep warnings only.
            logger.logLevel = max(logger.logLevel, .warning)
            backend = LocalChatBackend(spotter: try Spotter(configuration: configuration, logger: logger))
        }
        do {
            try await converse(backend: backend, filters: filters)
        } catch {
            await backend.finish()
            throw error
        }
        await backend.finish()
    }

    private func converse(backend: any ChatBackend, filters: [MetadataFilter]) async throws {
        var sessionID = session
        if let message {
            sessionID = try await ask(message, backend: backend, sessionID: sessionID, filters: filters)
            return
        }
        let interactive = isatty(STDIN_FILENO) != 0
        if interactive { print("Spotter chat. Ask a question; /new starts over, /quit ends.") }
        while true {
            if interactive { print("\nyou> ", terminator: "") }
            fflush(nil)
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            switch text {
            case "": continue
            case "/quit", "/exit": return
            case "/new":
                sessionID = nil
                print("(new conversation)")
                continue
            default: break
            }
            do {
                sessionID = try await ask(text, backend: backend, sessionID: sessionID, filters: filters)
            } catch {
                // One failed question does not end the session.
                printError("error: \(error)")
            }
        }
    }

    /// Streams one answer to standard output; returns the session to continue.
    private func ask(_ text: String, backend: any ChatBackend, sessionID: String?, filters: [MetadataFilter]) async throws -> String? {
        var session = sessionID
        let request = AnswerRequest(message: text, sessionID: sessionID, knowledgeBase: kb, filters: filters, user: user, reader: tenant.reader)
        if !json { print("\nspotter> ", terminator: "") }
        for try await event in backend.answer(request) {
            switch event {
            case .started(let start): session = start.sessionID
            case .token(let piece):
                if !json {
                    print(piece, terminator: "")
                    fflush(nil)
                }
            case .citations(let citations):
                if !json, !citations.isEmpty {
                    print("\n\nSources:")
                    for citation in citations { print("  [\(citation.n)] \(citation.title) — \(citation.source)") }
                }
            case .done(let answer):
                session = answer.sessionID ?? session
                if json { JSONLine.print(answer) } else {
                    print("\n(\(answer.model)\(answer.grounded ? "" : ", not in the knowledge base") · session \(answer.sessionID ?? "-"))")
                }
            }
        }
        return session
    }
}

/// Where `spotter chat` gets its answers.
protocol ChatBackend: Sendable {
    func answer(_ request: AnswerRequest) -> AsyncThrowingStream<AnswerEvent, any Error>
    /// Lets go of what the backend holds (the answers' records still queued are written first).
    func finish() async
}

extension ChatBackend {
    func finish() async {}
}

struct LocalChatBackend: ChatBackend {
    let spotter: Spotter

    func answer(_ request: AnswerRequest) -> AsyncThrowingStream<AnswerEvent, any Error> {
        spotter.answers.answer(request)
    }

    func finish() async {
        await spotter.shutdown()
    }
}
