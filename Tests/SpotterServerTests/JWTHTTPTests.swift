import Foundation
import JWTKit
import SpotterCore
import SpotterServer
import Testing

/// An identity provider's tokens over real loopback HTTP: a current HS256 token gives its tenant, user and scopes;
/// expired, unsigned, foreign or tampered tokens are a plain 401, and API keys keep working beside tokens.
extension ChatHTTPTests {
    static let jwtSecret = "http-test-hmac-secret-of-at-least-32-bytes"

    static func token(secret: String = jwtSecret, _ fields: [String: JWTHeaderField]) async throws -> String {
        let signer = JWTKeyCollection()
        await signer.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await signer.sign(JWTClaimSet(fields))
    }

    static func claims(tenant: String, user: String, scope: String = "chat", expiresIn: Double = 600) -> [String: JWTHeaderField] {
        ["iss": .string("https://id.example.com"), "aud": .string("spotter"), "sub": .string(user), "tenant": .string(tenant),
         "scope": .string(scope), "exp": .int(Int(Date().timeIntervalSince1970 + expiresIn))]
    }

    @Test func identityProviderTokensGiveTheirCallerAndBadOnesAPlain401() async throws {
        let spotter = try await Self.engine(configure: {
            $0.secret = String(repeating: "s", count: 40)
            $0.authentication = .required
            $0.jwt = JWTSettings(hmacSecret: Self.jwtSecret, issuer: "https://id.example.com", audience: "spotter")
        })
        try await Self.withAccessControlledServer(spotter) { base, keys in
            // A user of the default tenant (the one with the guides) chats; the session is theirs alone.
            let alice = try await Self.token(Self.claims(tenant: "default", user: "alice"))
            let chat = try await Self.call("POST", base, "/v1/chat", key: alice)
            #expect(chat.status == 200, "\(chat.text)")
            let session = try #require(chat.json["session_id"] as? String)
            #expect(try await Self.call("GET", base, "/v1/sessions/\(session)", key: alice).status == 200)
            let bob = try await Self.token(Self.claims(tenant: "default", user: "bob"))
            #expect(try await Self.call("GET", base, "/v1/sessions/\(session)", key: bob).status == 404, "another user's session")
            let mallory = try await Self.token(Self.claims(tenant: "other", user: "alice"))
            #expect(try await Self.call("GET", base, "/v1/sessions/\(session)", key: mallory).status == 404, "another tenant's session")

            // Scopes come from the token: a chat token may not read documents or the cache.
            #expect(try await Self.call("GET", base, "/v1/documents", key: alice).status == 403)
            let editor = try await Self.token(Self.claims(tenant: "default", user: "carol", scope: "chat ingest"))
            #expect(try await Self.call("GET", base, "/v1/documents", key: editor).status == 200)

            // Every refusal is the same 401, whatever is wrong with the token.
            let expired = try await Self.token(Self.claims(tenant: "acme", user: "alice", expiresIn: -3600))
            let foreign = try await Self.token(secret: "another-providers-secret-of-32-bytes-or-more", Self.claims(tenant: "acme", user: "alice"))
            var wrongAudience = Self.claims(tenant: "acme", user: "alice")
            wrongAudience["aud"] = .string("someone-else")
            let misaddressed = try await Self.token(wrongAudience)
            let parts = alice.split(separator: ".")
            let unsignedHeader = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            let unsigned = "\(unsignedHeader).\(parts[1])."
            let tampered = "\(parts[0]).\(parts[1].dropLast())A.\(parts[2])"
            let refusals = [expired, foreign, misaddressed, unsigned, tampered, "not.a.token"]
            var bodies: Set<Data> = []
            for token in refusals {
                let refused = try await Self.call("GET", base, "/v1/models", key: token)
                #expect(refused.status == 401 && refused.headers["www-authenticate"] != nil, "\(token): \(refused.status)")
                bodies.insert(refused.data)
            }
            #expect(bodies.count == 1, "each refusal must look the same")

            // API keys work beside tokens.
            let key = try keys.create(tenant: "acme", scopes: [.chat]).key
            #expect(try await Self.call("GET", base, "/v1/models", key: key).status == 200)
        }
    }
}
