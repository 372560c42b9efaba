import Foundation
import SpotterCore
import Synchronization

/// Shows ingest progress: a bar on a terminal, JSON lines with `--json` or when not on a terminal.
final class IngestDisplay: Sendable {
    enum Mode { case bar, jsonLines }

    fileprivate struct State {
        var totalFiles = 0
        var filesRead = 0
        var chunks = 0
        var documents = 0
        var lastDraw = ContinuousClock.now - .seconds(1)
    }

    private let mode: Mode
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    init(mode: Mode) { self.mode = mode }

    func handle(_ event: IngestEvent) {
        state.withLock { state in
            switch event {
            case .started(let files): state.totalFiles = files
            case .fileRead: state.filesRead += 1
            case .embedded(_, let total): state.chunks = total
            case .document: state.documents += 1
            case .problem, .ignored: break
            }
            switch mode {
            case .jsonLines:
                JSONLine.print(ProgressLine(event: event, state: state, seconds: elapsed))
            case .bar:
                if case .problem(let problem) = event {
                    clearLine()
                    printError("skipped \(problem)")
                }
                if case .ignored(let entry) = event {
                    clearLine()
                    printError("ignored \(entry)")
                }
                let now = ContinuousClock.now
                if now - state.lastDraw > .milliseconds(100) {
                    state.lastDraw = now
                    draw(state)
                }
            }
        }
    }

    func finish(_ summary: IngestSummary) {
        switch mode {
        case .jsonLines:
            JSONLine.print(SummaryLine(summary: summary))
        case .bar:
            state.withLock { draw($0) }
            FileHandle.standardError.write(Data("\n".utf8))
            print("""
                \(summary.knowledgeBase): \(summary.files) file(s) read; \(summary.added) added, \(summary.updated) updated, \
                \(summary.unchanged) unchanged; \(summary.chunksEmbedded) chunk(s) embedded in \(String(format: "%.1f", summary.seconds)) s
                """)
            if !summary.ignored.isEmpty {
                print("\(summary.ignored.count) ignored (hidden)")
            }
            if !summary.skipped.isEmpty {
                print("\(summary.skipped.count) skipped:")
                for problem in summary.skipped { print("  \(problem)") }
            }
        }
    }

    private var elapsed: Double {
        (ContinuousClock.now - started).inSeconds
    }

    private func draw(_ state: State) {
        let fraction = state.totalFiles > 0 ? Double(state.filesRead) / Double(state.totalFiles) : 0
        let bar = progressBar(fraction)
        let seconds = elapsed
        let rate = seconds > 0 ? Double(state.chunks) / seconds : 0
        var eta = "--:--"
        if fraction > 0.01, fraction < 1 {
            let remaining = Int(seconds / fraction * (1 - fraction))
            eta = String(format: "%d:%02d", remaining / 60, remaining % 60)
        } else if fraction >= 1 {
            eta = "0:00"
        }
        let line = "\r\(bar) files \(state.filesRead)/\(state.totalFiles)  chunks \(state.chunks)  "
            + String(format: "%.1f chunks/s", rate) + "  ETA \(eta) "
        FileHandle.standardError.write(Data(line.utf8))
    }

    private func clearLine() {
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}

/// One `--json` progress line.
@SnakeCaseCodingKeys
private struct ProgressLine: Encodable {
    var event: String
    var path: String?
    var outcome: String?
    var line: Int?
    var reason: String?
    var filesRead: Int
    var totalFiles: Int
    var chunksEmbedded: Int
    var seconds: Double

    init(event: IngestEvent, state: IngestDisplayStateView, seconds: Double) {
        filesRead = state.filesRead
        totalFiles = state.totalFiles
        chunksEmbedded = state.chunks
        self.seconds = (seconds * 1000).rounded() / 1000
        switch event {
        case .started: self.event = "started"
        case .fileRead(let path, _): self.event = "file"; self.path = path
        case .embedded: self.event = "embedded"
        case .document(let source, let outcome, _): self.event = "document"; path = source; self.outcome = outcome.rawValue
        case .problem(let problem): self.event = "skipped"; path = problem.path; line = problem.line; reason = problem.reason
        case .ignored(let entry): self.event = "ignored"; path = entry.path; reason = entry.reason
        }
    }
}

private protocol IngestDisplayStateView {
    var filesRead: Int { get }
    var totalFiles: Int { get }
    var chunks: Int { get }
}

extension IngestDisplay.State: IngestDisplayStateView {}

private struct SummaryLine: Encodable {
    var event = "summary"
    var summary: IngestSummary

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(event, forKey: DynamicKey("event"))
        try summary.encode(to: encoder)
    }
}

private struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A bar on standard error while a dense index is built; silent when there is nothing to show.
final class IndexSyncDisplay: Sendable {
    private let showsProgress: Bool
    private let lastDraw = Mutex(ContinuousClock.now - .seconds(1))
    private let drew = Mutex(false)

    init(showsProgress: Bool) { self.showsProgress = showsProgress }

    func handle(_ event: IndexSyncEvent) {
        guard showsProgress else { return }
        switch event {
        case .building(let knowledgeBase, let reason, let vectors):
            printError("building the dense index of \(knowledgeBase) (\(vectors) vectors): \(reason)")
        case .progress(let done, let total):
            let now = ContinuousClock.now
            guard lastDraw.withLock({ last in
                guard now - last > .milliseconds(100) || done == total else { return false }
                last = now
                return true
            }) else { return }
            drew.withLock { $0 = true }
            let bar = progressBar(total > 0 ? Double(done) / Double(total) : 1)
            FileHandle.standardError.write(Data("\r\(bar) index \(done)/\(total) vectors".utf8))
        case .saved: break
        }
    }

    func finish() {
        if showsProgress, drew.withLock({ $0 }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// The bar every long-running command draws on standard error: 28 cells, filled by `fraction` (0…1).
func progressBar(_ fraction: Double, width: Int = 28) -> String {
    let filled = min(max(Int(fraction * Double(width)), 0), width)
    return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
}
