import Foundation
import JWTKit

/// How bearer tokens from an identity provider are checked and read (``JWTVerifier``).
public struct JWTSettings: Sendable, Equatable {
    /// The HS256 shared secret, at least 32 bytes; nil refuses HS256 tokens.
    public var hmacSecret: String?
    /// A local JWKS file with the provider's RS256 and ES256 public keys; nil refuses RS256 and ES256 tokens.
    public var jwksPath: String?
    /// When set, `iss` must equal it.
    public var issuer: String?
    /// When set, `aud` (a string or an array) must contain it.
    public var audience: String?
    /// The clock skew allowed for `exp`, `nbf` and `iat`.
    public var leewaySeconds: Int
    /// The claim naming the tenant (1–64 letters, digits, '-', '_', '.'); ``defaultTenant`` when absent.
    public var tenantClaim: String
    /// The claim naming the end user.
    public var userClaim: String
    /// The claim listing the user's groups: an array of strings or one space-separated string.
    public var groupsClaim: String
    /// The claim listing the scopes, OAuth style (space-separated) or an array; only chat, ingest and admin count.
    public var scopesClaim: String
    /// The tenant of a token without a tenant claim.
    public var defaultTenant: String

    public init(hmacSecret: String? = nil, jwksPath: String? = nil, issuer: String? = nil, audience: String? = nil,
                leewaySeconds: Int = 60, tenantClaim: String = "tenant", userClaim: String = "sub",
                groupsClaim: String = "groups", scopesClaim: String = "scope", defaultTenant: String = "default") {
        self.hmacSecret = hmacSecret
        self.jwksPath = jwksPath
        self.issuer = issuer
        self.audience = audience
        self.leewaySeconds = leewaySeconds
        self.tenantClaim = tenantClaim
        self.userClaim = userClaim
        self.groupsClaim = groupsClaim
        self.scopesClaim = scopesClaim
        self.defaultTenant = defaultTenant
    }

    /// Whether tokens can be accepted at all: a secret or a key set is configured.
    public var isEnabled: Bool { hmacSecret != nil || jwksPath != nil }
}

/// Verifies identity providers' JWT bearer tokens and turns them into a ``Principal``.
///
/// Accepted: HS256 with the configured secret, and RS256 or ES256 with the JWKS key the token's `kid` names, whose
/// own algorithm must be the token's. Everything else (`alg: none`, other algorithms, a kid-less RS256 token, an HS256
/// token naming a public key) is refused before any signature is checked, so algorithm confusion cannot happen.
///
/// ```swift
/// let verifier = try JWTVerifier(settings: JWTSettings(jwksPath: "/etc/spotter/jwks.json", issuer: "https://id.example.com"))
/// let caller = try await verifier.principal(token: bearer)   // Principal(tenant: "acme", scopes: [.chat], userID: …)
/// ```
public final class JWTVerifier: Sendable {
    /// Far above what a provider issues, well below what would be costly to parse.
    static let maximumTokenLength = 16 * 1024

    public let settings: JWTSettings
    /// Each JWKS key's algorithm by kid.
    private let keyAlgorithms: [String: String]
    private let keys: KeyCollections

    /// Loads the HMAC secret and the JWKS file; ``AccessError/secret(_:)`` says what is wrong with them.
    public init(settings: JWTSettings) throws(AccessError) {
        if let secret = settings.hmacSecret, secret.utf8.count < 32 {
            throw .secret("the JWT HMAC secret is shorter than 32 bytes; use a random secret of at least 32 bytes")
        }
        guard settings.leewaySeconds >= 0 else { throw .secret("the JWT leeway \(settings.leewaySeconds) must not be negative") }
        guard APIKeyService.isValidTenant(settings.defaultTenant) else { throw .invalidTenant(settings.defaultTenant) }
        var publicKeys: [VerificationKey] = []
        if let path = settings.jwksPath { publicKeys = try Self.loadKeySet(path: path) }
        self.settings = settings
        self.keyAlgorithms = Dictionary(uniqueKeysWithValues: publicKeys.map { ($0.kid, $0.algorithm) })
        self.keys = KeyCollections(hmacSecret: settings.hmacSecret, publicKeys: publicKeys)
    }

    /// The caller a token stands for; ``AccessError/invalidToken(_:)`` with a short reason (never the token's
    /// contents) when it is not accepted.
    ///
    /// Scopes: the known names in the scopes claim; a token with none of them gets `[.chat]`, the least privilege
    /// that lets a signed-in user talk. Groups that are not valid group names (spaces, commas, control characters)
    /// are dropped, which can only narrow what the user reads.
    public func principal(token: String, now: Date = Date()) async throws(AccessError) -> Principal {
        guard token.utf8.count <= Self.maximumTokenLength else { throw .invalidToken("the token is too long") }
        let header = try Self.header(of: token)
        guard case .string(let alg)? = header["alg"] else { throw .invalidToken("the token names no algorithm") }
        // jwt-kit ignores `crit`; an extension we do not understand must not be skipped silently (RFC 7515 §4.1.11).
        guard !header.keys.contains("crit") else { throw .invalidToken("the token asks for header extensions that are not supported") }
        let kid = header["kid"]?.asString

        // jwt-kit picks the key by kid and ignores the header's alg (and falls back to a default key for an unknown
        // kid), so the algorithm is matched to the key here, before it verifies anything.
        let collections = await keys.collections()
        let collection: JWTKeyCollection
        switch alg {
        case "HS256":
            guard let hmac = collections.hmac else { throw .invalidToken("HS256 tokens are not accepted") }
            // An HS256 token naming a public key is the classic confusion: the public key used as an HMAC secret.
            if let kid, keyAlgorithms[kid] != nil { throw .invalidToken("the token's algorithm does not match its key") }
            collection = hmac
        case "RS256", "ES256":
            guard let kid else { throw .invalidToken("the token names no key (kid)") }
            guard let keyAlgorithm = keyAlgorithms[kid] else { throw .invalidToken("the token's key is not known") }
            guard keyAlgorithm == alg else { throw .invalidToken("the token's algorithm does not match its key") }
            collection = collections.jwks
        default:
            throw .invalidToken(alg.lowercased() == "none" ? "unsigned tokens are not accepted" : "the token's algorithm is not accepted")
        }

        let claims: JWTClaimSet
        do {
            claims = try await collection.verify(token, as: JWTClaimSet.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .invalidToken("the token's signature does not verify")
        } catch let error as JWTError where error.errorType == .malformedToken {
            throw .invalidToken("the token is malformed")
        } catch {
            throw .invalidToken("the token does not verify")
        }
        return try principal(from: claims.fields, now: now)
    }

    /// Checks the verified claims against `now` and the settings, and reads the caller from them.
    private func principal(from fields: [String: JWTHeaderField], now: Date) throws(AccessError) -> Principal {
        let leeway = TimeInterval(settings.leewaySeconds)
        let current = now.timeIntervalSince1970
        guard let expiry = fields["exp"] else { throw .invalidToken("the token has no expiry") }
        guard let exp = Self.seconds(expiry) else { throw .invalidToken("the token's expiry is not a time") }
        guard current < exp + leeway else { throw .invalidToken("the token has expired") }
        if let field = fields["nbf"] {
            guard let nbf = Self.seconds(field) else { throw .invalidToken("the token's start time is not a time") }
            guard nbf - leeway <= current else { throw .invalidToken("the token is not valid yet") }
        }
        if let field = fields["iat"] {
            guard let iat = Self.seconds(field) else { throw .invalidToken("the token's issue time is not a time") }
            guard iat - leeway <= current else { throw .invalidToken("the token was issued in the future") }
        }
        if let issuer = settings.issuer, fields["iss"]?.asString != issuer {
            throw .invalidToken("the token's issuer is not accepted")
        }
        if let audience = settings.audience, !(Self.strings(fields["aud"]) ?? []).contains(audience) {
            throw .invalidToken("the token's audience is not accepted")
        }

        let tenant: String
        switch fields[settings.tenantClaim] {
        case .none, .null?: tenant = settings.defaultTenant
        case .string(let name)? where APIKeyService.isValidTenant(name): tenant = name
        default: throw .invalidToken("the token's tenant is not a valid tenant name")
        }
        let userID: String?
        switch fields[settings.userClaim] {
        case .none, .null?: userID = nil
        case .string(let name)?: userID = name.isEmpty ? nil : name
        default: throw .invalidToken("the token's user claim is not a string")
        }
        guard let scopeNames = Self.strings(fields[settings.scopesClaim], separatedBySpaces: true) else {
            throw .invalidToken("the token's scope claim is not a list of names")
        }
        var scopes = Set(scopeNames.compactMap { Scope(rawValue: $0) })
        if scopes.isEmpty { scopes = [.chat] }
        guard let groupNames = Self.strings(fields[settings.groupsClaim], separatedBySpaces: true) else {
            throw .invalidToken("the token's groups claim is not a list of names")
        }
        var groups: [String] = []
        for group in groupNames where APIKeyService.isValidGroup(group) && !groups.contains(group) { groups.append(group) }
        return Principal(tenant: tenant, scopes: scopes, userID: userID, groups: groups)
    }

    /// The token's header, read here because jwt-kit does not check its `alg` against the key.
    private static func header(of token: String) throws(AccessError) -> [String: JWTHeaderField] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = base64URLDecoded(parts[0]),
              let header = try? JSONDecoder().decode([String: JWTHeaderField].self, from: data) else {
            throw .invalidToken("the token is malformed")
        }
        return header
    }

    private static func base64URLDecoded(_ text: Substring) -> Data? {
        let isBase64URL = text.utf8.allSatisfy { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x5F
        }
        guard isBase64URL else { return nil }
        var base64 = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    /// A NumericDate: seconds since 1970, whole or not.
    private static func seconds(_ field: JWTHeaderField) -> Double? {
        switch field {
        case .int(let value): Double(value)
        case .decimal(let value): value.isFinite ? value : nil
        default: nil
        }
    }

    /// A claim holding a string or an array of strings; [] when absent, nil when it is something else. A single
    /// string is one value, or (`separatedBySpaces`, as OAuth writes scopes) a space-separated list.
    private static func strings(_ field: JWTHeaderField?, separatedBySpaces: Bool = false) -> [String]? {
        switch field {
        case .none, .null?: return []
        case .string(let text)?: return separatedBySpaces ? text.split(separator: " ").map(String.init) : [text]
        case .array(let items)?:
            let texts = items.compactMap(\.asString)
            return texts.count == items.count ? texts : nil
        default: return nil
        }
    }

    /// The JWKS file's RS256 and ES256 signing keys. Keys for encryption or other algorithms are skipped, so that
    /// a provider's whole key set can be used as it is; a file without a usable key, a private key, a usable key
    /// without a kid or with a kid taken, or a broken key is refused.
    private static func loadKeySet(path: String) throws(AccessError) -> [VerificationKey] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .secret("cannot read the JWKS file \(path); check that it exists and is readable")
        }
        guard let file = try? JSONDecoder().decode(KeySetFile.self, from: data) else {
            throw .secret("the JWKS file \(path) is not a JSON Web Key Set: give {\"keys\": [...]}")
        }
        var keys: [VerificationKey] = []
        for entry in file.keys {
            if let use = entry.use, use != "sig" { continue }
            let algorithm: String
            switch (entry.kty, entry.alg) {
            case ("RSA"?, nil), ("RSA"?, "RS256"?): algorithm = "RS256"
            case ("EC"?, nil), ("EC"?, "ES256"?):
                guard entry.crv == "P-256" else { continue }
                algorithm = "ES256"
            default: continue
            }
            guard entry.d == nil else { throw .secret("the JWKS file \(path) holds a private key; give only the public keys") }
            guard let kid = entry.kid, !kid.isEmpty else { throw .secret("a key in the JWKS file \(path) has no kid; tokens name their key by it") }
            guard !keys.contains(where: { $0.kid == kid }) else { throw .secret("the JWKS file \(path) has two keys with kid '\(kid)'") }
            guard let material = material(of: entry, algorithm: algorithm) else {
                throw .secret("key '\(kid)' in the JWKS file \(path) is not a valid \(algorithm) public key (RSA keys need at least 2048 bits)")
            }
            keys.append(VerificationKey(kid: kid, material: material))
        }
        guard !keys.isEmpty else { throw .secret("the JWKS file \(path) has no RS256 or ES256 signing key") }
        return keys
    }

    private static func material(of entry: KeySetFile.Entry, algorithm: String) -> VerificationKey.Material? {
        if algorithm == "RS256", let n = entry.n, let e = entry.e,
           let key = try? JWTKit.Insecure.RSA.PublicKey(modulus: n, exponent: e) {
            return .rsa(key)
        }
        if algorithm == "ES256", let x = entry.x, let y = entry.y, let key = try? ES256PublicKey(parameters: (x: x, y: y)) {
            return .ec(key)
        }
        return nil
    }
}

/// The token's payload as it is: claim names are settings, so it has no fixed coding keys. jwt-kit decodes it
/// only once the signature verified; its JSON value type (`JWTHeaderField`) serves for the claims too. The tests
/// sign their tokens with it.
package struct JWTClaimSet: JWTPayload {
    package let fields: [String: JWTHeaderField]

    package init(_ fields: [String: JWTHeaderField]) {
        self.fields = fields
    }

    package init(from decoder: any Decoder) throws {
        fields = try decoder.singleValueContainer().decode([String: JWTHeaderField].self)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(fields)
    }

    /// Nothing here: the time and the settings the claims are checked against are not known to a decoded payload,
    /// so `JWTVerifier` checks them once jwt-kit has returned (after the signature, as jwt-kit would).
    package func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// One public key of the JWKS file, checked and ready for jwt-kit.
private struct VerificationKey: Sendable {
    enum Material: Sendable {
        case rsa(JWTKit.Insecure.RSA.PublicKey)
        case ec(ES256PublicKey)
    }

    let kid: String
    let material: Material

    var algorithm: String {
        switch material {
        case .rsa: "RS256"
        case .ec: "ES256"
        }
    }
}

/// The parts of a JWK read here (jwt-kit's `JWK` fails on a whole set for one key type it does not know).
private struct KeySetFile: Decodable {
    struct Entry: Decodable {
        let kty: String?, kid: String?, alg: String?, use: String?, crv: String?
        let n: String?, e: String?, x: String?, y: String?, d: String?
    }

    let keys: [Entry]
}

/// jwt-kit's key collections are actors filled by `async` calls, and ``JWTVerifier/init(settings:)`` is
/// synchronous: the keys, checked there, are put into collections on first use.
private actor KeyCollections {
    struct Built: Sendable {
        let hmac: JWTKeyCollection?
        let jwks: JWTKeyCollection
    }

    private let hmacSecret: String?
    private let publicKeys: [VerificationKey]
    private var built: Built?

    init(hmacSecret: String?, publicKeys: [VerificationKey]) {
        self.hmacSecret = hmacSecret
        self.publicKeys = publicKeys
    }

    /// Two first calls at once may both build; each gets whole collections, so that is harmless.
    func collections() async -> Built {
        if let built { return built }
        var hmac: JWTKeyCollection?
        if let hmacSecret {
            let collection = JWTKeyCollection()
            await collection.add(hmac: HMACKey(from: hmacSecret), digestAlgorithm: .sha256)
            hmac = collection
        }
        let jwks = JWTKeyCollection()
        for key in publicKeys {
            switch key.material {
            case .rsa(let rsa): await jwks.add(rsa: rsa, digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.kid))
            case .ec(let ec): await jwks.add(ecdsa: ec, kid: JWKIdentifier(string: key.kid))
            }
        }
        // The first key added becomes the default, which jwt-kit would use for a token whose kid it does not know.
        await jwks.clearDefault()
        let result = Built(hmac: hmac, jwks: jwks)
        built = result
        return result
    }
}
