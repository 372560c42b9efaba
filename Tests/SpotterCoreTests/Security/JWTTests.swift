import Foundation
import JWTKit
import SpotterCore
import Testing

/// Bearer tokens from an identity provider: only a current token signed by a configured key, with the algorithm
/// of that key, for this issuer and audience, gives a caller.
@Suite("JWT bearer tokens")
struct JWTTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let secret = "test-only-hmac-secret-at-least-32-bytes"
    static let issuer = "https://id.example.com"
    static let rsaKey: JWTKit.Insecure.RSA.PrivateKey = try! .init(pem: testOnlyRSAPrivateKeyPEM)
    static let ecKey = ES256PrivateKey()

    /// A provider: its signing keys (kids hs, rsa-1, ec-1), and a JWKS file of the public ones in a temporary directory.
    struct Provider {
        let directory: URL
        let jwksPath: String
        let signers: JWTKeyCollection

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("spotter-jwt-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let rsa = try JWTTests.rsaKey.publicKey.getKeyPrimitives()
            let ec = JWTTests.ecKey.parameters!
            let jwks: [String: [[String: String]]] = ["keys": [
                ["kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig",
                 "n": JWTTests.base64URL(rsa.modulus), "e": JWTTests.base64URL(rsa.publicExponent)],
                ["kty": "EC", "kid": "ec-1", "alg": "ES256", "use": "sig", "crv": "P-256", "x": ec.x, "y": ec.y],
                // Skipped: an encryption key, and an algorithm the verifier does not take.
                ["kty": "RSA", "kid": "enc-1", "use": "enc", "n": JWTTests.base64URL(rsa.modulus), "e": "AQAB"],
                ["kty": "OKP", "kid": "ed-1", "alg": "EdDSA", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"],
            ]]
            jwksPath = directory.appendingPathComponent("jwks.json").path
            try JSONEncoder().encode(jwks).write(to: URL(fileURLWithPath: jwksPath))
            let collection = JWTKeyCollection()
            await collection.add(hmac: HMACKey(from: JWTTests.secret), digestAlgorithm: .sha256, kid: "hs")
            await collection.add(rsa: JWTTests.rsaKey, digestAlgorithm: .sha256, kid: "rsa-1")
            await collection.add(ecdsa: JWTTests.ecKey, kid: "ec-1")
            signers = collection
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }

        func settings(hmac: Bool = true) -> JWTSettings {
            JWTSettings(hmacSecret: hmac ? JWTTests.secret : nil, jwksPath: jwksPath, issuer: JWTTests.issuer, audience: "spotter")
        }

        /// A token signed by the key `kid` names; `header` may claim another algorithm.
        func token(_ claims: [String: JWTHeaderField], kid: String, header: JWTHeader = JWTHeader()) async throws -> String {
            try await signers.sign(JWTClaimSet(claims), kid: JWKIdentifier(string: kid), header: header)
        }
    }

    /// A user's claims, valid for ten minutes from `now` unless `expiresIn` says otherwise; `extra` replaces some.
    static func claims(_ extra: [String: JWTHeaderField] = [:], expiresIn: TimeInterval = 600) -> [String: JWTHeaderField] {
        var claims: [String: JWTHeaderField] = [
            "iss": .string(issuer), "aud": ["spotter", "other"], "sub": "user-42",
            "exp": .int(Int(now.timeIntervalSince1970 + expiresIn)), "iat": .int(Int(now.timeIntervalSince1970)),
            "tenant": "acme", "groups": ["sales", "emea"], "scope": "openid chat ingest",
        ]
        claims.merge(extra) { _, new in new }
        return claims
    }

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static let user = Principal(tenant: "acme", scopes: [.chat, .ingest], userID: "user-42", groups: ["sales", "emea"])

    @Test func aValidTokenOfEachAlgorithmGivesItsCaller() async throws {
        let provider = try await Provider()
        defer { provider.remove() }
        let verifier = try JWTVerifier(settings: provider.settings())
        for kid in ["hs", "rsa-1", "ec-1"] {
            let token = try await provider.token(Self.claims(), kid: kid)
            #expect(try await verifier.principal(token: token, now: Self.now) == Self.user, "\(kid)")
        }
        #expect(verifier.settings.isEnabled && !JWTSettings().isEnabled)
    }

    @Test func claimsOfEitherShapeCustomNamesAndMissingOnesAreRead() async throws {
        let provider = try await Provider()
        defer { provider.remove() }
        let verifier = try JWTVerifier(settings: provider.settings())
        let shaped = try await provider.token(Self.claims(["groups": "sales emea sales", "scope": ["admin", "profile"], "aud": "spotter"]), kid: "ec-1")
        #expect(try await verifier.principal(token: shaped, now: Self.now)
            == Principal(tenant: "acme", scopes: [.admin], userID: "user-42", groups: ["sales", "emea"]))
        // Groups that are no valid group names are dropped; a token without a known scope may chat, no more.
        var bare = Self.claims(["groups": ["has space", "ok", "a,b"], "scope": "openid profile"])
        for name in ["tenant", "sub"] { bare.removeValue(forKey: name) }
        let bareToken = try await provider.token(bare, kid: "rsa-1")
        #expect(try await verifier.principal(token: bareToken, now: Self.now) == Principal(tenant: "default", scopes: [.chat], groups: ["ok"]))
        var settings = provider.settings()
        (settings.tenantClaim, settings.userClaim, settings.groupsClaim, settings.scopesClaim) = ("org", "email", "roles", "scp")
        let renamed = try await provider.token(
            Self.claims(["org": "globex", "email": "a@example.com", "roles": ["ops"], "scp": ["chat", "admin"]]), kid: "hs")
        #expect(try await JWTVerifier(settings: settings).principal(token: renamed, now: Self.now)
            == Principal(tenant: "globex", scopes: [.chat, .admin], userID: "a@example.com", groups: ["ops"]))
    }

    @Test func expiryAndStartAreCheckedWithTheLeeway() async throws {
        let provider = try await Provider()
        defer { provider.remove() }
        let verifier = try JWTVerifier(settings: provider.settings())
        let late = try await provider.token(Self.claims(expiresIn: -30), kid: "rsa-1")
        #expect(try await verifier.principal(token: late, now: Self.now) == Self.user, "within the leeway")
        let expired = try await provider.token(Self.claims(expiresIn: -120), kid: "rsa-1")
        await #expect(throws: AccessError.invalidToken("the token has expired")) { try await verifier.principal(token: expired, now: Self.now) }
        var endless = Self.claims()
        endless.removeValue(forKey: "exp")
        let endlessToken = try await provider.token(endless, kid: "hs")
        await #expect(throws: AccessError.invalidToken("the token has no expiry")) { try await verifier.principal(token: endlessToken, now: Self.now) }
        let soon = try await provider.token(Self.claims(["nbf": .int(Int(Self.now.timeIntervalSince1970) + 30)]), kid: "ec-1")
        #expect(try await verifier.principal(token: soon, now: Self.now) == Self.user, "within the leeway")
        let future = try await provider.token(Self.claims(["nbf": .int(Int(Self.now.timeIntervalSince1970) + 300)]), kid: "ec-1")
        await #expect(throws: AccessError.invalidToken("the token is not valid yet")) { try await verifier.principal(token: future, now: Self.now) }
    }

    @Test func anotherIssuerOrAudienceIsRefused() async throws {
        let provider = try await Provider()
        defer { provider.remove() }
        let verifier = try JWTVerifier(settings: provider.settings())
        let issuer = try await provider.token(Self.claims(["iss": "https://evil.example.com"]), kid: "rsa-1")
        await #expect(throws: AccessError.invalidToken("the token's issuer is not accepted")) { try await verifier.principal(token: issuer, now: Self.now) }
        let audience = try await provider.token(Self.claims(["aud": ["other"]]), kid: "rsa-1")
        await #expect(throws: AccessError.invalidToken("the token's audience is not accepted")) { try await verifier.principal(token: audience, now: Self.now) }
    }

    @Test func aChangedSignatureIsRefused() async throws {
        let provider = try await Provider()
        defer { provider.remove() }
        let verifier = try JWTVerifier(settings: provider.settings())
        for kid in ["hs", "rsa-1", "ec-1"] {
            var parts = try await provider.token(Self.claims(), kid: kid).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            // A character in the middle: the last one may carry only padding bits.
            var signature = Array(parts[2])
            signature[signature.count / 2] = signature[signature.count / 2] == "A" ? "B" : "A"
            parts[2] = String(signature)
            let token = parts.joined(separator: ".")
            await #expect(throws: AccessError.invalidToken("the token's signature does not verify"), "\(kid)") {
                try await verifier.principal(token: token, now: Self.now)
            }
        }
    }

    @Test func anUnsignedTokenIsRefused() async throws {
        let provider = try await Provider()
        defer { provider.remove() }
        let payload = try Self.base64URL(JSONEncoder().encode(JWTClaimSet(Self.claims())))
        for header in [#"{"alg":"none","typ":"JWT"}"#, #"{"alg":"none","kid":"rsa-1"}"#, #"{"alg":"None","kid":"hs"}"#] {
            let token = Self.base64URL(Data(header.utf8)) + "." + payload + "."
            for hmac in [true, false] {
                let verifier = try JWTVerifier(settings: provider.settings(hmac: hmac))
                await #expect(throws: AccessError.invalidToken("unsigned tokens are not accepted"), "\(header)") {
                    try await verifier.principal(token: token, now: Self.now)
                }
            }
        }
    }

    /// The classic confusion: an HS256 token whose HMAC secret is the RSA public key, which anyone may have.
    @Test func anHS256TokenMadeWithThePublicKeyIsRefused() async throws {
        let provider = try await Provider()
        defer { provider.remove() }
        let publicKey = Self.rsaKey.publicKey
        for secret in [Array(publicKey.pemRepresentation.utf8), Array(publicKey.derRepresentation)] {
            let forger = JWTKeyCollection()
            await forger.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            let naming = try await forger.sign(JWTClaimSet(Self.claims()), header: ["alg": "HS256", "kid": "rsa-1"])
            let bare = try await forger.sign(JWTClaimSet(Self.claims()), header: ["alg": "HS256"])
            let withSecret = try JWTVerifier(settings: provider.settings(hmac: true))
            let withoutSecret = try JWTVerifier(settings: provider.settings(hmac: false))
            await #expect(throws: AccessError.invalidToken("the token's algorithm does not match its key")) {
                try await withSecret.principal(token: naming, now: Self.now)
            }
            await #expect(throws: AccessError.invalidToken("the token's signature does not verify")) {
                try await withSecret.principal(token: bare, now: Self.now)
            }
            for token in [naming, bare] {
                await #expect(throws: AccessError.invalidToken("HS256 tokens are not accepted")) {
                    try await withoutSecret.principal(token: token, now: Self.now)
                }
            }
        }
    }

    @Test func aTokenMustUseTheAlgorithmOfTheKeyItNames() async throws {
        let provider = try await Provider()
        defer { provider.remove() }
        let verifier = try JWTVerifier(settings: provider.settings())
        // Signed with the EC key but claiming RS256, and the other way round: jwt-kit alone goes by the kid.
        let claimsRSA = try await provider.token(Self.claims(), kid: "ec-1", header: ["alg": "RS256"])
        let claimsEC = try await provider.token(Self.claims(), kid: "rsa-1", header: ["alg": "ES256"])
        for token in [claimsRSA, claimsEC] {
            await #expect(throws: AccessError.invalidToken("the token's algorithm does not match its key")) {
                try await verifier.principal(token: token, now: Self.now)
            }
        }
        let stranger = JWTKeyCollection()
        await stranger.add(rsa: Self.rsaKey, digestAlgorithm: .sha256, kid: "rsa-2")
        let unknown = try await stranger.sign(JWTClaimSet(Self.claims()), kid: "rsa-2")
        await #expect(throws: AccessError.invalidToken("the token's key is not known")) { try await verifier.principal(token: unknown, now: Self.now) }
        let other = try await stranger.sign(JWTClaimSet(Self.claims()), header: ["alg": "RS384", "kid": "rsa-1"])
        await #expect(throws: AccessError.invalidToken("the token's algorithm is not accepted")) { try await verifier.principal(token: other, now: Self.now) }
    }

    @Test func aBadTenantIsRefused() async throws {
        let provider = try await Provider()
        defer { provider.remove() }
        let verifier = try JWTVerifier(settings: provider.settings())
        let tenants: [JWTHeaderField] = ["../etc", "", .string(String(repeating: "a", count: 65)), "acme corp", .int(7), ["acme"]]
        for tenant in tenants {
            let token = try await provider.token(Self.claims(["tenant": tenant]), kid: "hs")
            await #expect(throws: AccessError.invalidToken("the token's tenant is not a valid tenant name"), "\(tenant)") {
                try await verifier.principal(token: token, now: Self.now)
            }
        }
        await #expect(throws: AccessError.invalidToken("the token is malformed")) { try await verifier.principal(token: "not.a-token", now: Self.now) }
    }

    @Test func badKeySettingsAreRefusedWithAMessage() async throws {
        let provider = try await Provider()
        defer { provider.remove() }
        let missing = provider.directory.appendingPathComponent("missing.json").path
        let missingError = #expect(throws: AccessError.self) { try JWTVerifier(settings: JWTSettings(jwksPath: missing)) }
        #expect(missingError?.description.contains(missing) == true)
        let malformed = provider.directory.appendingPathComponent("malformed.json").path
        try Data("{\"keys\": 7".utf8).write(to: URL(fileURLWithPath: malformed))
        let malformedError = #expect(throws: AccessError.self) { try JWTVerifier(settings: JWTSettings(jwksPath: malformed)) }
        #expect(malformedError?.description.contains(malformed) == true)
        let ec = Self.ecKey.parameters!
        let secretKeys = provider.directory.appendingPathComponent("private.json").path
        try JSONEncoder().encode(["keys": [["kty": "EC", "kid": "k", "crv": "P-256", "x": ec.x, "y": ec.y, "d": "AAAA"]]])
            .write(to: URL(fileURLWithPath: secretKeys))
        let privateError = #expect(throws: AccessError.self) { try JWTVerifier(settings: JWTSettings(jwksPath: secretKeys)) }
        #expect(privateError?.description.contains("private key") == true)
        let shortError = #expect(throws: AccessError.self) {
            try JWTVerifier(settings: JWTSettings(hmacSecret: String(repeating: "x", count: 31)))
        }
        #expect(shortError?.description.contains("32 bytes") == true)
        #expect(throws: Never.self) { try JWTVerifier(settings: JWTSettings(hmacSecret: String(repeating: "x", count: 32))) }
    }
}

/// A 2048-bit RSA key made with `openssl genrsa 2048` for these tests only; it signs nothing else.
private let testOnlyRSAPrivateKeyPEM = """
    -----BEGIN PRIVATE KEY-----
    MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDsbH4o3EIo3gA2
    iqz4Jv1eGLz9bfFb5vhlnC+uEdYW86fn4v5H0uOhaWDSW9yTh9+HfDXWEvf5cfEr
    /s8R63Ccz24xdiglk0UvpsgF+wWg6F5C64LwWsO4E/XxH4leSGxBkKcb7imYtSaF
    kFEmeT+enhncmRJWIKSz/VAhTlDQA8rV6smReKEbRFZ3eIsvbpjAh2Veax+KbyIw
    OIIoc8ouIQKXVYjXFYJb+i99OTTdz/kFgPSRlT7nlcPQL+BMOAU2IXbRwIe3R8ej
    8L7z7YQUUXTxM9f9djBfeq0ohqf5SmKmOxd26y3ZDTbX5kKMYFm/2aK0QMXiQH7Y
    nYagYh43AgMBAAECggEAHNEMf4Z5Oen1NLCqbIS0FSgGwQ0Jgh4g4KGs3hamdZ21
    NXpha/e0bxQdDQbNV94TzLvDBBjDyM+uiaJBMvnze+l8kOLJ+ep9YFV/w9rY0MgB
    1T5Hc2xctq8YJw+k+qzxJPywoaLhxw8tZtI0UfAtZPP4Sv8NURoheR7DCYw2JWRU
    8dqVqbV9Yz7mElLXC56NinUKyeVQV4PxmiUCMC0YvZHv9Ju1mijl+dZXneFcL2OX
    dcm8rfV/cM2PWDEfQHO4DNiroRGRsX2d0Ea99Yux6h37u2vri/v2BzFGK8TTaHCX
    c/bi+XBIXSw2SRH5KkhYbV0c3w8+RrWBxBr1KW+cAQKBgQD874R/66JiEFvlGYAk
    7ntZWzI4ZfC090hYogDferkp88tQC6ZRtvf5fFa7BhAoG+K3GVpj5gF2TK2M91Pr
    qVd7ZMbpK6PcsSWef3vEx6s94Q23NJTtehK87v7usCZK19GJ0JCAKT447B/hKOi9
    yZMtAxFfT3m1OKSdJLKN6vt+twKBgQDvScN/vEw2TU1qiKEOfcpRLqPYhqPg/3b/
    +GeyaIcw/+vj0W6JG84NFJJb2G1PZLz3RTS3Iz01fqw3LPA6UoiVFKGvTsZOXv4p
    Nb6+jeNt4bzS1+/WpYDe5ENshZzEzDllL/eKWHey/O7DHmGQrLQ39q0DzgURPa2O
    lSDmXU7cgQKBgQDArqHsZQ/lznqC02NIPxheYNeoGRg+c6Z8RqWNmUrXR65ZQxan
    Z1AOkYbsoFjMhTm3rCussHnqqc0H9x3KB83p5UKWPDVvGNAEpy8dH9I2qGwvZXIS
    Wo1Num8gW7ZAC5rHdsetqj2JVW+Psf9jHNzuTEj+p2ebAxR71YnkDN8bjwKBgQCi
    tyE2uj+E6XoMSI5kgUtTewi1k5Dazj0IgM1a91N/EXhBuceVeo/aOzPvOrPSOil5
    Z9kZ89+KgfHvryJINplj7tynjkSxRE1GjqJ/h5KwxMEXCvmvl2mTp9rlb9ITzN/2
    m/CTZec3kmF10zH7JEWEjLxICw9NEwjzHRt7KtYWgQKBgGDsqgjVccCjS+RQK6aC
    nyMjqcEf1IkSA20/rghNPKqWqoNvQh2PGa4KV2/q5GuqdZg8yulMrRK8WnE+13Dg
    nXxKBBj2UYG9tcZ25l1cBjdGBFkxdeAId0v9opmpZ89fL9tj5M+3PYU4sbOWvMwI
    OsyqiI+0DN0fzxFXs4mz+LlA
    -----END PRIVATE KEY-----
    """
