import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// A person's data over real loopback HTTP: what a token's user and an application's `user` left is exported, then
/// erased, and afterwards no file of the data directory (the database with every table and the keyword indexes, its
/// write-ahead log, the index files) holds the person's id or words only they used, while another person's data stays.
extension ChatHTTPTests {
    /// Letters no guide contains, so that a word of them is found only where a question put it.
    static func marker() -> String { "zq" + String((0..<10).map { _ in "bcdfghjklmnpqrstvwxz".randomElement()! }) }

    static func chat(_ base: URL, key: String, _ body: [String: Any]) async throws -> HTTPResult {
        try await Loopback.send("POST", base.appendingPathComponent("v1/chat"), body: try JSONSerialization.data(withJSONObject: body),
                                contentType: "application/json", headers: ["Authorization": "Bearer \(key)"])
    }

    /// Files under `directory` whose bytes contain `needle` in any letter case.
    static func files(under directory: URL, containing needle: String) throws -> [String] {
        let lowered = Array(needle.lowercased().utf8)
        var found: [String] = []
        for case let url as URL in FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) ?? .init() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = try Data(contentsOf: url).map { (65...90).contains($0) ? $0 + 32 : $0 }
            if bytes.count >= lowered.count, bytes.firstRange(of: lowered) != nil { found.append(url.lastPathComponent) }
        }
        return found
    }

    @Test func aPersonsDataIsExportedThenErasedWithNothingLeftOnDisk() async throws {
        let (built, directory) = try await TestEnvironment.spotterWithGuides()
        try built.search.indexes.synchronize(try #require(try built.store.knowledgeBase(named: "default", create: false)))
        await built.shutdown()
        let spotter = try await Self.engine(dataDirectory: directory, configure: {
            $0.secret = String(repeating: "s", count: 40)
            $0.authentication = .required
            $0.jwt = JWTSettings(hmacSecret: Self.jwtSecret, issuer: "https://id.example.com", audience: "spotter")
            $0.cache.enabled = true
        })
        let person = "alice-\(UUID().uuidString.prefix(8))@example.com"
        let (first, second, third, comment, other) = (Self.marker(), Self.marker(), Self.marker(), Self.marker(), Self.marker())
        let firstQuestion = "How long should \(first) rest between heavy squat sets?"
        try await Self.withAccessControlledServer(spotter) { base, keys in
            let admin = try keys.create(tenant: "default", scopes: [.admin]).key
            let application = try keys.create(tenant: "default", scopes: [.chat]).key
            let alice = try await Self.token(Self.claims(tenant: "default", user: person))
            let bob = try await Self.token(Self.claims(tenant: "default", user: "bob"))

            // Two turns with the person's token, one through an application naming them, feedback with a comment.
            let opened = try await Self.chat(base, key: alice, ["message": firstQuestion])
            #expect(opened.status == 200, "\(opened.text)")
            let session = try #require(opened.json["session_id"] as? String)
            let answer = try #require(opened.json["answer_id"] as? String)
            #expect(try await Self.chat(base, key: alice, ["message": "And is \(second) stretching good after squats?", "session_id": session]).status == 200)
            #expect(try await Self.chat(base, key: application, ["message": "What warm-up suits \(third) before deadlifts?", "user": person]).status == 200)
            let feedback = try await Loopback.send("POST", base.appendingPathComponent("v1/feedback"), body: try JSONSerialization.data(withJSONObject: [
                "answer_id": answer, "rating": "up", "comment": "Clear, thanks \(comment)"]), contentType: "application/json",
                headers: ["Authorization": "Bearer \(alice)"])
            #expect(feedback.status == 200, "\(feedback.text)")
            // Another person asks the same first question (served from the person's cache entry) and one of their own.
            let hit = try await Self.chat(base, key: application, ["message": firstQuestion, "user": "carol"])
            #expect(hit.json["cached"] as? Bool == true, "\(hit.text)")
            let hitID = try #require(hit.json["answer_id"] as? String)
            #expect(try await Self.chat(base, key: bob, ["message": "Can \(other) help my bench press?"]).status == 200)

            // Only an admin of the tenant, or the person themselves.
            let path = "/v1/users/\(person.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)/data"
            #expect(try await Self.call("GET", base, path, key: bob).status == 403, "another user")
            #expect(try await Self.call("GET", base, path, key: application).status == 403, "an application key without admin")
            #expect(try await Self.call("GET", base, "/v1/users/\(String(repeating: "x", count: 129))/data", key: admin).status == 400)

            let exported = try await Self.call("GET", base, path, key: alice)
            #expect(exported.status == 200, "\(exported.text)")
            let export = try CanonicalJSON.decode(PersonalDataExport.self, from: exported.data)
            #expect(export.user == person && export.sessions.count == 2)
            #expect(export.sessions.flatMap(\.messages).count == 6)
            #expect(export.answers.map(\.question).sorted() == [firstQuestion, "And is \(second) stretching good after squats?",
                                                                 "What warm-up suits \(third) before deadlifts?"].sorted())
            #expect(export.feedback.map(\.comment) == ["Clear, thanks \(comment)"])
            #expect(export.cachedAnswers.contains { $0.question.contains(first) }, "the cache entry made from the person's question")

            let erased = try await Self.call("DELETE", base, path, key: admin)
            #expect(erased.status == 200, "\(erased.text)")
            #expect(erased.json["answers"] as? Int == 3 && erased.json["sessions"] as? Int == 2 && erased.json["feedback"] as? Int == 1)
            #expect(erased.json["cached_answers"] as? Int ?? 0 >= 1 && erased.json["log_truncated"] as? Bool == true, "\(erased.text)")
            let empty = try CanonicalJSON.decode(PersonalDataExport.self, from: try await Self.call("GET", base, path, key: admin).data)
            #expect(empty.sessions.isEmpty && empty.answers.isEmpty && empty.feedback.isEmpty && empty.cachedAnswers.isEmpty)
            #expect(try await Self.call("GET", base, "/v1/sessions/\(session)", key: alice).status == 404)

            // The others keep theirs; the answer served from the erased entry no longer quotes the person's question.
            let bobs = try CanonicalJSON.decode(PersonalDataExport.self, from: try await Self.call("GET", base, "/v1/users/bob/data", key: bob).data)
            #expect(bobs.answers.count == 1)
            let served = try await Self.call("GET", base, "/v1/answers/\(hitID)", key: application)
            #expect(served.status == 200)
            #expect(((served.json["trace"] as? [String: Any])?["cache"] as? [String: Any])?["matched_question"] as? String == "(erased)", "\(served.text)")

            // The audit log names the person by a pseudonym only, and still verifies.
            let audit = try await Self.call("GET", base, "/admin/audit", key: admin)
            let actions = (audit.json["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions.contains("personal_data.exported") && actions.contains("personal_data.erased"))
            #expect(!audit.text.contains(person))
            guard case .success = try AuditLog(store: spotter.store).verify() else { Issue.record("the audit log does not verify"); return }

            // Nothing of the person in any file, while the server still runs.
            for needle in [person, second, third, comment] {
                #expect(try Self.files(under: directory, containing: needle) == [], "'\(needle)' is still on disk")
            }
            #expect(try Self.files(under: directory, containing: other) != [], "bob's question must still be stored")
        }
        for needle in [person, second, third, comment] {
            #expect(try Self.files(under: directory, containing: needle) == [], "'\(needle)' is on disk after shutdown")
        }
    }
}
