import Foundation
import SpotterCore
import SpotterTestSupport
import Testing

@Suite("Configuration")
struct SpotterConfigurationTests {
    @Test func defaultsApplyWhenNothingIsSet() throws {
        let configuration = try SpotterConfiguration.fromEnvironment([:])
        #expect(configuration.dataDirectory.path.hasSuffix("/.spotter"))
        #expect(configuration.modelDirectory.path.hasSuffix("/" + SpotterConfiguration.defaultModelPath))
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.defaultKnowledgeBase == "default")
        #expect(configuration.embedThreads == nil)
        #expect(configuration.logLevel == .info)
    }

    @Test func everyVariableOverridesItsDefault() throws {
        let configuration = try SpotterConfiguration.fromEnvironment([
            "SPOTTER_DATA_DIR": "/data", "SPOTTER_MODEL_DIR": "/model", "SPOTTER_HOST": "0.0.0.0", "SPOTTER_PORT": "9000",
            "SPOTTER_KB": "coach", "SPOTTER_EMBED_THREADS": "1", "SPOTTER_LOG_LEVEL": "DEBUG",
        ])
        #expect(configuration.dataDirectory.path == "/data")
        #expect(configuration.modelDirectory.path == "/model")
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.defaultKnowledgeBase == "coach")
        #expect(configuration.embedThreads == 1)
        #expect(configuration.logLevel == .debug)
    }

    @Test func jwtSettingsAreReadAndCheckedAndOffByDefault() throws {
        #expect(try SpotterConfiguration.fromEnvironment([:]).jwt.isEnabled == false)
        let jwt = try SpotterConfiguration.fromEnvironment([
            "SPOTTER_JWT_HS256_SECRET": String(repeating: "k", count: 32), "SPOTTER_JWT_ISSUER": "https://id.example.com",
            "SPOTTER_JWT_AUDIENCE": "spotter", "SPOTTER_JWT_LEEWAY": "2m", "SPOTTER_JWT_TENANT_CLAIM": "org",
            "SPOTTER_JWT_USER_CLAIM": "email", "SPOTTER_JWT_GROUPS_CLAIM": "roles", "SPOTTER_JWT_SCOPES_CLAIM": "scp",
        ]).jwt
        #expect(jwt == JWTSettings(hmacSecret: String(repeating: "k", count: 32), issuer: "https://id.example.com", audience: "spotter",
                                   leewaySeconds: 120, tenantClaim: "org", userClaim: "email", groupsClaim: "roles", scopesClaim: "scp"))
        for (name, value) in [("SPOTTER_JWT_HS256_SECRET", "short"), ("SPOTTER_JWT_LEEWAY", "2h"), ("SPOTTER_JWT_LEEWAY", "-5")] {
            #expect(throws: ConfigurationError.self, "\(name)=\(value)") { try SpotterConfiguration.fromEnvironment([name: value]) }
        }
        // The secret never appears in the message about it.
        #expect { try SpotterConfiguration.fromEnvironment(["SPOTTER_JWT_HS256_SECRET": "tooshort"]) } throws: { !"\($0)".contains("tooshort") }
    }

    @Test func corsOriginsAreOriginsOnly() throws {
        let configuration = try SpotterConfiguration.fromEnvironment(["SPOTTER_CORS_ORIGINS": "https://app.example.com, http://localhost:3000"])
        #expect(configuration.corsOrigins == ["https://app.example.com", "http://localhost:3000"])
        #expect(try SpotterConfiguration.fromEnvironment([:]).corsOrigins.isEmpty)
        for origin in ["*", "https://app.example.com/", "ftp://x.example.com", "https://app.example.com/path", "app.example.com"] {
            #expect(throws: ConfigurationError.self, "\(origin)") { try SpotterConfiguration.fromEnvironment(["SPOTTER_CORS_ORIGINS": origin]) }
        }
    }

    @Test func answerRetentionIsADurationOrOff() throws {
        #expect(try SpotterConfiguration.fromEnvironment([:]).answering.answerRetention == 90 * 86_400)
        #expect(try SpotterConfiguration.fromEnvironment(["SPOTTER_ANSWER_RETENTION": "30d"]).answering.answerRetention == 30 * 86_400)
        #expect(try SpotterConfiguration.fromEnvironment(["SPOTTER_ANSWER_RETENTION": "off"]).answering.answerRetention == nil)
    }

    @Test(arguments: [
        ("SPOTTER_PORT", "http"), ("SPOTTER_PORT", "70000"), ("SPOTTER_KB", "../x"),
        ("SPOTTER_EMBED_THREADS", "0"), ("SPOTTER_LOG_LEVEL", "loud"), ("SPOTTER_ANSWER_RETENTION", "soon"),
        ("SPOTTER_ANSWER_RETENTION", "-1d"),
    ])
    func invalidValuesNameTheVariableAndWhatIsExpected(name: String, value: String) {
        #expect {
            _ = try SpotterConfiguration.fromEnvironment([name: value])
        } throws: { error in
            let message = "\(error)"
            return message.contains(name) && message.contains(value) && message.contains("expected")
        }
    }
}

@Suite("Config file")
struct ConfigFileTests {
    @Test func fileSettingsApplyUnderTheEnvironment() throws {
        let folder = try TestEnvironment.temporaryDirectory("config")
        let file = folder.appendingPathComponent("spotter.env")
        try Data("# comment\nSPOTTER_PORT=9001\nexport SPOTTER_KB=\"coach\"\nSPOTTER_SESSION_TTL=2h\n".utf8).write(to: file)
        let merged = try SpotterConfiguration.load(file: file, environment: ["SPOTTER_PORT": "9002"])
        let configuration = try SpotterConfiguration.fromEnvironment(merged)
        #expect(configuration.port == 9002)
        #expect(configuration.defaultKnowledgeBase == "coach")
        #expect(configuration.answering.sessionIdleTime == 7200)
    }

    @Test func aTypoIsNamedWithItsLineAndASuggestion() throws {
        let folder = try TestEnvironment.temporaryDirectory("config")
        let file = folder.appendingPathComponent("spotter.env")
        try Data("SPOTTER_PORT=9001\nSPOTTER_MIN_RELEVENCE=0.5\n".utf8).write(to: file)
        #expect { try SpotterConfiguration.load(file: file, environment: [:]) } throws: {
            "\($0)".contains("line 2") && "\($0)".contains("did you mean SPOTTER_MIN_RELEVANCE?")
        }
        #expect { try SpotterConfiguration.fromEnvironment(["SPOTTER_SESSION_TTL": "soon"]) } throws: {
            "\($0)".contains("SPOTTER_SESSION_TTL")
        }
    }
}
