import Foundation
import SpotterCore
import SpotterServer
import SpotterTestSupport
import Testing

/// `POST/GET/DELETE /v1/documents` over loopback HTTP with the real model and a real store.
@Suite("Document routes", .serialized)
struct DocumentRoutesTests {
    static let guide = "# Kettlebell swing\n\nDrive the hips forward to swing the kettlebell to chest height; trains the posterior chain.\n"

    @Test func rawMarkdownUploadIsStoredListedShownAndDeleted() async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            let url = URL(string: "\(base)/v1/documents?kb=guides&filename=swing.md")!
            let first = try await Loopback.send("POST", url, body: Data(Self.guide.utf8), contentType: "text/markdown; charset=utf-8")
            #expect(first.status == 201, "\(first.text)")
            #expect(first.json["kb"] as? String == "guides")
            #expect(first.json["added"] as? Int == 1)
            #expect((first.json["skipped"] as? [Any])?.isEmpty == true)

            let again = try await Loopback.send("POST", url, body: Data(Self.guide.utf8), contentType: "text/markdown")
            #expect(again.status == 200)
            #expect(again.json["unchanged"] as? Int == 1)
            #expect(again.json["chunks_embedded"] as? Int == 0)

            let list = try await Loopback.get(base, "/v1/documents?kb=guides")
            #expect(list.status == 200)
            #expect(list.json["kb"] as? String == "guides")
            let documents = try #require(list.json["documents"] as? [[String: Any]])
            #expect(documents.count == 1)
            #expect(documents.first?["source"] as? String == "upload:swing.md")
            #expect(documents.first?["title"] as? String == "Kettlebell swing")
            let created = try #require(documents.first?["created_at"] as? String)
            #expect(created.hasPrefix("20") && created.hasSuffix("Z"), "ISO 8601 date expected, got \(created)")
            let id = try #require(documents.first?["id"] as? String)

            let one = try await Loopback.get(base, "/v1/documents/\(id)")
            #expect(one.status == 200)
            #expect(one.json["id"] as? String == id)
            #expect(one.json["chunks"] as? Int == 1)

            let deleted = try await Loopback.send("DELETE", URL(string: "\(base)/v1/documents/\(id)")!)
            #expect(deleted.status == 204)
            let gone = try await Loopback.get(base, "/v1/documents/\(id)")
            #expect(gone.status == 404)
            #expect(gone.errorCode == "unknown_document")
            let deletedAgain = try await Loopback.send("DELETE", URL(string: "\(base)/v1/documents/\(id)")!)
            #expect(deletedAgain.status == 404)
            #expect(deletedAgain.errorCode == "unknown_document")
            let empty = try await Loopback.get(base, "/v1/documents?kb=guides")
            #expect((empty.json["documents"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func multipartUploadIngestsEveryFilePartAndReportsTheBadOnes() async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            let (body, contentType) = Loopback.multipart([
                ("file", "swing.md", Data(Self.guide.utf8)),
                ("file", "rest.txt", Data("Rest two to three minutes between heavy sets.".utf8)),
                ("file", "photo.png", Data([0x89, 0x50, 0x4E, 0x47])),
            ])
            let response = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?kb=multi")!, body: body, contentType: contentType)
            #expect(response.status == 201, "\(response.text)")
            #expect(response.json["files"] as? Int == 3)
            #expect(response.json["added"] as? Int == 2)
            let skipped = try #require(response.json["skipped"] as? [[String: Any]])
            #expect(skipped.map { $0["path"] as? String } == ["upload:photo.png"])
            // The scratch folder's path never reaches the client.
            #expect(!response.text.contains("/uploads/"))
            let list = try await Loopback.get(base, "/v1/documents?kb=multi")
            let sources = (list.json["documents"] as? [[String: Any]])?.compactMap { $0["source"] as? String }
            #expect(sources == ["upload:rest.txt", "upload:swing.md"])
        }
    }

    @Test func jsonRecordsTakeTheRecordOptionsOfTheCLI() async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            let records = #"[{"key": "ex-1", "name": "Goblet squat", "how": "Hold a kettlebell at the chest and squat down.", "level": "beginner"},"#
                + #"{"key": "ex-2", "name": "Turkish get-up", "how": "Stand up from the floor holding a kettlebell overhead.", "level": "expert"}]"#
            let url = URL(string: "\(base)/v1/documents?kb=records&filename=exercises.json&id_field=key&text_field=how&title_field=name&metadata_field=level")!
            let response = try await Loopback.send("POST", url, body: Data(records.utf8), contentType: "application/json")
            #expect(response.status == 201, "\(response.text)")
            #expect(response.json["added"] as? Int == 2)
            let list = try await Loopback.get(base, "/v1/documents?kb=records")
            let documents = try #require(list.json["documents"] as? [[String: Any]])
            #expect(Set(documents.compactMap { $0["title"] as? String }) == ["Goblet squat", "Turkish get-up"])
            #expect(Set(documents.compactMap { $0["source"] as? String }) == ["upload:exercises.json#ex-1", "upload:exercises.json#ex-2"])
            let search = try await Loopback.get(base, "/v1/search?kb=records&q=kettlebell&filter=level=expert")
            #expect((search.json["hits"] as? [[String: Any]])?.map { $0["title"] as? String } == ["Turkish get-up"])

            let lines = #"{"id": "a", "text": "Walk with a heavy kettlebell in each hand."}"# + "\n" + #"{"id": "b"}"# + "\n"
            let jsonl = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?kb=records&filename=carries.jsonl")!,
                                                body: Data(lines.utf8), contentType: "application/x-ndjson")
            #expect(jsonl.status == 201)
            #expect(jsonl.json["added"] as? Int == 1)
            #expect((jsonl.json["skipped"] as? [[String: Any]])?.first?["line"] as? Int == 2)
        }
    }

    @Test(arguments: [
        "../evil.md", "..", ".", "/etc/passwd.md", "docs/guide.md", "..\\evil.md", "nul%00.md", "line%0Abreak.md",
        String(repeating: "a", count: 300) + ".md",
    ])
    func pathTricksInRawFileNamesAre400(filename: String) async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            let encoded = filename.contains("%") ? filename : filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let response = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?filename=\(encoded)")!,
                                                   body: Data(Self.guide.utf8), contentType: "text/markdown")
            #expect(response.status == 400, "\(filename): \(response.text)")
            #expect(response.errorCode == "invalid_filename")
            #expect(try spotter.store.knowledgeBases().isEmpty, "nothing may be ingested from a refused upload")
        }
    }

    @Test func pathTricksInMultipartFileNamesAre400() async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            for filename in ["../../etc/cron.d/x.md", "/tmp/abs.md", "a/../../b.md"] {
                let (body, contentType) = Loopback.multipart([("file", filename, Data(Self.guide.utf8))])
                let response = try await Loopback.send("POST", URL(string: "\(base)/v1/documents")!, body: body, contentType: contentType)
                #expect(response.status == 400, "\(filename)")
                #expect(response.errorCode == "invalid_filename")
            }
            let (body, contentType) = Loopback.multipart([("file", "same.md", Data(Self.guide.utf8)), ("file", "same.md", Data(Self.guide.utf8))])
            let duplicate = try await Loopback.send("POST", URL(string: "\(base)/v1/documents")!, body: body, contentType: contentType)
            #expect(duplicate.status == 400)
            let broken = try await Loopback.send("POST", URL(string: "\(base)/v1/documents")!,
                                                 body: Data("--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.md\"\r\n\r\nno end".utf8),
                                                 contentType: "multipart/form-data; boundary=x")
            #expect(broken.status == 400)
            #expect(broken.errorCode == "malformed_multipart")
        }
    }

    @Test func multipartFileNamesMayBeQuotedOrEncoded() async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            let boundary = "b0undary"
            let body = "preamble to ignore\r\n--\(boundary)\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"a; \\\"quoted\\\".md\"\r\nContent-Type: text/markdown\r\n\r\n"
                + "# Quoted\n\nA name with a semicolon and quotes.\r\n--\(boundary)\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"fallback.md\"; filename*=UTF-8''na%C3%AFve.md\r\n\r\n"
                + "# Naive\n\nAn RFC 5987 name.\r\n--\(boundary)--\r\nepilogue"
            let response = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?kb=names")!, body: Data(body.utf8),
                                                   contentType: "multipart/form-data; boundary=\"\(boundary)\"")
            #expect(response.status == 201, "\(response.text)")
            let list = try await Loopback.get(base, "/v1/documents?kb=names")
            let sources = (list.json["documents"] as? [[String: Any]])?.compactMap { $0["source"] as? String }
            #expect(sources == ["upload:a; \"quoted\".md", "upload:naïve.md"])
        }
    }

    @Test func unsupportedContentTypesAre415AndMissingFilenamesAre400() async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            for contentType in ["image/png", "application/octet-stream", "application/x-www-form-urlencoded"] {
                let response = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?filename=a.png")!,
                                                       body: Data([1, 2, 3]), contentType: contentType)
                #expect(response.status == 415, "\(contentType)")
                #expect(response.errorCode == "unsupported_media_type")
            }
            let noName = try await Loopback.send("POST", URL(string: "\(base)/v1/documents")!, body: Data(Self.guide.utf8), contentType: "text/markdown")
            #expect(noName.status == 400)
            #expect(noName.errorMessage.contains("filename"))
        }
    }

    @Test func bodiesOverTheConfiguredLimitAre413() async throws {
        let spotter = try Loopback.spotter { $0.maxUploadBytes = 1024 }
        try await Loopback.withServer(spotter) { base in
            let large = Data(String(repeating: "Squat deep with a straight back. ", count: 200).utf8)
            let raw = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?filename=big.txt")!, body: large, contentType: "text/plain")
            #expect(raw.status == 413)
            #expect(raw.errorCode == "body_too_large")
            // Without Content-Length the limit holds while the body is read.
            let streamed = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?filename=big.txt")!, body: large,
                                                   contentType: "text/plain", chunked: true)
            #expect(streamed.status == 413)
            #expect(streamed.errorCode == "body_too_large")
            let (body, contentType) = Loopback.multipart([("file", "big.txt", large)])
            let multipart = try await Loopback.send("POST", URL(string: "\(base)/v1/documents")!, body: body, contentType: contentType)
            #expect(multipart.status == 413)
            let small = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?filename=small.txt")!,
                                                body: Data("Squat deep with a straight back.".utf8), contentType: "text/plain")
            #expect(small.status == 201)
        }
    }

    @Test func uploadsThatCannotBeIngestedAtAllAre422() async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            let cases: [(String, String, Data)] = [
                ("empty.md", "text/markdown", Data("   \n".utf8)),
                ("latin1.txt", "text/plain", Data([0x63, 0x61, 0x66, 0xE9, 0x0A])),
                ("broken.json", "application/json", Data("[{\"id\": 1, ".utf8)),
                ("nothing.json", "application/json", Data("[{\"name\": \"no id or text\"}]".utf8)),
            ]
            for (name, contentType, body) in cases {
                let response = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?filename=\(name)")!, body: body, contentType: contentType)
                #expect(response.status == 422, "\(name): \(response.text)")
                #expect(response.errorCode == "nothing_ingested")
                #expect(response.errorMessage.contains("upload:\(name)"), "\(response.errorMessage)")
            }
        }
    }

    @Test func unknownKnowledgeBasesAndDocumentsAre404() async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            _ = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?kb=known&filename=g.md")!, body: Data(Self.guide.utf8), contentType: "text/markdown")
            let list = try await Loopback.get(base, "/v1/documents?kb=unknown")
            #expect(list.status == 404)
            #expect(list.errorCode == "unknown_knowledge_base")
            #expect(list.errorMessage.contains("known"))
            let document = try await Loopback.get(base, "/v1/documents/no-such-id")
            #expect(document.status == 404)
            #expect(document.errorCode == "unknown_document")
            let badName = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?kb=bad%20name&filename=g.md")!,
                                                  body: Data(Self.guide.utf8), contentType: "text/markdown")
            #expect(badName.status == 400)
        }
    }

    @Test func theDenseIndexCatchesUpInTheBackgroundAndSearchFindsTheUpload() async throws {
        let spotter = try Loopback.spotter()
        try await Loopback.withServer(spotter) { base in
            let response = try await Loopback.send("POST", URL(string: "\(base)/v1/documents?kb=fresh&filename=swing.md")!,
                                                   body: Data(Self.guide.utf8), contentType: "text/markdown")
            #expect(response.status == 201)
            let knowledgeBase = try #require(try spotter.store.knowledgeBase(named: "fresh", create: false))
            let file = try #require(spotter.search.indexes.fileURL(for: knowledgeBase))
            // No search has run: only the background sync writes the index file.
            let deadline = ContinuousClock.now + .seconds(60)
            while !FileManager.default.fileExists(atPath: file.path), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(FileManager.default.fileExists(atPath: file.path), "the background sync did not write \(file.path)")
            let search = try await Loopback.get(base, "/v1/search?kb=fresh&q=hip+drive+swing&mode=dense")
            #expect(search.status == 200)
            #expect((search.json["hits"] as? [[String: Any]])?.first?["source"] as? String == "upload:swing.md")
        }
    }
}
