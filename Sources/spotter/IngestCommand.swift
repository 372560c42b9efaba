import ArgumentParser
import Foundation
import SpotterCore

extension DocumentFormat: ExpressibleByArgument {}

struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add files and folders to a knowledge base (Markdown, text, HTML, JSON, JSONL, PDF).",
        discussion: """
            Folders are read recursively; hidden and binary files are skipped with a message. Unchanged documents \
            (same content hash and model) are skipped without re-embedding; changed ones are replaced atomically. \
            JSON arrays and JSONL files become one document per record (see --id-field, --text-field). \
            The exit code is 1 when anything was skipped; the rest of the batch is stored either way.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var tenant: TenantOption

    @Argument(help: "Files or folders to ingest.")
    var paths: [String]

    @Option(help: "Knowledge base to add to (created if missing; default: $SPOTTER_KB or 'default').")
    var kb: String?

    @Option(help: "Input format, or auto to decide by file extension.")
    var format: DocumentFormat = .auto

    @Option(help: "JSON/JSONL: field holding each record's id.")
    var idField: String = "id"

    @Option(help: "JSON/JSONL: field(s) whose values make the text, in order (repeat the option). Default: text.")
    var textField: [String] = []

    @Option(help: "JSON/JSONL: field holding the title (default: title, else name, else the id).")
    var titleField: String?

    @Option(help: "JSON/JSONL: field(s) copied into the document metadata, for filters (repeat the option).")
    var metadataField: [String] = []

    @Option(help: "Largest file accepted, e.g. 50MB, 500KB or a byte count.")
    var maxFileSize: String = "50MB"

    @Option(help: "Target chunk size in word pieces (at most 254, the model limit less [CLS] and [SEP]).")
    var chunkTokens: Int = 200

    @Option(help: "Overlap between consecutive chunks, as a fraction of the chunk size.")
    var overlap: Double = 0.15

    @Option(help: "Chunks embedded per model call.")
    var batchSize: Int = 32

    @Option(help: ArgumentHelp("Who may read the documents: group:NAME or user:ID (repeat the option; default: everyone in the tenant).",
                               valueName: "entry"))
    var allow: [String] = []

    @Option(help: ArgumentHelp("JSON/JSONL: a field whose value (a list, or comma-separated text) adds group:/user: entries per record.",
                               valueName: "field"))
    var permissionField: String?

    @Flag(help: "Print machine-readable JSON lines (progress events and a summary) even on a terminal; this is the default when standard error is not a terminal.")
    var json = false

    func validate() throws {
        guard (16...254).contains(chunkTokens) else { throw ValidationError("--chunk-tokens must be between 16 and 254") }
        guard (0..<0.5).contains(overlap) else { throw ValidationError("--overlap must be at least 0 and below 0.5") }
        guard (1...1024).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1024") }
        if case .failure(let error) = DocumentPermissions.normalise(allow) { throw ValidationError("--allow: \(error)") }
        guard ByteSize.parse(maxFileSize) != nil else {
            throw ValidationError("--max-file-size '\(maxFileSize)' is not a size; use e.g. 50MB, 500KB or 1048576")
        }
    }

    func run() async throws {
        let configuration = try common.configuration()
        let spotter = try Spotter(configuration: configuration)
        var records = RecordFieldOptions()
        records.idField = idField
        if !textField.isEmpty { records.textFields = textField }
        records.titleField = titleField
        records.metadataFields = metadataField
        var reader = ReaderOptions()
        reader.format = format
        reader.records = records
        reader.maxFileBytes = ByteSize.parse(maxFileSize)!
        var chunking = ChunkingOptions()
        chunking.targetTokens = chunkTokens
        chunking.overlapFraction = overlap
        var options = IngestOptions(knowledgeBase: kb ?? configuration.defaultKnowledgeBase, reader: reader,
                                    chunking: chunking, batchSize: batchSize,
                                    allowedGroups: (try? DocumentPermissions.normalise(allow).get()) ?? [])
        options.tenant = tenant.tenant
        options.permissionField = permissionField

        // A terminal gets a progress bar; anything else (a pipe, a log file, CI) gets machine-readable lines.
        let display = IngestDisplay(mode: json || isatty(STDERR_FILENO) == 0 ? .jsonLines : .bar)
        let summary = try await spotter.ingest.ingest(paths: paths, options: options) { display.handle($0) }
        display.finish(summary)
        if summary.added + summary.updated > 0 {
            var detail = ["added": String(summary.added), "replaced": String(summary.updated), "paths": paths.joined(separator: ",")]
            if !options.allowedGroups.isEmpty { detail["allow"] = options.allowedGroups.joined(separator: ",") }
            if let field = options.permissionField { detail["permission_field"] = field }
            CLIAudit.note(AuditEvent(actor: CLIAudit.actor, tenant: tenant.tenant, action: .documentsIngested,
                                     target: summary.knowledgeBase, detail: detail), in: spotter.store)
        }
        // Bring the dense index file up to date now, so that the next search or server start does not have to.
        if let knowledgeBase = try spotter.search.existingKnowledgeBase(named: summary.knowledgeBase, tenant: tenant.tenant) {
            let indexDisplay = IndexSyncDisplay(showsProgress: !json && isatty(STDERR_FILENO) != 0)
            try spotter.search.indexes.synchronize(knowledgeBase) { indexDisplay.handle($0) }
            indexDisplay.finish()
        }
        if !summary.isClean { throw ExitCode(1) }
    }
}
