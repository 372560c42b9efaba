import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// Tenants and per-document permissions over real loopback HTTP, with authentication required: several tenants
/// with overlapping content under the same knowledge-base name, every read path tried with another tenant's ids.
@Suite("Tenant isolation", .serialized)
struct TenantIsolationHTTPTests {
    /// A server over a fresh store (nothing shared with other suites), with the cache on.
    static func withServer(_ body: @Sendable (URL, APIKeyService, Spotter) async throws -> Void) async throws {
        var configuration = TestEnvironment.configuration(dataDirectory: try TestEnvironment.temporaryDirectory("tenants"))
        configuration.secret = String(repeating: "t", count: 40)
        configuration.authentication = .required
        configuration.cache.enabled = true
        let spotter = try Spotter(configuration: configuration, embedder: try TestEnvironment.embedder())
        try await ChatHTTPTests.withAccessControlledServer(spotter) { base, keys in try await body(base, keys, spotter) }
    }

    static func send(_ method: String, _ base: URL, _ path: String, key: String, json: String? = nil,
                     markdown: String? = nil) async throws -> HTTPResult {
        let body = json.map { Data($0.utf8) } ?? markdown.map { Data($0.utf8) }
        return try await Loopback.send(method, URL(string: base.absoluteString + path)!, body: body,
                                       contentType: json != nil ? "application/json" : markdown != nil ? "text/markdown" : nil,
                                       headers: ["Authorization": "Bearer \(key)"])
    }

    static func quoted(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }

    /// What one tenant put in and got back: the ids another tenant will try.
    struct TenantTrail {
        var name: String
        var key: String
        var secretWord: String
        var question: String
        /// A question the tenant's knowledge base does not cover, asked by that tenant only: a knowledge gap.
        var gapQuestion: String
        var documentIDs: [String] = []
        var sessionID = ""
        var answerID = ""
    }

    /// A reproducible random order: the seed is in every failure message.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func noReadPathLeaksAnotherTenantsData() async throws {
        let seed = UInt64.random(in: 1 ... .max)
        var random = SeededGenerator(state: seed)
        let words = ["zephyrine", "quokkapress", "marblestep", "glintrow", "vortexcurl", "emberlunge"].shuffled(using: &random)
        let gapWords = ["saffronite", "cobaltwhisk", "tundrafig"].shuffled(using: &random)
        let names = ["acme", "globex", "initech"].shuffled(using: &random)
        let intruderOrders = names.map { _ in names.shuffled(using: &random) }
        try await Self.withServer { base, keys, _ in
            var trails: [TenantTrail] = []
            for (index, name) in names.enumerated() {
                let key = try keys.create(tenant: name, scopes: [.chat, .ingest, .admin]).key
                let word = words[index]
                trails.append(TenantTrail(name: name, key: key, secretWord: word,
                                          question: "How do I perform the \(word) exercise safely?",
                                          gapQuestion: "Which moon phase suits \(gapWords[index]) harvesting?"))
            }
            // The same knowledge-base name and one identical document in every tenant, plus one of each its own.
            let shared = "# Rest between sets\n\nRest two to three minutes between heavy sets so that strength recovers before the next set."
            for index in trails.indices {
                let trail = trails[index]
                let own = """
                    # The \(trail.secretWord) exercise

                    The \(trail.secretWord) exercise is performed slowly with a neutral spine: brace, lower for three \
                    seconds, then drive up. Do three sets of eight \(trail.secretWord) repetitions.
                    """
                for (file, text) in [("rest.md", shared), ("\(trail.secretWord).md", own)] {
                    let uploaded = try await Self.send("POST", base, "/v1/documents?kb=default&filename=\(file)", key: trail.key, markdown: text)
                    #expect(uploaded.status == 201, "seed \(seed): upload \(file) for \(trail.name): \(uploaded.status) \(uploaded.text)")
                }
                let list = try await Self.send("GET", base, "/v1/documents?kb=default", key: trail.key)
                let ids = ((list.json["documents"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
                #expect(ids.count == 2, "seed \(seed): \(trail.name) lists \(ids)")
                trails[index].documentIDs = ids
                let chat = try await Self.send("POST", base, "/v1/chat", key: trail.key, json: #"{"message": \#(Self.quoted(trail.question))}"#)
                #expect(chat.status == 200, "seed \(seed): \(chat.text)")
                trails[index].sessionID = chat.json["session_id"] as? String ?? ""
                trails[index].answerID = chat.json["answer_id"] as? String ?? ""
                #expect(chat.text.contains(trail.secretWord), "seed \(seed): \(trail.name) must find its own document")
                // Asked again, the answer comes from the tenant's own cache.
                let again = try await Self.send("POST", base, "/v1/chat", key: trail.key, json: #"{"message": \#(Self.quoted(trail.question))}"#)
                #expect(again.json["cached"] as? Bool == true, "seed \(seed): \(again.text)")
                let gap = try await Self.send("POST", base, "/v1/chat", key: trail.key, json: #"{"message": \#(Self.quoted(trail.gapQuestion))}"#)
                #expect(gap.json["grounded"] as? Bool == false, "seed \(seed): \(gap.text)")
                let ownGaps = try await Self.send("GET", base, "/admin/drift/gaps", key: trail.key)
                #expect(ownGaps.text.contains(trail.gapQuestion), "seed \(seed): \(ownGaps.text)")
            }
            let allIDs = Set(trails.flatMap(\.documentIDs))
            #expect(allIDs.count == trails.count * 2, "seed \(seed): the same source in two tenants must be two documents")

            let unknownSession = try await Self.send("GET", base, "/v1/sessions/ses_unknown", key: trails[0].key)
            let unknownAnswer = try await Self.send("GET", base, "/v1/answers/ans_unknown", key: trails[0].key)
            let unknownDocument = try await Self.send("GET", base, "/v1/documents/doc_unknown", key: trails[0].key)
            /// The same status and code as for an id that never existed; the message names only the id asked for.
            func looksUnknown(_ result: HTTPResult, like unknown: HTTPResult, id: String, unknownID: String, _ what: String) {
                #expect(result.status == 404 && result.status == unknown.status && result.errorCode == unknown.errorCode,
                        "seed \(seed): \(what): \(result.status) \(result.text)")
                #expect(result.errorMessage.replacingOccurrences(of: id, with: unknownID) == unknown.errorMessage, "seed \(seed): \(what)")
            }

            for (round, victim) in trails.enumerated() {
                let intruders = intruderOrders[round].compactMap { name in trails.first { $0.name == name } }
                for intruder in intruders where intruder.name != victim.name {
                    let context = "seed \(seed): \(intruder.name) reading \(victim.name)"
                    // Search and chat never see the victim's documents, texts or cached answers.
                    let search = try await Self.send("GET", base, "/v1/search?kb=default&q=\(victim.secretWord)", key: intruder.key)
                    #expect(search.status == 200, "\(context): \(search.text)")
                    // The response repeats the query (which holds the word); no passage of the victim's may follow.
                    #expect(!search.text.contains("\(victim.secretWord) repetitions") && !search.text.contains("\(victim.secretWord) exercise\""), "\(context): search")
                    #expect(victim.documentIDs.allSatisfy { !search.text.contains($0) }, "\(context): search ids")
                    for path in ["/v1/chat", "/v1/chat/completions"] {
                        let body = path == "/v1/chat" ? #"{"message": \#(Self.quoted(victim.question))}"#
                            : #"{"model": "spotter", "messages": [{"role": "user", "content": \#(Self.quoted(victim.question))}]}"#
                        let reply = try await Self.send("POST", base, path, key: intruder.key, json: body)
                        #expect(reply.status == 200, "\(context): \(path) \(reply.text)")
                        #expect(reply.json["cached"] as? Bool != true, "\(context): \(path) served another tenant's cached answer")
                        #expect(victim.documentIDs.allSatisfy { !reply.text.contains($0) }, "\(context): \(path) cites the victim")
                        // The question itself holds the word; the answer must not bring back the victim's passage.
                        #expect(!reply.text.contains("\(victim.secretWord) repetitions"), "\(context): \(path) \(reply.text)")
                    }
                    // Sessions, answers, feedback and documents by id: as unknown as an id that never existed.
                    looksUnknown(try await Self.send("GET", base, "/v1/sessions/\(victim.sessionID)", key: intruder.key),
                                 like: unknownSession, id: victim.sessionID, unknownID: "ses_unknown", "\(context): session")
                    #expect(try await Self.send("DELETE", base, "/v1/sessions/\(victim.sessionID)", key: intruder.key).status == 404, "\(context)")
                    looksUnknown(try await Self.send("GET", base, "/v1/answers/\(victim.answerID)", key: intruder.key),
                                 like: unknownAnswer, id: victim.answerID, unknownID: "ans_unknown", "\(context): answer")
                    let feedback = try await Self.send("POST", base, "/v1/feedback", key: intruder.key,
                                                       json: #"{"answer_id": "\#(victim.answerID)", "rating": "down"}"#)
                    #expect(feedback.status == 404, "\(context): feedback \(feedback.text)")
                    for id in victim.documentIDs {
                        looksUnknown(try await Self.send("GET", base, "/v1/documents/\(id)", key: intruder.key),
                                     like: unknownDocument, id: id, unknownID: "doc_unknown", "\(context): document")
                        #expect(try await Self.send("DELETE", base, "/v1/documents/\(id)", key: intruder.key).status == 404, "\(context)")
                    }
                    let documents = try await Self.send("GET", base, "/v1/documents?kb=default", key: intruder.key)
                    #expect(victim.documentIDs.allSatisfy { !documents.text.contains($0) } && !documents.text.contains(victim.secretWord), "\(context)")
                    // A tenant's admin sees and purges its own tenant only.
                    let cache = try await Self.send("GET", base, "/admin/cache", key: intruder.key)
                    #expect(cache.status == 200 && !cache.text.contains("\"\(victim.name)\""), "\(context): \(cache.text)")
                    let purge = try await Self.send("DELETE", base, "/admin/cache?tenant=\(victim.name)", key: intruder.key)
                    #expect(purge.status == 200 && purge.json["purged"] as? Int == 0, "\(context): \(purge.text)")
                    let gaps = try await Self.send("GET", base, "/admin/drift/gaps", key: intruder.key)
                    #expect(gaps.status == 200 && !gaps.text.contains(victim.gapQuestion), "\(context): \(gaps.text)")
                    #expect(try await Self.send("GET", base, "/admin/drift", key: intruder.key).status == 403, "\(context)")
                    // Usage: the intruder's own rows only, and naming the victim is refused.
                    let usage = try await Self.send("GET", base, "/admin/usage?by=key", key: intruder.key)
                    let usageTenants = Set(((usage.json["usage"] as? [[String: Any]]) ?? []).compactMap { $0["tenant"] as? String })
                    #expect(usage.status == 200 && usageTenants == [intruder.name], "\(context): \(usage.text)")
                    #expect(try await Self.send("GET", base, "/admin/usage?tenant=\(victim.name)", key: intruder.key).status == 403, "\(context)")
                }
            }
            // Nothing the intruders tried changed the victims' data.
            for trail in trails {
                #expect(try await Self.send("GET", base, "/v1/sessions/\(trail.sessionID)", key: trail.key).status == 200, "seed \(seed)")
                #expect(try await Self.send("GET", base, "/v1/answers/\(trail.answerID)", key: trail.key).status == 200, "seed \(seed)")
                for id in trail.documentIDs {
                    #expect(try await Self.send("GET", base, "/v1/documents/\(id)", key: trail.key).status == 200, "seed \(seed)")
                }
                let again = try await Self.send("POST", base, "/v1/chat", key: trail.key, json: #"{"message": \#(Self.quoted(trail.question))}"#)
                #expect(again.json["cached"] as? Bool == true, "seed \(seed): \(trail.name)'s cache survived the others' purges")
            }
        }
    }

    @Test func aDocumentTheCallerMayNotReadNeverShowsOrShapesTheAnswer() async throws {
        try await Self.withServer { base, keys, _ in
            let uploader = try keys.create(tenant: "gym", scopes: [.ingest]).key
            let coach = try keys.create(tenant: "gym", scopes: [.chat], groups: ["coaches"]).key
            let member = try keys.create(tenant: "gym", scopes: [.chat]).key
            let restricted = """
                # Glimmerstone squat protocol

                The glimmerstone squat protocol: five sets of five glimmerstone squats at eighty percent, rest three minutes.
                """
            let open = "# Squat basics\n\nSquat with the feet shoulder-width apart and the knees tracking over the toes."
            let first = try await Self.send("POST", base, "/v1/documents?kb=default&filename=glimmerstone.md&allow=group:coaches",
                                            key: uploader, markdown: restricted)
            #expect(first.status == 201, "\(first.text)")
            #expect(try await Self.send("POST", base, "/v1/documents?kb=default&filename=squat.md", key: uploader, markdown: open).status == 201)
            let documents = try await Self.send("GET", base, "/v1/documents?kb=default", key: uploader)
            let listed = (documents.json["documents"] as? [[String: Any]]) ?? []
            let secretID = try #require(listed.first { ($0["source"] as? String) == "upload:glimmerstone.md" }?["id"] as? String)
            #expect(listed.first { $0["id"] as? String == secretID }?["allowed_groups"] as? [String] == ["group:coaches"])

            let query = "glimmerstone squat protocol"
            // The coach finds it first; the member does not find it at all, in any mode.
            let coachSearch = try await Self.send("GET", base, "/v1/search?kb=default&q=\(query.replacingOccurrences(of: " ", with: "+"))", key: coach)
            #expect(((coachSearch.json["hits"] as? [[String: Any]])?.first?["document_id"] as? String) == secretID, "\(coachSearch.text)")
            for mode in ["hybrid", "bm25", "dense"] {
                let search = try await Self.send("GET", base, "/v1/search?kb=default&mode=\(mode)&mmr=0.5&q=\(query.replacingOccurrences(of: " ", with: "+"))",
                                                 key: member)
                #expect(search.status == 200 && !search.text.contains(secretID) && !search.text.lowercased().contains("glimmerstone squats"),
                        "\(mode): \(search.text)")
            }
            // The coach's answer is cached; the member asking the same is not served it, nor the passage.
            let question = #"{"message": "What is the glimmerstone squat protocol?"}"#
            let coachAnswer = try await Self.send("POST", base, "/v1/chat", key: coach, json: question)
            #expect(coachAnswer.text.contains(secretID), "\(coachAnswer.text)")
            #expect(try await Self.send("POST", base, "/v1/chat", key: coach, json: question).json["cached"] as? Bool == true)
            let memberAnswer = try await Self.send("POST", base, "/v1/chat", key: member, json: question)
            #expect(memberAnswer.status == 200 && memberAnswer.json["cached"] as? Bool == false, "\(memberAnswer.text)")
            #expect(!memberAnswer.text.contains(secretID) && !memberAnswer.text.lowercased().contains("eighty percent"), "\(memberAnswer.text)")
            // Not even as a "closest topic" of a not-covered answer.
            #expect(!memberAnswer.text.contains("Glimmerstone squat protocol"), "\(memberAnswer.text)")
        }
    }

    @Test func sourcesAreLogicalNamesNeverServerPaths() async throws {
        try await ChatHTTPTests.withChatServer { base, spotter in
            let data = spotter.configuration.dataDirectory.path
            let guides = TestEnvironment.demoGuides.path
            let search = try await Loopback.get(base, "/v1/search?q=rest+between+sets")
            let chat = try await Loopback.send("POST", URL(string: base.absoluteString + "/v1/chat")!,
                                               body: Data(#"{"message": "How long should I rest between sets?"}"#.utf8), contentType: "application/json")
            let documents = try await Loopback.get(base, "/v1/documents")
            let hits = (search.json["hits"] as? [[String: Any]]) ?? []
            #expect(!hits.isEmpty)
            for result in [search, chat, documents] {
                #expect(!result.text.contains(guides) && !result.text.contains(data) && !result.text.contains("\"source\":\"/"),
                        "a server path in \(result.text.prefix(400))")
            }
            let sources = hits.compactMap { $0["source"] as? String }
            #expect(sources.allSatisfy { !$0.hasPrefix("/") && $0.hasSuffix(".md") }, "\(sources)")
        }
    }
}
