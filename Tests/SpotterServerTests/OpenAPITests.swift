import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// `GET /openapi.json` and `GET /docs`: the description is valid, complete in both directions, and its examples
/// match its schemas.
@Suite("OpenAPI description", .serialized)
struct OpenAPITests {
    /// Operations described in the document but not routed yet. The route check skips them, and fails once one of
    /// them is routed: then remove it from this set. Empty: every described operation is routed.
    static let pendingRoutes: Set<String> = []

    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    func document(_ base: URL) async throws -> (json: [String: Any], value: JSONValue) {
        let response = try await Loopback.get(base, "/openapi.json")
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
        return (response.json, try #require(response.jsonValue))
    }

    /// Every operation as ("GET", "/v1/documents/{id}", operation object).
    func operations(_ json: [String: Any]) -> [(method: String, path: String, operation: [String: Any])] {
        let paths = json["paths"] as? [String: [String: Any]] ?? [:]
        return paths.keys.sorted().flatMap { path in
            Self.methods.compactMap { method in
                (paths[path]?[method] as? [String: Any]).map { (method.uppercased(), path, $0) }
            }
        }
    }

    /// A response object, or the shared one (`components/responses`) its `$ref` names.
    func resolveResponse(_ response: [String: Any], in json: [String: Any]) -> [String: Any]? {
        guard let reference = response["$ref"] as? String else { return response }
        let name = reference.replacingOccurrences(of: "#/components/responses/", with: "")
        return ((json["components"] as? [String: Any])?["responses"] as? [String: Any])?[name] as? [String: Any]
    }

    @Test func theDocumentIsStructurallyOpenAPI31() async throws {
        try await Loopback.withServer(try Loopback.spotter()) { base in
            let (json, value) = try await document(base)
            #expect((json["openapi"] as? String)?.hasPrefix("3.1.") == true)
            let info = try #require(json["info"] as? [String: Any])
            #expect(info["title"] is String && info["version"] is String)
            let schemas = try #require((json["components"] as? [String: Any])?["schemas"] as? [String: Any])
            #expect(schemas["Error"] != nil)
            let operations = operations(json)
            #expect(operations.count >= 14)
            var operationIDs = Set<String>()
            for (method, path, operation) in operations {
                let name = "\(method) \(path)"
                let id = try #require(operation["operationId"] as? String, "\(name) has no operationId")
                #expect(operationIDs.insert(id).inserted, "operationId \(id) is used twice")
                #expect(operation["summary"] is String, "\(name) has no summary")
                let responses = try #require(operation["responses"] as? [String: [String: Any]], "\(name) has no responses")
                #expect(!responses.isEmpty)
                for (status, reference) in responses {
                    let response = try #require(resolveResponse(reference, in: json), "\(name) \(status): \(reference) does not resolve")
                    #expect(Int(status) != nil, "\(name) response '\(status)' is not a status code")
                    #expect(response["description"] is String, "\(name) \(status) has no description")
                    // Every error answer uses the one error shape.
                    if let code = Int(status), code >= 400 {
                        let schema = (response["content"] as? [String: [String: Any]])?["application/json"]?["schema"] as? [String: String]
                        #expect(schema?["$ref"] == "#/components/schemas/Error", "\(name) \(status) does not use the Error schema")
                    }
                }
                // Path templates and path parameters agree.
                let templated = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
                let declared = Set((operation["parameters"] as? [[String: Any]] ?? []).filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String })
                #expect(templated == declared, "\(name): path parameters \(declared) do not match the template")
            }
            // Every $ref resolves.
            let validator = JSONSchemaSubset(document: value)
            var references: [String] = []
            func collect(_ value: JSONValue) {
                switch value {
                case .object(let fields):
                    if case .string(let reference)? = fields["$ref"] { references.append(reference) }
                    fields.values.forEach(collect)
                case .array(let elements): elements.forEach(collect)
                default: break
                }
            }
            collect(value)
            #expect(!references.isEmpty)
            for reference in references { #expect(validator.resolve(reference) != nil, "\(reference) does not resolve") }
        }
    }

    @Test func everyDescribedOperationIsRoutedAndEveryRouteIsDescribed() async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            let (json, _) = try await document(base)
            let described = Set(operations(json).map { "\($0.method) \($0.path)" })
            for (method, path, _) in operations(json) {
                let name = "\(method) \(path)"
                let concrete = path.replacingOccurrences(of: "{id}", with: "no-such-id")
                let response = try await Loopback.send(method, URL(string: base.absoluteString + concrete)!,
                                                       body: method == "POST" ? Data("{}".utf8) : nil,
                                                       contentType: method == "POST" ? "application/json" : nil)
                let routed = !(response.status == 404 && response.errorCode == "not_found") && response.status != 405
                if Self.pendingRoutes.contains(name) {
                    print("OpenAPITests: \(name) is described but pending (routed on the answering-pipeline branch)")
                    #expect(!routed, "\(name) is routed now: remove it from OpenAPITests.pendingRoutes")
                } else {
                    #expect(routed, "\(name) is described in openapi.json but not routed (\(response.status) \(response.errorCode ?? ""))")
                }
            }
            #expect(Self.pendingRoutes.isSubset(of: described), "pendingRoutes names operations the document does not describe")
            let routes = SpotterHTTPServer(spotter: spotter, logger: .init(label: "test")).routeDescriptions
            #expect(routes.count >= 8)
            for route in routes {
                #expect(described.contains(route), "\(route) is routed but not described in openapi.json")
            }
        }
    }

    @Test func everyExampleMatchesItsSchema() async throws {
        try await Loopback.withServer(try Loopback.spotter()) { base in
            let (json, value) = try await document(base)
            let validator = JSONSchemaSubset(document: value)
            guard case .object(let root) = value, case .object(let paths)? = root["paths"] else { Issue.record("no paths"); return }
            var checked = 0
            func check(_ example: JSONValue, _ schema: JSONValue, _ label: String) {
                checked += 1
                let problems = validator.validate(example, against: schema)
                #expect(problems.isEmpty, "\(label): \(problems.joined(separator: "; "))")
            }
            func checkContent(_ content: JSONValue?, _ label: String) {
                guard case .object(let media)? = content else { return }
                for (type, entry) in media {
                    guard case .object(let fields) = entry, let schema = fields["schema"] else { continue }
                    if let example = fields["example"] { check(example, schema, "\(label) \(type) example") }
                    guard case .object(let examples)? = fields["examples"] else { continue }
                    for (name, example) in examples {
                        guard case .object(let exampleFields) = example, let exampleValue = exampleFields["value"] else {
                            Issue.record("\(label) \(type) example \(name) has no value")
                            continue
                        }
                        check(exampleValue, schema, "\(label) \(type) example '\(name)'")
                        if type == "text/event-stream", case .string(let stream) = exampleValue {
                            checkEventStream(stream, "\(label) example '\(name)'")
                        }
                    }
                }
            }
            /// The data of each event validates against the schema its event name stands for.
            func checkEventStream(_ stream: String, _ label: String) {
                let schemaFor = ["token": "ChatTokenEvent", "citations": "ChatCitationsEvent", "done": "ChatResponse", "error": "Error"]
                for block in stream.components(separatedBy: "\n\n") where !block.isEmpty {
                    var event: String?
                    var data = ""
                    for line in block.split(separator: "\n") {
                        if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                        if line.hasPrefix("data: ") { data += line.dropFirst(6) }
                    }
                    if data == "[DONE]" { continue }
                    let name = event.map { schemaFor[$0] ?? "?" } ?? "ChatCompletionChunk"
                    guard let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(data.utf8)) else {
                        Issue.record("\(label): data is not JSON: \(data.prefix(80))")
                        continue
                    }
                    check(payload, .object(["$ref": .string("#/components/schemas/\(name)")]), "\(label) event \(event ?? "data")")
                }
            }
            for (path, item) in paths {
                guard case .object(let methods) = item else { continue }
                for (method, operation) in methods {
                    guard case .object(let fields) = operation else { continue }
                    let label = "\(method.uppercased()) \(path)"
                    if case .object(let body)? = fields["requestBody"] { checkContent(body["content"], "\(label) request") }
                    if case .object(let responses)? = fields["responses"] {
                        for (status, reference) in responses {
                            var response = reference
                            if case .object(let fields) = reference, case .string(let target)? = fields["$ref"] {
                                guard let resolved = validator.resolve(target) else {
                                    Issue.record("\(label) \(status): \(target) does not resolve")
                                    continue
                                }
                                response = resolved
                            }
                            if case .object(let responseFields) = response { checkContent(responseFields["content"], "\(label) \(status)") }
                        }
                    }
                    if case .array(let parameters)? = fields["parameters"] {
                        for case .object(let parameter) in parameters {
                            if let example = parameter["example"], let schema = parameter["schema"] { check(example, schema, "\(label) parameter") }
                        }
                    }
                }
            }
            #expect(checked >= 40, "only \(checked) examples found")
            #expect(json["paths"] != nil)
        }
    }

    /// The document describes what the routes really answer, not only its own examples.
    @Test func realResponsesMatchTheirDocumentedSchemas() async throws {
        let spotter = try Loopback.spotter { $0.cache.enabled = true }
        try await Loopback.withServer(spotter) { base in
            let (_, value) = try await document(base)
            let validator = JSONSchemaSubset(document: value)
            func schema(_ method: String, _ path: String, _ status: Int) throws -> JSONValue {
                guard case .object(let root) = value, case .object(let paths)? = root["paths"], case .object(let item)? = paths[path],
                      case .object(let operation)? = item[method.lowercased()], case .object(let responses)? = operation["responses"],
                      case .object(var response)? = responses["\(status)"] else {
                    throw DocumentationGap(description: "\(method) \(path) documents no response \(status)")
                }
                if case .string(let target)? = response["$ref"], case .object(let shared)? = validator.resolve(target) { response = shared }
                guard case .object(let content)? = response["content"],
                      case .object(let media)? = content["application/json"], let schema = media["schema"] else {
                    throw DocumentationGap(description: "\(method) \(path) documents no JSON response \(status)")
                }
                return schema
            }
            func check(_ method: String, _ template: String, _ result: HTTPResult) throws {
                let json = try #require(result.jsonValue, "\(method) \(template) answered no JSON")
                let problems = validator.validate(json, against: try schema(method, template, result.status))
                #expect(problems.isEmpty, "\(method) \(template) \(result.status): \(problems.joined(separator: "; "))")
            }
            let guide = Data("# Kettlebell swing\n\nDrive the hips forward.\n".utf8)
            let upload = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?filename=swing.md")!, body: guide, contentType: "text/markdown")
            try check("POST", "/v1/documents", upload)
            let (body, contentType) = Loopback.multipart([("file", "swing.md", guide), ("file", "x.png", Data([1]))])
            try check("POST", "/v1/documents", try await Loopback.send("POST", URL(string: "\(base)/v1/documents")!, body: body, contentType: contentType))
            let list = try await Loopback.get(base, "/v1/documents")
            try check("GET", "/v1/documents", list)
            let id = try #require(((list.json["documents"] as? [[String: Any]])?.first?["id"]) as? String)
            try check("GET", "/v1/documents/{id}", try await Loopback.get(base, "/v1/documents/\(id)"))
            try check("GET", "/v1/documents/{id}", try await Loopback.get(base, "/v1/documents/nope"))
            try check("DELETE", "/v1/documents/{id}", try await Loopback.send("DELETE", URL(string: "\(base)/v1/documents/nope")!))
            try check("POST", "/v1/documents", try await Loopback.send("POST", URL(string: "\(base)/v1/documents?filename=a.png")!, body: guide, contentType: "image/png"))
            try check("GET", "/v1/search", try await Loopback.get(base, "/v1/search?q=swing&k=3"))
            try check("GET", "/v1/search", try await Loopback.get(base, "/v1/search?q=swing&mode=bm25&mmr=0.5&filter=a=b"))
            try check("GET", "/v1/search", try await Loopback.get(base, "/v1/search?q=swing&k=0"))
            try check("GET", "/healthz", try await Loopback.get(base, "/healthz"))
            try check("GET", "/readyz", try await Loopback.get(base, "/readyz"))

            // The chat routes: answers (grounded in the uploaded guide, and not), sessions, completions, models, errors.
            func post(_ path: String, _ json: String) async throws -> HTTPResult {
                try await Loopback.send("POST", URL(string: "\(base)\(path)")!, body: Data(json.utf8), contentType: "application/json")
            }
            let chat = try await post("/v1/chat", #"{"message": "How do I do a kettlebell swing?"}"#)
            try check("POST", "/v1/chat", chat)
            try check("POST", "/v1/chat", try await post("/v1/chat", #"{"message": "Who painted the Mona Lisa?", "filters": {"level": ["beginner"]}}"#))
            try check("POST", "/v1/chat", try await post("/v1/chat", #"{"message": ""}"#))
            try check("POST", "/v1/chat", try await post("/v1/chat", #"{"message": "hi", "kb": "nope"}"#))
            let session = try #require(chat.json["session_id"] as? String)
            try check("GET", "/v1/sessions/{id}", try await Loopback.get(base, "/v1/sessions/\(session)"))
            try check("GET", "/v1/sessions/{id}", try await Loopback.get(base, "/v1/sessions/nope"))
            try check("DELETE", "/v1/sessions/{id}", try await Loopback.send("DELETE", URL(string: "\(base)/v1/sessions/nope")!))
            try check("POST", "/v1/chat/completions", try await post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "How do I do a kettlebell swing?"}]}"#))
            try check("POST", "/v1/chat/completions", try await post("/v1/chat/completions", #"{"model": "nobody", "messages": [{"role": "user", "content": "hi"}]}"#))
            try check("GET", "/v1/models", try await Loopback.get(base, "/v1/models"))

            // A cached answer carries its match; the cache's admin routes.
            let cached = try await post("/v1/chat", #"{"message": "How do I do a kettlebell swing?"}"#)
            #expect(cached.json["cached"] as? Bool == true)
            try check("POST", "/v1/chat", cached)
            // An answer's record, and feedback on it (a thumbs-down evicts the cached answer).
            let answerID = try #require(cached.json["answer_id"] as? String)
            try check("GET", "/v1/answers/{id}", try await Loopback.get(base, "/v1/answers/\(answerID)"))
            try check("GET", "/v1/answers/{id}", try await Loopback.get(base, "/v1/answers/ans_0000000000000000"))
            let down = try await post("/v1/feedback", #"{"answer_id": "\#(answerID)", "rating": "down", "reason": "wrong"}"#)
            #expect(down.status == 200)
            try check("POST", "/v1/feedback", down)
            try check("POST", "/v1/feedback", try await post("/v1/feedback", #"{"answer_id": "ans_0000000000000000", "rating": "up"}"#))
            try check("POST", "/v1/feedback", try await post("/v1/feedback", #"{"answer_id": "\#(answerID)", "rating": "meh"}"#))
            try check("POST", "/v1/feedback", try await post("/v1/feedback", #"{"answer_id": "\#(answerID)", "rating": "up", "x": 1}"#))
            try check("GET", "/v1/answers/{id}", try await Loopback.get(base, "/v1/answers/\(answerID)"))
            try check("GET", "/admin/cache", try await Loopback.get(base, "/admin/cache"))
            try check("DELETE", "/admin/cache", try await Loopback.send("DELETE", URL(string: "\(base)/admin/cache")!))
            try check("DELETE", "/admin/cache", try await Loopback.send("DELETE", URL(string: "\(base)/admin/cache?all=true")!))
            // Drift detection and refresh.
            try check("GET", "/admin/refresh", try await Loopback.get(base, "/admin/refresh"))
            try check("GET", "/admin/drift", try await Loopback.get(base, "/admin/drift"))
            try check("GET", "/admin/drift", try await Loopback.get(base, "/admin/drift?x=1"))
            try check("POST", "/admin/refresh", try await Loopback.send("POST", URL(string: "\(base)/admin/refresh?wait=true")!))
            try check("POST", "/admin/refresh", try await Loopback.send("POST", URL(string: "\(base)/admin/refresh?wait=no")!))
            try check("GET", "/admin/refresh", try await Loopback.get(base, "/admin/refresh"))
            try check("GET", "/admin/drift", try await Loopback.get(base, "/admin/drift"))
            try check("GET", "/admin/drift/gaps", try await Loopback.get(base, "/admin/drift/gaps?since=1h"))
            try check("GET", "/admin/drift/gaps", try await Loopback.get(base, "/admin/drift/gaps?since=soon"))
        }
    }

    struct DocumentationGap: Error, CustomStringConvertible {
        var description: String
    }

    @Test func theValidatorRejectsWhatTheSchemaForbids() throws {
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(#"""
            {"components": {"schemas": {
              "Item": {"type": "object", "required": ["n"], "additionalProperties": false,
                       "properties": {"n": {"type": "integer", "minimum": 1}, "tag": {"type": ["string", "null"], "enum": ["a", "b", null]},
                                      "list": {"type": "array", "items": {"$ref": "#/components/schemas/Leaf"}}}},
              "Leaf": {"type": "string", "minLength": 2}}}}
            """#.utf8))
        let validator = JSONSchemaSubset(document: document)
        let schema = JSONValue.object(["$ref": .string("#/components/schemas/Item")])
        func problems(_ json: String) throws -> [String] {
            validator.validate(try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)), against: schema)
        }
        #expect(try problems(#"{"n": 3, "tag": null, "list": ["ab", "cd"]}"#).isEmpty)
        #expect(try problems(#"{"n": 3, "tag": "a"}"#).isEmpty)
        #expect(try problems(#"{"tag": "a"}"#).count == 1)                // required
        #expect(try problems(#"{"n": 1.5}"#).count == 1)                  // integer
        #expect(try problems(#"{"n": 0}"#).count == 1)                    // minimum
        #expect(try problems(#"{"n": 1, "tag": "c"}"#).count == 1)        // enum
        #expect(try problems(#"{"n": 1, "tag": 3}"#).count == 1)          // type list
        #expect(try problems(#"{"n": 1, "extra": true}"#).count == 1)     // additionalProperties
        #expect(try problems(#"{"n": 1, "list": ["a", 3]}"#).count == 2)  // items through $ref
        #expect(try problems(#"[1]"#).count == 1)                         // type
        let either = JSONValue.object(["oneOf": .array([.object(["$ref": .string("#/components/schemas/Leaf")]), .object(["type": .string("null")])])])
        #expect(validator.validate(.null, against: either).isEmpty)
        #expect(validator.validate(.string("ab"), against: either).isEmpty)
        #expect(validator.validate(.string("a"), against: either).count == 1)  // oneOf: neither option
        #expect(validator.validate(.null, against: .object(["$ref": .string("#/components/schemas/Missing")])).count == 1)
    }

    @Test func theDocsPageIsSelfContainedAndCoversEveryPath() async throws {
        try await Loopback.withServer(try Loopback.spotter()) { base in
            let page = try await Loopback.get(base, "/docs")
            #expect(page.status == 200)
            #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
            let html = page.text
            for forbidden in ["src=\"http", "href=\"http", "src='http", "@import", "url(", "<link", "//cdn"] {
                #expect(!html.contains(forbidden), "/docs refers to something outside the page: \(forbidden)")
            }
            let (json, _) = try await document(base)
            for path in (json["paths"] as? [String: Any] ?? [:]).keys { #expect(html.contains("\"\(path)\""), "\(path) missing from /docs") }
            // The embedded document cannot close its script element early.
            let embedded = try #require(html.components(separatedBy: "<script type=\"application/json\" id=\"openapi\">").last?
                .components(separatedBy: "</script>").first)
            #expect(try JSONSerialization.jsonObject(with: Data(embedded.utf8)) is [String: Any])
        }
    }
}
