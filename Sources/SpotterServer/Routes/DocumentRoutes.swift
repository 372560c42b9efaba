import Foundation
import Hummingbird
import Logging
import SpotterCore

/// The knowledge base over HTTP:
///
/// - `POST /v1/documents?kb=NAME` uploads files (`multipart/form-data`, one or more file parts) or one raw body
///   whose `Content-Type` names the format (with `?filename=`), ingests them and answers the ingest summary: 201
///   when something was stored, 200 when everything was unchanged, 422 when nothing could be ingested.
/// - `GET /v1/documents?kb=NAME` lists the documents, `GET /v1/documents/{id}` shows one,
///   `DELETE /v1/documents/{id}` removes one (204).
///
/// After a change the dense index is brought up to date in the background (``BackgroundIndexSync``).
struct DocumentRoutes {
    let engine: LiveEngine
    /// The engine for this request (another after an embedding-model switch).
    var spotter: Spotter { engine.current }
    let indexSync: BackgroundIndexSync
    let logger: Logger

    init(engine: LiveEngine, logger: Logger) {
        self.engine = engine
        self.logger = logger
        indexSync = BackgroundIndexSync(engine: engine, logger: logger)
    }

    static let uploadParameters: Set<String> = ["kb", "filename", "id_field", "text_field", "title_field", "metadata_field",
                                                "allow", "permission_field"]

    /// Raw upload media types and the format each means.
    static let rawFormats: [String: DocumentFormat] = [
        "text/markdown": .md, "text/x-markdown": .md,
        "text/plain": .txt,
        "text/html": .html, "application/xhtml+xml": .html,
        "application/json": .json,
        "application/x-ndjson": .jsonl, "application/jsonl": .jsonl, "application/x-jsonlines": .jsonl, "application/jsonlines": .jsonl,
        "application/pdf": .pdf,
    ]

    func register(on router: SpotterRoutes) {
        router.post("/v1/documents") { request, context in try await upload(request, tenant: context.reader.tenant, actor: context.actor) }
        router.get("/v1/documents") { request, context -> Response in
            let query = try QueryString(request.uri.query, accepting: ["kb"])
            let name = try query.single("kb") ?? spotter.configuration.defaultKnowledgeBase
            let knowledgeBase = try knowledgeBase(named: name, tenant: context.reader.tenant)
            let documents = try spotter.ingest.documents(in: knowledgeBase)
            return JSONBody.response(DocumentList(knowledgeBase: knowledgeBase.name, documents: documents))
        }
        router.get("/v1/documents/{id}") { request, context -> Response in
            _ = try QueryString(request.uri.query, accepting: [])
            return JSONBody.response(try document(context.parameters.get("id") ?? "", tenant: context.reader.tenant))
        }
        router.delete("/v1/documents/{id}") { request, context -> Response in
            _ = try QueryString(request.uri.query, accepting: [])
            let tenant = context.reader.tenant
            let document = try document(context.parameters.get("id") ?? "", tenant: tenant)
            let deleted = try spotter.ingest.deleteDocument(id: document.id, tenant: tenant)
            guard deleted else { throw Self.unknownDocument(document.id) }
            spotter.audit.note(AuditEvent(actor: context.actor, tenant: tenant, action: .documentDeleted, target: document.id,
                                          detail: ["kb": document.knowledgeBase]), logger: logger)
            if let knowledgeBase = try? knowledgeBase(named: document.knowledgeBase, tenant: tenant) { indexSync.schedule(knowledgeBase) }
            return Response(status: .noContent)
        }
    }

    private func upload(_ request: Request, tenant: String, actor: String) async throws(APIError) -> Response {
        let query = try QueryString(request.uri.query, accepting: Self.uploadParameters)
        var permissions = query.all("allow")
        let name = try query.single("kb") ?? spotter.configuration.defaultKnowledgeBase
        let limit = spotter.configuration.maxUploadBytes
        var reader = ReaderOptions(maxFileBytes: limit)
        reader.records = try Self.recordOptions(query)
        let mediaType = ContentTypeHeader(request.headers[.contentType])

        let uploads: [UploadedFile]
        if mediaType.type == "multipart/form-data" {
            guard let boundary = mediaType.parameters["boundary"], !boundary.isEmpty else {
                throw APIError(.badRequest, code: "malformed_multipart", message: "Content-Type multipart/form-data needs a boundary parameter")
            }
            if try query.single("filename") != nil {
                throw APIError.badParameter("parameter 'filename' is for raw uploads; multipart parts carry their own file names")
            }
            let body = try await RequestBody.collect(request, limit: limit)
            let parts = try MultipartBody(body, boundary: boundary).parts
            uploads = try parts.filter { $0.filename != nil || $0.name != "allow" }.map { part throws(APIError) in
                guard let filename = part.filename else {
                    throw APIError.badParameter("multipart part '\(part.name ?? "")' has no filename; send files as file parts "
                        + "(curl -F 'file=@guide.md') and options in the query string")
                }
                return UploadedFile(name: filename, data: part.data)
            }
            // Permissions may come as form fields too (`-F allow=group:coaches`), beside the file parts.
            permissions += parts.filter { $0.filename == nil && $0.name == "allow" }.map { String(decoding: $0.data, as: UTF8.self) }
            guard !uploads.isEmpty else { throw APIError.badParameter("the multipart body holds no file parts") }
        } else {
            guard let format = Self.rawFormats[mediaType.type] else {
                let given = mediaType.type.isEmpty ? "no Content-Type" : "Content-Type '\(mediaType.type)'"
                throw APIError.unsupportedMediaType("cannot ingest \(given); send multipart/form-data with file parts, or one of "
                    + Self.rawFormats.keys.sorted().joined(separator: ", ") + " with ?filename=")
            }
            guard let filename = try query.single("filename") else {
                throw APIError.badParameter("parameter 'filename' is required for a raw upload (it names the document, e.g. ?filename=guide.md)")
            }
            reader.format = format
            let body = try await RequestBody.collect(request, limit: limit)
            uploads = [UploadedFile(name: filename, data: Data(body.readableBytesView))]
        }

        var options = IngestOptions(knowledgeBase: name, reader: reader)
        options.tenant = tenant
        switch DocumentPermissions.normalise(permissions) {
        case .success(let entries): options.allowedGroups = entries
        case .failure(let error): throw APIError.badParameter("parameter 'allow': \(error)")
        }
        if let field = try query.single("permission_field") {
            guard !field.trimmingCharacters(in: .whitespaces).isEmpty else { throw APIError.badParameter("parameter 'permission_field' must name a field") }
            options.permissionField = field
        }
        let summary: IngestSummary
        do {
            summary = try await spotter.ingest.ingest(
                uploads: uploads, scratchDirectory: spotter.configuration.uploadDirectory, options: options)
        } catch {
            throw APIError.from(error)
        }
        let stored = summary.added + summary.updated
        guard stored + summary.unchanged > 0 else {
            let problems = summary.skipped.prefix(5).map(\.description).joined(separator: "; ")
            throw APIError(.unprocessableContent, code: "nothing_ingested",
                           message: "nothing could be ingested: \(problems.isEmpty ? "no documents found" : problems)")
        }
        if stored > 0, let knowledgeBase = try? knowledgeBase(named: summary.knowledgeBase, tenant: tenant) {
            indexSync.schedule(knowledgeBase)
        }
        if stored > 0 {
            var detail = ["added": String(summary.added), "replaced": String(summary.updated), "files": uploads.map(\.name).joined(separator: ",")]
            if !options.allowedGroups.isEmpty { detail["allow"] = options.allowedGroups.joined(separator: ",") }
            if let field = options.permissionField { detail["permission_field"] = field }
            spotter.audit.note(AuditEvent(actor: actor, tenant: tenant, action: .documentsIngested, target: summary.knowledgeBase,
                                          detail: detail), logger: logger)
        }
        return JSONBody.response(summary, status: stored > 0 ? .created : .ok)
    }

    private func knowledgeBase(named name: String, tenant: String) throws(APIError) -> KnowledgeBase {
        do {
            return try spotter.search.resolve(name, tenant: tenant)
        } catch {
            throw APIError.from(error)
        }
    }

    /// The tenant's document; another tenant's is as unknown as one that never existed.
    private func document(_ id: String, tenant: String) throws -> DocumentSummary {
        guard let document = try spotter.ingest.document(id: id, tenant: tenant) else { throw Self.unknownDocument(id) }
        return document
    }

    private static func unknownDocument(_ id: String) -> APIError {
        APIError(.notFound, code: "unknown_document", message: "no document with id '\(id)'; GET /v1/documents?kb=NAME lists them")
    }

    /// The record options of `spotter ingest` (`--id-field` …) as query parameters (`id_field` …).
    private static func recordOptions(_ query: QueryString) throws(APIError) -> RecordFieldOptions {
        var records = RecordFieldOptions()
        func field(_ value: String, _ parameter: String) throws(APIError) -> String {
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw APIError.badParameter("parameter '\(parameter)' must name a field") }
            return value
        }
        if let id = try query.single("id_field") { records.idField = try field(id, "id_field") }
        let textFields = query.all("text_field")
        if !textFields.isEmpty { records.textFields = try textFields.map { value throws(APIError) in try field(value, "text_field") } }
        if let title = try query.single("title_field") { records.titleField = try field(title, "title_field") }
        records.metadataFields = try query.all("metadata_field").map { value throws(APIError) in try field(value, "metadata_field") }
        return records
    }
}
