import ArgumentParser
import Foundation
import SpotterCore
import Synchronization

struct RefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Read every ingested file and folder again and bring the knowledge bases up to date.",
        discussion: """
            Each source is read with the options it was ingested with. Changed documents are re-embedded (unchanged \
            ones are skipped by content hash), documents whose file is gone are deleted, the dense index is updated \
            (compacted or rebuilt when needed) and cached answers that cited a changed passage are dropped. A source \
            that is missing altogether (an unmounted disk?) is reported and its documents kept. A running server does \
            the same on POST /admin/refresh, or by itself when a drift signal asks for it.
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("The tenant of --kb.", valueName: "name"))
    var tenant: String = Principal.defaultTenant

    @Option(name: .customLong("kb"), help: "Only this knowledge base (default: every one).")
    var knowledgeBase: String?

    @Flag(help: "Print the summary as JSON (no progress bar).")
    var json = false

    func run() async throws {
        let configuration = try common.configuration()
        let spotter = try Spotter(configuration: configuration, logger: common.logger(configuration))
        let showBar = !json && isatty(STDERR_FILENO) != 0
        let progress = Mutex((source: 0, total: 0, path: "", documents: 0, lastDraw: ContinuousClock.now - .seconds(1)))
        let summary: RefreshSummary
        CLIAudit.note(AuditEvent(actor: CLIAudit.actor, tenant: tenant, action: .refreshStarted, target: knowledgeBase ?? "*",
                                 detail: ["trigger": "cli"]), in: spotter.store)
        do {
            summary = try await spotter.refresh.service.refresh(knowledgeBase: knowledgeBase, tenant: tenant) { event in
                guard showBar else { return }
                progress.withLock { state in
                    switch event {
                    case .started(let sources): state.total = sources
                    case .source(_, let path, let number, _):
                        state.source = number
                        state.path = path
                    case .ingest(.document): state.documents += 1
                    case .deleted(let uri): printError("\r\u{1B}[2Kdeleted \(uri) (its file is gone)")
                    case .index(let kb, .building(_, let reason, let vectors)):
                        printError("\r\u{1B}[2K\(kb): building the dense index over \(vectors) vectors (\(reason))")
                    default: break
                    }
                    let now = ContinuousClock.now
                    guard now - state.lastDraw > .milliseconds(100) else { return }
                    state.lastDraw = now
                    let fraction = state.total > 0 ? Double(state.source) / Double(state.total) : 0
                    let line = "\r\u{1B}[2K\(progressBar(fraction)) source \(state.source)/\(state.total), \(state.documents) documents read  \(state.path.suffix(40))"
                    FileHandle.standardError.write(Data(line.utf8))
                }
            }
        } catch {
            await spotter.shutdown()
            throw error
        }
        await spotter.shutdown()
        if showBar { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        if json { return JSONLine.print(summary) }
        for kb in summary.knowledgeBases {
            print("\(kb.knowledgeBase): \(kb.sources) sources; \(kb.added) added, \(kb.updated) updated, \(kb.unchanged) unchanged, \(kb.deleted) deleted; index \(kb.index)")
            if kb.sources == 0 {
                print("  no sources remembered: documents ingested before sources were recorded (or uploaded) are not re-read; run `spotter ingest` on their files once")
            }
            for missing in kb.missingSources { print("  missing source (documents kept): \(missing)") }
            for problem in kb.problems { print("  skipped \(problem)") }
        }
        if summary.knowledgeBases.isEmpty { print("no knowledge base to refresh: ingest something first") }
        print("\(summary.cacheEntriesDropped) cached answers dropped; \(String(format: "%.1f", summary.seconds)) s")
    }
}
