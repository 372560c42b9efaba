import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SpotterTestSupport
import Testing

/// No secret reaches a log: a server at trace level, with authentication, a JWT secret, a data key and a model key configured,
/// is called with good and bad keys and tokens, and nothing it wrote contains any of them.
extension ChatAndServeTests {
    /// An HS256 token made by Python's standard library (an implementation apart from the server's).
    static func hs256Token(secret: String, claims: String) throws -> String {
        let made = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import base64, hmac, hashlib, sys
            b = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
            head = b(b'{"alg":"HS256","typ":"JWT"}') + "." + b(sys.argv[2].encode())
            print(head + "." + b(hmac.new(sys.argv[1].encode(), head.encode(), hashlib.sha256).digest()))
            """, secret, claims])
        return made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func noSecretReachesTheLogs() async throws {
        let serverSecret = "server-secret-" + UUID().uuidString
        let jwtSecret = "jwt-secret-" + UUID().uuidString
        let modelKey = "sk-model-" + UUID().uuidString
        let dataKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let environment = ["SPOTTER_SECRET": serverSecret, "SPOTTER_LOG_LEVEL": "trace", "SPOTTER_ENCRYPTION_KEY": dataKey]
        // A store of its own, encrypted under the data key from the start.
        let data = try TestEnvironment.temporaryDirectory("cli-secrets")
        let ingested = try ProcessRunner.run(TestEnvironment.spotterBinary, ["ingest", TestEnvironment.demoGuides.path] + Self.common(data),
                                             environment: environment)
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let created = try ProcessRunner.run(TestEnvironment.spotterBinary, ["keys", "create", "--scopes", "chat", "--json"] + Self.common(data),
                                            environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        let key = try #require((try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["key"] as? String)
        let now = Int(Date().timeIntervalSince1970)
        let token = try Self.hs256Token(secret: jwtSecret, claims: #"{"sub":"alice","scope":"chat","exp":\#(now + 600)}"#)
        let expired = try Self.hs256Token(secret: jwtSecret, claims: #"{"sub":"alice","scope":"chat","exp":\#(now - 600)}"#)
        let wrongKey = "spk_" + String(repeating: "Z", count: 43)

        try await FakeOpenAIServer.with { llm in
            await llm.setDefault(.answer("Rest two to three minutes between heavy sets [1]."))
            let server = try RunningProcess(TestEnvironment.spotterBinary, ["serve", "--port", "0"] + Self.common(data), environment: environment.merging([
                "SPOTTER_AUTH": "required", "SPOTTER_JWT_HS256_SECRET": jwtSecret, "SPOTTER_SHUTDOWN_GRACE": "2",
                "SPOTTER_LLM_BASE_URL": llm.baseURL.absoluteString, "SPOTTER_LLM_MODEL": "fake-model", "SPOTTER_LLM_API_KEY": modelKey,
            ]) { _, new in new })
            let line = await server.errorLine { $0.contains("serving") }
            let port = try #require(line?.firstMatch(of: /127\.0\.0\.1:(\d+)/).map { String($0.1) }, "\(server.stderr)")
            // Ready once the index is loaded.
            for _ in 0..<300 {
                let ready = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/readyz")!)
                if (ready?.1 as? HTTPURLResponse)?.statusCode == 200 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let chat = URL(string: "http://127.0.0.1:\(port)/v1/chat")!
            var statuses: [Int] = []
            for headers in [["Authorization": "Bearer \(key)"], ["X-API-Key": key], ["Authorization": "Bearer \(token)"],
                            ["Authorization": "Bearer \(expired)"], ["Authorization": "Bearer \(wrongKey)"], ["X-API-Key": jwtSecret]] {
                var request = URLRequest(url: chat)
                request.httpMethod = "POST"
                request.httpBody = Data(#"{"message": "How long should I rest between sets?", "cache": false}"#.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
                let (_, response) = try await URLSession.shared.data(for: request)
                statuses.append((response as? HTTPURLResponse)?.statusCode ?? 0)
            }
            #expect(statuses == [200, 200, 200, 401, 401, 401], "\(statuses)")
            #expect(await server.errorLine(timeout: 10) { $0.contains("bearer token refused") } != nil, "the refusal is logged, without the token")
            server.signal(SIGTERM)
            #expect(await server.waitForExit(timeout: 20) == 0)
            let written = server.stderr + created.stderr + ingested.stderr
            #expect(written.contains("answered"), "the scenario must have been logged at all")
            let keySecretPart = String(key.dropFirst(4))
            for (name, secret) in [("server secret", serverSecret), ("JWT secret", jwtSecret), ("model key", modelKey), ("data key", dataKey),
                                   ("API key", keySecretPart),
                                   ("token", token), ("expired token", expired), ("wrong key", wrongKey)] {
                #expect(!written.contains(secret), "the \(name) appears in the logs")
            }
            // The token's signature alone must not be logged either.
            #expect(!written.contains(String(token.split(separator: ".").last ?? "")), "a token signature appears in the logs")
        }
    }
}
