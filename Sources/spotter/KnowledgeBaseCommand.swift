import ArgumentParser
import Foundation
import SpotterCore

struct KnowledgeBaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb",
        abstract: "List or remove documents of a knowledge base.",
        subcommands: [List.self, Remove.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List documents with their chunk counts.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var tenant: TenantOption

        @Option(help: "Knowledge base (default: $SPOTTER_KB or 'default').")
        var kb: String?

        @Flag(help: "Print one JSON object per document.")
        var json = false

        func run() async throws {
            let configuration = try common.configuration()
            let store = try Spotter.openStore(configuration)
            let name = kb ?? configuration.defaultKnowledgeBase
            let knowledgeBase = try existingKnowledgeBase(name, tenant: tenant.tenant, in: store)
            let documents = try store.documents(in: knowledgeBase)
            if json {
                documents.forEach { JSONLine.print($0) }
                return
            }
            for document in documents {
                print("\(document.id)  \(String(format: "%3d", document.chunkCount)) chunk(s)  \(document.title)  \(document.sourceName)")
            }
            print("\(documents.count) document(s), \(documents.reduce(0) { $0 + $1.chunkCount }) chunk(s) in \(name)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a document (by id, or by --source) with its chunks.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var tenant: TenantOption

        @Argument(help: "Document id as `spotter kb ls` shows it.")
        var documentID: String?

        @Option(help: "Delete the document with this source path or URI instead.")
        var source: String?

        @Option(help: "Knowledge base for --source (default: $SPOTTER_KB or 'default').")
        var kb: String?

        func validate() throws {
            guard (documentID == nil) != (source == nil) else {
                throw ValidationError("give either a document id or --source, not both or neither")
            }
        }

        func run() async throws {
            let configuration = try common.configuration()
            let store = try Spotter.openStore(configuration)
            var id = documentID
            if let source {
                let name = kb ?? configuration.defaultKnowledgeBase
                let knowledgeBase = try existingKnowledgeBase(name, tenant: tenant.tenant, in: store)
                // Sources are stored as absolute paths; accept the path as typed too.
                let candidates = [source, URL(fileURLWithPath: source).standardizedFileURL.path]
                id = try candidates.lazy.compactMap { try store.fingerprint(ofSource: $0, in: knowledgeBase)?.documentID }.first
                guard id != nil else {
                    printError("no document with source \(source) in \(name)")
                    throw ExitCode(1)
                }
            }
            guard let id, try store.deleteDocument(id: id, tenant: tenant.tenant) else {
                printError("no document with id \(documentID ?? "") — `spotter kb ls` lists them")
                throw ExitCode(1)
            }
            CLIAudit.note(AuditEvent(actor: CLIAudit.actor, tenant: tenant.tenant, action: .documentDeleted, target: id), in: store)
            print("deleted \(id)")
        }
    }
}

/// The tenant's knowledge base with this name, or an error that lists the ones the tenant has.
private func existingKnowledgeBase(_ name: String, tenant: String, in store: any SpotterStore) throws -> KnowledgeBase {
    guard let knowledgeBase = try store.knowledgeBase(named: name, tenant: tenant, create: false) else {
        throw SearchError.unknownKnowledgeBase(name, available: try store.knowledgeBases(tenant: tenant).map(\.name))
    }
    return knowledgeBase
}
